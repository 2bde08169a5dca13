/*
 * ring.c - the SPSC ring's lifecycle, hot path and counters (see ring.h).
 *
 * Memory ordering, in ck_pr terms:
 *   producer: write record slots; fence_release; store tail.
 *   consumer: load tail; fence_acquire; copy slots; fence_release; store head.
 *   producer: load head; fence_acquire; (then may overwrite slots below head).
 * Counters other than head/tail are single-writer statistics stored with
 * ck_pr_store_64 so readers never see a torn value.
 */
#include "ring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ck_pr.h>

#include "rs_clock.h"

static uint64_t records_bytes(uint32_t capacity)
{
	return (uint64_t)capacity * sizeof(struct rs_record);
}

static uint64_t dict_bytes(uint32_t dict_capacity)
{
	/* Rounded up to 128 so the records start on their own line pair. */
	uint64_t b = (uint64_t)dict_capacity * RS_DICT_ENTRY_SIZE;
	return (b + 127u) & ~(uint64_t)127u;
}

/* The one place the ring layout is computed, for creators and validators alike. */
static void layout_compute(struct rs_ring_layout *l, uint32_t capacity, uint32_t dict_capacity)
{
	l->record_size = sizeof(struct rs_record);
	l->capacity = capacity;
	l->dict_capacity = dict_capacity;
	l->dict_entry_size = RS_DICT_ENTRY_SIZE;
	l->reject_slots = RS_REJECT_SLOTS;
	l->producer_off = RS_RING_PRODUCER_OFF;
	l->consumer_off = RS_RING_CONSUMER_OFF;
	l->dict_off = RS_RING_DICT_OFF;
	l->records_off = RS_RING_DICT_ENTRY_OFF + dict_bytes(dict_capacity);
}

static uint64_t layout_total(const struct rs_ring_layout *l)
{
	return l->records_off + records_bytes(l->capacity);
}

static bool power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

int rs_ring_object_name(char out[RS_SHM_NAME_MAX], const char *instance, const char *node,
			struct rs_error *err)
{
	int rc = rs_name_check("node", node, true, err);
	if (rc < 0)
		return rc;
	char part[RS_NAME_MAX + 8];
	snprintf(part, sizeof part, "ring.%s", node);
	return rs_shm_name(out, instance, part, err);
}

/* Checks the ring layout block against a fresh computation and the real size. */
static int validate_layout(const struct rs_shm_map *m, struct rs_error *err)
{
	const struct rs_ring_layout *l =
		(const struct rs_ring_layout *)((const char *)m->base + RS_RING_LAYOUT_OFF);
	if (l->record_size != sizeof(struct rs_record))
		return rs_error_set(err, -EPROTO, "%s: record size %u, this build uses %zu",
				    m->name, l->record_size, sizeof(struct rs_record));
	if (!power_of_two(l->capacity) || l->capacity < RS_RING_MIN_CAPACITY ||
	    l->capacity > RS_RING_MAX_CAPACITY)
		return rs_error_set(err, -EPROTO, "%s: capacity %u is not a power of two in %u..%u",
				    m->name, l->capacity, RS_RING_MIN_CAPACITY, RS_RING_MAX_CAPACITY);
	if (l->dict_capacity == 0 || l->dict_capacity > RS_DICT_MAX_CAPACITY)
		return rs_error_set(err, -EPROTO, "%s: dictionary capacity %u out of 1..%u",
				    m->name, l->dict_capacity, RS_DICT_MAX_CAPACITY);
	struct rs_ring_layout want;
	memcpy(&want, l, sizeof want);
	layout_compute(&want, l->capacity, l->dict_capacity);
	if (memcmp(&want, l, sizeof want) != 0)
		return rs_error_set(err, -EPROTO, "%s: layout offsets do not match capacity %u / dictionary %u",
				    m->name, l->capacity, l->dict_capacity);
	if (layout_total(l) != m->size)
		return rs_error_set(err, -EPROTO, "%s: %zu bytes, capacity %u needs %llu",
				    m->name, m->size, l->capacity, (unsigned long long)layout_total(l));
	if (memchr(l->node, '\0', sizeof l->node) == NULL)
		return rs_error_set(err, -EPROTO, "%s: node name not terminated", m->name);
	return 0;
}

