/*
 * tui_draw.h - paints one frame of the dashboard into curses' virtual
 * screen (stdscr) from the model, the state and the layout.
 *
 * Linked by routestat-view's terminal UI only.  The caller owns the
 * terminal: it erases, calls rs_tui_draw, then wnoutrefresh + doupdate once
 * per frame, so curses sends only the cells that changed (no clear(), no
 * flicker).  Strings from the snapshot come from another process: anything
 * but printable ASCII is drawn as '?', so a name cannot drive the terminal.
 * Colours when the terminal has them; otherwise bold, underline, reverse and
 * dim carry the same meaning.
 */
#ifndef RS_TUI_DRAW_H
#define RS_TUI_DRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "tui_layout.h"
#include "tui_model.h"
#include "view_source.h"

/* What the top bar and the empty screen say about the data source. */
enum rs_tui_source {
	RS_TUI_SRC_NO_OBJECT,   /* no snapshot object yet: waiting for an aggregator */
	RS_TUI_SRC_NO_DATA,     /* an aggregator exists but has published nothing yet */
	RS_TUI_SRC_OK,          /* a snapshot is shown (its status in info) */
};

struct rs_tui_frame {
	const char                *instance;
	const struct rs_tui_model *m;        /* m->s is NULL until the first snapshot */
	const struct rs_tui_state *st;
	const struct rs_tui_layout *l;
	const struct rs_view_info *info;     /* of the snapshot shown */
	enum rs_tui_source source;
	uint64_t    age_ms;                  /* of the snapshot shown, now */
	uint64_t    waited_ms;               /* NO_OBJECT / NO_DATA: for how long */
	bool        restarted;               /* the aggregator restarted a moment ago */
	const char *message;                 /* footer: the last read problem, or NULL */
	bool        utf8;                    /* the locale can show block characters */
};

/* Sets up colour pairs when the terminal has colours; call once after initscr. */
void rs_tui_draw_init(void);

/* Paints the frame into stdscr (erasing it first); does not refresh. */
void rs_tui_draw(const struct rs_tui_frame *f);

/*
 * Repaints the top bar only (ages move on every refresh).  For a frame whose
 * data, state and size are those of the last rs_tui_draw: the rest of stdscr
 * still holds them.
 */
void rs_tui_draw_top(const struct rs_tui_frame *f);

#endif
