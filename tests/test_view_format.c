/* Criterion tests for viewer/ formatting and loading: JSON fields, order, rounding and nulls; aligned text tables; --node scoping, the node's top methods included; damaged and missing snapshots refused by the load path. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics_snapshot.h"
#include "record.h"
#include "snapshot.h"
#include "test_support.h"
#include "view_json.h"
#include "view_model.h"
#include "view_source.h"
#include "view_text.h"

/* ---- the hand-made snapshot ------------------------------------------------
 * nodes: 0 us-west, 1 eu-central
 * provider-chains: 0 alchemy/ethereum (both nodes), 1 infura/ethereum (us-west,
 * 4 calls: cold), 2 quicknode/polygon (eu-central, no block height)
 * methods: eth_call 900, eth_getBalance 3, eth_blockNumber 2; per node us-west
 * eth_call 898; eu-central eth_getBalance 3, eth_call 2, eth_blockNumber 2
 */

enum { N_USW, N_EUC };
enum { PC_ALCHEMY, PC_INFURA, PC_QUICKNODE };

static struct rs_metrics_snapshot snap;

static struct rs_metric_set mset(uint64_t calls, uint64_t errors, uint64_t sum_us,
				 uint32_t p50, uint32_t p95, uint32_t p99)
{
	return (struct rs_metric_set){ .calls = calls, .errors = errors, .failovers = errors,
				       .system_calls = 1, .sum_us = sum_us, .p50_us = p50,
				       .p95_us = p95, .p99_us = p99 };
}

static void add_pc(uint32_t i, const char *provider, const char *chain, struct rs_metric_set m,
		   double traffic, bool has_block, uint64_t height, int64_t lag)
{
	struct rs_provider_chain_metrics *p = &snap.provider_chains[i];
	snprintf(p->provider, sizeof p->provider, "%s", provider);
	snprintf(p->chain, sizeof p->chain, "%s", chain);
	p->m = m;
	p->traffic_pct = traffic;
	p->events_per_s = (double)m.calls / 60.0;
	p->has_block = has_block;
	p->block_height = height;
	p->block_lag = lag;
}

static void add_route(uint32_t i, uint16_t pc, uint16_t node, uint8_t http, uint8_t ws,
		      struct rs_metric_set m, bool has_block, uint64_t height, int64_t lag)
{
	struct rs_route_metrics *r = &snap.routes[i];
	r->provider_chain = pc;
	r->node = node;
	r->circuit[RS_TRANSPORT_HTTP] = http;
	r->circuit[RS_TRANSPORT_WS] = ws;
	r->has_block = has_block;
	r->block_height = height;
	r->block_lag = lag;
	r->last_seen_unix_ms = 1764240123456ull;
	r->m = m;
}

static void add_node(uint32_t i, const char *name, uint64_t calls, uint32_t pid)
{
	struct rs_node_metrics *n = &snap.nodes[i];
	snprintf(n->name, sizeof n->name, "%s", name);
	n->attached = 1;
	n->producer_alive = 1;
	n->producer_pid = pid;
	n->produced = 5000 + i;
	n->consumed = 4990 + i;
	n->dropped = 3 * i;
	n->rejected = 2;
	n->source_lost = 9 * i;
	n->rejected_by_reason[RS_REJECT_PARSE] = 1;
	n->rejected_by_reason[RS_REJECT_ENCODING] = 1;
	n->rejected_by_reason[RS_REJECT_SLOTS - 1] = 99;   /* beyond RS_REJECT_COUNT: not shown */
	n->in_ring = 10 + i;
	n->capacity = 65536;
	n->high_water = 300;
	n->heartbeat_age_ms = 120;
	n->m = mset(calls, 1, calls * 20000, 15000, 40000, 90000);
	n->events_per_s = (double)calls / 60.0;
}

static void add_method(uint32_t i, const char *name, uint64_t calls, uint64_t errors, uint64_t sum_us)
{
	struct rs_method_metrics *m = &snap.methods[i];
	snprintf(m->method, sizeof m->method, "%s", name);
	m->calls = calls;
	m->errors = errors;
	m->sum_us = sum_us;
}

static void add_node_method(uint32_t node, const char *name, uint64_t calls, uint64_t errors,
			    uint64_t sum_us)
{
	struct rs_node_methods *nm = &snap.node_methods[node];
	struct rs_method_metrics *m = &nm->top[nm->n++];
	snprintf(m->method, sizeof m->method, "%s", name);
	m->calls = calls;
	m->errors = errors;
	m->sum_us = sum_us;
}

static void add_recent(uint32_t i, uint8_t node, const char *chain, const char *method,
		       const char *provider, uint32_t dur_us, uint8_t result, uint8_t origin,
		       uint8_t failovers)
{
	struct rs_recent_decision *d = &snap.recent[i];
	d->emit_unix_ms = 1764240123456ull - i * 1000u;
	d->arrival_unix_ns = d->emit_unix_ms * 1000000u;
	snprintf(d->chain, sizeof d->chain, "%s", chain);
	snprintf(d->method, sizeof d->method, "%s", method);
	snprintf(d->provider, sizeof d->provider, "%s", provider);
	snprintf(d->request_id, sizeof d->request_id, "%032x", i + 1);
	d->node = node;
	d->result = result;
	d->transport = RS_TRANSPORT_WS;
	d->origin = origin;
	d->failover_count = failovers;
	d->strategy = RS_STRATEGY_FASTEST;
	d->duration_us = dur_us;
}

