/*
 * inspect_text.c - routestat-inspect's text output: per instance, one block
 * per object of aligned "key value" lines (grep- and awk-friendly, like
 * `varnishstat -1`).  Renders the model only; never touches shared memory.
 */
#include "inspect.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define KEY_WIDTH 20

static void kv(FILE *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void kv(FILE *f, const char *key, const char *fmt, ...)
{
	fprintf(f, "  %-*s ", KEY_WIDTH, key);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

static const char *alive_word(bool alive)
{
	return alive ? "alive" : "dead";
}

static void kv_time(FILE *f, const char *key, uint64_t unix_ns, uint64_t age_ns)
{
	char when[INSPECT_TIME_MAX], age[INSPECT_AGE_MAX];
	inspect_format_time(when, unix_ns);
	inspect_format_age(age, age_ns);
	kv(f, key, "%s (age %s)", when, age);
}

/* A header that passed validation: only what a reader needs. */
static void header_valid(FILE *f, const struct inspect_object *o)
{
	const struct rs_shm_header *h = &o->header;
	char size[INSPECT_AGE_MAX];
	inspect_format_size(size, o->mapped_size);
	kv(f, "size", "%" PRIu64 " (%s)", o->mapped_size, size);
	kv(f, "abi", "%u.%u", h->abi_major, h->abi_minor);
	kv(f, "state", "%s", rs_shm_state_name(h->state));
	kv(f, "incarnation", "0x%016" PRIx64, h->incarnation);
	kv_time(f, "created", h->created_unix_ns, o->created_age_ns);
	kv(f, "creator", "pid %u %s", h->creator_pid, alive_word(o->creator_alive));
}

/* A header that failed validation: every field, raw, for a post-mortem. */
static void header_raw(FILE *f, const struct inspect_object *o)
{
	const struct rs_shm_header *h = &o->header;
	kv(f, "header", "unvalidated, as found");
	kv(f, "magic", "0x%016" PRIx64 "%s", h->magic, h->magic == RS_SHM_MAGIC ? " (RSTATSHM)" : "");
	kv(f, "abi", "%u.%u", h->abi_major, h->abi_minor);
	kv(f, "header_kind", "%u (%s)", h->kind, rs_shm_kind_name(h->kind));
	kv(f, "header_size", "%u", h->header_size);
	kv(f, "state", "%u (%s)", h->state, rs_shm_state_name(h->state));
	kv(f, "total_size", "%" PRIu64 " (object has %" PRIu64 ")", h->total_size, o->mapped_size);
	kv(f, "layout_size", "%u", h->layout_size);
	kv(f, "incarnation", "0x%016" PRIx64, h->incarnation);
	kv_time(f, "created", h->created_unix_ns, o->created_age_ns);
	kv(f, "creator", "pid %u %s", h->creator_pid, alive_word(o->creator_alive));
}

static void side(FILE *f, const char *key, const struct inspect_side *s)
{
	char hb[INSPECT_AGE_MAX + 8] = "never";
	if (s->heartbeat_seen) {
		char age[INSPECT_AGE_MAX];
		inspect_format_age(age, s->heartbeat_age_ns);
		snprintf(hb, sizeof hb, "%s ago", age);
	}
	if (s->pid == 0)
		kv(f, key, "detached, attaches %u, heartbeat %s", s->attaches, hb);
	else
		kv(f, key, "pid %u %s, attaches %u, heartbeat %s", s->pid, alive_word(s->alive),
		   s->attaches, hb);
}

static void ring(FILE *f, const struct inspect_ring *r, bool show_dict)
{
	const struct rs_ring_stats *st = &r->st;
	kv(f, "node", "%s", r->node);
	kv(f, "capacity", "%" PRIu64, st->capacity);
	kv(f, "in_ring", "%" PRIu64, st->in_ring);
	kv(f, "high_water", "%" PRIu64, st->high_water);
	kv(f, "produced", "%" PRIu64, st->produced);
	kv(f, "consumed", "%" PRIu64, st->consumed);
	kv(f, "dropped", "%" PRIu64, st->dropped);
	kv(f, "rejected", "%" PRIu64, st->rejected_total);
	kv(f, "source_lost_datagrams", "%" PRIu64, st->source_lost);
	for (unsigned i = 0; i < RS_REJECT_COUNT; i++) {
		char key[48];
		snprintf(key, sizeof key, "rejected.%s", rs_reject_reason_name(i));
		if (st->rejected[i] != 0)
			kv(f, key, "%" PRIu64, st->rejected[i]);
	}
	side(f, "producer", &r->producer);
	side(f, "consumer", &r->consumer);
	kv(f, "dictionary", "%u/%u", st->dict_count, st->dict_capacity);
	for (uint32_t i = 0; show_dict && i < r->dict_shown; i++) {
		char key[24];
		snprintf(key, sizeof key, "dict[%u]", i);
		kv(f, key, r->dict[i][0] ? "\"%s\"" : "%s", r->dict[i][0] ? r->dict[i] : "(damaged)");
	}
	if (show_dict && st->dict_count > r->dict_shown)
		kv(f, "dict[...]", "%u more", st->dict_count - r->dict_shown);
}

static void snapshot(FILE *f, const struct inspect_snapshot *s)
{
	char age[INSPECT_AGE_MAX];
	kv(f, "payload", "kind %u, %u bytes%s", s->payload_kind, s->payload_size,
	   s->has_metrics ? " (metrics snapshot)" : "");
	inspect_format_age(age, s->info.heartbeat_age_ns);
	kv(f, "writer", "pid %u %s, heartbeat %s ago", s->info.writer_pid,
	   alive_word(s->info.writer_alive), age);
	kv(f, "interval", "%.3f s", (double)s->interval_ns / 1e9);
	kv(f, "status", "%s", rs_snapshot_status_name(s->info.status));
	kv(f, "generation", "%" PRIu64 " (writer at %" PRIu64 ")", s->info.generation,
	   s->writer_generation);
	if (s->read_rc == 0)
		kv_time(f, "published", s->info.published_unix_ns, s->info.age_ns);
	if (s->note[0])
		kv(f, "note", "%s", s->note);
	if (!s->has_metrics)
		return;
	kv(f, "n_nodes", "%u", s->metrics.n_nodes);
	kv(f, "n_provider_chains", "%u", s->metrics.n_provider_chains);
	kv(f, "n_routes", "%u", s->metrics.n_routes);
	char when[INSPECT_TIME_MAX];
	inspect_format_time(when, s->metrics.computed_unix_ms * 1000000u);
	kv(f, "computed", "%s", when);
}

static void object(FILE *f, const struct inspect_object *o, bool show_dict)
{
	fprintf(f, "%s\n", o->name);
	kv(f, "kind", "%s", o->kind ? rs_shm_kind_name(o->kind) : "unknown");
	if (o->damaged)
		kv(f, "health", "DAMAGED: %s", o->error);
	else
		kv(f, "health", "ok");
	if (o->have_header && o->header_valid)
		header_valid(f, o);
	else if (o->have_header)
		header_raw(f, o);
	if (o->have_ring)
		ring(f, &o->ring, show_dict);
	if (o->have_snapshot)
		snapshot(f, &o->snap);
}

static size_t instance_end(const struct inspect_report *rep, size_t from, size_t *damaged)
{
	size_t i = from;
	*damaged = 0;
	for (; i < rep->n && strcmp(rep->objects[i].instance, rep->objects[from].instance) == 0; i++)
		*damaged += rep->objects[i].damaged;
	return i;
}

void inspect_render_text(FILE *f, const struct inspect_report *rep, bool show_dict)
{
	if (rep->n == 0 && rep->filter == NULL)
		fprintf(f, "no routestat objects\n");
	for (size_t i = 0; i < rep->n;) {
		size_t damaged;
		size_t end = instance_end(rep, i, &damaged);
		fprintf(f, "%sinstance %s: %zu object%s, %zu damaged\n", i ? "\n" : "",
			rep->objects[i].instance, end - i, end - i == 1 ? "" : "s", damaged);
		for (; i < end; i++) {
			fputc('\n', f);
			object(f, &rep->objects[i], show_dict);
		}
	}
}
