/* engine_internal.h - structures shared by engine.c and engine_render.c only. */
#ifndef RS_ENGINE_INTERNAL_H
#define RS_ENGINE_INTERNAL_H

#include "engine.h"

struct rs_route {
	uint16_t          pc;              /* provider-chain index */
	uint16_t          node;
	uint16_t          provider_id;     /* in the node's ring dictionary (circuit lookup) */
	uint8_t           has_block;
	uint64_t          block_height;
	uint64_t          last_seen_unix_ms;
	struct rs_counts *sec;             /* [window_s] per-second slices */
	struct rs_hist   *hist;            /* [hist_slices] */
};

struct rs_method_counts {
	uint64_t calls, errors, sum_us;
};

struct rs_engine_method {
	char                     name[RS_STR];
	struct rs_method_counts *sec;      /* [window_s] */
};

static inline uint32_t rs_engine_slot(const struct rs_engine *e, uint64_t sec)
{
	return (uint32_t)(sec % e->cfg.window_s);
}

static inline uint32_t rs_engine_hist_slot(const struct rs_engine *e, uint64_t sec)
{
	return (uint32_t)((sec / RS_ENGINE_HIST_SLICE_S) % e->hist_slices);
}

#endif
