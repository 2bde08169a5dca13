/*
 * tui_draw_internal.h - shared by the dashboard's drawing files only
 * (tui_paint.c, tui_draw.c, tui_detail.c): styles, clipped text primitives,
 * number formats, and the pieces the detail view borrows from the main
 * screen.  Everything draws into curses' stdscr; nothing refreshes.
 */
#ifndef RS_TUI_DRAW_INTERNAL_H
#define RS_TUI_DRAW_INTERNAL_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tui_draw.h"

/* What a piece of text means; tui_paint.c maps it to colours or to bold/underline/reverse/dim. */
enum rs_tui_style {
	ST_NORMAL, ST_BRAND, ST_TITLE, ST_HEADER, ST_SORTED, ST_OK, ST_WARN, ST_ERR, ST_MUTED,
	ST_VALUE, ST_KEY, ST_TAB_ON, ST_SPARK, ST_COUNT
};

/* Greys out everything drawn until switched off (a dead aggregator's last snapshot). */
void rs_tui_paint_dim(bool on);

/* The curses attributes of a style (with the dimming). */
attr_t rs_tui_attr(enum rs_tui_style s);

/* printf text at (y, x) within w cells, clipped to the screen; returns the column after it. */
int rs_tui_put(int y, int x, int w, enum rs_tui_style s, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* text right-aligned in [x, x + w). */
void rs_tui_put_right(int y, int x, int w, enum rs_tui_style s, const char *text);

/* w blank cells of row y from x, in style s. */
void rs_tui_fill(int y, int x, int w, enum rs_tui_style s);

/* Number formats: each writes into b (n bytes) and returns b. */
const char *rs_tui_fmt_ms(char *b, size_t n, double ms);        /* "12.3", "10234", "-" */
const char *rs_tui_fmt_us(char *b, size_t n, uint64_t us);      /* the same from microseconds */
const char *rs_tui_fmt_count(char *b, size_t n, uint64_t v);    /* "1234567", "12.3M" */
const char *rs_tui_fmt_age(char *b, size_t n, uint64_t ms);     /* "120 ms", "4.2 s", "3 min" */
const char *rs_tui_fmt_refresh(char *b, size_t n, uint32_t ms); /* "500 ms", "2 s" */

/* Red below 95 %, yellow below 99 %. */
enum rs_tui_style rs_tui_success_style(double pct);

/* The widest node name of the snapshot (4..16): the feed's node column. */
int rs_tui_node_name_width(const struct rs_metrics_snapshot *s);

/* One decision as the feed shows it, within w cells from (y, x). */
void rs_tui_draw_decision(const struct rs_tui_frame *f, const struct rs_recent_decision *d,
			  int y, int x, int w, bool with_time);

/* The provider detail view in the layout's body (tui_detail.c). */
void rs_tui_draw_detail(const struct rs_tui_frame *f);

#endif