static void build_snapshot(void)
{
	memset(&snap, 0, sizeof snap);
	snap.schema = RS_METRICS_SCHEMA;
	snap.tick_ms = 100;
	snap.window_s = 60;
	snprintf(snap.instance, sizeof snap.instance, "demo");
	snap.computed_unix_ms = 1764240123500ull;

	struct rs_totals *t = &snap.totals;
	t->m = mset(1404, 10, 1404 * 45123, 12345, 120000, 300000);
	t->rps = 23.4;
	t->success_pct = 100.0 * (1404.0 - 10.0) / 1404.0;   /* 99.2877... */
	t->avg_ms = 45.12345;
	t->failovers_per_min = 10.0;
	t->duplicates = 12;
	t->duplicates_total = 40;
	t->dropped = 3;
	t->rejected = 4;
	t->source_lost = 11;
	t->late = 1;
	for (unsigned i = 0; i < RS_RPS_HISTORY; i++)
		t->rps_history[i] = 20 + i % 7;

	snap.n_nodes = 2;
	add_node(N_USW, "us-west", 1004, 4101);
	add_node(N_EUC, "eu-central", 400, 4102);

	snap.n_provider_chains = 3;
	/* alchemy: 1000 calls, 7 errors; avg 12.345666 ms (rounds to 12.346) */
	add_pc(PC_ALCHEMY, "alchemy", "ethereum", mset(1000, 7, 12345666, 12345, 40000, 99999),
	       200.0 / 3.0, true, 21000000, -2);
	add_pc(PC_INFURA, "infura", "ethereum", mset(4, 1, 100000, 20000, 30000, 30000),
	       0.4, true, 21000001, 0);
	add_pc(PC_QUICKNODE, "quicknode", "polygon", mset(400, 2, 400 * 8000, 7000, 9000, 12000),
	       100.0, false, 0, 0);
	/* alchemy's circuits: us-west http closed / ws open; eu-central http half_open / ws closed */
	struct rs_provider_chain_metrics *a = &snap.provider_chains[PC_ALCHEMY];
	a->circuit_counts[RS_TRANSPORT_HTTP][RS_CIRCUIT_CLOSED] = 1;
	a->circuit_counts[RS_TRANSPORT_HTTP][RS_CIRCUIT_HALF_OPEN] = 1;
	a->circuit_counts[RS_TRANSPORT_WS][RS_CIRCUIT_CLOSED] = 1;
	a->circuit_counts[RS_TRANSPORT_WS][RS_CIRCUIT_OPEN] = 1;
	snap.provider_chains[PC_INFURA].circuit_counts[RS_TRANSPORT_HTTP][RS_CIRCUIT_CLOSED] = 1;
	snap.provider_chains[PC_INFURA].circuit_counts[RS_TRANSPORT_WS][RS_CIRCUIT_CLOSED] = 1;
	snap.provider_chains[PC_QUICKNODE].circuit_counts[RS_TRANSPORT_HTTP][RS_CIRCUIT_CLOSED] = 1;
	snap.provider_chains[PC_QUICKNODE].circuit_counts[RS_TRANSPORT_WS][RS_CIRCUIT_CLOSED] = 1;

	snap.n_routes = 4;
	/* listed eu-central first: by_node must still follow nodes[] order */
	add_route(0, PC_ALCHEMY, N_EUC, RS_CIRCUIT_HALF_OPEN, RS_CIRCUIT_CLOSED,
		  mset(3, 1, 37037, 12000, 13000, 13000), true, 21000000, -2);
	add_route(1, PC_ALCHEMY, N_USW, RS_CIRCUIT_CLOSED, RS_CIRCUIT_OPEN,
		  mset(997, 6, 12308629, 12345, 40000, 99999), true, 21000000, 0);
	add_route(2, PC_INFURA, N_USW, RS_CIRCUIT_CLOSED, RS_CIRCUIT_CLOSED,
		  mset(4, 1, 100000, 20000, 30000, 30000), true, 21000001, 0);
	add_route(3, PC_QUICKNODE, N_EUC, RS_CIRCUIT_CLOSED, RS_CIRCUIT_CLOSED,
		  mset(400, 2, 400 * 8000, 7000, 9000, 12000), false, 0, 0);

	snap.n_methods = 3;
	add_method(0, "eth_call", 900, 9, 900 * 30000);
	add_method(1, "eth_getBalance", 3, 1, 37037);
	add_method(2, "eth_blockNumber", 2, 0, 1000);
	/* Per node they add up to the above; eu-central ranks them otherwise (ties keep eth_call first). */
	add_node_method(N_USW, "eth_call", 898, 9, 898 * 30000);
	add_node_method(N_EUC, "eth_getBalance", 3, 1, 37037);
	add_node_method(N_EUC, "eth_call", 2, 0, 2 * 30000);
	add_node_method(N_EUC, "eth_blockNumber", 2, 0, 1000);

	snap.n_recent = 4;
	add_recent(0, N_USW, "ethereum", "eth_call", "alchemy", 250500, RS_RESULT_ERROR,
		   RS_ORIGIN_CLIENT, 2);
	add_recent(1, N_EUC, "polygon", "eth_blockNumber", "quicknode", 7000, RS_RESULT_SUCCESS,
		   RS_ORIGIN_SYSTEM, 0);
	add_recent(2, N_EUC, "ethereum", "eth_getBalance", "alchemy", 12000, RS_RESULT_SUCCESS,
		   RS_ORIGIN_CLIENT, 0);
	add_recent(3, N_USW, "ethereum", "eth_call", "infura", 450, RS_RESULT_SUCCESS,
		   RS_ORIGIN_CLIENT, 0);

	struct rs_self_metrics *self = &snap.self;
	self->ticks = 5000;
	self->missed_ticks = 1;
	self->last_tick_us = 350;
	self->max_tick_us = 900;
	self->drained_last_tick = 120;
	self->drained_total = 1000000;
	self->extra_drains = 2;
	self->dedup_entries = 1200;
	self->dedup_capacity = 65536;
	self->dedup_evictions = 0;
	self->routes_dropped = 0;
	self->started_unix_ms = 1764240000000ull;
	self->aggregator_pid = 4242;
	self->tick_source = 2;
}

static const struct rs_view_info fresh_info = {
	.status = RS_SNAPSHOT_FRESH, .generation = 42, .published_unix_ms = 1764240123501ull,
	.age_ms = 80, .heartbeat_age_ms = 80, .writer_pid = 4242, .writer_alive = true,
};

/* ---- running the formatters into memory ------------------------------------ */

typedef int (*formatter)(FILE *, const struct rs_metrics_snapshot *, const struct rs_view_info *,
			 const struct rs_view_options *);

