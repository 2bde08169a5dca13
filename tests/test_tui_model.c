/* Criterion tests for the dashboard's pure parts: sorting by every column, node tabs and filtering, selection bounds and identity, the detail view, layout at 80x24 vs 200x60, the key table and its actions, and the wake-up schedule that keeps out of the aggregator's ticks. */
#include <criterion/criterion.h>

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics_snapshot.h"
#include "record.h"
#include "tui_keys.h"
#include "tui_layout.h"
#include "tui_model.h"
#include "tui_schedule.h"

/* ---- a hand-made snapshot -----------------------------------------------------
 * nodes 0 us-west, 1 eu-central, 2 ap-south (producer gone)
 * six provider-chains whose columns rank differently; each has routes on
 * us-west and eu-central (split 2:1), pc 5 only on eu-central (cold).
 * methods: eth_call 2000, eth_getBalance 506; us-west 1600 / 70, eu-central
 * eth_getBalance 436 then eth_call 400, ap-south none.
 */

#define NPC 6

static struct rs_metrics_snapshot snap;
static struct rs_tui_model model;

struct pc_spec {
	const char *provider, *chain;
	uint64_t calls, errors, sum_ms;
	uint32_t p50, p95, p99;          /* ms */
	double   traffic;
	bool     block;
	int64_t  lag;
};

static const struct pc_spec specs[NPC] = {
	{ "alchemy",    "ethereum", 900, 9,  900 * 40,  30, 90,  300, 40.0, true,  0 },
	{ "infura",     "ethereum", 600, 30, 600 * 80,  50, 200, 900, 25.0, true,  -3 },
	{ "quicknode",  "polygon",  500, 1,  500 * 20,  15, 40,  60,  70.0, true,  -1 },
	{ "ankr",       "ethereum", 300, 0,  300 * 120, 100, 150, 180, 12.0, false, 0 },
	{ "llamarpc",   "polygon",  200, 20, 200 * 60,  20, 300, 2000, 30.0, true, -7 },
	{ "publicnode", "base",     6,   0,  6 * 10,    10, 11,  12,  100.0, true, 0 },
};

static struct rs_metric_set mset(uint64_t calls, uint64_t errors, uint64_t sum_ms,
				 uint32_t p50, uint32_t p95, uint32_t p99)
{
	return (struct rs_metric_set){ .calls = calls, .errors = errors, .failovers = errors,
				       .sum_us = sum_ms * 1000u, .p50_us = p50 * 1000u,
				       .p95_us = p95 * 1000u, .p99_us = p99 * 1000u };
}

static void add_node(uint32_t i, const char *name, uint64_t calls, bool alive)
{
	struct rs_node_metrics *n = &snap.nodes[i];
	snprintf(n->name, sizeof n->name, "%s", name);
	n->attached = 1;
	n->producer_alive = alive;
	n->producer_pid = alive ? 1000 + i : 0;
	n->heartbeat_age_ms = 50;
	n->m = mset(calls, calls / 100, calls * 50, 40, 100, 400);
	n->events_per_s = (double)calls / 60.0;
}

static void add_route(uint32_t r, uint16_t pc, uint16_t node, uint64_t calls, int64_t lag)
{
	const struct pc_spec *p = &specs[pc];
	struct rs_route_metrics *rt = &snap.routes[r];
	rt->provider_chain = pc;
	rt->node = node;
	rt->circuit[RS_TRANSPORT_HTTP] = node == 1 && pc == 1 ? RS_CIRCUIT_OPEN : RS_CIRCUIT_CLOSED;
	rt->circuit[RS_TRANSPORT_WS] = RS_CIRCUIT_CLOSED;
	rt->has_block = p->block;
	rt->block_height = p->block ? 1000 + (uint64_t)pc : 0;
	rt->block_lag = p->block ? lag : 0;
	rt->last_seen_unix_ms = 1764240123000ull;
	rt->m = mset(calls, p->errors * calls / p->calls, p->sum_ms * calls / p->calls, p->p50,
		     p->p95, p->p99);
}

static void add_recent(uint32_t i, uint8_t node, uint32_t pc, uint8_t result)
{
	struct rs_recent_decision *d = &snap.recent[i];
	d->emit_unix_ms = 1764240123456ull - i * 10u;
	snprintf(d->chain, sizeof d->chain, "%s", specs[pc].chain);
	snprintf(d->method, sizeof d->method, "eth_call");
	snprintf(d->provider, sizeof d->provider, "%s", specs[pc].provider);
	snprintf(d->request_id, sizeof d->request_id, "%032x", i + 1);
	d->node = node;
	d->result = result;
	d->duration_us = 1000u * (i + 1);
}

static void add_node_method(uint32_t node, const char *name, uint64_t calls)
{
	struct rs_node_methods *nm = &snap.node_methods[node];
	snprintf(nm->top[nm->n].method, RS_STR, "%s", name);
	nm->top[nm->n++].calls = calls;
}

