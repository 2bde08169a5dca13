/* tui_keys.c - the key table and the state transitions of the dashboard (tui_keys.h). */
#include "tui_keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#define KEY_ESC    27
#define KEY_TAB    '\t'
#define KEY_CTRL_L 12

const struct rs_tui_key rs_tui_keys[] = {
	{ { 'q' }, "q", "quit", "q", RS_TUI_ACT_QUIT,
	  "quit (in the detail view: back)" },
	{ { KEY_UP, 'k' }, "Up, k", "move", "jk", RS_TUI_ACT_UP,
	  "select the provider above" },
	{ { KEY_DOWN, 'j' }, "Down, j", NULL, NULL, RS_TUI_ACT_DOWN,
	  "select the provider below" },
	{ { KEY_PPAGE }, "PgUp", NULL, NULL, RS_TUI_ACT_PAGE_UP, "one screen up" },
	{ { KEY_NPAGE }, "PgDn", NULL, NULL, RS_TUI_ACT_PAGE_DOWN, "one screen down" },
	{ { KEY_HOME, 'g' }, "Home, g", NULL, NULL, RS_TUI_ACT_FIRST, "first provider" },
	{ { KEY_END, 'G' }, "End, G", NULL, NULL, RS_TUI_ACT_LAST, "last provider" },
	{ { KEY_TAB }, "Tab", "node", "Tab", RS_TUI_ACT_TAB_NEXT,
	  "next node tab (all, then each node)" },
	{ { KEY_BTAB }, "Shift-Tab", NULL, NULL, RS_TUI_ACT_TAB_PREV, "previous node tab" },
	{ { '0' }, "0", NULL, NULL, RS_TUI_ACT_TAB_ALL, "all nodes" },
	{ { '1', '2', '3', '4', '5', '6', '7', '8', '9' }, "1..9", NULL, NULL, RS_TUI_ACT_TAB_NODE,
	  "node 1..9 only (every panel filtered to it)" },
	{ { 's' }, "s", "sort", "s", RS_TUI_ACT_SORT,
	  "next sort column (worst or biggest first)" },
	{ { '\n', '\r', KEY_ENTER }, "Enter", "detail", "Enter", RS_TUI_ACT_DETAIL,
	  "detail view of the selected provider" },
	{ { KEY_ESC, KEY_BACKSPACE }, "Esc", NULL, NULL, RS_TUI_ACT_BACK,
	  "back from the detail view" },
	{ { 'p', ' ' }, "p, Space", "pause", "p", RS_TUI_ACT_PAUSE,
	  "pause / resume reading snapshots" },
	{ { '+', '=' }, "+", "refresh", "+-", RS_TUI_ACT_FASTER, "refresh faster" },
	{ { '-', '_' }, "-", NULL, NULL, RS_TUI_ACT_SLOWER, "refresh slower" },
	{ { 'm' }, "m", NULL, NULL, RS_TUI_ACT_PANEL,
	  "small terminal: open methods or activity" },
	{ { KEY_CTRL_L }, "Ctrl-L", NULL, NULL, RS_TUI_ACT_REDRAW, "repaint the screen" },
	{ { 'h', '?', KEY_F(1) }, "h, ?", "help", "?", RS_TUI_ACT_HELP,
	  "this help (any key closes it)" },
};

const size_t rs_tui_nkeys = sizeof rs_tui_keys / sizeof rs_tui_keys[0];

const unsigned rs_tui_refresh_steps[] = { 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000 };
const size_t rs_tui_nrefresh_steps = sizeof rs_tui_refresh_steps / sizeof rs_tui_refresh_steps[0];

_Static_assert(RS_TUI_REFRESH_MIN_MS == 100 && RS_TUI_REFRESH_MAX_MS == 60000,
	       "the refresh steps span the --refresh-ms range");

enum rs_tui_action rs_tui_key_action(int code, int *arg)
{
	*arg = 0;
	if (code == 0)
		return RS_TUI_ACT_NONE;
	for (size_t i = 0; i < rs_tui_nkeys; i++)
		for (int j = 0; j < RS_TUI_KEY_CODES && rs_tui_keys[i].codes[j]; j++)
			if (rs_tui_keys[i].codes[j] == code) {
				*arg = j;
				return rs_tui_keys[i].action;
			}
	return RS_TUI_ACT_NONE;
}

unsigned rs_tui_refresh_step(unsigned ms, bool faster)
{
	if (faster) {
		for (size_t i = rs_tui_nrefresh_steps; i-- > 0;)
			if (rs_tui_refresh_steps[i] < ms)
				return rs_tui_refresh_steps[i];
		return rs_tui_refresh_steps[0];
	}
	for (size_t i = 0; i < rs_tui_nrefresh_steps; i++)
		if (rs_tui_refresh_steps[i] > ms)
			return rs_tui_refresh_steps[i];
	return rs_tui_refresh_steps[rs_tui_nrefresh_steps - 1];
}

