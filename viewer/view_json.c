/*
 * view_json.c - builds the JSON document of view_json.h with jansson and
 * dumps it.  Field names and order follow docs/json-schema.md; change both
 * together (a removed or renamed field bumps RS_METRICS_SCHEMA).
 *
 * Allocation failures do not need checking at every call: put() records
 * them in the builder and json_object_set_new() on a NULL parent is a
 * harmless no-op, so the document is either complete or refused (-ENOMEM).
 */
#include "view_json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "record.h"
#include "shm_abi.h"

/* 15 significant digits print every value rounded to 3 decimals exactly (DBL_DIG). */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

struct builder {
	bool failed;
};

static void put(struct builder *b, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) < 0)
		b->failed = true;
}

static void append(struct builder *b, json_t *arr, json_t *v)
{
	if (v == NULL || json_array_append_new(arr, v) < 0)
		b->failed = true;
}

static json_t *j_uint(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* A number rounded to `decimals` places; null when not finite (damaged input). */
static json_t *j_real(double v, int decimals)
{
	if (!isfinite(v))
		return json_null();
	double scale = decimals == 1 ? 10.0 : 1000.0;
	return json_real(round(v * scale) / scale);
}

static json_t *j_ms(double ms)   { return j_real(ms, 3); }
static json_t *j_pct(double pct) { return j_real(pct, 1); }
static json_t *j_us_as_ms(uint64_t us) { return j_ms((double)us / 1000.0); }

/* A string from the snapshot; invalid UTF-8 (a damaged name) has its non-ASCII bytes as '?'. */
static json_t *j_str(const char *s)
{
	json_t *v = json_string(s);
	if (v != NULL || s == NULL)
		return v;
	char buf[RS_STR];
	snprintf(buf, sizeof buf, "%s", s);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(buf);
}

static void put_metrics(struct builder *b, json_t *o, const struct rs_metric_set *m)
{
	put(b, o, "calls", j_uint(m->calls));
	put(b, o, "errors", j_uint(m->errors));
	put(b, o, "success_rate", j_pct(rs_metric_success_pct(m)));
	put(b, o, "p50_ms", j_us_as_ms(m->p50_us));
	put(b, o, "p95_ms", j_us_as_ms(m->p95_us));
	put(b, o, "p99_ms", j_us_as_ms(m->p99_us));
	put(b, o, "avg_ms", j_ms(rs_metric_avg_ms(m)));
	put(b, o, "failovers", j_uint(m->failovers));
	put(b, o, "system_calls", j_uint(m->system_calls));
}

static void put_block(struct builder *b, json_t *o, bool has, uint64_t height, int64_t lag)
{
	put(b, o, "block_height", has ? j_uint(height) : json_null());
	put(b, o, "block_lag", has ? json_integer(lag) : json_null());
}

static json_t *totals_json(struct builder *b, const struct rs_totals *t)
{
	json_t *o = json_object();
	put(b, o, "calls", j_uint(t->m.calls));
	put(b, o, "errors", j_uint(t->m.errors));
	put(b, o, "success_rate", j_pct(t->success_pct));
	put(b, o, "rps", j_ms(t->rps));
	put(b, o, "p50_ms", j_us_as_ms(t->m.p50_us));
	put(b, o, "p95_ms", j_us_as_ms(t->m.p95_us));
	put(b, o, "p99_ms", j_us_as_ms(t->m.p99_us));
	put(b, o, "avg_ms", j_ms(t->avg_ms));
	put(b, o, "failovers", j_uint(t->m.failovers));
	put(b, o, "failovers_per_min", j_ms(t->failovers_per_min));
	put(b, o, "duplicates", j_uint(t->duplicates));
	put(b, o, "duplicates_total", j_uint(t->duplicates_total));
	put(b, o, "dropped", j_uint(t->dropped));
	put(b, o, "rejected", j_uint(t->rejected));
	put(b, o, "source_lost_datagrams", j_uint(t->source_lost));
	put(b, o, "system_calls", j_uint(t->m.system_calls));
	put(b, o, "late", j_uint(t->late));
	json_t *hist = json_array();
	for (unsigned i = 0; i < RS_RPS_HISTORY; i++)
		append(b, hist, j_uint(t->rps_history[i]));
	put(b, o, "rps_history", hist);
	return o;
}

static json_t *circuit_counts_json(struct builder *b, const uint32_t c[RS_TRANSPORT_COUNT][RS_CIRCUIT_COUNT])
{
	json_t *o = json_object();
	for (unsigned t = 0; t < RS_TRANSPORT_COUNT; t++) {
		json_t *per = json_object();
		for (unsigned st = 0; st < RS_CIRCUIT_COUNT; st++)
			put(b, per, rs_circuit_name(st), json_integer(c[t][st]));
		put(b, o, rs_transport_name(t), per);
	}
	return o;
}

static json_t *route_json(struct builder *b, const struct rs_metrics_snapshot *s, uint32_t ri)
{
	const struct rs_route_metrics *r = &s->routes[ri];
	json_t *o = json_object();
	put(b, o, "node", j_str(s->nodes[r->node].name));
	put_metrics(b, o, &r->m);
	put(b, o, "traffic_pct", j_pct(rs_view_route_traffic_pct(s, ri)));
	put(b, o, "events_per_s", j_ms(rs_view_per_second(s, r->m.calls)));
	put(b, o, "cold_start", json_boolean(rs_view_is_cold(r->m.calls)));
	put_block(b, o, r->has_block != 0, r->block_height, r->block_lag);
	json_t *circuit = json_object();
	for (unsigned t = 0; t < RS_TRANSPORT_COUNT; t++)
		put(b, circuit, rs_transport_name(t), j_str(rs_view_name(rs_circuit_name(r->circuit[t]))));
	put(b, o, "circuit", circuit);
	put(b, o, "last_seen_unix_ms", j_uint(r->last_seen_unix_ms));
	return o;
}

/* by_node[]: the row's route in a node scope, else every route of its provider-chain by node. */
static json_t *by_node_json(struct builder *b, const struct rs_metrics_snapshot *s,
			    const struct rs_view_row *row)
{
	json_t *arr = json_array();
	if (row->route >= 0) {
		append(b, arr, route_json(b, s, (uint32_t)row->route));
		return arr;
	}
	for (uint32_t n = 0; n < s->n_nodes; n++)
		for (uint32_t ri = 0; ri < s->n_routes; ri++)
			if (s->routes[ri].provider_chain == row->pc && s->routes[ri].node == n)
				append(b, arr, route_json(b, s, ri));
	return arr;
}

static json_t *providers_json(struct builder *b, const struct rs_metrics_snapshot *s, int node)
{
	struct rs_view_row rows[RS_MAX_ROUTES];   /* ~36 KiB */
	size_t n = rs_view_rank_providers(s, node, rows, RS_MAX_ROUTES);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct rs_view_row *row = &rows[i];
		json_t *o = json_object();
		put(b, o, "provider", j_str(row->provider));
		put(b, o, "chain", j_str(row->chain));
		put_metrics(b, o, &row->m);
		put(b, o, "traffic_pct", j_pct(row->traffic_pct));
		put(b, o, "events_per_s", j_ms(row->events_per_s));
		put(b, o, "cold_start", json_boolean(row->cold));
		put_block(b, o, row->has_block, row->block_height, row->block_lag);
		put(b, o, "circuit_counts", circuit_counts_json(b, row->circuit_counts));
		put(b, o, "by_node", by_node_json(b, s, row));
		append(b, arr, o);
	}
	return arr;
}