static void build_snapshot(void)
{
	memset(&snap, 0, sizeof snap);
	snap.schema = RS_METRICS_SCHEMA;
	snap.tick_ms = 500;
	snap.window_s = 60;
	snprintf(snap.instance, sizeof snap.instance, "tui");
	snap.computed_unix_ms = 1764240123500ull;
	snap.totals.m = mset(2506, 60, 2506 * 50, 30, 200, 900);
	snap.totals.rps = 2506.0 / 60.0;
	snap.totals.success_pct = 100.0 * (2506.0 - 60.0) / 2506.0;
	snap.totals.avg_ms = 50.0;
	snap.totals.failovers_per_min = 60.0;

	snap.n_nodes = 3;
	add_node(0, "us-west", 1670, true);
	add_node(1, "eu-central", 836, true);
	add_node(2, "ap-south", 0, false);

	snap.n_provider_chains = NPC;
	for (uint32_t i = 0; i < NPC; i++) {
		const struct pc_spec *p = &specs[i];
		struct rs_provider_chain_metrics *pc = &snap.provider_chains[i];
		snprintf(pc->provider, sizeof pc->provider, "%s", p->provider);
		snprintf(pc->chain, sizeof pc->chain, "%s", p->chain);
		pc->m = mset(p->calls, p->errors, p->sum_ms, p->p50, p->p95, p->p99);
		pc->traffic_pct = p->traffic;
		pc->events_per_s = (double)p->calls / 60.0;
		pc->has_block = p->block;
		pc->block_height = p->block ? 1000 + i : 0;
		pc->block_lag = p->lag;
		pc->circuit_counts[RS_TRANSPORT_HTTP][RS_CIRCUIT_CLOSED] = 2;
		pc->circuit_counts[RS_TRANSPORT_WS][RS_CIRCUIT_CLOSED] = 2;
	}
	uint32_t r = 0;
	for (uint16_t pc = 0; pc < NPC - 1; pc++) {
		add_route(r++, pc, 0, specs[pc].calls * 2 / 3, 0);
		add_route(r++, pc, 1, specs[pc].calls - specs[pc].calls * 2 / 3, specs[pc].lag);
	}
	add_route(r++, NPC - 1, 1, specs[NPC - 1].calls, 0);
	snap.n_routes = r;

	snap.n_methods = 2;
	snprintf(snap.methods[0].method, RS_STR, "eth_call");
	snap.methods[0].calls = 2000;
	snprintf(snap.methods[1].method, RS_STR, "eth_getBalance");
	snap.methods[1].calls = 506;
	add_node_method(0, "eth_call", 1600);
	add_node_method(0, "eth_getBalance", 70);
	add_node_method(1, "eth_getBalance", 436);   /* eu-central's busiest is not the cluster's */
	add_node_method(1, "eth_call", 400);

	snap.n_recent = 6;
	add_recent(0, 0, 0, RS_RESULT_SUCCESS);
	add_recent(1, 1, 1, RS_RESULT_ERROR);
	add_recent(2, 0, 1, RS_RESULT_SUCCESS);
	add_recent(3, 1, 2, RS_RESULT_SUCCESS);
	add_recent(4, 1, 0, RS_RESULT_SUCCESS);
	add_recent(5, 0, 4, RS_RESULT_SUCCESS);
	for (unsigned i = 0; i < RS_RPS_HISTORY; i++)
		snap.totals.rps_history[i] = 40 + i % 5;
}

static void setup(void)
{
	build_snapshot();
	struct rs_error err;
	cr_assert_eq(rs_metrics_validate(&snap, &err), 0, "the test snapshot is valid: %s", err.msg);
}

static void build(struct rs_tui_state *st)
{
	rs_tui_model_build(&model, &snap, st);
	rs_tui_state_sync(st, &model);
}

static int row_of(const char *provider, const char *chain)
{
	for (size_t i = 0; i < model.n_rows; i++)
		if (strcmp(model.rows[i].provider, provider) == 0 && strcmp(model.rows[i].chain, chain) == 0)
			return (int)i;
	return -1;
}

/* ---- sorting ------------------------------------------------------------------- */

/* The key of a row for a column, larger = earlier (an independent statement of the order). */
static double key(const struct rs_view_row *r, enum rs_tui_sort s)
{
	const struct rs_metric_set *m = &r->m;
	switch (s) {
	case RS_TUI_SORT_CALLS:   return (double)m->calls;
	case RS_TUI_SORT_SUCCESS: return -rs_metric_success_pct(m);
	case RS_TUI_SORT_AVG:     return rs_metric_avg_ms(m);
	case RS_TUI_SORT_P50:     return m->p50_us;
	case RS_TUI_SORT_P95:     return m->p95_us;
	case RS_TUI_SORT_P99:     return m->p99_us;
	case RS_TUI_SORT_RATIO:   return m->p50_us ? (double)m->p99_us / m->p50_us : 0;
	case RS_TUI_SORT_TRAFFIC: return r->traffic_pct;
	case RS_TUI_SORT_LAG:     return r->has_block ? -(double)r->block_lag : -1e18;
	default:                  return 0;
	}
}

