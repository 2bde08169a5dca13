/*
 * view_source.h - where every routestat viewer gets its data: the
 * aggregator's metrics snapshot of one instance, read through snapshot.h
 * into a caller-owned struct rs_metrics_snapshot and validated before use.
 *
 * Linked by routestat-view (one-shot text and JSON) and by the later
 * terminal UI.  Read-only: the snapshot object is mapped PROT_READ, so a
 * viewer cannot disturb the aggregator or other viewers, and any number may
 * read at once.  Reads never block the writer; a read copies about 95 KiB.
 *
 * The payload is written by another process and treated as untrusted: a
 * snapshot failing rs_metrics_validate is refused (-EPROTO, the message
 * names the field) and the caller's struct must not be displayed.  Like
 * common/, this module never prints: errors are returned as -errno with a
 * message in the caller's struct rs_error.
 */
#ifndef RS_VIEW_SOURCE_H
#define RS_VIEW_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics_snapshot.h"
#include "rs_error.h"
#include "snapshot.h"

/* rs_view_source_wait polls this often (sleeping in between). */
#define RS_VIEW_POLL_MS 100u

struct rs_view_source {
	struct rs_snapshot_reader reader;
	bool     opened;
	uint64_t stale_after_ms;           /* 0: the reader's default (3 publish intervals) */
	bool     skip_unchanged;           /* do not copy a generation already read (pollers) */
	char     instance[RS_NAME_MAX + 1];
};

/* How the displayed snapshot relates to its writer; the formatters' second input. */
struct rs_view_info {
	enum rs_snapshot_status status;
	uint64_t generation;
	uint64_t published_unix_ms;
	uint64_t published_mono_ms;        /* CLOCK_MONOTONIC: when, in this machine's time */
	uint64_t age_ms;                   /* since the snapshot was published */
	uint64_t heartbeat_age_ms;         /* since the aggregator's last sign of life */
	uint32_t writer_pid;               /* 0 once the aggregator stopped */
	bool     writer_alive;
	bool     stopped;                  /* the aggregator shut down cleanly (status DEAD) */
	bool     unchanged;                /* same generation as the last read: dst not written */
};

/*
 * Prepares src for instance (not yet attached).  stale_after_ms overrides the
 * heartbeat age after which the aggregator counts as stale (0: default).
 */
void rs_view_source_init(struct rs_view_source *src, const char *instance,
			 uint64_t stale_after_ms);

/*
 * Attaches to the instance's snapshot object.  -ENOENT: no aggregator has
 * created it; -EINVAL: bad instance name; -EPROTO / -ENOTSUP: not a metrics
 * snapshot this build reads (schema or size differ).
 */
int rs_view_source_open(struct rs_view_source *src, struct rs_error *err);

/*
 * Copies and validates the newest snapshot into dst (opening src first if
 * needed).  Returns 0 with info filled, also for a stale or dead aggregator
 * (info->status says so); -ENODATA before the first publication (info
 * filled except the generation fields); -EAGAIN when every try was torn;
 * -EPROTO for a damaged snapshot, dst then holding unvalidated data.
 */
int rs_view_source_read(struct rs_view_source *src, struct rs_metrics_snapshot *dst,
			struct rs_view_info *info, struct rs_error *err);

/*
 * Waits for the aggregator: reads like rs_view_source_read, and while the
 * object is missing, nothing is published yet or a read was torn, sleeps
 * RS_VIEW_POLL_MS and tries again, up to timeout_ms.  Returns what the read
 * returned, or -ETIMEDOUT with the last reason in err.
 */
int rs_view_source_wait(struct rs_view_source *src, struct rs_metrics_snapshot *dst,
			struct rs_view_info *info, uint64_t timeout_ms, struct rs_error *err);

void rs_view_source_close(struct rs_view_source *src);

/* The load path's check of a copied snapshot: rs_metrics_validate. */
int rs_view_snapshot_check(const struct rs_metrics_snapshot *s, struct rs_error *err);

/* True when the aggregator is alive and current (FRESH or RESTARTED). */
bool rs_view_status_ok(enum rs_snapshot_status status);

#endif
