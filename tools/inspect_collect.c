/*
 * inspect_collect.c - gathers the facts of routestat-inspect's model: the
 * only file of the tool that maps shared memory.
 *
 * Every object is attached read-only through the validating functions of
 * common/ (rs_ring_open_observer, rs_snapshot_open_reader), so no field is
 * read before its offset has been checked against the real size.  When they
 * refuse an object, their message (which names the mismatch) is kept and
 * rs_shm_attach_raw supplies the 128-byte header, which it guarantees to be
 * mapped; nothing past the header is read from such an object.  The kind
 * comes from the name (ring.<node> or snapshot), never from untrusted bytes.
 *
 * Readings race with live writers; they are the counters' atomic loads done
 * by rs_ring_stats and the snapshot reader's seqlock, plus invariant checks
 * that hold at every instant on a sane ring (see check_ring).
 */
#include "inspect.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ck_pr.h>

#include "metrics_snapshot.h"
#include "rs_clock.h"
#include "shm_object.h"

/* Retries of rs_ring_stats before an over-full ring is called damaged (see check_ring). */
#define RING_STATS_TRIES 3
/* An object caught mid-creation or mid-publication (-EAGAIN) is looked at again this often. */
#define OBJECT_TRIES     3
#define OBJECT_RETRY_NS  10000000L   /* ring.c's own wait for a live creator */

static void mark_damaged(struct inspect_object *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mark_damaged(struct inspect_object *o, const char *fmt, ...)
{
	if (o->damaged)
		return; /* the first problem found is the one reported */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->error, sizeof o->error, fmt, ap);
	va_end(ap);
	o->damaged = true;
}

/*
 * Keeps the message of a common/ function that refused the object.  -ENOENT
 * is no damage: the name was listed a moment ago and its owner removed it.
 */
static void note_failure(struct inspect_object *o, const struct rs_error *err)
{
	if (err->code == -ENOENT) {
		o->vanished = true;
		return;
	}
	if (!o->damaged)
		o->error_code = err->code;
	mark_damaged(o, "%s", err->msg);
}