Test(tui_sort, every_column_orders_worst_or_biggest_first, .init = setup)
{
	for (int s = 0; s < RS_TUI_SORT_COUNT; s++) {
		struct rs_tui_state st;
		rs_tui_state_init(&st, NULL, 0);
		st.sort = (enum rs_tui_sort)s;
		build(&st);
		cr_assert_eq(model.n_rows, NPC, "%s: all provider-chains", rs_tui_sort_name(s));
		for (size_t i = 1; i < model.n_rows; i++) {
			const struct rs_view_row *a = &model.rows[i - 1], *b = &model.rows[i];
			if (s == RS_TUI_SORT_PROVIDER) {
				int c = strcmp(a->provider, b->provider);
				cr_assert(c < 0 || (c == 0 && strcmp(a->chain, b->chain) < 0),
					  "provider order: %s before %s", a->provider, b->provider);
				continue;
			}
			cr_assert(key(a, s) >= key(b, s), "%s: row %zu (%s %g) before row %zu (%s %g)",
				  rs_tui_sort_name(s), i - 1, a->provider, key(a, s), i, b->provider,
				  key(b, s));
			if (key(a, s) == key(b, s))
				cr_assert(a->m.calls >= b->m.calls, "%s: ties by calls", rs_tui_sort_name(s));
		}
	}
}

Test(tui_sort, known_first_rows, .init = setup)
{
	struct { enum rs_tui_sort s; const char *first; } want[] = {
		{ RS_TUI_SORT_CALLS, "alchemy" },    { RS_TUI_SORT_SUCCESS, "llamarpc" },
		{ RS_TUI_SORT_AVG, "ankr" },         { RS_TUI_SORT_P50, "ankr" },
		{ RS_TUI_SORT_P95, "llamarpc" },     { RS_TUI_SORT_P99, "llamarpc" },
		{ RS_TUI_SORT_RATIO, "llamarpc" },   { RS_TUI_SORT_TRAFFIC, "publicnode" },
		{ RS_TUI_SORT_LAG, "llamarpc" },     { RS_TUI_SORT_PROVIDER, "alchemy" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct rs_tui_state st;
		rs_tui_state_init(&st, NULL, 0);
		st.sort = want[i].s;
		build(&st);
		cr_expect_str_eq(model.rows[0].provider, want[i].first, "sort %s",
				 rs_tui_sort_name(want[i].s));
	}
	/* Lag: providers without a height go last. */
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	st.sort = RS_TUI_SORT_LAG;
	build(&st);
	cr_expect_str_eq(model.rows[NPC - 1].provider, "ankr");
	cr_expect_str_eq(model.rows[1].provider, "infura");
}

Test(tui_sort, calls_order_matches_the_text_and_json_views, .init = setup)
{
	struct rs_view_row ranked[RS_MAX_ROUTES];
	size_t n = rs_view_rank_providers(&snap, -1, ranked, RS_MAX_ROUTES);
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	cr_assert_eq(model.n_rows, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(model.rows[i].pc, ranked[i].pc, "row %zu", i);
}

/* ---- node tabs and filtering ---------------------------------------------------- */

Test(tui_nodes, reporting_counts_alive_and_recent_producers, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	cr_expect_eq(model.nodes_total, 3);
	cr_expect_eq(model.nodes_reporting, 2);
	snap.nodes[1].heartbeat_age_ms = RS_TUI_NODE_STALE_MS;
	build(&st);
	cr_expect_eq(model.nodes_reporting, 1, "a heartbeat of 30 s is not reporting");
}

Test(tui_nodes, a_node_tab_filters_every_panel, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, "eu-central", 0);
	build(&st);
	cr_assert_eq(model.node, 1);
	cr_assert_not(model.node_missing);
	cr_assert_eq(model.n_rows, NPC, "five split routes and publicnode's");
	for (size_t i = 0; i < model.n_rows; i++) {
		cr_assert(model.rows[i].route >= 0, "node rows are routes");
		cr_expect_eq(snap.routes[model.rows[i].route].node, 1);
	}
	cr_expect_eq(model.n_feed, 3);
	for (size_t i = 0; i < model.n_feed; i++)
		cr_expect_eq(snap.recent[model.feed[i]].node, 1, "feed entry %zu", i);
	cr_expect_not(model.head.cluster);
	cr_expect_eq(model.head.calls, 836);
	cr_expect_float_eq(model.head.rps, 836.0 / 60.0, 1e-9);

	rs_tui_state_init(&st, "us-west", 0);
	build(&st);
	cr_expect_eq(model.n_rows, NPC - 1, "publicnode has no route on us-west");
	cr_expect_eq(model.n_feed, 3);
	cr_expect_eq(row_of("publicnode", "base"), -1);

	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	cr_expect(model.head.cluster);
	cr_expect_eq(model.head.calls, 2506);
	cr_expect_eq(model.n_feed, 6);
}

/* The model's methods are names[i] with calls[i] calls, in that order. */
static void expect_methods(const char *const *names, const uint64_t *calls, uint32_t n, const char *tab)
{
	cr_assert_eq(model.n_methods, n, "%s tab: %u methods, want %u", tab, model.n_methods, n);
	for (uint32_t i = 0; i < n; i++) {
		cr_expect_str_eq(model.methods[i].method, names[i], "%s tab rank %u", tab, i);
		cr_expect_eq(model.methods[i].calls, calls[i], "%s tab %s calls", tab, names[i]);
	}
}

Test(tui_nodes, a_node_tab_shows_that_nodes_methods, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, "eu-central", 0);
	build(&st);
	expect_methods((const char *[]){ "eth_getBalance", "eth_call" }, (const uint64_t[]){ 436, 400 },
		       2, "eu-central");

	rs_tui_state_init(&st, "us-west", 0);
	build(&st);
	expect_methods((const char *[]){ "eth_call", "eth_getBalance" }, (const uint64_t[]){ 1600, 70 },
		       2, "us-west");

	rs_tui_state_init(&st, "ap-south", 0);
	build(&st);
	cr_expect_eq(model.n_methods, 0, "a node without calls lists none, not the cluster's");

	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	expect_methods((const char *[]){ "eth_call", "eth_getBalance" }, (const uint64_t[]){ 2000, 506 },
		       2, "all");
}

