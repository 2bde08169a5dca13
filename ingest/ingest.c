/* ingest.c - shared run state of routestat-ingest's sources (see ingest.h). */
#include "ingest.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "rs_clock.h"

static volatile sig_atomic_t stop_requested;

void rs_ingest_request_stop(void)
{
	stop_requested = 1;
}

bool rs_ingest_stop_requested(void)
{
	return stop_requested != 0;
}

int rs_ingest_open(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct rs_error *err)
{
	memset(g, 0, sizeof *g);
	g->node = cfg->node;
	struct rs_ring_params params = {
		.capacity = (uint32_t)cfg->capacity,
		.dict_capacity = (uint32_t)cfg->dict_capacity,
	};
	return rs_ring_open_producer(&g->ring, cfg->instance, cfg->node, &params, err);
}

void rs_ingest_close(struct rs_ingest *g)
{
	rs_ring_close(&g->ring);   /* flushes first */
}

bool rs_ingest_push(struct rs_ingest *g, struct rs_record *rec)
{
	rec->arrival_unix_ns = rs_unix_ns();
	if (rs_ring_push(&g->ring, rec)) {
		g->accepted++;
		return true;
	}
	g->dropped++;
	return false;
}

void rs_ingest_reject(struct rs_ingest *g, enum rs_reject_reason reason, uint64_t line_no,
		      const char *msg)
{
	g->rejected++;
	rs_ring_count_reject(&g->ring, reason);
	if ((unsigned)reason >= RS_REJECT_COUNT)
		return;
	unsigned n = g->logged[reason]++;
	if (n < RS_INGEST_LOG_PER_REASON) {
		if (line_no > 0)
			fprintf(stderr, "routestat-ingest: line %" PRIu64 ": %s\n", line_no, msg);
		else
			fprintf(stderr, "routestat-ingest: %s\n", msg);
	} else if (n == RS_INGEST_LOG_PER_REASON) {
		fprintf(stderr, "routestat-ingest: more than %u %s rejections: further ones are only counted\n",
			RS_INGEST_LOG_PER_REASON, rs_reject_reason_name(reason));
	}
}

void rs_ingest_flush(struct rs_ingest *g)
{
	rs_ring_flush(&g->ring);
}

void rs_ingest_print_summary(const struct rs_ingest *g)
{
	fprintf(stderr,
		"routestat-ingest: node %s: %" PRIu64 " read, %" PRIu64 " accepted, %" PRIu64
		" rejected, %" PRIu64 " dropped (ring full)\n",
		g->node, g->read, g->accepted, g->rejected, g->dropped);
}