static uint64_t age_of(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* "/routestat.<instance>.<part>": instance names hold no '.', so the first one ends it. */
static void split_name(struct inspect_object *o, const char *name)
{
	snprintf(o->name, sizeof o->name, "%s", name);
	const char *rest = name + strlen(RS_SHM_PREFIX);
	const char *dot = strchr(rest, '.');
	size_t len = dot ? (size_t)(dot - rest) : strlen(rest);
	snprintf(o->instance, sizeof o->instance, "%.*s", (int)len, rest);
	snprintf(o->part, sizeof o->part, "%s", dot ? dot + 1 : "");
	if (strncmp(o->part, "ring.", 5) == 0)
		o->kind = RS_SHM_RING;
	else if (strcmp(o->part, "snapshot") == 0)
		o->kind = RS_SHM_SNAPSHOT;
}

/* Copies the header of a mapping the caller has checked is at least a header long. */
static void copy_header(struct inspect_object *o, const struct rs_shm_map *m, bool valid)
{
	memcpy(&o->header, m->base, sizeof o->header);
	o->header.state = ck_pr_load_32(&rs_shm_header_of(m)->state);
	o->mapped_size = m->size;
	o->have_header = true;
	o->header_valid = valid;
}

/* For an object the validating attach refused: whatever its header says, unvalidated. */
static void copy_raw_header(struct inspect_object *o)
{
	struct rs_shm_map m;
	if (rs_shm_attach_raw(&m, o->name, NULL) < 0)
		return; /* too short for a header, or gone: the first error already says so */
	copy_header(o, &m, false);
	rs_shm_detach(&m);
}

static void side_facts(struct inspect_side *s, uint32_t pid, uint32_t attaches,
		       uint64_t heartbeat_ns, uint64_t now_mono)
{
	s->pid = pid;
	s->alive = rs_pid_alive((pid_t)pid);
	s->attaches = attaches;
	s->heartbeat_seen = heartbeat_ns != 0;
	s->heartbeat_age_ns = age_of(now_mono, heartbeat_ns);
}

/*
 * Cross-field invariants of a sane ring.  rs_ring_stats loads head before
 * tail, so produced >= consumed at every instant; produced - consumed may
 * briefly exceed the capacity (the consumer frees and the producer refills
 * between the two loads), hence the retries before calling that damage.
 */
static void check_ring(struct inspect_object *o, const struct rs_ring *r)
{
	struct rs_ring_stats *st = &o->ring.st;
	for (int t = 1; t < RING_STATS_TRIES && st->produced - st->consumed > st->capacity; t++)
		rs_ring_stats(r, st);
	if (st->produced < st->consumed)
		mark_damaged(o, "%s: consumed %" PRIu64 " is ahead of produced %" PRIu64,
			     o->name, st->consumed, st->produced);
	else if (st->produced - st->consumed > st->capacity)
		mark_damaged(o, "%s: %" PRIu64 " records in a ring of %" PRIu64,
			     o->name, st->produced - st->consumed, st->capacity);
	if (st->high_water > st->capacity)
		mark_damaged(o, "%s: high water %" PRIu64 " over capacity %" PRIu64,
			     o->name, st->high_water, st->capacity);
	uint32_t raw_count = ck_pr_load_32(&r->dict->count);
	if (raw_count > st->dict_capacity)
		mark_damaged(o, "%s: dictionary count %u over capacity %u",
			     o->name, raw_count, st->dict_capacity);
	if (strcmp(o->ring.node, o->part + 5) != 0)
		mark_damaged(o, "%s: layout names node '%s'", o->name, o->ring.node);
}

/* Checks every published entry; copies the first INSPECT_DICT_SHOW when asked. */
static void collect_dict(struct inspect_object *o, const struct rs_ring *r, bool want_dict)
{
	uint32_t n = o->ring.st.dict_count;
	for (uint32_t id = 0; id < n; id++) {
		const char *s = rs_ring_dict_lookup(r, (uint16_t)id);
		if (s == NULL)
			mark_damaged(o, "%s: dictionary entry %u damaged", o->name, id);
		if (want_dict && id < INSPECT_DICT_SHOW) {
			snprintf(o->ring.dict[id], sizeof o->ring.dict[id], "%s", s ? s : "");
			o->ring.dict_shown = id + 1;
		}
	}
}

static void collect_ring(struct inspect_object *o, bool want_dict, uint64_t now_mono)
{
	struct rs_ring r;
	struct rs_error err;
	rs_error_clear(&err);
	if (rs_ring_open_observer(&r, o->name, &err) < 0) {
		note_failure(o, &err);
		copy_raw_header(o);
		return;
	}
	copy_header(o, &r.map, true);
	o->have_ring = true;
	struct inspect_ring *ir = &o->ring;
	snprintf(ir->node, sizeof ir->node, "%s", r.layout->node); /* validated: terminated */
	rs_ring_stats(&r, &ir->st);
	side_facts(&ir->producer, ir->st.producer_pid, ir->st.producer_attaches,
		   ir->st.producer_heartbeat_ns, now_mono);
	side_facts(&ir->consumer, ir->st.consumer_pid, ir->st.consumer_attaches,
		   ir->st.consumer_heartbeat_ns, now_mono);
	check_ring(o, &r);
	collect_dict(o, &r, want_dict);
	rs_ring_close(&r); /* an observer only unmaps */
}

/*
 * The snapshot reader wants the payload kind and size it expects; the
 * inspector accepts any, so it reads them from the layout block once
 * rs_shm_validate_header has checked that block lies inside the object.
 * rs_snapshot_open_reader then validates the whole layout again.
 */
static int snapshot_payload_params(struct inspect_object *o, uint32_t *kind, uint32_t *size)
{
	struct rs_shm_map m;
	struct rs_error err;
	rs_error_clear(&err);
	if (rs_shm_attach_raw(&m, o->name, &err) < 0) {
		note_failure(o, &err);
		return -1;
	}
	copy_header(o, &m, false);
	int rc = rs_shm_validate_header(&m, RS_SHM_SNAPSHOT, sizeof(struct rs_snapshot_layout), &err);
	if (rc == 0) {
		const struct rs_snapshot_layout *l =
			(const struct rs_snapshot_layout *)((const char *)m.base + RS_SNAP_LAYOUT_OFF);
		*kind = l->payload_kind;
		*size = l->payload_size;
	} else {
		mark_damaged(o, "%s", err.msg);
	}
	rs_shm_detach(&m);
	return rc;
}

/* A metrics payload of this build's schema and size: the headline counts. */
static void collect_metrics(struct inspect_object *o, const void *payload)
{
	const struct rs_metrics_snapshot *s = payload;
	struct rs_error err;
	rs_error_clear(&err);
	if (rs_metrics_validate(s, &err) < 0) {
		mark_damaged(o, "%s: payload: %s", o->name, err.msg);
		return;
	}
	o->snap.has_metrics = true;
	o->snap.metrics = (struct inspect_metrics){
		.schema = s->schema, .n_nodes = s->n_nodes,
		.n_provider_chains = s->n_provider_chains, .n_routes = s->n_routes,
		.computed_unix_ms = s->computed_unix_ms,
	};
}

static bool is_metrics_payload(uint32_t kind, uint32_t size)
{
	return kind == RS_METRICS_SCHEMA && size == sizeof(struct rs_metrics_snapshot);
}

/* Reads the newest snapshot through an open reader. */
static void read_snapshot(struct inspect_object *o, struct rs_snapshot_reader *r)
{
	struct inspect_snapshot *is = &o->snap;
	void *payload = malloc(r->payload_size ? r->payload_size : 1);
	if (payload == NULL) {
		mark_damaged(o, "%s: no memory for a %u-byte payload", o->name, r->payload_size);
		return;
	}
	struct rs_error err;
	rs_error_clear(&err);
	is->read_rc = rs_snapshot_read(r, payload, &is->info, &err);
	snprintf(is->note, sizeof is->note, "%s", err.msg);
	/* The reader may have switched to a newer incarnation: describe that one. */
	copy_header(o, &r->map, true);
	is->interval_ns = ck_pr_load_64(&r->w->interval_ns);
	is->writer_generation = ck_pr_load_64(&r->w->generation);
	if (is->read_rc == -EAGAIN)
		note_failure(o, &err);
	else if (is->read_rc == 0 && is_metrics_payload(r->payload_kind, r->payload_size))
		collect_metrics(o, payload);
	free(payload);
}

static void collect_snapshot(struct inspect_object *o)
{
	uint32_t kind = 0, size = 0;
	if (snapshot_payload_params(o, &kind, &size) < 0)
		return;
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r); /* default stale/dead thresholds */
	struct rs_error err;
	rs_error_clear(&err);
	if (rs_snapshot_open_reader(&r, o->instance, kind, size, &err) < 0) {
		note_failure(o, &err);
		return;
	}
	o->have_snapshot = true;
	o->snap.payload_kind = r.payload_kind;
	o->snap.payload_size = r.payload_size;
	read_snapshot(o, &r);
	rs_snapshot_close_reader(&r);
}

