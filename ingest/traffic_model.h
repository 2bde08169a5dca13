/*
 * traffic_model.h - realistic proxy traffic for the synthetic source.
 *
 * Purpose: generate, one at a time, the events a Lasso-style RPC proxy node
 * would publish: routing decisions with per-provider log-normal latencies
 * (heavy tails), error rates, failovers after errors, a skewed method and
 * chain mix, strategies that prefer different providers, ~2% system traffic,
 * ~0.5% duplicate request ids (a proxy retry), and about one circuit-breaker
 * transition or block height per 150 decisions.
 *
 * Determinism: the same seed and node give the same sequence of events,
 * except for the fields that follow the wall clock: ts (now_ms) and block
 * heights, which are a function of now_ms so that every node agrees on a
 * chain's consensus height.  The node name alone fixes the node's latency
 * profile (a regional offset and per-provider factors).
 *
 * Who uses it: source_synthetic.c.  No I/O, no allocation, no globals; one
 * model per thread.  Names are indices into the model's constant tables; the
 * caller interns each table once and maps indices to dictionary ids.
 */
#ifndef RS_TRAFFIC_MODEL_H
#define RS_TRAFFIC_MODEL_H

#include <stdint.h>

#include "record.h"
#include "record_names.h"
#include "rng.h"

#define RS_TRAFFIC_PROVIDERS 6u
#define RS_TRAFFIC_CHAINS    5u
#define RS_TRAFFIC_METHODS   14u
#define RS_TRAFFIC_RECENT    64u     /* request ids remembered for duplicates */
#define RS_TRAFFIC_NONE      0xffu   /* no name in this slot */

struct rs_traffic_event {
	struct rs_record rec;              /* every field but names and arrival_unix_ns */
	uint8_t name[RS_NAME_COUNT];       /* index into rs_traffic_name(slot, i), or NONE */
};

struct rs_traffic_model {
	struct rs_rng rng;
	double   node_factor;                         /* scales every latency on this node */
	double   node_extra_ms;                       /* network distance, added per attempt */
	double   provider_factor[RS_TRAFFIC_PROVIDERS];
	/* cumulative weights for the draws (built once by rs_traffic_init) */
	uint32_t chain_cum[RS_TRAFFIC_CHAINS];
	uint32_t method_cum[RS_TRAFFIC_METHODS];
	uint32_t strategy_cum[RS_STRATEGY_COUNT];
	uint32_t provider_cum[RS_STRATEGY_COUNT][RS_TRAFFIC_PROVIDERS]; /* per strategy */
	uint8_t  circuit[RS_TRAFFIC_PROVIDERS][RS_TRANSPORT_COUNT];
	uint64_t recent_hi[RS_TRAFFIC_RECENT], recent_lo[RS_TRAFFIC_RECENT];
	uint64_t recent_n;
};

void rs_traffic_init(struct rs_traffic_model *m, uint64_t seed, const char *node);

/* Produces the next event, stamped now_ms. */
void rs_traffic_next(struct rs_traffic_model *m, uint64_t now_ms, struct rs_traffic_event *ev);

/* The model's names: count per slot, and name i of a slot (NULL when out of range). */
unsigned    rs_traffic_name_count(enum rs_name_slot slot);
const char *rs_traffic_name(enum rs_name_slot slot, unsigned i);

#endif
