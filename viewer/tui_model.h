/*
 * tui_model.h - what the terminal dashboard shows, as a pure function of one
 * validated metrics snapshot and the UI state (node tab, sort column,
 * selection, detail view): the ranked leaderboard, the headline figures of
 * the scope, the filtered activity feed, the scope's top methods and the
 * provider detail table.
 *
 * Linked by routestat-view's terminal UI (tui_loop.c, tui_draw.c) and by
 * tests/test_tui_model.c.  No terminal, no shared memory, no allocation, no
 * clock: the same (snapshot, state) always gives the same model, so every
 * decision of the screen is testable without a terminal.  Ranking and
 * scoping come from view_model.h, so the dashboard, --once and --json agree.
 *
 * The state refers to nodes and providers by name, never by index: an
 * aggregator restart may renumber them, and the tab and selection survive.
 */
#ifndef RS_TUI_MODEL_H
#define RS_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_snapshot.h"
#include "view_model.h"

#define RS_TUI_REFRESH_MIN_MS     100u
#define RS_TUI_REFRESH_MAX_MS     60000u
#define RS_TUI_REFRESH_DEFAULT_MS 1000u

/* A node counts as reporting while its producer lives and beat this recently (dashboard-model.md). */
#define RS_TUI_NODE_STALE_MS 30000u

/* Columns `s` cycles through, in that order; each sorts worst or biggest first. */
enum rs_tui_sort {
	RS_TUI_SORT_CALLS,     /* most calls first (the --once/--json order) */
	RS_TUI_SORT_SUCCESS,   /* lowest success first */
	RS_TUI_SORT_AVG,       /* slowest first, likewise the percentiles */
	RS_TUI_SORT_P50,
	RS_TUI_SORT_P95,
	RS_TUI_SORT_P99,
	RS_TUI_SORT_RATIO,     /* p99/p50, widest tail first */
	RS_TUI_SORT_TRAFFIC,   /* biggest share first */
	RS_TUI_SORT_LAG,       /* furthest behind consensus first */
	RS_TUI_SORT_PROVIDER,  /* by name, then chain */
	RS_TUI_SORT_COUNT
};

/* The UI state: everything the keys change.  Initialise with rs_tui_state_init. */
struct rs_tui_state {
	char     node[RS_STR];          /* node tab: "" for all nodes */
	enum rs_tui_sort sort;
	size_t   sel;                   /* selected leaderboard row */
	char     sel_provider[RS_STR];  /* its identity, kept across refreshes; "" none yet */
	char     sel_chain[RS_STR];
	size_t   top;                   /* first leaderboard row on screen (scrolling) */
	bool     detail;                /* the provider detail view is open */
	bool     help;                  /* the help overlay is open */
	bool     paused;                /* snapshots are not re-read */
	bool     methods_first;         /* when one bottom panel must collapse, keep methods open */
	bool     quit;
	bool     redraw;                /* repaint the whole terminal once (the loop clears it) */
	uint32_t refresh_ms;
};

/* The headline strip of the scope (cluster, or one node). */
struct rs_tui_headline {
	uint64_t calls;
	double   rps, success_pct, avg_ms, failovers_per_min;
	bool     cluster;               /* false: one node's figures */
};

/* One node's line in the provider detail view. */
struct rs_tui_detail_row {
	uint32_t node;                  /* index into nodes[] */
	int32_t  route;                 /* index into routes[], -1: the provider has no route there */
	bool     has_consensus;
	uint64_t consensus;             /* the chain's consensus height on that node: height - lag */
};

struct rs_tui_model {
	const struct rs_metrics_snapshot *s;   /* NULL: nothing to show yet */
	int      node;                  /* the tab's node index, -1 for all nodes */
	bool     node_missing;          /* the tab names a node this snapshot lacks */
	uint32_t nodes_reporting, nodes_total;
	struct rs_tui_headline head;
	size_t   n_rows;
	struct rs_view_row rows[RS_MAX_ROUTES];   /* the leaderboard, sorted */
	size_t   sel;                   /* selected row, < n_rows (0 when empty) */
	size_t   n_feed;
	uint8_t  feed[RS_RECENT_DECISIONS];       /* indices into s->recent, in its order (newest arrival first) */
	uint32_t n_methods;
	const struct rs_method_metrics *methods;  /* the scope's top methods (in s): the node's, or all nodes' */
	/* the detail view of the selected row's (provider, chain) */
	int      detail_pc;             /* index into provider_chains[], -1 none */
	size_t   n_detail;
	struct rs_tui_detail_row detail[RS_MAX_NODES];
	size_t   n_detail_recent;
	uint8_t  detail_recent[RS_RECENT_DECISIONS]; /* its decisions on any node, in recent[] order */
};

void rs_tui_state_init(struct rs_tui_state *st, const char *node, uint32_t refresh_ms);

/* Short column name for display ("calls", "p99/p50", ...). */
const char *rs_tui_sort_name(enum rs_tui_sort sort);

/* True when the node counts as reporting (RS_TUI_NODE_STALE_MS). */
bool rs_tui_node_reporting(const struct rs_node_metrics *n);

/*
 * Fills m from snapshot s (validated, or NULL) and state st.  The selection
 * follows st's identity (provider, chain) when that row still exists, else
 * st->sel clamped to the rows.
 */
void rs_tui_model_build(struct rs_tui_model *m, const struct rs_metrics_snapshot *s,
			const struct rs_tui_state *st);

/* Stores the model's resolved selection back into st (index and identity). */
void rs_tui_state_sync(struct rs_tui_state *st, const struct rs_tui_model *m);

/* Sorts rows (from rs_view_rank_providers) by column; ties by calls, provider, chain, route. */
void rs_tui_sort_rows(struct rs_view_row *rows, size_t n, enum rs_tui_sort sort);

/* p99/p50 of a metric set, 0 when p50 is 0. */
double rs_tui_tail_ratio(const struct rs_metric_set *m);

#endif
