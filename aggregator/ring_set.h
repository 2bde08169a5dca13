/*
 * ring_set.h - the rings of one instance, as the aggregator sees them:
 * found by listing the instance's shared-memory objects (no registration
 * messages), attached as their consumer, drained, and let go when their
 * object disappears or is replaced by a new one.
 */
#ifndef RS_RING_SET_H
#define RS_RING_SET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "metrics_snapshot.h"
#include "ring.h"

#define RS_DRAIN_BATCH 256u

struct rs_ring_slot {
	bool           attached;
	struct rs_ring ring;
	ino_t          inode;         /* identifies the object behind the name */
	int            node;          /* engine node index */
	char           object[RS_SHM_NAME_MAX];
	char           last_error[RS_ERROR_MSG_MAX]; /* logged once, not every scan */
};

struct rs_ring_set {
	char                instance[RS_NAME_MAX + 1];
	struct rs_ring_slot slots[RS_MAX_NODES];
	void              (*log)(const char *fmt, ...);
};

void rs_ring_set_init(struct rs_ring_set *s, const char *instance, void (*log)(const char *fmt, ...));

/* Attaches new rings and lets go of vanished or replaced ones. */
void rs_ring_set_scan(struct rs_ring_set *s, struct rs_engine *e);

/*
 * Drains every attached ring into the engine.  Returns the records drained;
 * *max_fill gets the fullest ring's fill (0..1) seen before draining.
 */
uint64_t rs_ring_set_drain(struct rs_ring_set *s, struct rs_engine *e, double *max_fill);

/* Copies each ring's counters into the snapshot's nodes[] and totals. */
void rs_ring_set_render(const struct rs_ring_set *s, struct rs_metrics_snapshot *out);

/* Refreshes the consumer heartbeat of every ring. */
void rs_ring_set_heartbeat(struct rs_ring_set *s);

void rs_ring_set_close(struct rs_ring_set *s, struct rs_engine *e);

#endif