static char *format(formatter fn, const char *node, int *rc_out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	struct rs_view_options o = { .node = node };
	*rc_out = fn(f, &snap, &fresh_info, &o);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static json_t *json_of(const char *node, char **text_out)
{
	int rc;
	char *text = format(rs_view_json_write, node, &rc);
	cr_assert_eq(rc, 0, "rs_view_json_write: %d", rc);
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	cr_assert_not_null(doc, "output is not JSON: %s (line %d)\n%s", jerr.text, jerr.line, text);
	if (text_out)
		*text_out = text;
	else
		free(text);
	return doc;
}

static json_t *get(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	cr_assert_not_null(v, "missing field '%s'", key);
	return v;
}

static json_t *at(json_t *arr, size_t i)
{
	cr_assert(json_is_array(arr));
	json_t *v = json_array_get(arr, i);
	cr_assert_not_null(v, "no element %zu", i);
	return v;
}

static long long get_int(json_t *obj, const char *key)
{
	json_t *v = get(obj, key);
	cr_assert(json_is_integer(v), "'%s' is not an integer", key);
	return json_integer_value(v);
}

static double get_real(json_t *obj, const char *key)
{
	json_t *v = get(obj, key);
	cr_assert(json_is_real(v), "'%s' is not a real", key);
	return json_real_value(v);
}

static const char *get_str(json_t *obj, const char *key)
{
	json_t *v = get(obj, key);
	cr_assert(json_is_string(v), "'%s' is not a string", key);
	return json_string_value(v);
}

static void assert_keys(json_t *obj, const char *const *keys, size_t n, const char *what)
{
	size_t i = 0;
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it), i++) {
		cr_assert_lt(i, n, "%s: unexpected extra field '%s'", what, json_object_iter_key(it));
		cr_assert_str_eq(json_object_iter_key(it), keys[i], "%s: field %zu", what, i);
	}
	cr_assert_eq(i, n, "%s: %zu fields, expected %zu", what, i, n);
}

static json_t *provider_named(json_t *providers, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(providers, i, p)
		if (strcmp(get_str(p, "provider"), name) == 0)
			return p;
	cr_assert_fail("no provider '%s'", name);
	return NULL;
}

/* ---- JSON --------------------------------------------------------------------- */

Test(view_json, top_level_fields_in_order)
{
	build_snapshot();
	json_t *d = json_of(NULL, NULL);
	static const char *const keys[] = {
		"schema", "instance", "generation", "published_unix_ms", "computed_unix_ms",
		"tick_ms", "window_s", "status", "aggregator_stopped", "age_ms", "heartbeat_age_ms", "node_filter",
		"totals", "providers", "methods", "nodes", "recent", "circuit_events", "aggregator",
	};
	assert_keys(d, keys, sizeof keys / sizeof keys[0], "document");
	cr_assert_eq(get_int(d, "schema"), RS_METRICS_SCHEMA);
	cr_assert_str_eq(get_str(d, "instance"), "demo");
	cr_assert_eq(get_int(d, "generation"), 42);
	cr_assert_eq(get_int(d, "published_unix_ms"), 1764240123501ll);
	cr_assert_eq(get_int(d, "tick_ms"), 100);
	cr_assert_eq(get_int(d, "window_s"), 60);
	cr_assert_str_eq(get_str(d, "status"), "fresh");
	cr_assert(json_is_false(get(d, "aggregator_stopped")));
	cr_assert_eq(get_int(d, "age_ms"), 80);
	cr_assert(json_is_null(get(d, "node_filter")));
	json_decref(d);
}

Test(view_json, totals)
{
	build_snapshot();
	json_t *d = json_of(NULL, NULL);
	json_t *t = get(d, "totals");
	static const char *const keys[] = {
		"calls", "errors", "success_rate", "rps", "p50_ms", "p95_ms", "p99_ms", "avg_ms",
		"failovers", "failovers_per_min", "duplicates", "duplicates_total", "dropped",
		"rejected", "source_lost_datagrams", "system_calls", "late", "rps_history",
	};
	assert_keys(t, keys, sizeof keys / sizeof keys[0], "totals");
	cr_assert_eq(get_int(t, "source_lost_datagrams"), 11);
	cr_assert_eq(get_int(t, "calls"), 1404);
	cr_assert_eq(get_int(t, "errors"), 10);
	cr_assert_eq(get_real(t, "success_rate"), 99.3);      /* one decimal */
	cr_assert_eq(get_real(t, "rps"), 23.4);
	cr_assert_eq(get_real(t, "p50_ms"), 12.345);
	cr_assert_eq(get_real(t, "p95_ms"), 120.0);
	cr_assert_eq(get_real(t, "avg_ms"), 45.123);           /* 3 decimals */
	cr_assert_eq(get_real(t, "failovers_per_min"), 10.0);
	cr_assert_eq(get_int(t, "duplicates"), 12);
	cr_assert_eq(get_int(t, "duplicates_total"), 40);
	cr_assert_eq(get_int(t, "late"), 1);
	json_t *h = get(t, "rps_history");
	cr_assert_eq(json_array_size(h), RS_RPS_HISTORY);
	cr_assert_eq(json_integer_value(at(h, 0)), 20);
	cr_assert_eq(json_integer_value(at(h, 8)), 21);
	json_decref(d);
}

Test(view_json, reals_print_without_float_noise)
{
	build_snapshot();
	char *text;
	json_decref(json_of(NULL, &text));
	cr_assert_not_null(strstr(text, "\"p50_ms\": 12.345,"), "%s", text);
	cr_assert_not_null(strstr(text, "\"avg_ms\": 12.346,"));
	cr_assert_not_null(strstr(text, "\"success_rate\": 99.3,"));
	cr_assert_not_null(strstr(text, "\"success_rate\": 100.0,"));   /* methods[2] */
	/* No number anywhere has more than 3 decimals. */
	for (const char *p = text; *p; p++) {
		if (*p != '.' || !isdigit((unsigned char)p[-1]))
			continue;
		size_t digits = strspn(p + 1, "0123456789");
		cr_assert_leq(digits, 3, "too many decimals at: %.40s", p - 10);
	}
	cr_assert_eq(text[strlen(text) - 1], '\n');
	free(text);
}

