/*
 * tui_keys.h - the dashboard's key bindings: one table (rs_tui_keys[]) from
 * which key lookup, the help overlay and the footer hints are all generated,
 * in the manner of varnishstat's key table; and rs_tui_apply, the pure
 * function from (state, action, model) to the next state.
 *
 * Linked by the terminal UI and tests/test_tui_model.c.  Includes curses.h
 * for the KEY_* codes only: nothing here touches a terminal.
 */
#ifndef RS_TUI_KEYS_H
#define RS_TUI_KEYS_H

#include <stddef.h>

#include "tui_model.h"

enum rs_tui_action {
	RS_TUI_ACT_NONE,
	RS_TUI_ACT_QUIT,
	RS_TUI_ACT_UP,
	RS_TUI_ACT_DOWN,
	RS_TUI_ACT_PAGE_UP,
	RS_TUI_ACT_PAGE_DOWN,
	RS_TUI_ACT_FIRST,
	RS_TUI_ACT_LAST,
	RS_TUI_ACT_TAB_NEXT,
	RS_TUI_ACT_TAB_PREV,
	RS_TUI_ACT_TAB_ALL,
	RS_TUI_ACT_TAB_NODE,     /* arg: node index 0..8 (keys 1..9) */
	RS_TUI_ACT_SORT,
	RS_TUI_ACT_DETAIL,
	RS_TUI_ACT_BACK,
	RS_TUI_ACT_PAUSE,
	RS_TUI_ACT_FASTER,
	RS_TUI_ACT_SLOWER,
	RS_TUI_ACT_HELP,
	RS_TUI_ACT_PANEL,
	RS_TUI_ACT_REDRAW,
	RS_TUI_ACT_COUNT
};

#define RS_TUI_KEY_CODES 10

struct rs_tui_key {
	int                codes[RS_TUI_KEY_CODES];  /* key codes (curses), 0 ends the list */
	const char        *label;                    /* the keys as the help shows them */
	const char        *hint;                     /* footer hint, NULL: help overlay only */
	const char        *hint_keys;                /* the keys as the footer shows them */
	enum rs_tui_action action;
	const char        *help;
};

extern const struct rs_tui_key rs_tui_keys[];
extern const size_t rs_tui_nkeys;

/* Refresh intervals +/- step through, ms. */
extern const unsigned rs_tui_refresh_steps[];
extern const size_t rs_tui_nrefresh_steps;

/* The action bound to a key code (RS_TUI_ACT_NONE if none); *arg gets the code's position in its row. */
enum rs_tui_action rs_tui_key_action(int code, int *arg);

/*
 * Applies an action to st.  m is the model built from st (for the rows,
 * nodes and selection); page is the number of leaderboard rows on screen
 * (PageUp/PageDown).  While the help overlay is open any key closes it;
 * in the detail view q, Esc and Enter go back.
 */
void rs_tui_apply(struct rs_tui_state *st, enum rs_tui_action a, int arg,
		  const struct rs_tui_model *m, size_t page);

/* The next refresh interval down (faster) or up (slower) the steps. */
unsigned rs_tui_refresh_step(unsigned ms, bool faster);

#endif