/* The top methods of a scope: node's own (node >= 0) or over all nodes. */
static json_t *methods_json(struct builder *b, const struct rs_metrics_snapshot *s, int node)
{
	uint32_t n;
	const struct rs_method_metrics *top = rs_view_methods(s, node, &n);
	json_t *arr = json_array();
	for (uint32_t i = 0; i < n; i++) {
		struct rs_metric_set m = rs_view_method_metrics(&top[i]);
		json_t *o = json_object();
		put(b, o, "method", j_str(top[i].method));
		put(b, o, "calls", j_uint(m.calls));
		put(b, o, "errors", j_uint(m.errors));
		put(b, o, "success_rate", j_pct(rs_metric_success_pct(&m)));
		put(b, o, "avg_ms", j_ms(rs_metric_avg_ms(&m)));
		append(b, arr, o);
	}
	return arr;
}

static json_t *node_json(struct builder *b, const struct rs_metrics_snapshot *s, uint32_t node)
{
	const struct rs_node_metrics *nm = &s->nodes[node];
	json_t *o = json_object();
	put(b, o, "node", j_str(nm->name));
	put(b, o, "attached", json_boolean(nm->attached));
	put(b, o, "produced", j_uint(nm->produced));
	put(b, o, "consumed", j_uint(nm->consumed));
	put(b, o, "dropped", j_uint(nm->dropped));
	put(b, o, "rejected", j_uint(nm->rejected));
	put(b, o, "source_lost_datagrams", j_uint(nm->source_lost));
	json_t *reasons = json_object();
	for (unsigned r = 0; r < RS_REJECT_COUNT; r++)
		put(b, reasons, rs_reject_reason_name(r), j_uint(nm->rejected_by_reason[r]));
	put(b, o, "rejected_by_reason", reasons);
	put(b, o, "in_ring", j_uint(nm->in_ring));
	put(b, o, "capacity", j_uint(nm->capacity));
	put(b, o, "high_water", j_uint(nm->high_water));
	put(b, o, "heartbeat_age_ms", j_uint(nm->heartbeat_age_ms));
	put(b, o, "producer_alive", json_boolean(nm->producer_alive));
	put(b, o, "producer_pid", j_uint(nm->producer_pid));
	put(b, o, "producer_restarts", j_uint(nm->producer_restarts));
	put(b, o, "dict_entries", j_uint(nm->dict_count));
	put(b, o, "dict_capacity", j_uint(nm->dict_capacity));
	put(b, o, "calls", j_uint(nm->m.calls));
	put(b, o, "events_per_s", j_ms(nm->events_per_s));
	put(b, o, "errors", j_uint(nm->m.errors));
	put(b, o, "success_rate", j_pct(rs_metric_success_pct(&nm->m)));
	put(b, o, "p50_ms", j_us_as_ms(nm->m.p50_us));
	put(b, o, "p95_ms", j_us_as_ms(nm->m.p95_us));
	put(b, o, "p99_ms", j_us_as_ms(nm->m.p99_us));
	put(b, o, "avg_ms", j_ms(rs_metric_avg_ms(&nm->m)));
	put(b, o, "failovers", j_uint(nm->m.failovers));
	put(b, o, "system_calls", j_uint(nm->m.system_calls));
	put(b, o, "methods", methods_json(b, s, (int)node));
	return o;
}

