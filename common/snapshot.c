/*
 * snapshot.c - the latch-style double-buffered seqlock of snapshot.h.
 * Writer: the aggregator.  Readers: viewers and tools, through PROT_READ
 * mappings.  ck_sequence orders the writer; readers use their own bounded
 * loop (ck_sequence_read_begin would spin forever on an odd sequence).
 */
#include "snapshot.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ck_pr.h>
#include <ck_sequence.h>

#include "rs_clock.h"

static uint64_t slot_stride(uint32_t payload_size)
{
	uint64_t b = sizeof(struct rs_snapshot_slot) + (uint64_t)payload_size;
	return (b + 127u) & ~(uint64_t)127u;
}

static void layout_compute(struct rs_snapshot_layout *l, uint32_t kind, uint32_t payload_size)
{
	memset(l, 0, sizeof *l);
	l->payload_kind = kind;
	l->payload_size = payload_size;
	l->slot_count = 2;
	l->writer_off = RS_SNAP_WRITER_OFF;
	l->slots_off = RS_SNAP_SLOTS_OFF;
	l->slot_stride = slot_stride(payload_size);
}

static uint64_t layout_total(const struct rs_snapshot_layout *l)
{
	return l->slots_off + l->slot_count * l->slot_stride;
}

static const struct rs_snapshot_layout *layout_of(const struct rs_shm_map *m)
{
	return (const struct rs_snapshot_layout *)((const char *)m->base + RS_SNAP_LAYOUT_OFF);
}

/* ---- writer ------------------------------------------------------------- */

/* The pid of the process that owns an existing object: its writer, or its creator mid-creation. */
static uint32_t owner_pid(const struct rs_shm_map *m)
{
	const struct rs_shm_header *h = rs_shm_header_of(m);
	if (h->magic != RS_SHM_MAGIC)
		return 0;
	if (ck_pr_load_32(&h->state) == RS_SHM_CREATING)
		return h->creator_pid;   /* the writer pid is stored just before READY */
	if (m->size < RS_SNAP_WRITER_OFF + sizeof(struct rs_snapshot_writer))
		return 0;
	return ck_pr_load_32(&((const struct rs_snapshot_writer *)
			       ((const char *)m->base + RS_SNAP_WRITER_OFF))->pid);
}

/* rs_shm_remove_debris judge: a leftover is replaced unless its writer (or creator) still lives. */
static int judge_leftover(const struct rs_shm_map *m, struct rs_error *err)
{
	uint32_t pid = owner_pid(m);
	if (pid != 0 && pid != (uint32_t)getpid() && rs_pid_alive((pid_t)pid))
		return rs_error_set(err, -EBUSY, "%s: its writer (pid %u) is still running", m->name, pid);
	return 0;
}

static int clear_leftover(const char *name, struct rs_error *err)
{
	return rs_shm_remove_debris(name, judge_leftover, err);
}

int rs_snapshot_create(struct rs_snapshot_writer_handle *h, const char *instance,
		       uint32_t payload_kind, uint32_t payload_size, uint64_t interval_ns,
		       struct rs_error *err)
{
	memset(h, 0, sizeof *h);
	char name[RS_SHM_NAME_MAX];
	int rc = rs_shm_name(name, instance, "snapshot", err);
	if (rc == 0)
		rc = clear_leftover(name, err);
	if (rc < 0)
		return rc;
	struct rs_snapshot_layout l;
	layout_compute(&l, payload_kind, payload_size);
	rc = rs_shm_create(&h->map, name, RS_SHM_SNAPSHOT, sizeof l, layout_total(&l), err);
	if (rc == -EEXIST)  /* another writer created it between our check and our create */
		return rs_error_set(err, -EBUSY, "%s: another writer created it first", name);
	if (rc < 0)
		return rc;
	memcpy((char *)h->map.base + RS_SNAP_LAYOUT_OFF, &l, sizeof l);
	h->w = (struct rs_snapshot_writer *)((char *)h->map.base + RS_SNAP_WRITER_OFF);
	h->slots = (char *)h->map.base + RS_SNAP_SLOTS_OFF;
	h->stride = l.slot_stride;
	h->payload_size = payload_size;
	ck_sequence_init(&h->w->sequence);
	h->w->pid = (uint32_t)getpid();
	h->w->interval_ns = interval_ns;
	h->w->heartbeat_ns = rs_mono_ns();
	rs_shm_mark_ready(&h->map);
	return 0;
}

static void write_slot(struct rs_snapshot_writer_handle *h, unsigned idx, uint64_t gen,
		       uint64_t unix_ns, uint64_t mono_ns, const void *payload)
{
	struct rs_snapshot_slot *s = (struct rs_snapshot_slot *)(h->slots + idx * h->stride);
	s->generation = gen;
	s->published_unix_ns = unix_ns;
	s->published_mono_ns = mono_ns;
	memcpy(s + 1, payload, h->payload_size);
}

