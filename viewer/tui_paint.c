/*
 * tui_paint.c - the curses vocabulary of the dashboard's drawing files
 * (tui_draw_internal.h): styles with and without colours, clipped text,
 * blank fills, and the number formats every panel shares.
 *
 * Draws into stdscr only.  Text from the snapshot is untrusted: anything
 * but printable ASCII becomes '?', so a name cannot drive the terminal and
 * a byte is a cell.
 */
#include "tui_draw_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static attr_t style_attr[ST_COUNT];
static bool dim_all;   /* a dead aggregator: its last snapshot greyed out */

void rs_tui_paint_dim(bool on)
{
	dim_all = on;
}

enum { PAIR_OK = 1, PAIR_WARN, PAIR_ERR, PAIR_TITLE, PAIR_BRAND, PAIR_SPARK, PAIR_HEADER };

void rs_tui_draw_init(void)
{
	for (int i = 0; i < ST_COUNT; i++)
		style_attr[i] = A_NORMAL;
	style_attr[ST_BRAND] = A_REVERSE | A_BOLD;
	style_attr[ST_TITLE] = A_BOLD;
	style_attr[ST_HEADER] = A_UNDERLINE;
	style_attr[ST_SORTED] = A_UNDERLINE | A_BOLD | A_REVERSE;
	style_attr[ST_VALUE] = A_BOLD;
	style_attr[ST_KEY] = A_REVERSE;
	style_attr[ST_TAB_ON] = A_REVERSE | A_BOLD;
	style_attr[ST_WARN] = A_BOLD;
	style_attr[ST_ERR] = A_BOLD | A_UNDERLINE;
	style_attr[ST_MUTED] = A_DIM;
	if (!has_colors() || start_color() == ERR)
		return;
	short bg = COLOR_BLACK;
	if (use_default_colors() == OK)
		bg = -1;
	init_pair(PAIR_OK, COLOR_GREEN, bg);
	init_pair(PAIR_WARN, COLOR_YELLOW, bg);
	init_pair(PAIR_ERR, COLOR_RED, bg);
	init_pair(PAIR_TITLE, COLOR_CYAN, bg);
	init_pair(PAIR_BRAND, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_SPARK, COLOR_GREEN, bg);
	init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_WHITE);
	style_attr[ST_OK] = COLOR_PAIR(PAIR_OK);
	style_attr[ST_WARN] = COLOR_PAIR(PAIR_WARN) | A_BOLD;
	style_attr[ST_ERR] = COLOR_PAIR(PAIR_ERR) | A_BOLD;
	style_attr[ST_TITLE] = COLOR_PAIR(PAIR_TITLE) | A_BOLD;
	style_attr[ST_BRAND] = COLOR_PAIR(PAIR_BRAND) | A_BOLD;
	style_attr[ST_SPARK] = COLOR_PAIR(PAIR_SPARK);
	style_attr[ST_HEADER] = COLOR_PAIR(PAIR_HEADER);
	style_attr[ST_SORTED] = COLOR_PAIR(PAIR_BRAND) | A_BOLD;
}

attr_t rs_tui_attr(enum rs_tui_style s)
{
	return style_attr[s] | (dim_all ? A_DIM : 0);
}

/* ---- text helpers ------------------------------------------------------------ */

#define TEXT_MAX 512

/*
 * Draws text at (y, x), at most w cells, as curses cells built here: one
 * waddchnstr per piece of text instead of a multibyte conversion per byte
 * in waddnstr (a third of a frame's cost with 200 dashboards attached).
 * Snapshot strings are untrusted: anything but printable ASCII becomes '?'.
 */
static int put_text(int y, int x, int w, enum rs_tui_style s, const char *text)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS || w <= 0)
		return x;
	if (x + w > COLS)
		w = COLS - x;
	chtype cells[TEXT_MAX];
	attr_t attr = rs_tui_attr(s);
	int n = 0;
	for (; n < w && n < TEXT_MAX && text[n] != '\0'; n++) {
		unsigned char c = (unsigned char)text[n];
		cells[n] = (c < 0x20 || c >= 0x7f ? (chtype)'?' : (chtype)c) | attr;
	}
	if (n > 0)
		mvaddchnstr(y, x, cells, n);
	return x + n;
}

/* Draws printf text at (y, x) within w cells; returns the column after it. */
int rs_tui_put(int y, int x, int w, enum rs_tui_style s, const char *fmt, ...)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS || w <= 0)
		return x;
	char buf[TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return put_text(y, x, w, s, buf);
}

/* Right-aligns text in [x, x + w). */
void rs_tui_put_right(int y, int x, int w, enum rs_tui_style s, const char *text)
{
	int n = (int)strlen(text);
	if (n > w)
		n = w;
	put_text(y, x + w - n, n, s, text);
}

/* Fills w cells of row y from x with blanks in style s. */
void rs_tui_fill(int y, int x, int w, enum rs_tui_style s)
{
	if (y < 0 || y >= LINES || x >= COLS || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	mvhline(y, x, ' ' | rs_tui_attr(s), w);
}

const char *rs_tui_fmt_ms(char *b, size_t n, double ms)
{
	if (!isfinite(ms))
		snprintf(b, n, "-");
	else if (ms < 10000.0)
		snprintf(b, n, "%.1f", ms);
	else
		snprintf(b, n, "%.0f", ms);
	return b;
}

const char *rs_tui_fmt_us(char *b, size_t n, uint64_t us)
{
	return rs_tui_fmt_ms(b, n, (double)us / 1000.0);
}

const char *rs_tui_fmt_count(char *b, size_t n, uint64_t v)
{
	if (v < 10000000u)
		snprintf(b, n, "%" PRIu64, v);
	else if (v < 10000000000u)
		snprintf(b, n, "%.1fM", (double)v / 1e6);
	else
		snprintf(b, n, "%.1fG", (double)v / 1e9);
	return b;
}

const char *rs_tui_fmt_age(char *b, size_t n, uint64_t ms)
{
	if (ms < 1000)
		snprintf(b, n, "%" PRIu64 " ms", ms);
	else if (ms < 100000)
		snprintf(b, n, "%.1f s", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(b, n, "%" PRIu64 " min", ms / 60000);
	else
		snprintf(b, n, "%.1f h", (double)ms / 3600000.0);
	return b;
}

const char *rs_tui_fmt_refresh(char *b, size_t n, uint32_t ms)
{
	if (ms < 1000)
		snprintf(b, n, "%u ms", ms);
	else
		snprintf(b, n, "%g s", (double)ms / 1000.0);
	return b;
}

enum rs_tui_style rs_tui_success_style(double pct)
{
	return pct < 95.0 ? ST_ERR : pct < 99.0 ? ST_WARN : ST_NORMAL;
}