static json_t *nodes_json(struct builder *b, const struct rs_metrics_snapshot *s, int node)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (node < 0 || (uint32_t)node == i)
			append(b, arr, node_json(b, s, i));
	return arr;
}

static json_t *decision_json(struct builder *b, const struct rs_metrics_snapshot *s,
			     const struct rs_recent_decision *d)
{
	json_t *o = json_object();
	put(b, o, "ts", j_uint(d->emit_unix_ms));
	put(b, o, "node", j_str(s->nodes[d->node].name));
	put(b, o, "request_id", j_str(d->request_id));
	put(b, o, "chain", j_str(d->chain));
	put(b, o, "method", j_str(d->method));
	put(b, o, "provider", j_str(d->provider));
	put(b, o, "duration_ms", j_us_as_ms(d->duration_us));
	put(b, o, "result", j_str(rs_view_name(rs_result_name(d->result))));
	put(b, o, "transport", j_str(rs_view_name(rs_transport_name(d->transport))));
	put(b, o, "strategy", j_str(rs_view_name(rs_strategy_name(d->strategy))));
	put(b, o, "request_origin", j_str(rs_view_name(rs_origin_name(d->origin))));
	put(b, o, "failover_count", json_integer(d->failover_count));
	return o;
}

static json_t *recent_json(struct builder *b, const struct rs_metrics_snapshot *s, int node)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < s->n_recent; i++)
		if (node < 0 || s->recent[i].node == (uint32_t)node)
			append(b, arr, decision_json(b, s, &s->recent[i]));
	return arr;
}