static void bind_pointers(struct rs_ring *r)
{
	char *base = r->map.base;
	r->layout = (const struct rs_ring_layout *)(base + RS_RING_LAYOUT_OFF);
	r->prod = (struct rs_ring_producer *)(base + r->layout->producer_off);
	r->cons = (struct rs_ring_consumer *)(base + r->layout->consumer_off);
	r->dict = (struct rs_dict_header *)(base + r->layout->dict_off);
	r->dict_entries = (struct rs_dict_entry *)(base + RS_RING_DICT_ENTRY_OFF);
	r->records = (struct rs_record *)(base + r->layout->records_off);
	r->mask = r->layout->capacity - 1u;
}

static int attach(struct rs_ring *r, const char *name, bool writable, struct rs_error *err)
{
	int rc = rs_shm_attach(&r->map, name, RS_SHM_RING, sizeof(struct rs_ring_layout),
			       writable, err);
	if (rc < 0)
		return rc;
	rc = validate_layout(&r->map, err);
	if (rc < 0) {
		rs_shm_detach(&r->map);
		return rc;
	}
	bind_pointers(r);
	return 0;
}

static int create(struct rs_ring *r, const char *name, const char *node,
		  const struct rs_ring_params *p, struct rs_error *err)
{
	uint32_t cap = p && p->capacity ? p->capacity : RS_RING_DEFAULT_CAPACITY;
	uint32_t dcap = p && p->dict_capacity ? p->dict_capacity : RS_DICT_DEFAULT_CAPACITY;
	if (!power_of_two(cap) || cap < RS_RING_MIN_CAPACITY || cap > RS_RING_MAX_CAPACITY)
		return rs_error_set(err, -EINVAL, "%s: capacity %u must be a power of two in %u..%u",
				    name, cap, RS_RING_MIN_CAPACITY, RS_RING_MAX_CAPACITY);
	if (dcap > RS_DICT_MAX_CAPACITY)
		return rs_error_set(err, -EINVAL, "%s: dictionary capacity %u over %u",
				    name, dcap, RS_DICT_MAX_CAPACITY);
	struct rs_ring_layout l;
	memset(&l, 0, sizeof l);
	layout_compute(&l, cap, dcap);
	snprintf(l.node, sizeof l.node, "%s", node);
	int rc = rs_shm_create(&r->map, name, RS_SHM_RING, sizeof l, layout_total(&l), err);
	if (rc < 0)
		return rc;
	memcpy((char *)r->map.base + RS_RING_LAYOUT_OFF, &l, sizeof l);
	bind_pointers(r);
	r->dict->capacity = dcap;
	rs_shm_mark_ready(&r->map);
	return 0;
}

/*
 * rs_shm_remove_debris judge for a ring that would not attach: debris when
 * its creator died before writing the header (all zero; a live creator would
 * hold the creation lock) or before READY.  Anything else is a finished
 * object that does not fit, not debris.
 */
static int judge_abandoned(const struct rs_shm_map *m, struct rs_error *err)
{
	const struct rs_shm_header *h = rs_shm_header_of(m);
	if (h->magic == 0)
		return 0;
	if (h->magic != RS_SHM_MAGIC || ck_pr_load_32(&h->state) != RS_SHM_CREATING)
		return rs_error_set(err, -EPROTO, "%s: a finished object, not debris", m->name);
	if (rs_pid_alive((pid_t)h->creator_pid))
		return rs_error_set(err, -EBUSY, "%s: its creator (pid %u) is still at it", m->name,
				    h->creator_pid);
	return 0;
}

static int create_or_attach(struct rs_ring *r, const char *name, const char *node,
			    const struct rs_ring_params *p, struct rs_error *err)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int rc = create(r, name, node, p, err);
		if (rc != -EEXIST)
			return rc;
		rc = attach(r, name, true, err);
		if (rc != -EAGAIN && rc != -EPROTO)
			return rc;
		struct rs_error why;
		rs_error_clear(&why);
		int debris = rs_shm_remove_debris(name, judge_abandoned, &why);
		if (debris == -EPROTO)
			return rc;                 /* attach's error says what does not fit */
		if (debris < 0)
			usleep(10000);             /* a live creator finishes in microseconds */
	}
	return rs_error_set(err, -EAGAIN, "%s: stays in creation; remove it with routestat-down", name);
}

