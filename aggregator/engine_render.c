/*
 * engine_render.c - turns the engine's window state into the snapshot payload
 * (metrics_snapshot.h), once per tick: sums the per-second slices, merges
 * histograms route -> provider-chain / node / totals, derives rates, shares,
 * block lag, circuit states, top methods (cluster-wide and per node) and the
 * recent feed.
 */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

struct render_ctx {
	struct rs_engine            *e;
	struct rs_metrics_snapshot  *out;
	struct rs_hist              *pc_hist;     /* [RS_MAX_PROVIDER_CHAINS] */
	struct rs_hist              *node_hist;   /* [RS_MAX_NODES] */
	struct rs_hist              *total_hist;
	struct rs_hist              *route_hist;
	double                       window_s;    /* seconds the window really spans */
};

static void add_counts(struct rs_metric_set *m, const struct rs_counts *c)
{
	m->calls += c->calls;
	m->errors += c->errors;
	m->failovers += c->failovers;
	m->system_calls += c->system_calls;
	m->sum_us += c->sum_us;
}

static void add_set(struct rs_metric_set *dst, const struct rs_metric_set *src)
{
	dst->calls += src->calls;
	dst->errors += src->errors;
	dst->failovers += src->failovers;
	dst->system_calls += src->system_calls;
	dst->sum_us += src->sum_us;
}

static uint32_t clamp_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* Histograms span up to 5 s more than the counts: no calls in the window, no latency. */
static void set_quantiles(struct rs_metric_set *m, const struct rs_hist *h)
{
	if (m->calls == 0) {
		m->p50_us = m->p95_us = m->p99_us = 0;
		return;
	}
	m->p50_us = clamp_u32(rs_hist_quantile(h, 0.50));
	m->p95_us = clamp_u32(rs_hist_quantile(h, 0.95));
	m->p99_us = clamp_u32(rs_hist_quantile(h, 0.99));
}

static uint8_t circuit_state(const struct rs_engine *e, const struct rs_route *r, unsigned t)
{
	const struct rs_engine_node *n = &e->nodes[r->node];
	if (n->circuit_of_id == NULL || r->provider_id >= n->dict_capacity)
		return RS_CIRCUIT_CLOSED;
	return n->circuit_of_id[r->provider_id][t];
}

static void render_route(struct render_ctx *c, uint32_t i)
{
	struct rs_engine *e = c->e;
	const struct rs_route *r = e->routes[i];
	struct rs_route_metrics *o = &c->out->routes[i];
	o->provider_chain = r->pc;
	o->node = r->node;
	o->has_block = r->has_block;
	o->block_height = r->block_height;
	o->last_seen_unix_ms = r->last_seen_unix_ms;
	for (unsigned t = 0; t < RS_TRANSPORT_COUNT; t++)
		o->circuit[t] = circuit_state(e, r, t);
	for (uint32_t s = 0; s < e->cfg.window_s; s++)
		add_counts(&o->m, &r->sec[s]);
	rs_hist_reset(c->route_hist);
	for (uint32_t h = 0; h < e->hist_slices; h++)
		rs_hist_merge(c->route_hist, &r->hist[h]);
	set_quantiles(&o->m, c->route_hist);
	rs_hist_merge(&c->pc_hist[r->pc], c->route_hist);
	rs_hist_merge(&c->node_hist[r->node], c->route_hist);
	rs_hist_merge(c->total_hist, c->route_hist);
	add_set(&c->out->provider_chains[r->pc].m, &o->m);
	add_set(&c->out->nodes[r->node].m, &o->m);
}

/* Consensus of (chain, node) is the highest height any provider reports there. */
static uint64_t consensus(const struct rs_engine *e, const struct rs_route *r)
{
	uint64_t best = 0;
	for (uint32_t i = 0; i < e->n_routes; i++) {
		const struct rs_route *o = e->routes[i];
		if (o->has_block && o->node == r->node &&
		    strcmp(e->pc_chain[o->pc], e->pc_chain[r->pc]) == 0 && o->block_height > best)
			best = o->block_height;
	}
	return best;
}

static void render_blocks_and_circuits(struct render_ctx *c)
{
	struct rs_engine *e = c->e;
	for (uint32_t i = 0; i < e->n_routes; i++) {
		struct rs_route_metrics *o = &c->out->routes[i];
		struct rs_provider_chain_metrics *pc = &c->out->provider_chains[o->provider_chain];
		for (unsigned t = 0; t < RS_TRANSPORT_COUNT; t++)
			pc->circuit_counts[t][o->circuit[t]]++;
		if (!o->has_block)
			continue;
		o->block_lag = (int64_t)o->block_height - (int64_t)consensus(e, e->routes[i]);
		if (!pc->has_block || o->block_height > pc->block_height)
			pc->block_height = o->block_height;
		if (!pc->has_block || o->block_lag < pc->block_lag)
			pc->block_lag = o->block_lag;
		pc->has_block = 1;
	}
}

