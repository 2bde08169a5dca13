/* view_model.c - ranking and scoping of a validated metrics snapshot (view_model.h). */
#include "view_model.h"

#include <stdlib.h>
#include <string.h>

int rs_view_node_find(const struct rs_metrics_snapshot *s, const char *name)
{
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

double rs_view_per_second(const struct rs_metrics_snapshot *s, uint64_t count)
{
	return s->window_s ? (double)count / (double)s->window_s : 0.0;
}

static const char *chain_of_route(const struct rs_metrics_snapshot *s, uint32_t route)
{
	return s->provider_chains[s->routes[route].provider_chain].chain;
}

double rs_view_route_traffic_pct(const struct rs_metrics_snapshot *s, uint32_t route)
{
	const struct rs_route_metrics *r = &s->routes[route];
	const char *chain = chain_of_route(s, route);
	uint64_t chain_calls = 0;
	for (uint32_t i = 0; i < s->n_routes; i++)
		if (s->routes[i].node == r->node && strcmp(chain_of_route(s, i), chain) == 0)
			chain_calls += s->routes[i].m.calls;
	return chain_calls ? 100.0 * (double)r->m.calls / (double)chain_calls : 0.0;
}

static void row_from_provider(const struct rs_metrics_snapshot *s, uint32_t pc,
			      struct rs_view_row *row)
{
	const struct rs_provider_chain_metrics *p = &s->provider_chains[pc];
	*row = (struct rs_view_row){
		.pc = pc, .route = -1, .provider = p->provider, .chain = p->chain, .m = p->m,
		.traffic_pct = p->traffic_pct, .events_per_s = p->events_per_s,
		.cold = rs_view_is_cold(p->m.calls), .has_block = p->has_block != 0,
		.block_height = p->block_height, .block_lag = p->block_lag,
	};
	memcpy(row->circuit_counts, p->circuit_counts, sizeof row->circuit_counts);
}

static void row_from_route(const struct rs_metrics_snapshot *s, uint32_t route,
			   struct rs_view_row *row)
{
	const struct rs_route_metrics *r = &s->routes[route];
	const struct rs_provider_chain_metrics *p = &s->provider_chains[r->provider_chain];
	*row = (struct rs_view_row){
		.pc = r->provider_chain, .route = (int32_t)route, .provider = p->provider,
		.chain = p->chain, .m = r->m, .traffic_pct = rs_view_route_traffic_pct(s, route),
		.events_per_s = rs_view_per_second(s, r->m.calls), .cold = rs_view_is_cold(r->m.calls),
		.has_block = r->has_block != 0, .block_height = r->block_height,
		.block_lag = r->block_lag,
	};
	for (unsigned t = 0; t < RS_TRANSPORT_COUNT; t++)
		if (r->circuit[t] < RS_CIRCUIT_COUNT)
			row->circuit_counts[t][r->circuit[t]] = 1;
}

static int compare_rows(const void *a, const void *b)
{
	const struct rs_view_row *x = a, *y = b;
	if (x->m.calls != y->m.calls)
		return x->m.calls > y->m.calls ? -1 : 1;
	int c = strcmp(x->provider, y->provider);
	if (c == 0)
		c = strcmp(x->chain, y->chain);
	if (c == 0)
		c = (x->route > y->route) - (x->route < y->route);
	return c;
}

size_t rs_view_rank_providers(const struct rs_metrics_snapshot *s, int node,
			      struct rs_view_row *rows, size_t cap)
{
	size_t n = 0;
	if (node < 0) {
		for (uint32_t pc = 0; pc < s->n_provider_chains && n < cap; pc++)
			row_from_provider(s, pc, &rows[n++]);
	} else {
		for (uint32_t r = 0; r < s->n_routes && n < cap; r++)
			if (s->routes[r].node == (uint32_t)node)
				row_from_route(s, r, &rows[n++]);
	}
	qsort(rows, n, sizeof *rows, compare_rows);
	return n;
}

const struct rs_method_metrics *rs_view_methods(const struct rs_metrics_snapshot *s, int node,
						uint32_t *n)
{
	if (node < 0) {
		*n = s->n_methods;
		return s->methods;
	}
	/* A node the snapshot lacks lists nothing, rather than another scope's methods. */
	*n = (uint32_t)node < s->n_nodes ? s->node_methods[node].n : 0;
	return s->node_methods[(uint32_t)node < RS_MAX_NODES ? node : 0].top;
}

struct rs_metric_set rs_view_method_metrics(const struct rs_method_metrics *mm)
{
	return (struct rs_metric_set){ .calls = mm->calls, .errors = mm->errors, .sum_us = mm->sum_us };
}

const char *rs_view_name(const char *name_or_null)
{
	return name_or_null ? name_or_null : "unknown";
}

const char *rs_view_tick_source_name(uint32_t tick_source)
{
	switch (tick_source) {
	case 1: return "multishot";
	case 2: return "timerfd";
	default: return "unknown";
	}
}

double rs_view_dedup_fill_pct(const struct rs_self_metrics *self)
{
	return self->dedup_capacity
		? 100.0 * (double)self->dedup_entries / (double)self->dedup_capacity : 0.0;
}
