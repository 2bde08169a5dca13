/* ring_set.c - discovery, draining and accounting of an instance's rings (ring_set.h). */
#include "ring_set.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rs_clock.h"

void rs_ring_set_init(struct rs_ring_set *s, const char *instance, void (*log)(const char *fmt, ...))
{
	memset(s, 0, sizeof *s);
	snprintf(s->instance, sizeof s->instance, "%s", instance);
	s->log = log;
}

/* Objects live in /dev/shm on Linux; the inode tells a re-created object from the old one. */
static ino_t object_inode(const char *object)
{
	char path[RS_SHM_NAME_MAX + 16];
	struct stat st;
	snprintf(path, sizeof path, "/dev/shm%s", object);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static struct rs_ring_slot *slot_for(struct rs_ring_set *s, const char *object)
{
	for (unsigned i = 0; i < RS_MAX_NODES; i++)
		if (s->slots[i].object[0] != '\0' && strcmp(s->slots[i].object, object) == 0)
			return &s->slots[i];
	for (unsigned i = 0; i < RS_MAX_NODES; i++)
		if (s->slots[i].object[0] == '\0') {
			snprintf(s->slots[i].object, RS_SHM_NAME_MAX, "%s", object);
			return &s->slots[i];
		}
	return NULL;
}

static void release(struct rs_ring_slot *slot, struct rs_engine *e)
{
	if (slot->attached) {
		rs_engine_detach_node(e, (unsigned)slot->node);
		rs_ring_close(&slot->ring);
	}
	slot->attached = false;
}

static void log_once(struct rs_ring_set *s, struct rs_ring_slot *slot, const char *msg)
{
	if (strcmp(slot->last_error, msg) == 0)
		return;
	snprintf(slot->last_error, sizeof slot->last_error, "%s", msg);
	if (s->log)
		s->log("%s", msg);
}

static void attach(struct rs_ring_set *s, struct rs_ring_slot *slot, struct rs_engine *e)
{
	const char *node = slot->object + strlen(RS_SHM_PREFIX) + strlen(s->instance) + strlen(".ring.");
	struct rs_error err = { 0 };
	if (rs_ring_open_consumer(&slot->ring, s->instance, node, &err) < 0) {
		log_once(s, slot, err.msg);
		return;
	}
	int idx = rs_engine_attach_node(e, slot->ring.layout->node, &slot->ring);
	if (idx < 0) {
		char msg[RS_ERROR_MSG_MAX];
		snprintf(msg, sizeof msg, "%s: not drained: more than %u nodes", slot->object, RS_MAX_NODES);
		log_once(s, slot, msg);
		rs_ring_close(&slot->ring);
		return;
	}
	slot->node = idx;
	slot->inode = object_inode(slot->object);
	slot->attached = true;
	slot->last_error[0] = '\0';
	if (s->log)
		s->log("%s: attached node %s (capacity %u)", slot->object, node, slot->ring.layout->capacity);
}

struct scan_ctx {
	struct rs_ring_set *s;
	struct rs_engine   *e;
	bool                seen[RS_MAX_NODES];
	char                prefix[RS_SHM_NAME_MAX];
};

static void on_object(const char *name, void *arg)
{
	struct scan_ctx *c = arg;
	if (strncmp(name, c->prefix, strlen(c->prefix)) != 0)
		return;
	struct rs_ring_slot *slot = slot_for(c->s, name);
	if (slot == NULL)
		return;
	c->seen[slot - c->s->slots] = true;
	if (slot->attached && slot->inode != object_inode(name)) {
		c->s->log("%s: replaced by a new ring, re-attaching", name);
		release(slot, c->e);
	}
	if (!slot->attached)
		attach(c->s, slot, c->e);
}

void rs_ring_set_scan(struct rs_ring_set *s, struct rs_engine *e)
{
	struct scan_ctx c = { .s = s, .e = e };
	snprintf(c.prefix, sizeof c.prefix, RS_SHM_PREFIX "%s.ring.", s->instance);
	rs_shm_list(s->instance, on_object, &c);
	for (unsigned i = 0; i < RS_MAX_NODES; i++) {
		struct rs_ring_slot *slot = &s->slots[i];
		if (slot->object[0] == '\0' || c.seen[i])
			continue;
		if (slot->attached && s->log)
			s->log("%s: removed, node detached", slot->object);
		release(slot, e);
		slot->object[0] = '\0';
	}
}

static double fill_of(const struct rs_ring *r)
{
	struct rs_ring_stats st;
	rs_ring_stats(r, &st);
	return (double)st.in_ring / (double)st.capacity;
}

/* Bounded: at most one ring's worth per call, so one busy ring cannot stall a tick. */
static uint64_t drain_one(struct rs_ring_set *s, struct rs_ring_slot *slot, struct rs_engine *e)
{
	static struct rs_record batch[RS_DRAIN_BATCH];
	uint64_t total = 0, limit = slot->ring.layout->capacity;
	while (total < limit) {
		long n = rs_ring_consume(&slot->ring, batch, RS_DRAIN_BATCH);
		if (n < 0) {
			log_once(s, slot, "ring indices damaged: node detached");
			release(slot, e);
			break;
		}
		if (n == 0)
			break;
		rs_engine_ingest(e, (unsigned)slot->node, batch, (size_t)n);
		total += (uint64_t)n;
	}
	return total;
}

uint64_t rs_ring_set_drain(struct rs_ring_set *s, struct rs_engine *e, double *max_fill)
{
	uint64_t total = 0;
	*max_fill = 0;
	for (unsigned i = 0; i < RS_MAX_NODES; i++) {
		struct rs_ring_slot *slot = &s->slots[i];
		if (!slot->attached)
			continue;
		double f = fill_of(&slot->ring);
		if (f > *max_fill)
			*max_fill = f;
		total += drain_one(s, slot, e);
	}
	return total;
}

static void render_node(const struct rs_ring_slot *slot, struct rs_node_metrics *n, uint64_t now)
{
	struct rs_ring_stats st;
	rs_ring_stats(&slot->ring, &st);
	n->producer_pid = st.producer_pid;
	n->producer_alive = rs_pid_alive((pid_t)st.producer_pid);
	n->producer_restarts = st.producer_attaches ? st.producer_attaches - 1 : 0;
	n->produced = st.produced;
	n->consumed = st.consumed;
	n->dropped = st.dropped;
	n->rejected = st.rejected_total;
	n->source_lost = st.source_lost;
	n->in_ring = st.in_ring;
	n->capacity = st.capacity;
	n->high_water = st.high_water;
	for (unsigned r = 0; r < RS_REJECT_COUNT; r++)
		n->rejected_by_reason[r] = st.rejected[r];
	n->heartbeat_age_ms = now > st.producer_heartbeat_ns ? (now - st.producer_heartbeat_ns) / 1000000u : 0;
	n->dict_count = st.dict_count;
	n->dict_capacity = st.dict_capacity;
}

void rs_ring_set_render(const struct rs_ring_set *s, struct rs_metrics_snapshot *out)
{
	uint64_t now = rs_mono_ns();
	for (unsigned i = 0; i < RS_MAX_NODES; i++) {
		const struct rs_ring_slot *slot = &s->slots[i];
		if (!slot->attached || slot->node < 0 || (uint32_t)slot->node >= out->n_nodes)
			continue;
		struct rs_node_metrics *n = &out->nodes[slot->node];
		render_node(slot, n, now);
		out->totals.dropped += n->dropped;
		out->totals.rejected += n->rejected;
		out->totals.source_lost += n->source_lost;
	}
}

void rs_ring_set_heartbeat(struct rs_ring_set *s)
{
	for (unsigned i = 0; i < RS_MAX_NODES; i++)
		if (s->slots[i].attached)
			rs_ring_heartbeat(&s->slots[i].ring);
}

void rs_ring_set_close(struct rs_ring_set *s, struct rs_engine *e)
{
	for (unsigned i = 0; i < RS_MAX_NODES; i++)
		release(&s->slots[i], e);
}