/* Claims a side: refuses if another live process holds it. */
static int claim_side(struct rs_ring *r, uint32_t *pid_field, uint32_t *attaches, const char *side,
		      struct rs_error *err)
{
	uint32_t holder = ck_pr_load_32(pid_field);
	if (holder == (uint32_t)getpid())  /* two handles on one side would corrupt the ring */
		return rs_error_set(err, -EBUSY, "%s: this process already is its %s", r->map.name, side);
	if (holder != 0 && rs_pid_alive((pid_t)holder))
		return rs_error_set(err, -EBUSY, "%s: already has a live %s (pid %u)",
				    r->map.name, side, holder);
	/* Compare-and-swap: of two processes claiming at once, one wins. */
	if (!ck_pr_cas_32(pid_field, holder, (uint32_t)getpid()))
		return rs_error_set(err, -EBUSY, "%s: another %s attached at the same moment (pid %u)",
				    r->map.name, side, ck_pr_load_32(pid_field));
	ck_pr_store_32(attaches, *attaches + 1u);
	return 0;
}

/* Validates the other side's index before trusting it. */
static int check_indices(const struct rs_ring *r, uint64_t head, uint64_t tail, struct rs_error *err)
{
	if (tail < head || tail - head > r->layout->capacity)
		return rs_error_set(err, -EPROTO, "%s: damaged indices head %llu tail %llu capacity %u",
				    r->map.name, (unsigned long long)head, (unsigned long long)tail,
				    r->layout->capacity);
	return 0;
}

static void note_high_water(struct rs_ring *r, uint64_t in_ring)
{
	if (in_ring > r->cons->high_water)
		ck_pr_store_64(&r->cons->high_water, in_ring);
}

static int open_producer_side(struct rs_ring *r, struct rs_error *err)
{
	r->local_tail = ck_pr_load_64(&r->prod->tail);
	r->cached_head = ck_pr_load_64(&r->cons->head);
	ck_pr_fence_acquire();
	int rc = check_indices(r, r->cached_head, r->local_tail, err);
	if (rc == 0)
		rc = rs_dict_index_build(r);
	if (rc == -ENOMEM)
		rs_error_set(err, rc, "%s: no memory for the dictionary index", r->map.name);
	if (rc == 0)
		rc = claim_side(r, &r->prod->pid, &r->prod->attach_count, "producer", err);
	if (rc == 0)
		rs_ring_heartbeat(r);
	return rc;
}

int rs_ring_open_producer(struct rs_ring *r, const char *instance, const char *node,
			  const struct rs_ring_params *params, struct rs_error *err)
{
	memset(r, 0, sizeof *r);
	r->role = RS_RING_PRODUCER;
	char name[RS_SHM_NAME_MAX];
	int rc = rs_ring_object_name(name, instance, node, err);
	if (rc == 0)
		rc = create_or_attach(r, name, node, params, err);
	if (rc < 0)
		return rc;
	rc = open_producer_side(r, err);
	if (rc < 0) {
		rs_dict_index_free(r);
		rs_shm_detach(&r->map);
	}
	return rc;
}

int rs_ring_open_consumer(struct rs_ring *r, const char *instance, const char *node,
			  struct rs_error *err)
{
	memset(r, 0, sizeof *r);
	r->role = RS_RING_CONSUMER;
	char name[RS_SHM_NAME_MAX];
	int rc = rs_ring_object_name(name, instance, node, err);
	if (rc == 0)
		rc = attach(r, name, true, err);
	if (rc < 0)
		return rc;
	r->local_head = ck_pr_load_64(&r->cons->head);
	r->cached_tail = ck_pr_load_64(&r->prod->tail);
	ck_pr_fence_acquire();
	rc = check_indices(r, r->local_head, r->cached_tail, err);
	if (rc == 0)
		rc = claim_side(r, &r->cons->pid, &r->cons->attach_count, "consumer", err);
	if (rc == 0)
		note_high_water(r, r->cached_tail - r->local_head); /* a backlog found at attach */
	if (rc < 0) {
		rs_shm_detach(&r->map);
		return rc;
	}
	rs_ring_heartbeat(r);
	return 0;
}

int rs_ring_open_observer(struct rs_ring *r, const char *object_name, struct rs_error *err)
{
	memset(r, 0, sizeof *r);
	r->role = RS_RING_OBSERVER;
	return attach(r, object_name, false, err);
}

void rs_ring_close(struct rs_ring *r)
{
	if (r->map.base == NULL)
		return;
	if (r->role == RS_RING_PRODUCER) {
		rs_ring_flush(r);
		ck_pr_store_32(&r->prod->pid, 0);
		rs_dict_index_free(r);
	} else if (r->role == RS_RING_CONSUMER) {
		ck_pr_store_32(&r->cons->pid, 0);
	}
	rs_shm_detach(&r->map);
}

static void publish_tail(struct rs_ring *r)
{
	/* The records written since the last publication become visible with tail. */
	ck_pr_fence_release();
	ck_pr_store_64(&r->prod->tail, r->local_tail);
}