Test(view_json, providers_ranked_with_nodes_and_circuits)
{
	build_snapshot();
	json_t *d = json_of(NULL, NULL);
	json_t *ps = get(d, "providers");
	cr_assert_eq(json_array_size(ps), 3);
	cr_assert_str_eq(get_str(at(ps, 0), "provider"), "alchemy");     /* most calls first */
	cr_assert_str_eq(get_str(at(ps, 1), "provider"), "quicknode");
	cr_assert_str_eq(get_str(at(ps, 2), "provider"), "infura");

	json_t *a = at(ps, 0);
	static const char *const keys[] = {
		"provider", "chain", "calls", "errors", "success_rate", "p50_ms", "p95_ms", "p99_ms",
		"avg_ms", "failovers", "system_calls", "traffic_pct", "events_per_s", "cold_start",
		"block_height", "block_lag", "circuit_counts", "by_node",
	};
	assert_keys(a, keys, sizeof keys / sizeof keys[0], "providers[0]");
	cr_assert_str_eq(get_str(a, "chain"), "ethereum");
	cr_assert_eq(get_int(a, "calls"), 1000);
	cr_assert_eq(get_int(a, "errors"), 7);
	cr_assert_eq(get_real(a, "success_rate"), 99.3);
	cr_assert_eq(get_real(a, "p50_ms"), 12.345);
	cr_assert_eq(get_real(a, "p99_ms"), 99.999);
	cr_assert_eq(get_real(a, "avg_ms"), 12.346);
	cr_assert_eq(get_real(a, "traffic_pct"), 66.7);
	cr_assert_eq(get_real(a, "events_per_s"), 16.667);
	cr_assert(json_is_false(get(a, "cold_start")));
	cr_assert_eq(get_int(a, "block_height"), 21000000);
	cr_assert_eq(get_int(a, "block_lag"), -2);
	json_t *cc = get(a, "circuit_counts");
	cr_assert_eq(get_int(get(cc, "http"), "closed"), 1);
	cr_assert_eq(get_int(get(cc, "http"), "half_open"), 1);
	cr_assert_eq(get_int(get(cc, "http"), "open"), 0);
	cr_assert_eq(get_int(get(cc, "ws"), "open"), 1);

	json_t *bn = get(a, "by_node");
	cr_assert_eq(json_array_size(bn), 2);
	json_t *usw = at(bn, 0), *euc = at(bn, 1);                       /* nodes[] order */
	cr_assert_str_eq(get_str(usw, "node"), "us-west");
	cr_assert_str_eq(get_str(euc, "node"), "eu-central");
	cr_assert_eq(get_int(usw, "calls"), 997);
	cr_assert_eq(get_real(usw, "success_rate"), 99.4);               /* 991/997 = 99.398 */
	cr_assert_eq(get_real(usw, "traffic_pct"), 99.6);                /* 997 of 1001 on us-west */
	cr_assert_eq(get_int(usw, "block_lag"), 0);
	cr_assert_str_eq(get_str(get(usw, "circuit"), "http"), "closed");
	cr_assert_str_eq(get_str(get(usw, "circuit"), "ws"), "open");
	cr_assert_eq(get_int(euc, "calls"), 3);
	cr_assert_eq(get_real(euc, "success_rate"), 66.7);
	cr_assert_eq(get_real(euc, "avg_ms"), 12.346);
	cr_assert_eq(get_real(euc, "traffic_pct"), 100.0);               /* only ethereum route there */
	cr_assert(json_is_true(get(euc, "cold_start")));
	cr_assert_str_eq(get_str(get(euc, "circuit"), "http"), "half_open");
	cr_assert_str_eq(get_str(get(euc, "circuit"), "ws"), "closed");

	json_t *q = provider_named(ps, "quicknode");
	cr_assert(json_is_null(get(q, "block_height")));
	cr_assert(json_is_null(get(q, "block_lag")));
	cr_assert_eq(json_array_size(get(q, "by_node")), 1);
	cr_assert(json_is_null(get(at(get(q, "by_node"), 0), "block_height")));

	json_t *i = provider_named(ps, "infura");
	cr_assert(json_is_true(get(i, "cold_start")));
	cr_assert_eq(get_real(i, "success_rate"), 75.0);
	json_decref(d);
}

Test(view_json, methods_nodes_recent_aggregator)
{
	build_snapshot();
	json_t *d = json_of(NULL, NULL);
	json_t *m = at(get(d, "methods"), 1);
	static const char *const mkeys[] = { "method", "calls", "errors", "success_rate", "avg_ms" };
	assert_keys(m, mkeys, 5, "methods[1]");
	cr_assert_str_eq(get_str(m, "method"), "eth_getBalance");
	cr_assert_eq(get_real(m, "success_rate"), 66.7);
	cr_assert_eq(get_real(m, "avg_ms"), 12.346);

	json_t *ns = get(d, "nodes");
	cr_assert_eq(json_array_size(ns), 2);
	json_t *n = at(ns, 1);
	cr_assert_str_eq(get_str(n, "node"), "eu-central");
	cr_assert(json_is_true(get(n, "attached")));
	cr_assert(json_is_true(get(n, "producer_alive")));
	cr_assert_eq(get_int(n, "producer_pid"), 4102);
	cr_assert_eq(get_int(n, "produced"), 5001);
	cr_assert_eq(get_int(n, "dropped"), 3);
	cr_assert_eq(get_int(n, "source_lost_datagrams"), 9);
	cr_assert_eq(get_int(n, "in_ring"), 11);
	cr_assert_eq(get_int(n, "capacity"), 65536);
	cr_assert_eq(get_int(n, "high_water"), 300);
	cr_assert_eq(get_int(n, "heartbeat_age_ms"), 120);
	cr_assert_eq(get_int(n, "calls"), 400);
	cr_assert_eq(get_real(n, "events_per_s"), 6.667);
	json_t *why = get(n, "rejected_by_reason");
	cr_assert_eq(json_object_size(why), RS_REJECT_COUNT);             /* slot 15 not shown */
	cr_assert_eq(get_int(why, "parse"), 1);
	cr_assert_eq(get_int(why, "bad_encoding"), 1);
	cr_assert_eq(get_int(why, "dictionary_full"), 0);

	json_t *r = at(get(d, "recent"), 0);
	static const char *const rkeys[] = {
		"ts", "node", "request_id", "chain", "method", "provider", "duration_ms", "result",
		"transport", "strategy", "request_origin", "failover_count",
	};
	assert_keys(r, rkeys, sizeof rkeys / sizeof rkeys[0], "recent[0]");
	cr_assert_eq(get_int(r, "ts"), 1764240123456ll);
	cr_assert_str_eq(get_str(r, "node"), "us-west");
	cr_assert_str_eq(get_str(r, "request_id"), "00000000000000000000000000000001");
	cr_assert_eq(get_real(r, "duration_ms"), 250.5);
	cr_assert_str_eq(get_str(r, "result"), "error");
	cr_assert_str_eq(get_str(r, "transport"), "ws");
	cr_assert_str_eq(get_str(r, "strategy"), "fastest");
	cr_assert_str_eq(get_str(r, "request_origin"), "client");
	cr_assert_eq(get_int(r, "failover_count"), 2);
	cr_assert_str_eq(get_str(at(get(d, "recent"), 1), "request_origin"), "system");
	cr_assert_eq(json_array_size(get(d, "recent")), 4);

	json_t *ag = get(d, "aggregator");
	static const char *const akeys[] = {
		"pid", "ticks", "missed_ticks", "last_tick_us", "max_tick_us", "drained_last_tick",
		"drained_total", "extra_drains", "dedup_entries", "dedup_capacity", "dedup_evictions",
		"routes_dropped", "tick_source", "started_unix_ms",
	};
	assert_keys(ag, akeys, sizeof akeys / sizeof akeys[0], "aggregator");
	cr_assert_eq(get_int(ag, "pid"), 4242);
	cr_assert_eq(get_int(ag, "dedup_entries"), 1200);
	cr_assert_str_eq(get_str(ag, "tick_source"), "timerfd");
	json_decref(d);
}

