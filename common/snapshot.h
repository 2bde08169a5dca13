/*
 * snapshot.h - seqlock-protected snapshots in shared memory: one writer (the
 * aggregator) publishes a fixed-size payload; any number of readers copy the
 * newest complete one without writing a byte or ever blocking the writer.
 *
 * Double buffer with a ck_sequence latch: the writer makes the sequence odd,
 * writes slot 0, makes it even, writes slot 1.  A reader loads the sequence,
 * copies slot (sequence & 1) and retries if the sequence moved.  Readers so
 * always read the slot the writer is not in, and a writer that dies mid-write
 * leaves the other slot holding the newest complete snapshot.
 *
 * Readers map the object PROT_READ.  Their retry loop is bounded; freshness
 * comes from the writer's heartbeat and pid: FRESH, STALE (heartbeat older
 * than the stale threshold), DEAD (writer process gone, or heartbeat older
 * than the dead threshold).  A stale reader re-opens the name, so a restarted
 * writer (new incarnation) is picked up and reported once as RESTARTED.
 */
#ifndef RS_SNAPSHOT_H
#define RS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rs_error.h"
#include "shm_abi.h"
#include "shm_object.h"

/* Reads retried this many times before giving up (a writer publishing nonstop). */
#define RS_SNAPSHOT_READ_TRIES 64

struct rs_snapshot_writer_handle {
	struct rs_shm_map          map;
	struct rs_snapshot_writer *w;
	char                      *slots;
	uint64_t                   stride;
	uint32_t                   payload_size;
};

/*
 * Creates /routestat.<instance>.snapshot.  An object left by a dead writer is
 * replaced (new incarnation); one whose writer is alive is refused (-EBUSY).
 */
int rs_snapshot_create(struct rs_snapshot_writer_handle *h, const char *instance,
		       uint32_t payload_kind, uint32_t payload_size, uint64_t interval_ns,
		       struct rs_error *err);

/* Publishes payload (payload_size bytes) as the next generation. */
void rs_snapshot_publish(struct rs_snapshot_writer_handle *h, const void *payload);

/* Refreshes the heartbeat without publishing. */
void rs_snapshot_writer_heartbeat(struct rs_snapshot_writer_handle *h);

/* Marks the object retired, unmaps it and (if remove) unlinks the name. */
void rs_snapshot_close_writer(struct rs_snapshot_writer_handle *h, bool remove);

enum rs_snapshot_status {
	RS_SNAPSHOT_FRESH,
	RS_SNAPSHOT_STALE,
	RS_SNAPSHOT_DEAD,
	RS_SNAPSHOT_RESTARTED,    /* first read after switching to a new incarnation */
};

struct rs_snapshot_reader {
	struct rs_shm_map                map;
	const struct rs_snapshot_writer *w;
	const char                      *slots;
	uint64_t                         stride;
	uint32_t                         payload_kind;
	uint32_t                         payload_size;
	uint64_t                         stale_after_ns;  /* 0: 3 x the writer's interval */
	uint64_t                         dead_after_ns;   /* 0: 20 x the writer's interval */
	bool                             skip_unchanged;  /* see rs_snapshot_read */
	struct rs_snapshot_slot          last;            /* header of the last copy made */
	char                             instance[RS_NAME_MAX + 1];
};

struct rs_snapshot_info {
	enum rs_snapshot_status status;
	uint64_t generation;
	uint64_t published_unix_ns;
	uint64_t published_mono_ns;  /* CLOCK_MONOTONIC, comparable across processes */
	uint64_t age_ns;             /* now - the slot's publication (monotonic) */
	uint64_t heartbeat_age_ns;
	uint64_t incarnation;
	uint32_t writer_pid;
	bool     writer_alive;
	uint32_t retries;
	bool     unchanged;          /* dst was not written: the same generation as the last read */
};

/* Attaches read-only; -ENOENT when the instance has no snapshot object yet. */
int rs_snapshot_open_reader(struct rs_snapshot_reader *r, const char *instance,
			    uint32_t payload_kind, uint32_t payload_size, struct rs_error *err);

/*
 * Copies the newest complete snapshot into dst.  With skip_unchanged set, a
 * reader polling faster than the writer publishes skips the copy when the
 * writer's generation is the one it copied last (info->unchanged; dst keeps
 * whatever the caller left in it).  Returns 0 with info filled
 * (for DEAD, err also says why, with the heartbeat age), -EAGAIN when every
 * try was torn by a writer, -ENODATA before the first publication.
 */
int rs_snapshot_read(struct rs_snapshot_reader *r, void *dst, struct rs_snapshot_info *info,
		     struct rs_error *err);

void rs_snapshot_close_reader(struct rs_snapshot_reader *r);

const char *rs_snapshot_status_name(enum rs_snapshot_status s);

#endif
