/*
 * tui_layout.h - where each panel of the dashboard goes for a terminal
 * size: which panels fit, which collapse to one line, which leaderboard
 * columns a narrow terminal drops, and how a large one is used (more rows,
 * activity and methods side by side, extra columns).
 *
 * A pure function of (size, content counts, sort column): no curses, so
 * tests check 80x24 against 200x60 directly.  Coordinates are 0-based
 * (row y, column x) in the terminal.
 *
 *   row 0        top bar: instance, nodes, age, aggregator status, warnings
 *   row 1        headline strip (RPS, success, avg, failovers/min) + sparkline,
 *                the sparkline on its own row when it does not fit beside
 *   next         node tabs
 *   ...          leaderboard (title, header, rows), then activity feed and
 *                methods: stacked, side by side (wide), or one of them
 *                collapsed to a one-line summary (small; `m` swaps them)
 *   last row     footer: key hints, messages
 */
#ifndef RS_TUI_LAYOUT_H
#define RS_TUI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "tui_model.h"

#define RS_TUI_MIN_COLS 60
#define RS_TUI_MIN_ROWS 16
#define RS_TUI_SIDE_BY_SIDE_COLS 140   /* from this width activity and methods share a row */
#define RS_TUI_METHODS_W 58            /* methods panel width when side by side */
#define RS_TUI_SPARK_MAX 60            /* one bar per second of rps_history */
#define RS_TUI_SPARK_LABEL_W 8         /* "rps 60s " before the bars */
#define RS_TUI_SPARK_TAIL_W 16         /* " max 12345 (all)" after them */

enum rs_tui_col {
	RS_TUI_COL_RANK, RS_TUI_COL_PROVIDER, RS_TUI_COL_CHAIN, RS_TUI_COL_CALLS, RS_TUI_COL_RPS,
	RS_TUI_COL_ERRORS, RS_TUI_COL_SUCCESS, RS_TUI_COL_AVG, RS_TUI_COL_P50, RS_TUI_COL_P95,
	RS_TUI_COL_P99, RS_TUI_COL_RATIO, RS_TUI_COL_TRAFFIC, RS_TUI_COL_HEIGHT, RS_TUI_COL_LAG,
	RS_TUI_COL_HTTP, RS_TUI_COL_WS, RS_TUI_COL_COUNT
};

struct rs_tui_column {
	const char *title;
	int         width;     /* cells; 0 for the name columns, sized to their content */
	bool        right;     /* numbers are right-aligned */
	int         drop;      /* narrow terminals drop the highest first; 0 never */
	int         sort;      /* the enum rs_tui_sort it shows, -1 none */
};

extern const struct rs_tui_column rs_tui_columns[RS_TUI_COL_COUNT];

struct rs_tui_rect {
	int y, x, h, w;
};

struct rs_tui_layout_in {
	int    rows, cols;
	size_t n_board, n_feed, n_methods;
	enum rs_tui_sort sort;
	bool   methods_first;      /* which of feed/methods stays open when one must collapse */
	int    provider_w, chain_w; /* longest provider (with its cold mark) and chain names */
};

struct rs_tui_layout {
	bool   too_small;          /* below RS_TUI_MIN_COLS x RS_TUI_MIN_ROWS: say so, draw nothing else */
	bool   compact;            /* narrow: short labels in the top bar and headline */
	struct rs_tui_rect top, headline, tabs, board, feed, methods, footer;
	struct rs_tui_rect spark;  /* x: its label; w: the bars (one per second, newest right); 0: none */
	struct rs_tui_rect body;   /* between tabs and footer: the detail view */
	bool   spark_own_row;
	bool   spark_tail;         /* room for the " max N" after the bars */
	bool   side_by_side;
	bool   feed_collapsed, methods_collapsed;   /* one-line summaries */
	size_t board_rows;         /* leaderboard rows on screen */
	size_t feed_rows;          /* decisions on screen */
	size_t methods_rows;       /* methods on screen */
	unsigned shown;            /* bit (1u << enum rs_tui_col) per visible column */
	int    col_x[RS_TUI_COL_COUNT], col_w[RS_TUI_COL_COUNT];
};

void rs_tui_layout_compute(const struct rs_tui_layout_in *in, struct rs_tui_layout *out);

static inline bool rs_tui_col_shown(const struct rs_tui_layout *l, enum rs_tui_col c)
{
	return (l->shown >> c) & 1u;
}

/* The first row to show so that sel is visible, moving from top as little as possible. */
size_t rs_tui_scroll(size_t top, size_t sel, size_t visible, size_t n);

#endif
