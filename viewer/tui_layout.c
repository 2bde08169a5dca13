/* tui_layout.c - panel placement and column fitting for a terminal size (tui_layout.h). */
#include "tui_layout.h"

#include <string.h>

/* Titles: latencies are in ms (the panel title says so). */
const struct rs_tui_column rs_tui_columns[RS_TUI_COL_COUNT] = {
	[RS_TUI_COL_RANK]     = { "#",        3, true,  0, -1 },
	[RS_TUI_COL_PROVIDER] = { "PROVIDER", 0, false, 0, RS_TUI_SORT_PROVIDER },
	[RS_TUI_COL_CHAIN]    = { "CHAIN",    0, false, 3, -1 },
	[RS_TUI_COL_CALLS]    = { "CALLS",    7, true,  0, RS_TUI_SORT_CALLS },
	[RS_TUI_COL_RPS]      = { "RPS",      7, true, 15, -1 },
	[RS_TUI_COL_ERRORS]   = { "ERR",      6, true, 16, -1 },
	[RS_TUI_COL_SUCCESS]  = { "SUCC%",    6, true,  4, RS_TUI_SORT_SUCCESS },
	[RS_TUI_COL_AVG]      = { "AVG",      7, true,  8, RS_TUI_SORT_AVG },
	[RS_TUI_COL_P50]      = { "P50",      7, true, 11, RS_TUI_SORT_P50 },
	[RS_TUI_COL_P95]      = { "P95",      7, true,  9, RS_TUI_SORT_P95 },
	[RS_TUI_COL_P99]      = { "P99",      8, true,  6, RS_TUI_SORT_P99 },
	[RS_TUI_COL_RATIO]    = { "P99/50",   7, true, 10, RS_TUI_SORT_RATIO },
	[RS_TUI_COL_TRAFFIC]  = { "TRAF%",    6, true,  7, RS_TUI_SORT_TRAFFIC },
	[RS_TUI_COL_HEIGHT]   = { "HEIGHT",  10, true, 14, -1 },
	[RS_TUI_COL_LAG]      = { "LAG",      5, true,  5, RS_TUI_SORT_LAG },
	[RS_TUI_COL_HTTP]     = { "HTTP",     7, false, 2, -1 },
	[RS_TUI_COL_WS]       = { "WS",       7, false, 1, -1 },
};

/* Headline text widths (tui_draw.c keeps its strips within these). */
#define HEADLINE_W        96
#define HEADLINE_COMPACT_W 54
#define SPARK_MIN         12

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct rs_tui_rect rect(int y, int x, int h, int w)
{
	return (struct rs_tui_rect){ y, x, h > 0 ? h : 0, w > 0 ? w : 0 };
}

static void fit_columns(const struct rs_tui_layout_in *in, struct rs_tui_layout *l)
{
	int w[RS_TUI_COL_COUNT];
	for (int c = 0; c < RS_TUI_COL_COUNT; c++)
		w[c] = rs_tui_columns[c].width;
	w[RS_TUI_COL_PROVIDER] = clamp(in->provider_w, 9, 24);
	w[RS_TUI_COL_CHAIN] = clamp(in->chain_w, 5, 16);

	unsigned shown = (1u << RS_TUI_COL_COUNT) - 1u;
	int total = 1;                                  /* left margin */
	for (int c = 0; c < RS_TUI_COL_COUNT; c++)
		total += w[c] + (c ? 1 : 0);
	while (total > in->cols) {
		int victim = -1;
		for (int c = 0; c < RS_TUI_COL_COUNT; c++) {
			const struct rs_tui_column *col = &rs_tui_columns[c];
			if (!((shown >> c) & 1u) || col->drop == 0 || col->sort == (int)in->sort)
				continue;
			if (victim < 0 || col->drop > rs_tui_columns[victim].drop)
				victim = c;
		}
		if (victim < 0)
			break;                                  /* what is left is clipped */
		shown &= ~(1u << victim);
		total -= w[victim] + 1;
	}
	l->shown = shown;
	int x = 1;
	for (int c = 0; c < RS_TUI_COL_COUNT; c++) {
		l->col_w[c] = w[c];
		l->col_x[c] = -1;
		if ((shown >> c) & 1u) {
			l->col_x[c] = x;
			x += w[c] + 1;
		}
	}
}