Test(tui_nodes, a_missing_node_shows_nothing_rather_than_everything, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, "nowhere", 0);
	build(&st);
	cr_expect(model.node_missing);
	cr_expect_eq(model.n_rows, 0);
	cr_expect_eq(model.n_feed, 0);
	cr_expect_eq(model.n_methods, 0);
}

Test(tui_nodes, no_snapshot_yet, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	rs_tui_model_build(&model, NULL, &st);
	cr_expect_null(model.s);
	cr_expect_eq(model.n_rows, 0);
	cr_expect_eq(model.detail_pc, -1);
}

/* ---- selection ------------------------------------------------------------------- */

Test(tui_select, bounds, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	cr_assert_eq(model.sel, 0);
	rs_tui_apply(&st, RS_TUI_ACT_UP, 0, &model, 3);
	build(&st);
	cr_expect_eq(model.sel, 0, "up at the top stays");
	for (int i = 0; i < 20; i++) {
		rs_tui_apply(&st, RS_TUI_ACT_DOWN, 0, &model, 3);
		build(&st);
	}
	cr_expect_eq(model.sel, NPC - 1, "down at the bottom stays");
	rs_tui_apply(&st, RS_TUI_ACT_PAGE_UP, 0, &model, 3);
	build(&st);
	cr_expect_eq(model.sel, NPC - 4);
	rs_tui_apply(&st, RS_TUI_ACT_PAGE_UP, 0, &model, 3);
	build(&st);
	cr_expect_eq(model.sel, 0);
	rs_tui_apply(&st, RS_TUI_ACT_LAST, 0, &model, 3);
	build(&st);
	cr_expect_eq(model.sel, NPC - 1);
	rs_tui_apply(&st, RS_TUI_ACT_FIRST, 0, &model, 3);
	build(&st);
	cr_expect_eq(model.sel, 0);

	/* An index beyond the rows (fewer rows on a node tab) is clamped. */
	st.sel = 99;
	st.sel_provider[0] = '\0';
	build(&st);
	cr_expect_eq(model.sel, NPC - 1);
}

Test(tui_select, the_selection_follows_its_provider, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	rs_tui_apply(&st, RS_TUI_ACT_DOWN, 0, &model, 3);
	build(&st);
	cr_assert_str_eq(st.sel_provider, "infura");
	rs_tui_apply(&st, RS_TUI_ACT_SORT, 0, &model, 3);     /* success: infura is 2nd worst */
	build(&st);
	cr_expect_str_eq(model.rows[model.sel].provider, "infura", "re-sorting keeps the provider");
	cr_expect_eq(model.sel, (size_t)row_of("infura", "ethereum"));
	rs_tui_apply(&st, RS_TUI_ACT_TAB_NODE, 1, &model, 3);  /* eu-central */
	build(&st);
	cr_expect_str_eq(model.rows[model.sel].provider, "infura", "and so does a tab change");
	/* A provider that vanished: the index stays, clamped. */
	snprintf(st.sel_provider, sizeof st.sel_provider, "gone");
	st.sel = 2;
	build(&st);
	cr_expect_eq(model.sel, 2);
	cr_expect_str_eq(st.sel_provider, model.rows[2].provider);
}

/* ---- detail view ----------------------------------------------------------------- */

Test(tui_detail, per_node_rows_and_consensus, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	rs_tui_apply(&st, RS_TUI_ACT_DOWN, 0, &model, 3);   /* infura/ethereum */
	build(&st);
	rs_tui_apply(&st, RS_TUI_ACT_DETAIL, 0, &model, 3);
	cr_assert(st.detail);
	build(&st);
	cr_assert_eq(model.detail_pc, 1);
	cr_assert_eq(model.n_detail, 3, "one row per node");
	cr_expect_eq(model.detail[0].node, 0);
	cr_expect(model.detail[0].route >= 0);
	cr_expect(model.detail[0].has_consensus);
	cr_expect_eq(model.detail[0].consensus, 1001, "lag 0: height is consensus");
	cr_expect_eq(model.detail[1].consensus, 1004, "height 1001, lag -3");
	cr_expect_eq(model.detail[2].route, -1, "no route on ap-south");
	cr_expect_eq(model.n_detail_recent, 2);
	for (size_t i = 0; i < model.n_detail_recent; i++)
		cr_expect_str_eq(snap.recent[model.detail_recent[i]].provider, "infura");
	/* q, Esc and Enter go back; q does not quit from the detail view. */
	rs_tui_apply(&st, RS_TUI_ACT_QUIT, 0, &model, 3);
	cr_expect_not(st.detail);
	cr_expect_not(st.quit);
	rs_tui_apply(&st, RS_TUI_ACT_DETAIL, 0, &model, 3);
	rs_tui_apply(&st, RS_TUI_ACT_BACK, 0, &model, 3);
	cr_expect_not(st.detail);
	rs_tui_apply(&st, RS_TUI_ACT_DETAIL, 0, &model, 3);
	rs_tui_apply(&st, RS_TUI_ACT_DETAIL, 0, &model, 3);
	cr_expect_not(st.detail);
	rs_tui_apply(&st, RS_TUI_ACT_QUIT, 0, &model, 3);
	cr_expect(st.quit);
}

