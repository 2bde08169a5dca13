/* tui_model.c - the dashboard's view model (tui_model.h): scope, ranking, selection, feed, methods, detail. */
#include "tui_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sort_names[RS_TUI_SORT_COUNT] = {
	[RS_TUI_SORT_CALLS] = "calls",     [RS_TUI_SORT_SUCCESS] = "success",
	[RS_TUI_SORT_AVG] = "avg",         [RS_TUI_SORT_P50] = "p50",
	[RS_TUI_SORT_P95] = "p95",         [RS_TUI_SORT_P99] = "p99",
	[RS_TUI_SORT_RATIO] = "p99/p50",   [RS_TUI_SORT_TRAFFIC] = "traffic",
	[RS_TUI_SORT_LAG] = "lag",         [RS_TUI_SORT_PROVIDER] = "provider",
};

const char *rs_tui_sort_name(enum rs_tui_sort sort)
{
	return (unsigned)sort < RS_TUI_SORT_COUNT ? sort_names[sort] : "unknown";
}

static void copy_name(char dst[RS_STR], const char *src)
{
	snprintf(dst, RS_STR, "%s", src ? src : "");
}

void rs_tui_state_init(struct rs_tui_state *st, const char *node, uint32_t refresh_ms)
{
	memset(st, 0, sizeof *st);
	copy_name(st->node, node);
	st->sort = RS_TUI_SORT_CALLS;
	if (refresh_ms < RS_TUI_REFRESH_MIN_MS)
		refresh_ms = refresh_ms ? RS_TUI_REFRESH_MIN_MS : RS_TUI_REFRESH_DEFAULT_MS;
	st->refresh_ms = refresh_ms > RS_TUI_REFRESH_MAX_MS ? RS_TUI_REFRESH_MAX_MS : refresh_ms;
}

bool rs_tui_node_reporting(const struct rs_node_metrics *n)
{
	return n->producer_alive && n->heartbeat_age_ms < RS_TUI_NODE_STALE_MS;
}

double rs_tui_tail_ratio(const struct rs_metric_set *m)
{
	return m->p50_us ? (double)m->p99_us / (double)m->p50_us : 0.0;
}

/* ---- sorting ------------------------------------------------------------------ */

/* -1 when a goes first. */
static int cmp_desc_u64(uint64_t a, uint64_t b) { return a > b ? -1 : a < b; }
static int cmp_desc_dbl(double a, double b) { return a > b ? -1 : a < b; }

static int compare_by(const void *pa, const void *pb, void *arg)
{
	const struct rs_view_row *a = pa, *b = pb;
	enum rs_tui_sort sort = *(const enum rs_tui_sort *)arg;
	int c = 0;
	switch (sort) {
	case RS_TUI_SORT_CALLS:
	case RS_TUI_SORT_COUNT:
		break;
	case RS_TUI_SORT_SUCCESS:
		c = -cmp_desc_dbl(rs_metric_success_pct(&a->m), rs_metric_success_pct(&b->m));
		break;
	case RS_TUI_SORT_AVG:
		c = cmp_desc_dbl(rs_metric_avg_ms(&a->m), rs_metric_avg_ms(&b->m));
		break;
	case RS_TUI_SORT_P50: c = cmp_desc_u64(a->m.p50_us, b->m.p50_us); break;
	case RS_TUI_SORT_P95: c = cmp_desc_u64(a->m.p95_us, b->m.p95_us); break;
	case RS_TUI_SORT_P99: c = cmp_desc_u64(a->m.p99_us, b->m.p99_us); break;
	case RS_TUI_SORT_RATIO:
		c = cmp_desc_dbl(rs_tui_tail_ratio(&a->m), rs_tui_tail_ratio(&b->m));
		break;
	case RS_TUI_SORT_TRAFFIC: c = cmp_desc_dbl(a->traffic_pct, b->traffic_pct); break;
	case RS_TUI_SORT_LAG:
		/* Rows without a height go last; then the most negative lag first. */
		if (a->has_block != b->has_block)
			c = a->has_block ? -1 : 1;
		else if (a->has_block && a->block_lag != b->block_lag)
			c = a->block_lag < b->block_lag ? -1 : 1;
		break;
	case RS_TUI_SORT_PROVIDER:
		c = strcmp(a->provider, b->provider);
		if (c == 0)
			c = strcmp(a->chain, b->chain);
		break;
	}
	if (c == 0)
		c = cmp_desc_u64(a->m.calls, b->m.calls);
	if (c == 0)
		c = strcmp(a->provider, b->provider);
	if (c == 0)
		c = strcmp(a->chain, b->chain);
	if (c == 0)
		c = (a->route > b->route) - (a->route < b->route);
	return c;
}

void rs_tui_sort_rows(struct rs_view_row *rows, size_t n, enum rs_tui_sort sort)
{
	if (n > 1)
		qsort_r(rows, n, sizeof *rows, compare_by, &sort);
}

/* ---- the model ---------------------------------------------------------------- */