Test(view_json, node_filter_scopes_providers_nodes_recent)
{
	build_snapshot();
	json_t *d = json_of("eu-central", NULL);
	cr_assert_str_eq(get_str(d, "node_filter"), "eu-central");
	cr_assert_eq(get_int(get(d, "totals"), "calls"), 1404);           /* cluster-wide */
	json_t *ps = get(d, "providers");
	cr_assert_eq(json_array_size(ps), 2);
	json_t *q = at(ps, 0), *a = at(ps, 1);
	cr_assert_str_eq(get_str(q, "provider"), "quicknode");
	cr_assert_str_eq(get_str(a, "provider"), "alchemy");
	cr_assert_eq(get_int(a, "calls"), 3);                             /* the route's figures */
	cr_assert_eq(get_real(a, "traffic_pct"), 100.0);
	cr_assert(json_is_true(get(a, "cold_start")));
	cr_assert_eq(get_int(get(get(a, "circuit_counts"), "http"), "half_open"), 1);
	cr_assert_eq(get_int(get(get(a, "circuit_counts"), "http"), "closed"), 0);
	cr_assert_eq(json_array_size(get(a, "by_node")), 1);
	cr_assert_str_eq(get_str(at(get(a, "by_node"), 0), "node"), "eu-central");
	cr_assert_eq(json_array_size(get(d, "nodes")), 1);
	cr_assert_str_eq(get_str(at(get(d, "nodes"), 0), "node"), "eu-central");
	json_t *rec = get(d, "recent");
	cr_assert_eq(json_array_size(rec), 2);
	size_t i;
	json_t *r;
	json_array_foreach(rec, i, r)
		cr_assert_str_eq(get_str(r, "node"), "eu-central");
	json_decref(d);
}

/* methods[] entry i is (name, calls, errors). */
static void expect_method(json_t *methods, size_t i, const char *name, long long calls, long long errors)
{
	json_t *m = at(methods, i);
	cr_expect_str_eq(get_str(m, "method"), name, "methods[%zu]", i);
	cr_expect_eq(get_int(m, "calls"), calls, "methods[%zu] (%s) calls", i, name);
	cr_expect_eq(get_int(m, "errors"), errors, "methods[%zu] (%s) errors", i, name);
}

Test(view_json, node_filter_gives_the_nodes_methods)
{
	build_snapshot();
	json_t *d = json_of("eu-central", NULL);
	json_t *ms = get(d, "methods");
	cr_assert_eq(json_array_size(ms), 3);
	expect_method(ms, 0, "eth_getBalance", 3, 1);
	expect_method(ms, 1, "eth_call", 2, 0);
	expect_method(ms, 2, "eth_blockNumber", 2, 0);
	cr_expect_eq(get_real(at(ms, 1), "avg_ms"), 30.0);
	cr_assert(json_equal(ms, get(at(get(d, "nodes"), 0), "methods")), "the node's own list");
	json_decref(d);

	d = json_of("us-west", NULL);
	ms = get(d, "methods");
	cr_assert_eq(json_array_size(ms), 1, "eth_getBalance and eth_blockNumber were not called there");
	expect_method(ms, 0, "eth_call", 898, 9);
	json_decref(d);
}

Test(view_json, every_node_carries_its_methods)
{
	build_snapshot();
	json_t *d = json_of(NULL, NULL);
	json_t *ms = get(d, "methods");
	cr_assert_eq(json_array_size(ms), 3, "without --node: cluster-wide");
	expect_method(ms, 0, "eth_call", 900, 9);
	json_t *ns = get(d, "nodes");
	json_t *usw = get(at(ns, 0), "methods"), *euc = get(at(ns, 1), "methods");
	cr_assert_eq(json_array_size(usw), 1);
	expect_method(usw, 0, "eth_call", 898, 9);
	cr_assert_eq(json_array_size(euc), 3);
	expect_method(euc, 0, "eth_getBalance", 3, 1);
	expect_method(euc, 2, "eth_blockNumber", 2, 0);
	static const char *const mkeys[] = { "method", "calls", "errors", "success_rate", "avg_ms" };
	assert_keys(at(euc, 0), mkeys, 5, "nodes[1].methods[0]");
	cr_assert_eq(get_real(at(euc, 0), "success_rate"), 66.7);
	json_decref(d);
}

Test(view_json, unknown_node_writes_nothing)
{
	build_snapshot();
	int rc;
	char *text = format(rs_view_json_write, "ap-south", &rc);
	cr_assert_eq(rc, -ENOENT);
	cr_assert_str_empty(text);
	free(text);
}