/* ---- layout ------------------------------------------------------------------------- */

static struct rs_tui_layout_in layout_in(int rows, int cols, enum rs_tui_sort sort)
{
	return (struct rs_tui_layout_in){ .rows = rows, .cols = cols, .n_board = 30, .n_feed = 100,
					  .n_methods = 10, .sort = sort, .provider_w = 11,
					  .chain_w = 8 };
}

static bool inside(const struct rs_tui_rect *r, int rows, int cols)
{
	return r->y >= 0 && r->x >= 0 && r->y + r->h <= rows && r->x + r->w <= cols;
}

static bool overlap(const struct rs_tui_rect *a, const struct rs_tui_rect *b)
{
	if (a->h == 0 || b->h == 0 || a->w == 0 || b->w == 0)
		return false;
	return a->y < b->y + b->h && b->y < a->y + a->h && a->x < b->x + b->w && b->x < a->x + a->w;
}

static void check_geometry(const struct rs_tui_layout *l, int rows, int cols)
{
	const struct rs_tui_rect *p[] = { &l->top, &l->headline, &l->tabs, &l->board, &l->feed,
					  &l->methods, &l->footer };
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		cr_assert(inside(p[i], rows, cols), "panel %zu inside %dx%d", i, cols, rows);
		for (size_t j = i + 1; j < sizeof p / sizeof p[0]; j++)
			cr_assert_not(overlap(p[i], p[j]), "panels %zu and %zu overlap", i, j);
	}
	if (l->spark.w)
		cr_assert(l->spark.x + RS_TUI_SPARK_LABEL_W + l->spark.w
			  + (l->spark_tail ? RS_TUI_SPARK_TAIL_W : 0) <= cols, "sparkline fits %dx%d",
			  cols, rows);
	for (int c = 0; c < RS_TUI_COL_COUNT; c++)
		if (rs_tui_col_shown(l, c))
			cr_assert(l->col_x[c] + l->col_w[c] <= cols, "column %s fits",
				  rs_tui_columns[c].title);
	cr_assert_eq(l->top.y, 0);
	cr_assert_eq(l->footer.y, rows - 1);
	cr_assert_eq(l->board.h, (int)l->board_rows + 2);
}

Test(tui_layout, small_80x24_collapses, .init = setup)
{
	struct rs_tui_layout_in in = layout_in(24, 80, RS_TUI_SORT_CALLS);
	struct rs_tui_layout l;
	rs_tui_layout_compute(&in, &l);
	cr_assert_not(l.too_small);
	check_geometry(&l, 24, 80);
	cr_expect(l.compact);
	cr_expect_not(l.side_by_side);
	cr_expect(l.methods_collapsed, "methods fold to one line");
	cr_expect_not(l.feed_collapsed);
	cr_expect_eq(l.methods.h, 1);
	cr_expect_geq(l.board_rows, 5);
	cr_expect_geq(l.feed_rows, 3);
	cr_expect_gt(l.spark.w, 0, "a short sparkline still fits");
	enum rs_tui_col keep[] = { RS_TUI_COL_RANK, RS_TUI_COL_PROVIDER, RS_TUI_COL_CALLS,
				   RS_TUI_COL_SUCCESS, RS_TUI_COL_P99, RS_TUI_COL_LAG,
				   RS_TUI_COL_HTTP, RS_TUI_COL_WS };
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		cr_expect(rs_tui_col_shown(&l, keep[i]), "%s kept", rs_tui_columns[keep[i]].title);
	cr_expect_not(rs_tui_col_shown(&l, RS_TUI_COL_P50), "p50 dropped");
	cr_expect_not(rs_tui_col_shown(&l, RS_TUI_COL_HEIGHT), "height dropped");

	/* The sort column is never dropped. */
	in.sort = RS_TUI_SORT_P50;
	rs_tui_layout_compute(&in, &l);
	check_geometry(&l, 24, 80);
	cr_expect(rs_tui_col_shown(&l, RS_TUI_COL_P50));

	/* m swaps which panel stays open. */
	in.methods_first = true;
	rs_tui_layout_compute(&in, &l);
	check_geometry(&l, 24, 80);
	cr_expect(l.feed_collapsed);
	cr_expect_not(l.methods_collapsed);
	cr_expect_geq(l.methods_rows, 5);
}

Test(tui_layout, large_200x60_uses_the_space, .init = setup)
{
	struct rs_tui_layout_in in = layout_in(60, 200, RS_TUI_SORT_CALLS);
	struct rs_tui_layout l;
	rs_tui_layout_compute(&in, &l);
	cr_assert_not(l.too_small);
	check_geometry(&l, 60, 200);
	cr_expect_not(l.compact);
	cr_expect(l.side_by_side);
	cr_expect_not(l.methods_collapsed);
	cr_expect_not(l.feed_collapsed);
	cr_expect_eq(l.board_rows, 30, "every provider on screen");
	cr_expect_geq(l.methods_rows, 10, "all ten methods");
	cr_expect_gt(l.feed_rows, 15);
	cr_expect_eq(l.spark.w, RS_TUI_SPARK_MAX, "a full minute of sparkline");
	cr_expect_eq(l.feed.y, l.methods.y, "side by side");
	for (int c = 0; c < RS_TUI_COL_COUNT; c++)
		cr_expect(rs_tui_col_shown(&l, c), "%s shown", rs_tui_columns[c].title);
}