static void headline(struct rs_tui_model *m, const struct rs_metrics_snapshot *s)
{
	if (m->node < 0) {
		const struct rs_totals *t = &s->totals;
		m->head = (struct rs_tui_headline){
			.calls = t->m.calls, .rps = t->rps, .success_pct = t->success_pct,
			.avg_ms = t->avg_ms, .failovers_per_min = t->failovers_per_min, .cluster = true,
		};
		return;
	}
	const struct rs_node_metrics *n = &s->nodes[m->node];
	m->head = (struct rs_tui_headline){
		.calls = n->m.calls, .rps = n->events_per_s, .success_pct = rs_metric_success_pct(&n->m),
		.avg_ms = rs_metric_avg_ms(&n->m),
		.failovers_per_min = s->window_s ? 60.0 * (double)n->m.failovers / (double)s->window_s : 0.0,
	};
}

static int find_row(const struct rs_tui_model *m, const char *provider, const char *chain)
{
	if (provider[0] == '\0')
		return -1;
	for (size_t i = 0; i < m->n_rows; i++)
		if (strcmp(m->rows[i].provider, provider) == 0 && strcmp(m->rows[i].chain, chain) == 0)
			return (int)i;
	return -1;
}

/* height - lag without overflow; a (malformed) positive lag cannot go below 0. */
static uint64_t consensus_of(uint64_t height, int64_t lag)
{
	if (lag < 0)
		return height + (uint64_t)(-(lag + 1)) + 1u;
	return (uint64_t)lag < height ? height - (uint64_t)lag : 0;
}

static void detail(struct rs_tui_model *m, const struct rs_metrics_snapshot *s)
{
	m->detail_pc = m->n_rows ? (int)m->rows[m->sel].pc : -1;
	if (m->detail_pc < 0)
		return;
	const struct rs_provider_chain_metrics *p = &s->provider_chains[m->detail_pc];
	for (uint32_t node = 0; node < s->n_nodes && m->n_detail < RS_MAX_NODES; node++) {
		struct rs_tui_detail_row *d = &m->detail[m->n_detail++];
		*d = (struct rs_tui_detail_row){ .node = node, .route = -1 };
		for (uint32_t r = 0; r < s->n_routes; r++) {
			const struct rs_route_metrics *rt = &s->routes[r];
			if (rt->node != node || rt->provider_chain != (uint32_t)m->detail_pc)
				continue;
			d->route = (int32_t)r;
			if (rt->has_block) {
				d->has_consensus = true;
				d->consensus = consensus_of(rt->block_height, rt->block_lag);
			}
			break;
		}
	}
	for (uint32_t i = 0; i < s->n_recent; i++) {
		const struct rs_recent_decision *r = &s->recent[i];
		if (strcmp(r->provider, p->provider) == 0 && strcmp(r->chain, p->chain) == 0)
			m->detail_recent[m->n_detail_recent++] = (uint8_t)i;
	}
}

void rs_tui_model_build(struct rs_tui_model *m, const struct rs_metrics_snapshot *s,
			const struct rs_tui_state *st)
{
	m->s = s;
	m->node = -1;
	m->node_missing = false;
	m->nodes_reporting = m->nodes_total = 0;
	m->head = (struct rs_tui_headline){ .cluster = true };
	m->n_rows = m->sel = m->n_feed = m->n_detail = m->n_detail_recent = 0;
	m->n_methods = 0;
	m->methods = NULL;
	m->detail_pc = -1;
	if (s == NULL)
		return;

	m->nodes_total = s->n_nodes;
	for (uint32_t i = 0; i < s->n_nodes; i++)
		m->nodes_reporting += rs_tui_node_reporting(&s->nodes[i]);
	if (st->node[0] != '\0') {
		m->node = rs_view_node_find(s, st->node);
		m->node_missing = m->node < 0;
	}
	headline(m, s);
	if (m->node_missing)
		return;   /* a tab whose node is gone shows nothing rather than everything */

	m->n_rows = rs_view_rank_providers(s, m->node, m->rows, RS_MAX_ROUTES);
	rs_tui_sort_rows(m->rows, m->n_rows, st->sort);
	int found = find_row(m, st->sel_provider, st->sel_chain);
	if (found >= 0)
		m->sel = (size_t)found;
	else if (m->n_rows)
		m->sel = st->sel < m->n_rows ? st->sel : m->n_rows - 1;

	for (uint32_t i = 0; i < s->n_recent; i++)
		if (m->node < 0 || s->recent[i].node == (uint32_t)m->node)
			m->feed[m->n_feed++] = (uint8_t)i;
	m->methods = rs_view_methods(s, m->node, &m->n_methods);
	detail(m, s);
}

void rs_tui_state_sync(struct rs_tui_state *st, const struct rs_tui_model *m)
{
	if (m->s == NULL || m->n_rows == 0)
		return;   /* nothing to select: keep what was selected for when rows return */
	st->sel = m->sel;
	copy_name(st->sel_provider, m->rows[m->sel].provider);
	copy_name(st->sel_chain, m->rows[m->sel].chain);
}
