/*
 * ring.h - one node's single-producer single-consumer ring in shared memory.
 *
 * The producer (routestat-ingest) never blocks and never waits: a record that
 * finds the ring full is dropped and counted.  The consumer (the aggregator)
 * copies records out in batches.  Both sides keep private cached copies of
 * the other side's index and publish their own index in batches, which is
 * what makes this ring faster than ck_ring's one-op-per-record API when the
 * two processes run on different cores (1.8-2.9x measured; equal on one
 * core: README, "Benchmarks"); ck_pr provides the loads, stores and fences.
 *
 * Indices are 64-bit and never wrap, so produced == tail, consumed == head and
 * "in ring" == tail - head hold at every instant for an observer.
 *
 * Crash behaviour: either side may die at any instant.  A record becomes
 * visible only when tail is stored after it, so a producer killed mid-record
 * leaves nothing torn; its restart continues from the published tail.  The
 * consumer stores head after copying a batch out, so a consumer killed before
 * that store gets the same batch again on restart, and one killed after it
 * has handed the batch to its (dead) caller: no record is ever duplicated to
 * a live consumer and none is lost while a consumer lives.
 *
 * One live producer and one live consumer per ring: attach refuses a side
 * whose recorded pid is still alive.  Everything read from the other side is
 * validated (indices within capacity, dictionary ids within count).
 */
#ifndef RS_RING_H
#define RS_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rs_error.h"
#include "shm_abi.h"
#include "shm_object.h"

/* Records the producer writes before it publishes tail (amortises the store). */
#define RS_RING_PUBLISH_BATCH 64u

struct rs_ring_params {
	uint32_t capacity;         /* records, power of two; 0 = default */
	uint32_t dict_capacity;    /* dictionary entries; 0 = default */
};

enum rs_ring_role { RS_RING_PRODUCER, RS_RING_CONSUMER, RS_RING_OBSERVER };

struct rs_ring {
	struct rs_shm_map        map;
	enum rs_ring_role        role;
	const struct rs_ring_layout *layout;
	struct rs_ring_producer *prod;
	struct rs_ring_consumer *cons;
	struct rs_dict_header   *dict;
	struct rs_dict_entry    *dict_entries;
	struct rs_record        *records;
	uint64_t                 mask;
	uint64_t                 local_tail;   /* producer: next index to write */
	uint64_t                 cached_head;  /* producer: last head it loaded */
	uint64_t                 local_head;   /* consumer: next index to read */
	uint64_t                 cached_tail;  /* consumer: last tail it loaded */
	struct rs_dict_index    *dict_index;   /* producer: private hash of the dictionary */
};

/* Name of node's ring object: /routestat.<instance>.ring.<node>. */
int rs_ring_object_name(char out[RS_SHM_NAME_MAX], const char *instance, const char *node,
			struct rs_error *err);

/*
 * Producer: attaches to the node's ring, creating it if missing.  A ring left
 * by a dead producer is taken over where it stands; one with a live producer
 * is refused (-EBUSY).  An existing ring keeps its own capacity.
 */
int rs_ring_open_producer(struct rs_ring *r, const char *instance, const char *node,
			  const struct rs_ring_params *params, struct rs_error *err);

/* Consumer: attaches to an existing ring (-ENOENT if none). */
int rs_ring_open_consumer(struct rs_ring *r, const char *instance, const char *node,
			  struct rs_error *err);

/* Read-only attach by object name for tools; never writes. */
int rs_ring_open_observer(struct rs_ring *r, const char *object_name, struct rs_error *err);

/* Detaches; a producer flushes first.  Clears the side's pid so a successor may attach. */
void rs_ring_close(struct rs_ring *r);

/*
 * Producer: copies rec into the ring; false (and dropped++) when the ring is
 * full.  Records become visible to the consumer every RS_RING_PUBLISH_BATCH
 * pushes or at rs_ring_flush; a producer killed before that loses the
 * unpublished ones (at most RS_RING_PUBLISH_BATCH - 1), which it had read from
 * its source but never handed over.  A caller that retries a refused push
 * counts one drop per refusal.
 */
bool rs_ring_push(struct rs_ring *r, const struct rs_record *rec);

/* Producer: publishes every record pushed so far and refreshes the heartbeat. */
void rs_ring_flush(struct rs_ring *r);

/* Producer: counts a record rejected before it reached the ring. */
void rs_ring_count_reject(struct rs_ring *r, enum rs_reject_reason reason);

/* Producer: counts n datagrams its source lost before reading them (kernel drops). */
void rs_ring_count_source_lost(struct rs_ring *r, uint64_t n);

/*
 * Consumer: copies up to max records into out and publishes the new head.
 * Returns the number copied (0 when empty), or -EPROTO if the producer's
 * tail is impossible (the ring is damaged).
 */
long rs_ring_consume(struct rs_ring *r, struct rs_record *out, size_t max);

/* Either side: refreshes its heartbeat (CLOCK_MONOTONIC). */
void rs_ring_heartbeat(struct rs_ring *r);

/* A consistent-enough view of the counters for tools and self-metrics. */
struct rs_ring_stats {
	uint64_t capacity, produced, consumed, dropped, high_water;
	uint64_t in_ring;
	uint64_t rejected[RS_REJECT_COUNT];
	uint64_t rejected_total;
	uint64_t source_lost;          /* datagrams, before the producer (ABI minor 1) */
	uint64_t producer_heartbeat_ns, consumer_heartbeat_ns;
	uint32_t producer_pid, consumer_pid;
	uint32_t producer_attaches, consumer_attaches;
	uint32_t dict_count, dict_capacity;
};
void rs_ring_stats(const struct rs_ring *r, struct rs_ring_stats *s);

/* ---- dictionary (strings interned into u16 ids) ------------------------- */

/*
 * Producer: returns the id of s (len bytes, no NUL needed), adding it if new.
 * -ENOSPC when the dictionary is full, -ENAMETOOLONG when longer than
 * RS_DICT_STR_MAX, -EINVAL for an empty string or one holding a NUL.
 */
int rs_ring_intern(struct rs_ring *r, const char *s, size_t len);

/* Any side: the string of id, or NULL when id is not (yet) published. */
const char *rs_ring_dict_lookup(const struct rs_ring *r, uint16_t id);

/* Any side: entries published so far (validated against capacity). */
uint32_t rs_ring_dict_count(const struct rs_ring *r);

/* For ring.c: builds / frees the producer's private hash of the dictionary (dict.c). */
int  rs_dict_index_build(struct rs_ring *r);
void rs_dict_index_free(struct rs_ring *r);

#endif