/* Ages are taken against the clocks read here, just before this object's readings. */
static void collect_once(struct inspect_object *o, const char *name, bool want_dict)
{
	uint64_t now_unix = rs_unix_ns(), now_mono = rs_mono_ns();
	memset(o, 0, sizeof *o);
	split_name(o, name);
	if (o->kind == RS_SHM_RING) {
		collect_ring(o, want_dict, now_mono);
	} else if (o->kind == RS_SHM_SNAPSHOT) {
		collect_snapshot(o);
	} else {
		mark_damaged(o, "%s: not a routestat object name (ring.<node> or snapshot)", name);
		copy_raw_header(o);
	}
	if (o->have_header) {
		o->creator_alive = rs_pid_alive((pid_t)o->header.creator_pid);
		o->created_age_ns = age_of(now_unix, o->header.created_unix_ns);
	}
}

/*
 * -EAGAIN means a live writer was caught in the middle (creating the object,
 * or publishing nonstop): that is not damage unless it persists.
 */
static void collect_one(struct inspect_object *o, const char *name, bool want_dict)
{
	for (int t = 1;; t++) {
		collect_once(o, name, want_dict);
		if (o->error_code != -EAGAIN || t == OBJECT_TRIES)
			return;
		struct timespec ts = { 0, OBJECT_RETRY_NS };
		nanosleep(&ts, NULL);
	}
}

/* ---- listing -------------------------------------------------------------- */

struct name_list {
	char  **names;
	size_t  n, cap;
	bool    oom;
};

static void add_name(const char *name, void *arg)
{
	struct name_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **grown = realloc(l->names, cap * sizeof *grown);
		if (grown == NULL) {
			l->oom = true;
			return;
		}
		l->names = grown;
		l->cap = cap;
	}
	char *copy = strdup(name);
	if (copy == NULL) {
		l->oom = true;
		return;
	}
	l->names[l->n++] = copy;
}

static void free_names(struct name_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

int inspect_collect(struct inspect_report *rep, const char *instance, bool want_dict)
{
	memset(rep, 0, sizeof *rep);
	rep->filter = instance;
	rep->unix_ns = rs_unix_ns();
	struct name_list l = { 0 };
	int rc = rs_shm_list(instance, add_name, &l);
	if (rc >= 0 && l.oom)
		rc = -ENOMEM;
	if (rc >= 0 && l.n > 0 && (rep->objects = calloc(l.n, sizeof *rep->objects)) == NULL)
		rc = -ENOMEM;
	if (rc < 0) {
		free_names(&l);
		return rc;
	}
	for (size_t i = 0; i < l.n; i++) {
		struct inspect_object *o = &rep->objects[rep->n];
		collect_one(o, l.names[i], want_dict);
		if (o->vanished) {
			memset(o, 0, sizeof *o);
			continue;
		}
		rep->n_damaged += o->damaged;
		rep->n++;
	}
	free_names(&l);
	return 0;
}

void inspect_report_free(struct inspect_report *rep)
{
	free(rep->objects);
	rep->objects = NULL;
	rep->n = 0;
}