Test(view_json, untrusted_values_stay_valid_json)
{
	build_snapshot();
	snap.totals.rps = NAN;
	snap.provider_chains[PC_ALCHEMY].traffic_pct = INFINITY;
	snap.recent[0].result = 7;
	snap.recent[0].strategy = 200;
	snap.routes[1].circuit[RS_TRANSPORT_WS] = 9;
	snap.self.tick_source = 0;
	snprintf(snap.recent[0].method, RS_STR, "eth_\xff\xfe");           /* not UTF-8 */
	json_t *d = json_of(NULL, NULL);
	cr_assert(json_is_null(get(get(d, "totals"), "rps")));
	cr_assert(json_is_null(get(at(get(d, "providers"), 0), "traffic_pct")));
	json_t *r = at(get(d, "recent"), 0);
	cr_assert_str_eq(get_str(r, "result"), "unknown");
	cr_assert_str_eq(get_str(r, "strategy"), "unknown");
	cr_assert_str_eq(get_str(r, "method"), "eth_??");
	json_t *usw = at(get(at(get(d, "providers"), 0), "by_node"), 0);
	cr_assert_str_eq(get_str(get(usw, "circuit"), "ws"), "unknown");
	cr_assert_str_eq(get_str(get(d, "aggregator"), "tick_source"), "unknown");
	json_decref(d);
}

/* ---- text ---------------------------------------------------------------------- */

static char *text_of(const char *node)
{
	int rc;
	char *text = format(rs_view_text_write, node, &rc);
	cr_assert_eq(rc, 0, "rs_view_text_write: %d", rc);
	return text;
}

/* The lines of the table whose header line starts with "  " title, up to a blank line. */
static size_t table_lines(const char *text, const char *header_start, char lines[][512], size_t cap)
{
	char key[64];
	snprintf(key, sizeof key, "\n  %s", header_start);
	const char *p = strstr(text, key);
	cr_assert_not_null(p, "no table starting '%s' in:\n%s", header_start, text);
	p++;
	size_t n = 0;
	while (*p && *p != '\n' && n < cap) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len < 3 || p[0] != ' ' || p[1] != ' ' || p[2] == ' ' || p[2] == '*')
			break;                      /* footnotes are not rows */
		snprintf(lines[n++], 512, "%.*s", (int)len, p);
		p += len + (end ? 1 : 0);
	}
	return n;
}

/* Every row ends a right-aligned column where the header's title ends. */
static void assert_right_aligned(char lines[][512], size_t n, const char *title)
{
	const char *t = strstr(lines[0], title);
	cr_assert_not_null(t, "no column '%s'", title);
	size_t end = (size_t)(t - lines[0]) + strlen(title);      /* one past the title */
	for (size_t r = 1; r < n; r++) {
		cr_assert_gt(strlen(lines[r]), end - 1, "row %zu too short: '%s'", r, lines[r]);
		cr_assert(lines[r][end - 1] != ' ', "column '%s' row %zu: '%s'", title, r, lines[r]);
		cr_assert(lines[r][end] == ' ' || lines[r][end] == '\0',
			  "column '%s' row %zu overruns: '%s'", title, r, lines[r]);
	}
}

/* Every row starts a left-aligned column where the header's title starts. */
static void assert_left_aligned(char lines[][512], size_t n, const char *title)
{
	const char *t = strstr(lines[0], title);
	cr_assert_not_null(t, "no column '%s'", title);
	size_t start = (size_t)(t - lines[0]);
	for (size_t r = 1; r < n; r++) {
		cr_assert(lines[r][start - 1] == ' ' && lines[r][start] != ' ',
			  "column '%s' row %zu: '%s'", title, r, lines[r]);
	}
}

Test(view_text, header_and_headline)
{
	build_snapshot();
	char *text = text_of(NULL);
	static const char first[] = "routestat  instance demo  generation 42  age 80 ms  aggregator "
		"fresh (pid 4242, heartbeat 80 ms)  tick 100 ms  window 60 s\n";
	cr_assert(strncmp(text, first, strlen(first)) == 0, "%s", text);
	cr_assert_not_null(strstr(text, "\ncalls 1404  RPS 23.4  success 99.3%  avg 45.1 ms  p50 12.3"
				 "  p95 120.0  p99 300.0 ms  failovers/min 10.0  duplicates 12  dropped 3"
				 "  rejected 4\n"), "%s", text);
	cr_assert_not_null(strstr(text, "\nlost before ingest: 11 datagrams (the kernel's receive queue "
				 "was full)\n"), "%s", text);
	cr_assert_not_null(strstr(text, "\naggregator pid 4242  tick 350 us (max 900 us, timerfd)"
				 "  drained 120 (total 1000000, extra drains 2)  missed ticks 1"
				 "  dedup 1200/65536 (1.8%, evictions 0)  routes dropped 0\n"));
	free(text);
}

Test(view_text, provider_table_is_aligned)
{
	build_snapshot();
	char *text = text_of(NULL);
	char lines[8][512];
	size_t n = table_lines(text, "#  PROVIDER", lines, 8);
	cr_assert_eq(n, 4, "header + 3 rows:\n%s", text);
	for (size_t r = 1; r < n; r++)
		cr_assert_eq(strlen(lines[r]), strlen(lines[0]), "row %zu:\n%s\n%s", r, lines[0], lines[r]);
	assert_left_aligned(lines, n, "PROVIDER");
	assert_left_aligned(lines, n, "CHAIN");
	static const char *const right[] = { "CALLS", "SUCCESS%", "AVG ms", "P50 ms", "P95 ms",
		"P99 ms", "P99/P50", "TRAFFIC%", "HEIGHT", "LAG", "HTTP c/h/o", "WS c/h/o" };
	for (size_t c = 0; c < sizeof right / sizeof right[0]; c++)
		assert_right_aligned(lines, n, right[c]);
	cr_assert(strncmp(lines[1], "  1  alchemy ", 13) == 0, "'%s'", lines[1]);
	cr_assert_not_null(strstr(lines[1], " 1000 "));
	cr_assert_not_null(strstr(lines[1], " 99.3 "));
	cr_assert_not_null(strstr(lines[1], " 12.3 "));
	cr_assert_not_null(strstr(lines[1], " 8.10 "));         /* p99/p50 = 99999/12345 */
	cr_assert_not_null(strstr(lines[1], " 66.7 "));
	cr_assert_not_null(strstr(lines[1], " 21000000 "));
	cr_assert_not_null(strstr(lines[1], " -2 "));
	cr_assert_not_null(strstr(lines[1], " 1/1/0 "));
	cr_assert(strstr(lines[1], "1/0/1") == lines[1] + strlen(lines[1]) - 5);
	cr_assert_not_null(strstr(lines[2], "quicknode "));
	cr_assert_not_null(strstr(lines[2], "  -  "));         /* no block height */
	cr_assert(strncmp(lines[3], "  3  infura* ", 13) == 0, "'%s'", lines[3]);
	cr_assert_not_null(strstr(text, "  * cold start: fewer than 10 calls in the window\n"));
	free(text);
}