Test(tui_layout, medium_120x40_keeps_every_panel, .init = setup)
{
	struct rs_tui_layout_in in = layout_in(40, 120, RS_TUI_SORT_CALLS);
	struct rs_tui_layout l;
	rs_tui_layout_compute(&in, &l);
	check_geometry(&l, 40, 120);
	cr_expect_not(l.methods_collapsed);
	cr_expect_not(l.feed_collapsed);
	cr_expect(l.spark_own_row);
	cr_expect_eq(l.methods_rows, 10);
}

Test(tui_layout, too_small)
{
	struct rs_tui_layout_in in = layout_in(RS_TUI_MIN_ROWS - 1, 80, RS_TUI_SORT_CALLS);
	struct rs_tui_layout l;
	rs_tui_layout_compute(&in, &l);
	cr_expect(l.too_small);
	in = layout_in(24, RS_TUI_MIN_COLS - 1, RS_TUI_SORT_CALLS);
	rs_tui_layout_compute(&in, &l);
	cr_expect(l.too_small);
	in = layout_in(RS_TUI_MIN_ROWS, RS_TUI_MIN_COLS, RS_TUI_SORT_CALLS);
	rs_tui_layout_compute(&in, &l);
	cr_expect_not(l.too_small);
	check_geometry(&l, RS_TUI_MIN_ROWS, RS_TUI_MIN_COLS);
}

Test(tui_layout, every_size_between_is_sane)
{
	for (int rows = RS_TUI_MIN_ROWS; rows <= 70; rows += 3)
		for (int cols = RS_TUI_MIN_COLS; cols <= 240; cols += 7)
			for (size_t n = 0; n <= 40; n += 20) {
				struct rs_tui_layout_in in = layout_in(rows, cols, RS_TUI_SORT_RATIO);
				in.n_board = n;
				struct rs_tui_layout l;
				rs_tui_layout_compute(&in, &l);
				cr_assert_not(l.too_small);
				check_geometry(&l, rows, cols);
				cr_assert_geq(l.board_rows, n ? 1u : 0u, "%dx%d", cols, rows);
			}
}

Test(tui_layout, scrolling_keeps_the_selection_visible)
{
	cr_expect_eq(rs_tui_scroll(0, 3, 10, 5), 0, "everything fits");
	cr_expect_eq(rs_tui_scroll(0, 12, 10, 30), 3);
	cr_expect_eq(rs_tui_scroll(3, 5, 10, 30), 3, "visible: no move");
	cr_expect_eq(rs_tui_scroll(10, 4, 10, 30), 4);
	cr_expect_eq(rs_tui_scroll(25, 29, 10, 30), 20, "never past the end");
	cr_expect_eq(rs_tui_scroll(0, 99, 10, 30), 20);
}

/* ---- keys -------------------------------------------------------------------------- */

static enum rs_tui_action act(int code, int *arg)
{
	int dummy;
	return rs_tui_key_action(code, arg ? arg : &dummy);
}

Test(tui_keys, the_table_maps_every_documented_key)
{
	cr_expect_eq(act('q', NULL), RS_TUI_ACT_QUIT);
	cr_expect_eq(act('j', NULL), RS_TUI_ACT_DOWN);
	cr_expect_eq(act(KEY_DOWN, NULL), RS_TUI_ACT_DOWN);
	cr_expect_eq(act('k', NULL), RS_TUI_ACT_UP);
	cr_expect_eq(act(KEY_UP, NULL), RS_TUI_ACT_UP);
	cr_expect_eq(act('\t', NULL), RS_TUI_ACT_TAB_NEXT);
	cr_expect_eq(act('0', NULL), RS_TUI_ACT_TAB_ALL);
	for (int d = 1; d <= 9; d++) {
		int arg = -1;
		cr_expect_eq(act('0' + d, &arg), RS_TUI_ACT_TAB_NODE);
		cr_expect_eq(arg, d - 1, "key %d is node index %d", d, d - 1);
	}
	cr_expect_eq(act('s', NULL), RS_TUI_ACT_SORT);
	cr_expect_eq(act('\n', NULL), RS_TUI_ACT_DETAIL);
	cr_expect_eq(act('\r', NULL), RS_TUI_ACT_DETAIL);
	cr_expect_eq(act(KEY_ENTER, NULL), RS_TUI_ACT_DETAIL);
	cr_expect_eq(act(27, NULL), RS_TUI_ACT_BACK);
	cr_expect_eq(act('p', NULL), RS_TUI_ACT_PAUSE);
	cr_expect_eq(act('+', NULL), RS_TUI_ACT_FASTER);
	cr_expect_eq(act('-', NULL), RS_TUI_ACT_SLOWER);
	cr_expect_eq(act('h', NULL), RS_TUI_ACT_HELP);
	cr_expect_eq(act('?', NULL), RS_TUI_ACT_HELP);
	cr_expect_eq(act('z', NULL), RS_TUI_ACT_NONE);
	cr_expect_eq(act(KEY_RESIZE, NULL), RS_TUI_ACT_NONE);
}