bool rs_ring_push(struct rs_ring *r, const struct rs_record *rec)
{
	/* The private mask, not the shared layout: nobody can change it under us. */
	uint64_t cap = r->mask + 1u;
	if (r->local_tail - r->cached_head >= cap) {
		r->cached_head = ck_pr_load_64(&r->cons->head);
		/* Slots below head are free only once the consumer's copies are done. */
		ck_pr_fence_acquire();
		if (r->local_tail - r->cached_head >= cap) {
			ck_pr_store_64(&r->prod->dropped, r->prod->dropped + 1u);
			return false;
		}
	}
	r->records[r->local_tail & r->mask] = *rec;
	r->local_tail++;
	if ((r->local_tail & (RS_RING_PUBLISH_BATCH - 1u)) == 0)
		publish_tail(r);
	return true;
}

void rs_ring_flush(struct rs_ring *r)
{
	if (ck_pr_load_64(&r->prod->tail) != r->local_tail)
		publish_tail(r);
	rs_ring_heartbeat(r);
}

void rs_ring_count_reject(struct rs_ring *r, enum rs_reject_reason reason)
{
	if ((unsigned)reason >= RS_REJECT_COUNT)
		return;
	ck_pr_store_64(&r->prod->rejected[reason], r->prod->rejected[reason] + 1u);
}

void rs_ring_count_source_lost(struct rs_ring *r, uint64_t n)
{
	if (n > 0)
		ck_pr_store_64(&r->prod->source_lost, r->prod->source_lost + n);
}

long rs_ring_consume(struct rs_ring *r, struct rs_record *out, size_t max)
{
	if (r->cached_tail == r->local_head) {
		uint64_t tail = ck_pr_load_64(&r->prod->tail);
		/* Records below tail were written before tail was stored. */
		ck_pr_fence_acquire();
		if (tail < r->local_head || tail - r->local_head > r->mask + 1u)
			return -EPROTO;  /* kept out of cached_tail: a retry checks again */
		r->cached_tail = tail;
		note_high_water(r, tail - r->local_head);
	}
	uint64_t avail = r->cached_tail - r->local_head;
	size_t n = avail < max ? (size_t)avail : max;
	for (size_t i = 0; i < n; i++)
		out[i] = r->records[(r->local_head + i) & r->mask];
	if (n == 0)
		return 0;
	r->local_head += n;
	/* The copies above must complete before the producer may reuse the slots. */
	ck_pr_fence_release();
	ck_pr_store_64(&r->cons->head, r->local_head);
	return (long)n;
}

void rs_ring_heartbeat(struct rs_ring *r)
{
	if (r->role == RS_RING_PRODUCER)
		ck_pr_store_64(&r->prod->heartbeat_ns, rs_mono_ns());
	else if (r->role == RS_RING_CONSUMER)
		ck_pr_store_64(&r->cons->heartbeat_ns, rs_mono_ns());
}

void rs_ring_stats(const struct rs_ring *r, struct rs_ring_stats *s)
{
	memset(s, 0, sizeof *s);
	/* head first: tail read after it is never below it on a sane ring. */
	s->consumed = ck_pr_load_64(&r->cons->head);
	ck_pr_fence_load();
	s->produced = ck_pr_load_64(&r->prod->tail);
	s->capacity = r->layout->capacity;
	s->in_ring = s->produced >= s->consumed ? s->produced - s->consumed : 0;
	s->dropped = ck_pr_load_64(&r->prod->dropped);
	s->high_water = ck_pr_load_64(&r->cons->high_water);
	for (unsigned i = 0; i < RS_REJECT_COUNT; i++) {
		s->rejected[i] = ck_pr_load_64(&r->prod->rejected[i]);
		s->rejected_total += s->rejected[i];
	}
	s->source_lost = ck_pr_load_64(&r->prod->source_lost);
	s->producer_heartbeat_ns = ck_pr_load_64(&r->prod->heartbeat_ns);
	s->consumer_heartbeat_ns = ck_pr_load_64(&r->cons->heartbeat_ns);
	s->producer_pid = ck_pr_load_32(&r->prod->pid);
	s->consumer_pid = ck_pr_load_32(&r->cons->pid);
	s->producer_attaches = ck_pr_load_32(&r->prod->attach_count);
	s->consumer_attaches = ck_pr_load_32(&r->cons->attach_count);
	s->dict_count = rs_ring_dict_count(r);
	s->dict_capacity = r->layout->dict_capacity;
}