Test(view_text, nodes_methods_recent)
{
	build_snapshot();
	char *text = text_of(NULL);
	char lines[8][512];
	size_t n = table_lines(text, "NODE ", lines, 8);
	cr_assert_eq(n, 3);
	for (size_t r = 1; r < n; r++)
		cr_assert_eq(strlen(lines[r]), strlen(lines[0]));
	assert_right_aligned(lines, n, "PRODUCED");
	assert_right_aligned(lines, n, "IN RING");
	assert_left_aligned(lines, n, "PRODUCER");
	cr_assert_not_null(strstr(lines[1], "us-west "));
	cr_assert_not_null(strstr(lines[1], "alive 4101"));
	cr_assert_not_null(strstr(lines[2], " 11/65536"));

	n = table_lines(text, "METHOD ", lines, 8);
	cr_assert_eq(n, 4);
	for (size_t r = 1; r < n; r++)
		cr_assert_eq(strlen(lines[r]), strlen(lines[0]));
	assert_right_aligned(lines, n, "CALLS");
	cr_assert_not_null(strstr(text, "\ntop methods (all nodes)\n"));
	cr_assert_not_null(strstr(lines[1], " 900 "), "cluster-wide: '%s'", lines[1]);
	cr_assert_not_null(strstr(lines[2], "eth_getBalance "));
	cr_assert_not_null(strstr(lines[2], " 66.7 "));

	cr_assert_not_null(strstr(text, "  10:42:03.456  us-west     ethereum eth_call -> alchemy (250 ms)"
				 "  [error]  [failover 2]\n"), "%s", text);
	cr_assert_not_null(strstr(text, "  10:42:02.456  eu-central  polygon eth_blockNumber -> "
				 "quicknode (7.0 ms)  [system]\n"));
	cr_assert_not_null(strstr(text, "ethereum eth_call -> infura (0.5 ms)\n"));
	free(text);
}

Test(view_text, recent_is_limited)
{
	build_snapshot();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rs_view_options o = { .recent = 1 };
	cr_assert_eq(rs_view_text_write(f, &snap, &fresh_info, &o), 0);
	fclose(f);
	cr_assert_not_null(strstr(buf, "-> alchemy (250 ms)"));
	cr_assert_null(strstr(buf, "-> quicknode (7.0 ms)"));
	free(buf);
}

Test(view_text, node_filter)
{
	build_snapshot();
	char *text = text_of("eu-central");
	cr_assert_not_null(strstr(text, "\nnode eu-central: calls 400  RPS 6.7  success 99.8%"), "%s", text);
	cr_assert_not_null(strstr(text, "\nnode eu-central: lost before ingest: 9 datagrams"), "%s", text);
	cr_assert_not_null(strstr(text, "\nproviders on node eu-central, by calls"));
	char lines[8][512];
	size_t n = table_lines(text, "#  PROVIDER", lines, 8);
	cr_assert_eq(n, 3);
	for (size_t r = 1; r < n; r++)
		cr_assert_eq(strlen(lines[r]), strlen(lines[0]), "\n%s\n%s", lines[0], lines[r]);
	assert_right_aligned(lines, n, "HTTP");
	cr_assert_not_null(strstr(lines[2], "alchemy*"));
	cr_assert_not_null(strstr(lines[2], " half_open "));
	n = table_lines(text, "NODE ", lines, 8);
	cr_assert_eq(n, 2);
	cr_assert_not_null(strstr(lines[1], "eu-central"));
	cr_assert_null(strstr(text, "  us-west"));             /* no us-west row, no us-west decision */
	cr_assert_not_null(strstr(text, "\ntop methods on node eu-central\n"), "%s", text);
	cr_assert_null(strstr(text, "top methods (all nodes)"));
	n = table_lines(text, "METHOD ", lines, 8);
	cr_assert_eq(n, 4, "header + eu-central's 3 methods:\n%s", text);
	cr_assert(strncmp(lines[1], "  eth_getBalance ", 17) == 0, "'%s'", lines[1]);
	cr_assert(strncmp(lines[2], "  eth_call ", 11) == 0, "'%s'", lines[2]);
	cr_assert_not_null(strstr(lines[2], " 2 "), "eu-central's 2 calls, not 900: '%s'", lines[2]);
	cr_assert(strncmp(lines[3], "  eth_blockNumber ", 18) == 0, "'%s'", lines[3]);
	free(text);

	text = text_of("us-west");
	const char *node_line = strstr(text, "\nnode us-west:");
	cr_assert_not_null(node_line, "%s", text);
	cr_assert_null(strstr(node_line, "lost before ingest"), "us-west lost nothing:\n%s", text);
	cr_assert_not_null(strstr(text, "\nlost before ingest: 11 datagrams"), "the cluster's line:\n%s", text);
	n = table_lines(text, "METHOD ", lines, 8);
	cr_assert_eq(n, 2, "us-west called one method:\n%s", text);
	cr_assert_not_null(strstr(lines[1], " 898 "), "'%s'", lines[1]);
	free(text);
}

Test(view_text, control_characters_are_neutralised)
{
	build_snapshot();
	snprintf(snap.provider_chains[PC_ALCHEMY].provider, RS_STR, "alc\x1b[2Jhemy");
	snprintf(snap.recent[0].chain, RS_STR, "ether\nreum");
	char *text = text_of(NULL);
	cr_assert_null(strchr(text, '\x1b'));
	cr_assert_not_null(strstr(text, "alc?[2Jhemy"));
	cr_assert_not_null(strstr(text, "us-west     ether?reum eth_call -> alchemy"), "%s", text);
	free(text);
}

/* ---- the load path ---------------------------------------------------------------- */

