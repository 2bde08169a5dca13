/*
 * ingest.h - what every source shares while it runs: the ring it feeds, the
 * counters of the summary line, the handling of one JSON line (parse,
 * intern, push), rejection reporting, flushing and the stop request set by
 * signals.
 *
 * Counting: every event or non-blank line a source reads ends up exactly
 * once as accepted (pushed), rejected (never reached the ring; counted by
 * reason in the ring too) or dropped (the ring was full; the ring counts it
 * too), so read == accepted + rejected + dropped.  The datagram sources also
 * count datagrams (one datagram holds one line or several) and what the
 * kernel dropped before ingest could receive it.
 *
 * Single-threaded; rs_ingest_request_stop is async-signal-safe.
 */
#ifndef RS_INGEST_H
#define RS_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decision_parse.h"
#include "name_limits.h"
#include "options.h"
#include "ring.h"
#include "rs_error.h"

#define RS_INGEST_LOG_PER_REASON 10u                 /* rejections printed per reason */
#define RS_INGEST_LOG_EVERY_S    60u                 /* then one summary line per reason at most this often */
#define RS_INGEST_EXCERPT_BYTES  60u                 /* bytes of the offending input quoted */
#define RS_INGEST_WHERE_MAX      160u                /* "udp [v6]:port, line 3" and the like */

struct rs_ingest {
	struct rs_ring ring;
	const char    *node;
	uint64_t       read, accepted, rejected, dropped;
	unsigned       logged[RS_REJECT_COUNT];
	uint64_t       unlogged[RS_REJECT_COUNT];     /* rejections since the last line printed */
	uint64_t       last_log_ns[RS_REJECT_COUNT];  /* CLOCK_MONOTONIC of that line */
	struct rs_name_limits names;                  /* per-kind name budgets, name -> id cache */
	struct rs_parse_opts  parse_opts;             /* line cap, ts window, "now" (refreshed per flush) */
	bool           datagram_source;   /* the summary shows the two counters below */
	uint64_t       datagrams;         /* received from the socket */
	uint64_t       kernel_drops;      /* dropped by the kernel before we could receive them */
	uint64_t       first_read_ns;     /* CLOCK_MONOTONIC at the first line, 0 before */
	uint64_t       last_read_ns;      /* at the first flush after the last line */
	uint64_t       read_at_flush;     /* read as of that flush */
};

/*
 * Where a line came from, for the log line of a rejection.  Formatted only
 * when the rejection is printed (the first few per reason), so a flood of
 * garbage costs no formatting: line_no (0: none) and, for datagrams, a
 * callback writing the sender ("unix pid 123 uid 0", "udp 127.0.0.1:4000").
 */
struct rs_ingest_where {
	uint64_t line_no;
	void   (*sender)(char *buf, size_t size, const void *ctx);   /* NULL: no sender */
	const void *ctx;
};

/* Opens (creating if needed) the node's ring as its producer. */
int rs_ingest_open(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct rs_error *err);

/* Flushes and detaches from the ring. */
void rs_ingest_close(struct rs_ingest *g);

/* Stamps the arrival time and pushes; false when the ring was full (counted as dropped). */
bool rs_ingest_push(struct rs_ingest *g, struct rs_record *rec);

/*
 * One line of JSON input (no newline; the caller skips blank ones): counts it
 * read, parses and validates it (decision_parse.h), interns its names and
 * pushes the record, or rejects it naming w.
 */
void rs_ingest_line(struct rs_ingest *g, const char *line, size_t len,
		    const struct rs_ingest_where *w);

/* Whether a line is empty or only blanks (skipped, not counted). */
bool rs_ingest_blank(const char *s, size_t len);

/*
 * Counts a rejection (here and in the ring) and prints "WHERE: msg" ("line N:
 * msg", "udp 127.0.0.1:4000: msg", "unix pid 12 uid 0, line 2: msg") for the
 * first RS_INGEST_LOG_PER_REASON of each reason, then at most one line per
 * reason every RS_INGEST_LOG_EVERY_S seconds saying how many more there were
 * and quoting the latest, so a flood of garbage cannot fill a disk.  w NULL
 * (or empty) prints no place.
 */
void rs_ingest_reject(struct rs_ingest *g, enum rs_reject_reason reason,
		      const struct rs_ingest_where *w, const char *msg);

/*
 * The same, quoting the first RS_INGEST_EXCERPT_BYTES of the offending input
 * after the message, non-printable bytes as \xHH: "line 3: duration_ms: must
 * be a number in 0..3600000 (got a string \"12\") | {\"ts\":17356...".
 */
void rs_ingest_reject_input(struct rs_ingest *g, enum rs_reject_reason reason,
			    const struct rs_ingest_where *w, const char *msg, const char *input,
			    size_t len);

/* Publishes pushed records and refreshes the heartbeat. */
void rs_ingest_flush(struct rs_ingest *g);

/*
 * "routestat-ingest: node NODE: N read, A accepted, R rejected, D dropped (ring
 * full)", then for datagram sources ", G datagrams, K dropped by the kernel",
 * then ", S s from first to last line" when there were lines.
 */
void rs_ingest_print_summary(const struct rs_ingest *g);

/* Signal side: asks the running source to finish (async-signal-safe). */
void rs_ingest_request_stop(void);
bool rs_ingest_stop_requested(void);

#endif