/* ---- transitions ------------------------------------------------------------- */

static void select_row(struct rs_tui_state *st, const struct rs_tui_model *m, size_t i)
{
	if (m->n_rows == 0)
		return;
	if (i >= m->n_rows)
		i = m->n_rows - 1;
	st->sel = i;
	snprintf(st->sel_provider, sizeof st->sel_provider, "%s", m->rows[i].provider);
	snprintf(st->sel_chain, sizeof st->sel_chain, "%s", m->rows[i].chain);
}

static void set_tab(struct rs_tui_state *st, const char *node)
{
	snprintf(st->node, sizeof st->node, "%s", node ? node : "");
	st->top = 0;   /* the selection identity stays: the same provider on the new tab */
}

/* Tab / Shift-Tab: all -> node 0 -> ... -> node n-1 -> all. */
static void cycle_tab(struct rs_tui_state *st, const struct rs_tui_model *m, bool forward)
{
	int n = m->s ? (int)m->s->n_nodes : 0;
	int cur = m->node_missing ? -1 : m->node;     /* -1: all */
	int next = forward ? cur + 1 : cur - 1;
	if (next >= n)
		next = -1;
	if (next < -1)
		next = n - 1;
	set_tab(st, next >= 0 ? m->s->nodes[next].name : NULL);
}

void rs_tui_apply(struct rs_tui_state *st, enum rs_tui_action a, int arg,
		  const struct rs_tui_model *m, size_t page)
{
	if (st->help) {
		st->help = false;            /* any key closes the overlay, and does nothing else */
		return;
	}
	if (a == RS_TUI_ACT_NONE)
		return;
	if (page == 0)
		page = 1;
	switch (a) {
	case RS_TUI_ACT_NONE:
	case RS_TUI_ACT_COUNT:
		break;
	case RS_TUI_ACT_QUIT:
		if (st->detail)
			st->detail = false;
		else
			st->quit = true;
		break;
	case RS_TUI_ACT_BACK:
		st->detail = false;
		break;
	case RS_TUI_ACT_DETAIL:
		if (st->detail)
			st->detail = false;
		else if (m->n_rows > 0) {
			select_row(st, m, m->sel);
			st->detail = true;
		}
		break;
	case RS_TUI_ACT_UP:
		select_row(st, m, m->sel > 0 ? m->sel - 1 : 0);
		break;
	case RS_TUI_ACT_DOWN:
		select_row(st, m, m->sel + 1);
		break;
	case RS_TUI_ACT_PAGE_UP:
		select_row(st, m, m->sel > page ? m->sel - page : 0);
		break;
	case RS_TUI_ACT_PAGE_DOWN:
		select_row(st, m, m->sel + page);
		break;
	case RS_TUI_ACT_FIRST:
		select_row(st, m, 0);
		break;
	case RS_TUI_ACT_LAST:
		select_row(st, m, m->n_rows ? m->n_rows - 1 : 0);
		break;
	case RS_TUI_ACT_TAB_NEXT:
	case RS_TUI_ACT_TAB_PREV:
		cycle_tab(st, m, a == RS_TUI_ACT_TAB_NEXT);
		break;
	case RS_TUI_ACT_TAB_ALL:
		set_tab(st, NULL);
		break;
	case RS_TUI_ACT_TAB_NODE:
		if (m->s && arg >= 0 && (uint32_t)arg < m->s->n_nodes)
			set_tab(st, m->s->nodes[arg].name);
		break;
	case RS_TUI_ACT_SORT:
		st->sort = (enum rs_tui_sort)((st->sort + 1) % RS_TUI_SORT_COUNT);
		st->top = 0;
		if (m->n_rows)
			select_row(st, m, m->sel);   /* keep the selected provider, wherever it lands */
		break;
	case RS_TUI_ACT_PAUSE:
		st->paused = !st->paused;
		break;
	case RS_TUI_ACT_FASTER:
	case RS_TUI_ACT_SLOWER:
		st->refresh_ms = rs_tui_refresh_step(st->refresh_ms, a == RS_TUI_ACT_FASTER);
		break;
	case RS_TUI_ACT_HELP:
		st->help = true;
		break;
	case RS_TUI_ACT_PANEL:
		st->methods_first = !st->methods_first;
		break;
	case RS_TUI_ACT_REDRAW:
		st->redraw = true;
		break;
	}
}