Test(tui_keys, one_binding_per_key_and_a_key_per_action)
{
	bool bound[RS_TUI_ACT_COUNT] = { false };
	for (size_t i = 0; i < rs_tui_nkeys; i++) {
		const struct rs_tui_key *k = &rs_tui_keys[i];
		cr_assert(k->label && k->help && k->codes[0], "row %zu is complete", i);
		cr_assert((k->hint == NULL) == (k->hint_keys == NULL), "row %zu hint", i);
		bound[k->action] = true;
		for (int j = 0; j < RS_TUI_KEY_CODES && k->codes[j]; j++)
			for (size_t i2 = i; i2 < rs_tui_nkeys; i2++)
				for (int j2 = 0; j2 < RS_TUI_KEY_CODES && rs_tui_keys[i2].codes[j2]; j2++)
					if (i2 != i || j2 > j)
						cr_assert_neq(k->codes[j], rs_tui_keys[i2].codes[j2],
							      "key %d bound twice", k->codes[j]);
	}
	for (int a = RS_TUI_ACT_NONE + 1; a < RS_TUI_ACT_COUNT; a++)
		cr_expect(bound[a], "action %d has a key (and a help line)", a);
}

Test(tui_keys, tabs_cycle_and_pick, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	const char *order[] = { "us-west", "eu-central", "ap-south", "" };
	for (size_t i = 0; i < 4; i++) {
		rs_tui_apply(&st, RS_TUI_ACT_TAB_NEXT, 0, &model, 5);
		build(&st);
		cr_expect_str_eq(st.node, order[i], "Tab %zu", i + 1);
	}
	rs_tui_apply(&st, RS_TUI_ACT_TAB_PREV, 0, &model, 5);
	build(&st);
	cr_expect_str_eq(st.node, "ap-south");
	rs_tui_apply(&st, RS_TUI_ACT_TAB_NODE, 1, &model, 5);
	cr_expect_str_eq(st.node, "eu-central", "key 2");
	build(&st);
	rs_tui_apply(&st, RS_TUI_ACT_TAB_NODE, 8, &model, 5);
	cr_expect_str_eq(st.node, "eu-central", "key 9 without a ninth node does nothing");
	rs_tui_apply(&st, RS_TUI_ACT_TAB_ALL, 0, &model, 5);
	cr_expect_str_eq(st.node, "");
}

Test(tui_keys, sort_pause_refresh_help, .init = setup)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 1000);
	build(&st);
	for (int i = 1; i <= RS_TUI_SORT_COUNT; i++) {
		rs_tui_apply(&st, RS_TUI_ACT_SORT, 0, &model, 5);
		cr_expect_eq(st.sort, (enum rs_tui_sort)(i % RS_TUI_SORT_COUNT));
	}
	rs_tui_apply(&st, RS_TUI_ACT_PAUSE, 0, &model, 5);
	cr_expect(st.paused);
	rs_tui_apply(&st, RS_TUI_ACT_PAUSE, 0, &model, 5);
	cr_expect_not(st.paused);

	rs_tui_apply(&st, RS_TUI_ACT_FASTER, 0, &model, 5);
	cr_expect_eq(st.refresh_ms, 500);
	for (int i = 0; i < 10; i++)
		rs_tui_apply(&st, RS_TUI_ACT_FASTER, 0, &model, 5);
	cr_expect_eq(st.refresh_ms, RS_TUI_REFRESH_MIN_MS);
	for (int i = 0; i < 20; i++)
		rs_tui_apply(&st, RS_TUI_ACT_SLOWER, 0, &model, 5);
	cr_expect_eq(st.refresh_ms, RS_TUI_REFRESH_MAX_MS);
	cr_expect_eq(rs_tui_refresh_step(750, true), 500, "between steps: the next one down");
	cr_expect_eq(rs_tui_refresh_step(750, false), 1000);

	rs_tui_apply(&st, RS_TUI_ACT_HELP, 0, &model, 5);
	cr_expect(st.help);
	rs_tui_apply(&st, RS_TUI_ACT_QUIT, 0, &model, 5);
	cr_expect_not(st.help, "any key closes the help");
	cr_expect_not(st.quit, "and does nothing else");
	rs_tui_apply(&st, RS_TUI_ACT_NONE, 0, &model, 5);
	cr_expect_not(st.quit);
}

Test(tui_keys, state_init_clamps_the_refresh)
{
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	cr_expect_eq(st.refresh_ms, RS_TUI_REFRESH_DEFAULT_MS);
	rs_tui_state_init(&st, NULL, 5);
	cr_expect_eq(st.refresh_ms, RS_TUI_REFRESH_MIN_MS);
	rs_tui_state_init(&st, "n1", 999999);
	cr_expect_eq(st.refresh_ms, RS_TUI_REFRESH_MAX_MS);
	cr_expect_str_eq(st.node, "n1");
}

/* ---- activity feed -------------------------------------------------------------------- */