void rs_snapshot_publish(struct rs_snapshot_writer_handle *h, const void *payload)
{
	uint64_t gen = h->w->generation + 1u;
	uint64_t unix_ns = rs_unix_ns(), mono_ns = rs_mono_ns();
	/* Odd: readers use slot 1 (the previous snapshot) while slot 0 changes. */
	ck_sequence_write_begin(&h->w->sequence);
	write_slot(h, 0, gen, unix_ns, mono_ns, payload);
	/* Even: readers use slot 0 (this snapshot) while slot 1 catches up. */
	ck_sequence_write_end(&h->w->sequence);
	/* The even sequence must be visible before slot 1 changes (weakly ordered CPUs). */
	ck_pr_fence_store();
	write_slot(h, 1, gen, unix_ns, mono_ns, payload);
	ck_pr_fence_store();
	ck_pr_store_64(&h->w->generation, gen);
	ck_pr_store_64(&h->w->heartbeat_ns, mono_ns);
}

void rs_snapshot_writer_heartbeat(struct rs_snapshot_writer_handle *h)
{
	ck_pr_store_64(&h->w->heartbeat_ns, rs_mono_ns());
}

void rs_snapshot_close_writer(struct rs_snapshot_writer_handle *h, bool remove)
{
	if (h->map.base == NULL)
		return;
	ck_pr_store_32(&h->w->pid, 0);
	rs_shm_mark_retired(&h->map);
	char name[RS_SHM_NAME_MAX];
	snprintf(name, sizeof name, "%s", h->map.name);
	rs_shm_detach(&h->map);
	if (remove)
		rs_shm_remove(name);
}

/* ---- reader ------------------------------------------------------------- */

static int validate_layout(const struct rs_shm_map *m, uint32_t kind, uint32_t size,
			   struct rs_error *err)
{
	const struct rs_snapshot_layout *l = layout_of(m);
	if (l->payload_kind != kind)
		return rs_error_set(err, -EPROTO, "%s: payload kind %u, this build reads %u",
				    m->name, l->payload_kind, kind);
	if (l->payload_size != size)
		return rs_error_set(err, -EPROTO, "%s: payload of %u bytes, this build reads %u",
				    m->name, l->payload_size, size);
	struct rs_snapshot_layout want;
	layout_compute(&want, kind, size);
	if (memcmp(&want, l, sizeof want) != 0)
		return rs_error_set(err, -EPROTO, "%s: layout offsets do not match a %u-byte payload",
				    m->name, size);
	if (layout_total(l) != m->size)
		return rs_error_set(err, -EPROTO, "%s: %zu bytes, a %u-byte payload needs %llu",
				    m->name, m->size, size, (unsigned long long)layout_total(l));
	return 0;
}

static int attach_reader(struct rs_snapshot_reader *r, struct rs_error *err)
{
	char name[RS_SHM_NAME_MAX];
	int rc = rs_shm_name(name, r->instance, "snapshot", err);
	if (rc == 0)
		rc = rs_shm_attach(&r->map, name, RS_SHM_SNAPSHOT, sizeof(struct rs_snapshot_layout),
				   false, err);
	if (rc < 0)
		return rc;
	rc = validate_layout(&r->map, r->payload_kind, r->payload_size, err);
	if (rc < 0) {
		rs_shm_detach(&r->map);
		return rc;
	}
	r->w = (const struct rs_snapshot_writer *)((const char *)r->map.base + RS_SNAP_WRITER_OFF);
	r->slots = (const char *)r->map.base + RS_SNAP_SLOTS_OFF;
	r->stride = layout_of(&r->map)->slot_stride;
	return 0;
}

int rs_snapshot_open_reader(struct rs_snapshot_reader *r, const char *instance,
			    uint32_t payload_kind, uint32_t payload_size, struct rs_error *err)
{
	uint64_t stale = r->stale_after_ns, dead = r->dead_after_ns;
	memset(r, 0, sizeof *r);
	r->stale_after_ns = stale;
	r->dead_after_ns = dead;
	r->payload_kind = payload_kind;
	r->payload_size = payload_size;
	int rc = rs_name_check("instance", instance, false, err);
	if (rc < 0)
		return rc;
	snprintf(r->instance, sizeof r->instance, "%s", instance);
	return attach_reader(r, err);
}

void rs_snapshot_close_reader(struct rs_snapshot_reader *r)
{
	rs_shm_detach(&r->map);
}

/* One bounded latch read; returns the slot generation, 0 if none yet, or -EAGAIN. */
static int read_latch(const struct rs_snapshot_reader *r, void *dst,
		      struct rs_snapshot_slot *hdr, uint32_t *retries)
{
	for (uint32_t t = 0; t < RS_SNAPSHOT_READ_TRIES; t++) {
		unsigned seq = ck_pr_load_uint(&r->w->sequence.sequence);
		ck_pr_fence_load();
		const char *slot = r->slots + (seq & 1u) * r->stride;
		memcpy(hdr, slot, sizeof *hdr);
		memcpy(dst, slot + sizeof *hdr, r->payload_size);
		if (!ck_sequence_read_retry(&r->w->sequence, seq)) {
			*retries = t;
			return 0;
		}
		if (t > 8)
			sched_yield(); /* let a writer on this core finish its copy */
	}
	*retries = RS_SNAPSHOT_READ_TRIES;
	return -EAGAIN;
}