static void render_provider_chains(struct render_ctx *c)
{
	struct rs_engine *e = c->e;
	for (uint32_t i = 0; i < e->n_pcs; i++) {
		struct rs_provider_chain_metrics *pc = &c->out->provider_chains[i];
		snprintf(pc->provider, RS_STR, "%s", e->pc_provider[i]);
		snprintf(pc->chain, RS_STR, "%s", e->pc_chain[i]);
		set_quantiles(&pc->m, &c->pc_hist[i]);
		pc->events_per_s = (double)pc->m.calls / c->window_s;
		uint64_t chain_calls = 0;
		for (uint32_t j = 0; j < e->n_pcs; j++)
			if (strcmp(e->pc_chain[j], e->pc_chain[i]) == 0)
				chain_calls += c->out->provider_chains[j].m.calls;
		pc->traffic_pct = chain_calls ? 100.0 * (double)pc->m.calls / (double)chain_calls : 0.0;
	}
}

static void render_nodes(struct render_ctx *c)
{
	struct rs_engine *e = c->e;
	for (uint32_t i = 0; i < e->n_nodes; i++) {
		struct rs_node_metrics *n = &c->out->nodes[i];
		snprintf(n->name, RS_STR, "%s", e->nodes[i].name);
		n->attached = e->nodes[i].ring != NULL;
		set_quantiles(&n->m, &c->node_hist[i]);
		n->events_per_s = (double)n->m.calls / c->window_s;
	}
}

/* A method's calls, errors and durations summed over the window's slices (cluster-wide or one node's). */
static void method_window(const struct rs_engine *e, const struct rs_method_counts *sec,
			  struct rs_method_counts *o)
{
	memset(o, 0, sizeof *o);
	for (uint32_t s = 0; s < e->cfg.window_s; s++) {
		o->calls += sec[s].calls;
		o->errors += sec[s].errors;
		o->sum_us += sec[s].sum_us;
	}
}

/*
 * Ranks method m, counted in sec, into top[] (*n entries, at most RS_TOP_METHODS,
 * most calls first) by insertion into the short list.  Methods are offered in
 * index order and a tie does not pass an entry already placed, so equal calls
 * keep the method seen first ahead, in every list.
 */
static void rank_method(const struct rs_engine *e, uint32_t m, const struct rs_method_counts *sec,
			struct rs_method_metrics *top, uint32_t *n)
{
	struct rs_method_counts w;
	method_window(e, sec, &w);
	if (w.calls == 0)
		return;
	uint32_t pos = *n;
	while (pos > 0 && top[pos - 1].calls < w.calls)
		pos--;
	if (pos >= RS_TOP_METHODS)
		return;
	uint32_t last = *n < RS_TOP_METHODS ? *n : RS_TOP_METHODS - 1;
	memmove(&top[pos + 1], &top[pos], (last - pos) * sizeof *top);
	struct rs_method_metrics *o = &top[pos];
	memset(o, 0, sizeof *o);
	snprintf(o->method, RS_STR, "%s", e->methods[m].name);
	o->calls = w.calls;
	o->errors = w.errors;
	o->sum_us = w.sum_us;
	if (*n < RS_TOP_METHODS)
		(*n)++;
}

/* The RS_TOP_METHODS busiest methods over all nodes, then each node's from its own counters. */
static void render_methods(struct render_ctx *c)
{
	const struct rs_engine *e = c->e;
	struct rs_metrics_snapshot *out = c->out;
	for (uint32_t m = 0; m < e->n_methods; m++)
		rank_method(e, m, e->methods[m].sec, out->methods, &out->n_methods);
	for (uint32_t node = 0; node < e->n_nodes; node++) {
		struct rs_node_methods *o = &out->node_methods[node];
		for (uint32_t m = 0; m < e->n_methods; m++)
			if (e->nodes[node].method_sec[m] != NULL)   /* the node never reported m */
				rank_method(e, m, e->nodes[node].method_sec[m], o->top, &o->n);
	}
}

static void render_recent_entry(struct render_ctx *c, const struct rs_recent_entry *r,
				struct rs_recent_decision *o)
{
	struct rs_engine *e = c->e;
	const struct rs_decision *d = &r->rec.u.decision;
	const struct rs_route *route = e->routes[r->route];
	o->emit_unix_ms = r->rec.emit_unix_ms;
	o->arrival_unix_ns = r->rec.arrival_unix_ns;
	snprintf(o->chain, RS_STR, "%s", e->pc_chain[route->pc]);
	snprintf(o->provider, RS_STR, "%s", e->pc_provider[route->pc]);
	snprintf(o->method, RS_STR, "%s", r->method == RS_ENGINE_NO_INDEX ? "?" : e->methods[r->method].name);
	rs_request_id_format(d->id_hi, d->id_lo, o->request_id);
	o->node = (uint8_t)route->node;
	o->result = d->result;
	o->transport = d->transport;
	o->origin = d->origin;
	o->failover_count = d->failover_count;
	o->strategy = d->strategy;
	o->duration_us = d->duration_us;
}