Test(tui_feed, keeps_the_snapshot_order_like_the_text_and_json_views, .init = setup)
{
	/* The aggregator lists decisions newest arrival first; proxy timestamps may disagree. */
	snap.recent[0].emit_unix_ms = 1000;
	snap.recent[1].emit_unix_ms = 5000;
	snap.recent[2].emit_unix_ms = 3000;
	struct rs_tui_state st;
	rs_tui_state_init(&st, NULL, 0);
	build(&st);
	cr_assert_eq(model.n_feed, 6);
	for (size_t i = 0; i < 6; i++)
		cr_expect_eq(model.feed[i], i, "feed[%zu]", i);
	rs_tui_state_init(&st, "eu-central", 0);
	build(&st);
	uint8_t want_node[] = { 1, 3, 4 };
	cr_assert_eq(model.n_feed, 3);
	for (size_t i = 0; i < 3; i++)
		cr_expect_eq(model.feed[i], want_node[i], "node feed[%zu]", i);
}

/* ---- wake-ups kept out of the aggregator's ticks (tui_schedule.h) ------------------ */

/* A tick published at 10,004 ms after 4 ms of work, every 500 ms: busy 6 ms expected. */
static struct rs_tui_tick_plan plan_500(void)
{
	return rs_tui_tick_plan_make(10004, 4000, 500);
}

Test(tui_schedule, the_plan_comes_from_the_publication_and_the_tick_duration)
{
	struct rs_tui_tick_plan p = plan_500();
	cr_assert(p.known);
	cr_assert_eq(p.start_ms, 10000);
	cr_assert_eq(p.interval_ms, 500);
	cr_assert_eq(p.busy_ms, 6);   /* 4 ms and half as much again */
	cr_assert_eq(rs_tui_tick_plan_make(10004, 4001, 500).busy_ms, 7, "rounded up");
	cr_assert_not(rs_tui_tick_plan_make(10004, 4000, 0).known, "no interval: no plan");
}

Test(tui_schedule, wake_ups_outside_a_tick_stay)
{
	struct rs_tui_tick_plan p = plan_500();
	cr_assert_eq(rs_tui_schedule(&p, 10011), 10011, "after the published tick's window");
	cr_assert_eq(rs_tui_schedule(&p, 10200), 10200);
	cr_assert_eq(rs_tui_schedule(&p, 10449), 10449, "just before the next guard");
	struct rs_tui_tick_plan unknown = { .known = false };
	cr_assert_eq(rs_tui_schedule(&unknown, 10500), 10500);
}

Test(tui_schedule, wake_ups_in_a_tick_wait_for_its_publication)
{
	struct rs_tui_tick_plan p = plan_500();
	/* Next tick starts at 10,500: guard 50 ms before, busy 6 + margin 5 after. */
	cr_assert_eq(rs_tui_schedule(&p, 10450), 10511, "first ms of the guard");
	cr_assert_eq(rs_tui_schedule(&p, 10500), 10511, "the tick's start");
	cr_assert_eq(rs_tui_schedule(&p, 10510), 10511, "its last ms");
	cr_assert_eq(rs_tui_schedule(&p, 10511), 10511, "the window's end is outside it");
	cr_assert_eq(rs_tui_schedule(&p, 10005), 10011, "still in the tick just published");
	cr_assert_eq(rs_tui_schedule(&p, 10000 + 500 * 1000 + 3), 10000 + 500 * 1000 + 11,
		     "a thousand ticks ahead");
}

Test(tui_schedule, never_earlier_never_in_a_window_never_much_later)
{
	struct rs_tui_tick_plan p = plan_500();
	uint64_t window = 50 + 6 + RS_TUI_TICK_MARGIN_MS;
	for (uint64_t want = 9000; want < 12000; want++) {
		uint64_t at = rs_tui_schedule(&p, want);
		cr_assert_geq(at, want);
		cr_assert_leq(at - want, window, "want %lu -> %lu", (unsigned long)want,
			      (unsigned long)at);
		if (at < p.start_ms)
			continue;
		uint64_t into = (at - p.start_ms) % p.interval_ms;   /* ms since the last tick start */
		cr_assert(into >= 6 + RS_TUI_TICK_MARGIN_MS && into < p.interval_ms - 50,
			  "want %lu -> %lu is %lu ms into a tick", (unsigned long)want,
			  (unsigned long)at, (unsigned long)into);
	}
}

Test(tui_schedule, postponed_wake_ups_spread_after_the_window)
{
	struct rs_tui_tick_plan p = plan_500();
	p.spread_ms = 7;
	cr_assert_eq(rs_tui_schedule(&p, 10480), 10518, "window end 10511 + 7");
	cr_assert_eq(rs_tui_schedule(&p, 10513), 10513, "past the window: no spread added");
	cr_assert_eq(rs_tui_schedule(&p, 10300), 10300);
}

Test(tui_schedule, a_busy_or_fast_aggregator_is_not_waited_for)
{
	/* Ticks that take 200 ms of every 500: no quiet window worth waiting for. */
	struct rs_tui_tick_plan busy = rs_tui_tick_plan_make(20200, 200000, 500);
	cr_assert_eq(rs_tui_schedule(&busy, 20500), 20500);
	/* A 20 ms tick: the guard shrinks to a tenth of it, the window still fits. */
	struct rs_tui_tick_plan fast = rs_tui_tick_plan_make(20001, 1000, 20);
	cr_assert_eq(rs_tui_schedule(&fast, 20019), 20027, "guard 2 ms, busy 2 + margin 5");
	cr_assert_eq(rs_tui_schedule(&fast, 20010), 20010);
}