static uint64_t age(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static enum rs_snapshot_status judge(const struct rs_snapshot_reader *r, struct rs_snapshot_info *info)
{
	uint64_t interval = ck_pr_load_64(&r->w->interval_ns);
	uint64_t stale = r->stale_after_ns ? r->stale_after_ns : 3u * interval;
	uint64_t dead = r->dead_after_ns ? r->dead_after_ns : 20u * interval;
	if (dead < stale)
		dead = stale;  /* a live writer is stale before it is dead */
	info->heartbeat_age_ns = age(rs_mono_ns(), ck_pr_load_64(&r->w->heartbeat_ns));
	info->writer_pid = ck_pr_load_32(&r->w->pid);
	info->writer_alive = rs_pid_alive((pid_t)info->writer_pid);
	info->incarnation = rs_shm_header_of(&r->map)->incarnation;
	if (!info->writer_alive || info->heartbeat_age_ns > dead)
		return RS_SNAPSHOT_DEAD;
	return info->heartbeat_age_ns > stale ? RS_SNAPSHOT_STALE : RS_SNAPSHOT_FRESH;
}

/* Switches to a newer incarnation of the object if one exists; true if switched. */
static bool reopen_if_restarted(struct rs_snapshot_reader *r)
{
	struct rs_snapshot_reader fresh = *r;
	memset(&fresh.map, 0, sizeof fresh.map);
	if (attach_reader(&fresh, NULL) < 0)
		return false;
	if (rs_shm_header_of(&fresh.map)->incarnation == rs_shm_header_of(&r->map)->incarnation) {
		rs_shm_detach(&fresh.map);
		return false;
	}
	rs_shm_detach(&r->map);
	*r = fresh;
	memset(&r->last, 0, sizeof r->last);  /* a new incarnation counts generations anew */
	return true;
}

/* The writer stores generation after both slots: equal to our last copy, nothing newer is complete. */
static bool unchanged_since_last(const struct rs_snapshot_reader *r)
{
	return r->skip_unchanged && r->last.generation != 0 &&
	       ck_pr_load_64(&r->w->generation) == r->last.generation;
}

static int read_once(struct rs_snapshot_reader *r, void *dst, struct rs_snapshot_info *info,
		     struct rs_error *err)
{
	struct rs_snapshot_slot hdr;
	memset(info, 0, sizeof *info);
	int rc = 0;
	if (unchanged_since_last(r)) {
		hdr = r->last;
		info->unchanged = true;
	} else {
		rc = read_latch(r, dst, &hdr, &info->retries);
		if (rc == 0)
			r->last = hdr;
	}
	info->status = judge(r, info);
	if (rc < 0)
		return rs_error_set(err, rc, "%s: %u reads torn by the writer (pid %u, heartbeat %.1f s old)",
				    r->map.name, info->retries, info->writer_pid,
				    (double)info->heartbeat_age_ns / 1e9);
	if (hdr.generation == 0)
		return rs_error_set(err, -ENODATA, "%s: nothing published yet", r->map.name);
	info->generation = hdr.generation;
	info->published_unix_ns = hdr.published_unix_ns;
	info->published_mono_ns = hdr.published_mono_ns;
	info->age_ns = age(rs_mono_ns(), hdr.published_mono_ns);
	return 0;
}

int rs_snapshot_read(struct rs_snapshot_reader *r, void *dst, struct rs_snapshot_info *info,
		     struct rs_error *err)
{
	int rc = read_once(r, dst, info, err);
	if (info->status != RS_SNAPSHOT_FRESH && reopen_if_restarted(r)) {
		rc = read_once(r, dst, info, err);
		if (rc == 0 || rc == -ENODATA)
			info->status = RS_SNAPSHOT_RESTARTED;
	}
	if (rc == 0 && info->status == RS_SNAPSHOT_DEAD)
		rs_error_set(err, 0, "%s: writer looks dead: pid %u %s, heartbeat %.1f s old",
			     r->map.name, info->writer_pid, info->writer_alive ? "alive" : "gone",
			     (double)info->heartbeat_age_ns / 1e9);
	return rc;
}

const char *rs_snapshot_status_name(enum rs_snapshot_status s)
{
	switch (s) {
	case RS_SNAPSHOT_FRESH: return "fresh";
	case RS_SNAPSHOT_STALE: return "stale";
	case RS_SNAPSHOT_DEAD: return "dead";
	case RS_SNAPSHOT_RESTARTED: return "restarted";
	}
	return "unknown";
}
