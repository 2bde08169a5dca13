/*
 * inspect_json.c - routestat-inspect's JSON output (jansson): the same model
 * as the text renderer, as one document:
 *
 *   { "generated", "instance" (filter or null), "healthy", "n_objects", "n_damaged",
 *     "instances": [ { "name", "objects": [ {
 *         "name", "instance", "part", "kind", "healthy", "error",
 *         "header": {...}, "ring": {...} | "snapshot": {...} } ] } ] }
 *
 * Counters are JSON integers; ages and intervals are seconds (reals);
 * incarnation and magic are hex strings.  A raw header read from a damaged
 * object may hold values over 2^63-1: those appear as decimal strings.
 */
#include "inspect.h"

#include <inttypes.h>
#include <string.h>

#include <jansson.h>

/* jansson refuses a NULL value (out of memory) without leaking: the key is then missing. */
static void put(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

static json_t *u64(uint64_t v)
{
	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	char s[24];
	snprintf(s, sizeof s, "%" PRIu64, v);
	return json_string(s);
}

static json_t *hex64(uint64_t v)
{
	char s[24];
	snprintf(s, sizeof s, "0x%016" PRIx64, v);
	return json_string(s);
}

static json_t *seconds(uint64_t ns)
{
	return json_real((double)ns / 1e9);
}

static json_t *iso_time(uint64_t unix_ns)
{
	char s[INSPECT_TIME_MAX];
	inspect_format_time(s, unix_ns);
	return json_string(s);
}

static json_t *header(const struct inspect_object *o)
{
	const struct rs_shm_header *h = &o->header;
	json_t *j = json_object();
	put(j, "validated", json_boolean(o->header_valid));
	put(j, "magic", hex64(h->magic));
	put(j, "abi_major", json_integer(h->abi_major));
	put(j, "abi_minor", json_integer(h->abi_minor));
	put(j, "kind", json_string(rs_shm_kind_name(h->kind)));
	put(j, "header_size", json_integer(h->header_size));
	put(j, "state", json_string(rs_shm_state_name(h->state)));
	if (!o->header_valid) { /* the raw numbers behind "unknown" / "invalid" */
		put(j, "kind_code", json_integer(h->kind));
		put(j, "state_code", json_integer(h->state));
	}
	put(j, "total_size", u64(h->total_size));
	put(j, "layout_size", json_integer(h->layout_size));
	put(j, "incarnation", hex64(h->incarnation));
	put(j, "created", iso_time(h->created_unix_ns));
	put(j, "created_unix_ns", u64(h->created_unix_ns));
	put(j, "age_s", seconds(o->created_age_ns));
	put(j, "creator_pid", json_integer(h->creator_pid));
	put(j, "creator_alive", json_boolean(o->creator_alive));
	return j;
}

static json_t *side(const struct inspect_side *s)
{
	json_t *j = json_object();
	put(j, "pid", json_integer(s->pid));
	put(j, "alive", json_boolean(s->alive));
	put(j, "attaches", json_integer(s->attaches));
	put(j, "heartbeat_age_s", s->heartbeat_seen ? seconds(s->heartbeat_age_ns) : json_null());
	return j;
}

static json_t *dictionary(const struct inspect_ring *r, bool show_dict)
{
	json_t *j = json_object();
	put(j, "count", json_integer(r->st.dict_count));
	put(j, "capacity", json_integer(r->st.dict_capacity));
	if (!show_dict)
		return j;
	json_t *entries = json_array();
	for (uint32_t i = 0; i < r->dict_shown; i++)
		json_array_append_new(entries, r->dict[i][0] ? json_string(r->dict[i]) : json_null());
	put(j, "entries", entries);
	return j;
}

static json_t *ring(const struct inspect_ring *r, bool show_dict)
{
	const struct rs_ring_stats *st = &r->st;
	json_t *j = json_object();
	put(j, "node", json_string(r->node));
	put(j, "capacity", u64(st->capacity));
	put(j, "in_ring", u64(st->in_ring));
	put(j, "high_water", u64(st->high_water));
	put(j, "produced", u64(st->produced));
	put(j, "consumed", u64(st->consumed));
	put(j, "dropped", u64(st->dropped));
	put(j, "rejected", u64(st->rejected_total));
	put(j, "source_lost_datagrams", u64(st->source_lost));
	json_t *by_reason = json_object();
	for (unsigned i = 0; i < RS_REJECT_COUNT; i++)
		put(by_reason, rs_reject_reason_name(i), u64(st->rejected[i]));
	put(j, "rejected_by_reason", by_reason);
	put(j, "producer", side(&r->producer));
	put(j, "consumer", side(&r->consumer));
	put(j, "dictionary", dictionary(r, show_dict));
	return j;
}

static json_t *metrics(const struct inspect_metrics *m)
{
	json_t *j = json_object();
	put(j, "schema", json_integer(m->schema));
	put(j, "n_nodes", json_integer(m->n_nodes));
	put(j, "n_provider_chains", json_integer(m->n_provider_chains));
	put(j, "n_routes", json_integer(m->n_routes));
	put(j, "computed", iso_time(m->computed_unix_ms * 1000000u));
	put(j, "computed_unix_ms", u64(m->computed_unix_ms));
	return j;
}

static json_t *snapshot(const struct inspect_snapshot *s)
{
	json_t *j = json_object();
	put(j, "payload_kind", json_integer(s->payload_kind));
	put(j, "payload_size", json_integer(s->payload_size));
	json_t *w = json_object();
	put(w, "pid", json_integer(s->info.writer_pid));
	put(w, "alive", json_boolean(s->info.writer_alive));
	put(w, "heartbeat_age_s", seconds(s->info.heartbeat_age_ns));
	put(w, "generation", u64(s->writer_generation));
	put(j, "writer", w);
	put(j, "interval_s", seconds(s->interval_ns));
	put(j, "status", json_string(rs_snapshot_status_name(s->info.status)));
	put(j, "generation", u64(s->info.generation));
	put(j, "published", s->read_rc == 0 ? iso_time(s->info.published_unix_ns) : json_null());
	put(j, "published_age_s", s->read_rc == 0 ? seconds(s->info.age_ns) : json_null());
	put(j, "note", s->note[0] ? json_string(s->note) : json_null());
	put(j, "metrics", s->has_metrics ? metrics(&s->metrics) : json_null());
	return j;
}

static json_t *object(const struct inspect_object *o, bool show_dict)
{
	json_t *j = json_object();
	put(j, "name", json_string(o->name));
	put(j, "instance", json_string(o->instance));
	put(j, "part", json_string(o->part));
	put(j, "kind", json_string(o->kind ? rs_shm_kind_name(o->kind) : "unknown"));
	put(j, "healthy", json_boolean(!o->damaged));
	put(j, "error", o->damaged ? json_string(o->error) : json_null());
	put(j, "size", o->have_header ? u64(o->mapped_size) : json_null());
	put(j, "header", o->have_header ? header(o) : json_null());
	if (o->have_ring)
		put(j, "ring", ring(&o->ring, show_dict));
	if (o->have_snapshot)
		put(j, "snapshot", snapshot(&o->snap));
	return j;
}

/* Objects are sorted by name, so each instance's objects are contiguous. */
static json_t *instances(const struct inspect_report *rep, bool show_dict)
{
	json_t *list = json_array();
	json_t *objects = NULL;
	for (size_t i = 0; i < rep->n; i++) {
		const struct inspect_object *o = &rep->objects[i];
		if (i == 0 || strcmp(o->instance, rep->objects[i - 1].instance) != 0) {
			json_t *inst = json_object();
			objects = json_array();
			put(inst, "name", json_string(o->instance));
			put(inst, "objects", objects);
			json_array_append_new(list, inst);
		}
		json_array_append_new(objects, object(o, show_dict));
	}
	return list;
}

int inspect_render_json(FILE *f, const struct inspect_report *rep, bool show_dict, bool one_line)
{
	json_t *root = json_object();
	if (root == NULL)
		return -1;
	put(root, "generated", iso_time(rep->unix_ns));
	put(root, "instance", rep->filter ? json_string(rep->filter) : json_null());
	put(root, "healthy", json_boolean(rep->n_damaged == 0));
	put(root, "n_objects", json_integer((json_int_t)rep->n));
	put(root, "n_damaged", json_integer((json_int_t)rep->n_damaged));
	put(root, "instances", instances(rep, show_dict));
	size_t flags = JSON_REAL_PRECISION(9) | (one_line ? JSON_COMPACT : JSON_INDENT(2));
	int rc = json_dumpf(root, f, flags);
	json_decref(root);
	if (rc == 0)
		fputc('\n', f);
	return rc == 0 ? 0 : -1;
}
