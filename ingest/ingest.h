/*
 * ingest.h - what every source shares while it runs: the ring it feeds, the
 * counters of the summary line, rejection reporting, flushing and the stop
 * request set by signals.
 *
 * Counting: every event or non-blank line a source reads ends up exactly
 * once as accepted (pushed), rejected (never reached the ring; counted by
 * reason in the ring too) or dropped (the ring was full; the ring counts it
 * too), so read == accepted + rejected + dropped.
 *
 * Single-threaded; rs_ingest_request_stop is async-signal-safe.
 */
#ifndef RS_INGEST_H
#define RS_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "ring.h"
#include "rs_error.h"

#define RS_INGEST_LOG_PER_REASON 10u                 /* rejections printed per reason */

struct rs_ingest {
	struct rs_ring ring;
	const char    *node;
	uint64_t       read, accepted, rejected, dropped;
	unsigned       logged[RS_REJECT_COUNT];
};

/* Opens (creating if needed) the node's ring as its producer. */
int rs_ingest_open(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct rs_error *err);

/* Flushes and detaches from the ring. */
void rs_ingest_close(struct rs_ingest *g);

/* Stamps the arrival time and pushes; false when the ring was full (counted as dropped). */
bool rs_ingest_push(struct rs_ingest *g, struct rs_record *rec);

/*
 * Counts a rejection (here and in the ring) and prints "line N: msg" for the
 * first RS_INGEST_LOG_PER_REASON of each reason, then says once that further
 * ones are only counted.  line_no 0 prints no line number.
 */
void rs_ingest_reject(struct rs_ingest *g, enum rs_reject_reason reason, uint64_t line_no,
		      const char *msg);

/* Publishes pushed records and refreshes the heartbeat. */
void rs_ingest_flush(struct rs_ingest *g);

/* "routestat-ingest: node NODE: N read, A accepted, R rejected, D dropped (ring full)". */
void rs_ingest_print_summary(const struct rs_ingest *g);

/* Signal side: asks the running source to finish (async-signal-safe). */
void rs_ingest_request_stop(void);
bool rs_ingest_stop_requested(void);

#endif