static json_t *circuit_event_json(struct builder *b, const struct rs_metrics_snapshot *s,
				  const struct rs_circuit_event *c)
{
	json_t *o = json_object();
	put(b, o, "ts", j_uint(c->emit_unix_ms));
	put(b, o, "node", j_str(s->nodes[c->node].name));
	put(b, o, "provider", j_str(c->provider));
	put(b, o, "transport", j_str(rs_view_name(rs_transport_name(c->transport))));
	put(b, o, "from", j_str(rs_view_name(rs_circuit_name(c->from_state))));
	put(b, o, "to", j_str(rs_view_name(rs_circuit_name(c->to_state))));
	put(b, o, "reason", c->reason[0] ? j_str(c->reason) : json_null());
	return o;
}

static json_t *circuit_events_json(struct builder *b, const struct rs_metrics_snapshot *s, int node)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < s->n_circuit_events; i++)
		if (node < 0 || s->circuit_events[i].node == (uint32_t)node)
			append(b, arr, circuit_event_json(b, s, &s->circuit_events[i]));
	return arr;
}

static json_t *aggregator_json(struct builder *b, const struct rs_self_metrics *a)
{
	json_t *o = json_object();
	put(b, o, "pid", j_uint(a->aggregator_pid));
	put(b, o, "ticks", j_uint(a->ticks));
	put(b, o, "missed_ticks", j_uint(a->missed_ticks));
	put(b, o, "last_tick_us", j_uint(a->last_tick_us));
	put(b, o, "max_tick_us", j_uint(a->max_tick_us));
	put(b, o, "drained_last_tick", j_uint(a->drained_last_tick));
	put(b, o, "drained_total", j_uint(a->drained_total));
	put(b, o, "extra_drains", j_uint(a->extra_drains));
	put(b, o, "dedup_entries", j_uint(a->dedup_entries));
	put(b, o, "dedup_capacity", j_uint(a->dedup_capacity));
	put(b, o, "dedup_evictions", j_uint(a->dedup_evictions));
	put(b, o, "routes_dropped", j_uint(a->routes_dropped));
	put(b, o, "tick_source", j_str(rs_view_tick_source_name(a->tick_source)));
	put(b, o, "started_unix_ms", j_uint(a->started_unix_ms));
	return o;
}

static json_t *document(struct builder *b, const struct rs_metrics_snapshot *s,
			const struct rs_view_info *info, const struct rs_view_options *o, int node)
{
	json_t *d = json_object();
	put(b, d, "schema", j_uint(RS_METRICS_SCHEMA));
	put(b, d, "instance", j_str(s->instance));
	put(b, d, "generation", j_uint(info->generation));
	put(b, d, "published_unix_ms", j_uint(info->published_unix_ms));
	put(b, d, "computed_unix_ms", j_uint(s->computed_unix_ms));
	put(b, d, "tick_ms", j_uint(s->tick_ms));
	put(b, d, "window_s", j_uint(s->window_s));
	put(b, d, "status", j_str(rs_snapshot_status_name(info->status)));
	put(b, d, "aggregator_stopped", json_boolean(info->stopped));
	put(b, d, "age_ms", j_uint(info->age_ms));
	put(b, d, "heartbeat_age_ms", j_uint(info->heartbeat_age_ms));
	put(b, d, "node_filter", node >= 0 ? j_str(o->node) : json_null());
	put(b, d, "totals", totals_json(b, &s->totals));
	put(b, d, "providers", providers_json(b, s, node));
	put(b, d, "methods", methods_json(b, s, node));
	put(b, d, "nodes", nodes_json(b, s, node));
	put(b, d, "recent", recent_json(b, s, node));
	put(b, d, "circuit_events", circuit_events_json(b, s, node));
	put(b, d, "aggregator", aggregator_json(b, &s->self));
	return d;
}

int rs_view_json_write(FILE *f, const struct rs_metrics_snapshot *s,
		       const struct rs_view_info *info, const struct rs_view_options *o)
{
	int node = -1;
	if (o->node != NULL && (node = rs_view_node_find(s, o->node)) < 0)
		return -ENOENT;
	struct builder b = { .failed = false };
	json_t *d = document(&b, s, info, o, node);
	int rc = 0;
	if (d == NULL || b.failed)
		rc = -ENOMEM;
	else if (json_dumpf(d, f, JSON_FLAGS) < 0 || fputc('\n', f) == EOF)
		rc = -EIO;
	json_decref(d);
	return rc;
}