/* Stacked panels: leaderboard, activity, methods; one collapsed when they do not all fit. */
static void stack_bottom(const struct rs_tui_layout_in *in, struct rs_tui_layout *l, int y,
			 int avail, int board_min, int board_want, int methods_full)
{
	const int feed_min = 4;
	int board_h, feed_h, methods_h;
	if (avail >= board_min + feed_min + methods_full) {
		int rest = avail - methods_full;
		board_h = clamp(rest * 3 / 5, board_min, board_want);
		feed_h = rest - board_h;
		methods_h = methods_full;
	} else {
		int rest = avail - 1;
		board_h = clamp(rest * 3 / 5, board_min, board_want);
		if (board_h > rest - 2)
			board_h = rest - 2;
		int open_h = rest - board_h;
		if (in->methods_first) {
			if (open_h > methods_full) {       /* spare lines go back to the leaderboard */
				board_h += open_h - methods_full;
				open_h = methods_full;
			}
			methods_h = open_h;
			feed_h = 1;
			l->feed_collapsed = true;
		} else {
			feed_h = open_h;
			methods_h = 1;
			l->methods_collapsed = true;
		}
	}
	l->board = rect(y, 0, board_h, in->cols);
	l->feed = rect(y + board_h, 0, feed_h, in->cols);
	l->methods = rect(y + board_h + feed_h, 0, methods_h, in->cols);
}

void rs_tui_layout_compute(const struct rs_tui_layout_in *in, struct rs_tui_layout *l)
{
	memset(l, 0, sizeof *l);
	if (in->cols < RS_TUI_MIN_COLS || in->rows < RS_TUI_MIN_ROWS) {
		l->too_small = true;
		return;
	}
	l->compact = in->cols < 100;
	int head_w = l->compact ? HEADLINE_COMPACT_W : HEADLINE_W;
	int beside = in->cols - head_w - 2 - RS_TUI_SPARK_LABEL_W;   /* bars + tail beside the figures */
	int y = 0;
	l->top = rect(y++, 0, 1, in->cols);
	l->headline = rect(y++, 0, 1, in->cols);
	if (beside >= RS_TUI_SPARK_MAX + RS_TUI_SPARK_TAIL_W) {
		l->spark = rect(l->headline.y, head_w + 2, 1, RS_TUI_SPARK_MAX);
		l->spark_tail = true;
	} else if (in->rows >= 30) {
		/* Room to spare in height: the sparkline gets a row of its own, at full length. */
		l->spark_own_row = true;
		int bars = in->cols - 1 - RS_TUI_SPARK_LABEL_W - RS_TUI_SPARK_TAIL_W;
		l->spark = rect(y++, 1, 1, bars < RS_TUI_SPARK_MAX ? bars : RS_TUI_SPARK_MAX);
		l->spark_tail = true;
	} else if (beside >= SPARK_MIN) {
		/* Squeezed beside the figures: the latest seconds only, no tail. */
		l->spark_tail = beside - RS_TUI_SPARK_TAIL_W >= SPARK_MIN;
		int bars = l->spark_tail ? beside - RS_TUI_SPARK_TAIL_W : beside;
		l->spark = rect(l->headline.y, head_w + 2, 1, bars < RS_TUI_SPARK_MAX ? bars : RS_TUI_SPARK_MAX);
	}
	l->tabs = rect(y++, 0, 1, in->cols);
	l->footer = rect(in->rows - 1, 0, 1, in->cols);
	int avail = in->rows - 1 - y;
	l->body = rect(y, 0, avail, in->cols);

	int n_board = (int)(in->n_board < 1000 ? in->n_board : 1000);
	int n_methods = (int)(in->n_methods < 100 ? in->n_methods : 100);
	int n_feed = (int)(in->n_feed < 1000 ? in->n_feed : 1000);
	int board_want = 2 + (n_board > 1 ? n_board : 1);
	int board_min = 2 + clamp(n_board, 1, 5);
	int methods_full = 2 + (n_methods > 1 ? n_methods : 1);

	l->side_by_side = in->cols >= RS_TUI_SIDE_BY_SIDE_COLS
		&& avail >= board_min + 4;
	if (l->side_by_side) {
		int feed_want = 1 + clamp(n_feed, 1, 12);
		int bottom = feed_want > methods_full ? feed_want : methods_full;
		if (bottom > avail - board_min)
			bottom = avail - board_min;
		int board_h = clamp(avail - bottom, board_min, board_want);
		bottom = avail - board_h;
		int mw = RS_TUI_METHODS_W;
		l->board = rect(y, 0, board_h, in->cols);
		l->feed = rect(y + board_h, 0, bottom, in->cols - mw - 1);
		l->methods = rect(y + board_h, in->cols - mw, bottom, mw);
	} else {
		stack_bottom(in, l, y, avail, board_min, board_want, methods_full);
	}
	l->board_rows = (size_t)(l->board.h > 2 ? l->board.h - 2 : 0);
	l->feed_rows = (size_t)(l->feed.h > 1 && !l->feed_collapsed ? l->feed.h - 1 : 0);
	l->methods_rows = (size_t)(l->methods.h > 2 && !l->methods_collapsed ? l->methods.h - 2 : 0);
	fit_columns(in, l);
}

size_t rs_tui_scroll(size_t top, size_t sel, size_t visible, size_t n)
{
	if (visible == 0 || n <= visible)
		return 0;
	if (sel >= n)
		sel = n - 1;
	if (sel < top)
		top = sel;
	else if (sel >= top + visible)
		top = sel - visible + 1;
	if (top > n - visible)
		top = n - visible;
	return top;
}