/* The k-th newest entry of a node's recent ring, k < its count. */
static const struct rs_recent_entry *nth_newest(const struct rs_engine *e, unsigned node, uint32_t k)
{
	uint32_t idx = (e->recent_next[node] + RS_RECENT_DECISIONS - 1 - k) % RS_RECENT_DECISIONS;
	return &e->recent[node][idx];
}

/* Merges the nodes' recent rings, newest arrival first, into the feed. */
static void render_recent(struct render_ctx *c)
{
	struct rs_engine *e = c->e;
	uint32_t taken[RS_MAX_NODES] = { 0 };
	uint32_t n = 0;
	while (n < RS_RECENT_DECISIONS) {
		int best = -1;
		uint64_t best_ns = 0;
		for (unsigned node = 0; node < e->n_nodes; node++) {
			if (taken[node] == e->recent_count[node])
				continue;
			uint64_t ns = nth_newest(e, node, taken[node])->rec.arrival_unix_ns;
			if (best < 0 || ns > best_ns) {
				best = (int)node;
				best_ns = ns;
			}
		}
		if (best < 0)
			break;
		render_recent_entry(c, nth_newest(e, (unsigned)best, taken[best]++), &c->out->recent[n++]);
	}
	c->out->n_recent = n;
}

static void render_circuit_events(struct render_ctx *c)
{
	struct rs_engine *e = c->e;
	for (uint32_t k = 0; k < e->circuit_count; k++) {
		uint32_t idx = (e->circuit_next + RS_CIRCUIT_HISTORY - 1 - k) % RS_CIRCUIT_HISTORY;
		c->out->circuit_events[k] = e->circuit_events[idx];
	}
	c->out->n_circuit_events = e->circuit_count;
}

static void render_totals(struct render_ctx *c)
{
	struct rs_engine *e = c->e;
	struct rs_totals *t = &c->out->totals;
	for (uint32_t s = 0; s < e->cfg.window_s; s++) {
		add_counts(&t->m, &e->total_sec[s]);
		t->duplicates += e->dup_sec[s];
	}
	set_quantiles(&t->m, c->total_hist);
	t->rps = (double)t->m.calls / c->window_s;
	t->success_pct = rs_metric_success_pct(&t->m);
	t->avg_ms = rs_metric_avg_ms(&t->m);
	t->failovers_per_min = (double)t->m.failovers * 60.0 / c->window_s;
	t->duplicates_total = e->duplicates_total;
	t->late = e->late_total;
	/* The last RS_RPS_HISTORY complete seconds, oldest first. */
	for (uint32_t i = 0; i < RS_RPS_HISTORY; i++) {
		uint64_t back = RS_RPS_HISTORY - i;
		if (back < e->cfg.window_s && e->now_s >= back)
			t->rps_history[i] = e->total_sec[rs_engine_slot(e, e->now_s - back)].calls;
	}
}

void rs_engine_render(struct rs_engine *e, struct rs_metrics_snapshot *out)
{
	memset(out, 0, sizeof *out);
	out->schema = RS_METRICS_SCHEMA;
	out->window_s = e->cfg.window_s;
	out->n_nodes = e->n_nodes;
	out->n_provider_chains = e->n_pcs;
	out->n_routes = e->n_routes;
	/* The window spans from the oldest second it holds: the start, or an older backlog. */
	uint64_t oldest = e->first_counted_s < e->start_s ? e->first_counted_s : e->start_s;
	if (oldest + e->cfg.window_s <= e->now_s)
		oldest = e->now_s - e->cfg.window_s + 1;
	uint64_t spanned = e->now_s - oldest + 1;
	struct render_ctx c = {
		.e = e, .out = out,
		.pc_hist = e->scratch,
		.node_hist = e->scratch + RS_MAX_PROVIDER_CHAINS,
		.total_hist = e->scratch + RS_MAX_PROVIDER_CHAINS + RS_MAX_NODES,
		.route_hist = e->scratch + RS_MAX_PROVIDER_CHAINS + RS_MAX_NODES + 1,
		.window_s = (double)(spanned < e->cfg.window_s ? spanned : e->cfg.window_s),
	};
	for (uint32_t i = 0; i < e->n_pcs; i++)
		rs_hist_reset(&c.pc_hist[i]);
	for (uint32_t i = 0; i < e->n_nodes; i++)
		rs_hist_reset(&c.node_hist[i]);
	rs_hist_reset(c.total_hist);
	for (uint32_t i = 0; i < e->n_routes; i++)
		render_route(&c, i);
	render_blocks_and_circuits(&c);
	render_provider_chains(&c);
	render_nodes(&c);
	render_methods(&c);
	render_recent(&c);
	render_circuit_events(&c);
	render_totals(&c);
}