Test(view_source, damaged_counts_are_refused_naming_the_field)
{
	build_snapshot();
	struct rs_error err;
	rs_error_clear(&err);
	cr_assert_eq(rs_view_snapshot_check(&snap, &err), 0, "%s", err.msg);
	snap.n_routes = RS_MAX_ROUTES + 1;
	cr_assert_eq(rs_view_snapshot_check(&snap, &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "routes 257"), "'%s'", err.msg);
}

/* The check refuses the snapshot, and its message names the field. */
static void expect_refused(const char *field)
{
	struct rs_error err;
	rs_error_clear(&err);
	cr_assert_eq(rs_view_snapshot_check(&snap, &err), -EPROTO, "%s accepted", field);
	cr_assert_not_null(strstr(err.msg, field), "'%s' does not name %s", err.msg, field);
}

Test(view_source, damaged_node_methods_are_refused_naming_the_field)
{
	build_snapshot();
	snap.node_methods[N_EUC].n = RS_TOP_METHODS + 1;
	expect_refused("node_methods[1].n 11");

	build_snapshot();
	snap.node_methods[5].n = 1;                           /* a node the snapshot does not have */
	expect_refused("node_methods[5].n 1 beyond n_nodes 2");

	build_snapshot();
	memset(snap.node_methods[N_EUC].top[2].method, 'x', RS_STR);
	expect_refused("node_methods[1].top[2] name not terminated");

	/* An entry past a node's count is never read: whatever it holds is accepted. */
	build_snapshot();
	memset(snap.node_methods[N_EUC].top[3].method, 'x', RS_STR);
	memset(snap.node_methods[9].top[0].method, 'x', RS_STR);
	struct rs_error err;
	rs_error_clear(&err);
	cr_assert_eq(rs_view_snapshot_check(&snap, &err), 0, "%s", err.msg);
}

static void cleanup(void)
{
	rs_test_cleanup();
}

static void publish(struct rs_snapshot_writer_handle *h, const char *instance)
{
	struct rs_error err;
	rs_error_clear(&err);
	cr_assert_eq(rs_snapshot_create(h, instance, RS_METRICS_SCHEMA,
					(uint32_t)sizeof(struct rs_metrics_snapshot),
					100u * 1000u * 1000u, &err), 0, "%s", err.msg);
}

Test(view_source, reads_and_refuses_through_shared_memory, .fini = cleanup)
{
	const char *instance = rs_test_new_instance("view");
	static struct rs_metrics_snapshot copy;
	struct rs_view_source src;
	struct rs_view_info info;
	struct rs_error err;
	rs_error_clear(&err);

	rs_view_source_init(&src, instance, 0);
	cr_assert_eq(rs_view_source_open(&src, &err), -ENOENT, "%s", err.msg);

	struct rs_snapshot_writer_handle h;
	publish(&h, instance);
	cr_assert_eq(rs_view_source_read(&src, &copy, &info, &err), -ENODATA, "%s", err.msg);

	build_snapshot();
	rs_snapshot_publish(&h, &snap);
	cr_assert_eq(rs_view_source_read(&src, &copy, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_FRESH);
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(memcmp(&copy, &snap, sizeof snap), 0);

	snap.n_routes = RS_MAX_ROUTES + 1;                 /* a damaged publication */
	rs_snapshot_publish(&h, &snap);
	cr_assert_eq(rs_view_source_read(&src, &copy, &info, &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "routes 257"), "'%s'", err.msg);

	rs_view_source_close(&src);
	rs_snapshot_close_writer(&h, true);
}

Test(view_source, wait_times_out_without_a_publication, .fini = cleanup)
{
	const char *instance = rs_test_new_instance("wait");
	static struct rs_metrics_snapshot copy;
	struct rs_snapshot_writer_handle h;
	publish(&h, instance);
	struct rs_view_source src;
	struct rs_view_info info;
	struct rs_error err;
	rs_view_source_init(&src, instance, 0);
	double t0 = rs_test_now();
	cr_assert_eq(rs_view_source_wait(&src, &copy, &info, 300, &err), -ETIMEDOUT);
	double took = rs_test_now() - t0;
	cr_assert_geq(took, 0.29);
	cr_assert_lt(took, 2.0);
	cr_assert_not_null(strstr(err.msg, "nothing published"), "'%s'", err.msg);
	cr_assert_eq(info.writer_pid, (uint32_t)getpid());

	build_snapshot();
	rs_snapshot_publish(&h, &snap);
	cr_assert_eq(rs_view_source_wait(&src, &copy, &info, 300, &err), 0, "%s", err.msg);
	rs_view_source_close(&src);
	rs_snapshot_close_writer(&h, true);
}

Test(view_source, clean_shutdown_reads_as_stopped, .fini = cleanup)
{
	const char *instance = rs_test_new_instance("stop");
	static struct rs_metrics_snapshot copy;
	struct rs_snapshot_writer_handle h;
	publish(&h, instance);
	build_snapshot();
	rs_snapshot_publish(&h, &snap);
	struct rs_view_source src;
	struct rs_view_info info;
	struct rs_error err;
	rs_view_source_init(&src, instance, 0);
	cr_assert_eq(rs_view_source_read(&src, &copy, &info, &err), 0, "%s", err.msg);
	cr_assert_not(info.stopped);
	rs_snapshot_close_writer(&h, false);                /* retired, name kept */
	cr_assert_eq(rs_view_source_read(&src, &copy, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_DEAD);
	cr_assert(info.stopped);
	cr_assert_eq(memcmp(&copy, &snap, sizeof snap), 0); /* the last snapshot is still shown */
	rs_view_source_close(&src);
}

Test(view_source, stale_threshold_override, .fini = cleanup)
{
	const char *instance = rs_test_new_instance("stale");
	static struct rs_metrics_snapshot copy;
	struct rs_snapshot_writer_handle h;
	publish(&h, instance);
	build_snapshot();
	rs_snapshot_publish(&h, &snap);
	struct rs_view_source src;
	struct rs_view_info info;
	struct rs_error err;
	rs_view_source_init(&src, instance, 1);             /* stale after 1 ms */
	struct timespec age = { 0, 5 * 1000 * 1000 };      /* let the heartbeat age past 1 ms */
	nanosleep(&age, NULL);
	cr_assert_eq(rs_view_source_read(&src, &copy, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_STALE);
	cr_assert_not(rs_view_status_ok(info.status));
	rs_view_source_close(&src);
	rs_snapshot_close_writer(&h, true);
}
