/*
 * tui_loop.h - routestat-view's full-screen dashboard: owns the terminal
 * (curses), re-reads the instance's snapshot every refresh interval through
 * view_source.h, and sleeps in between: one ppoll on the terminal with the
 * time left until the next read, so it never spins however many viewers
 * run.  Keys and resizes (SIGWINCH, KEY_RESIZE) wake it early.
 *
 * Read-only like every viewer: the snapshot is mapped PROT_READ and nothing
 * is ever sent to the aggregator.  Waits for an aggregator that does not
 * exist yet (retrying each refresh), follows a restarted one (new
 * incarnation) and greys out a dead one's last snapshot.
 */
#ifndef RS_TUI_LOOP_H
#define RS_TUI_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "rs_error.h"

struct rs_tui_options {
	const char *instance;
	const char *node;         /* initial node tab, or NULL for all nodes */
	uint32_t    refresh_ms;   /* RS_TUI_REFRESH_MIN_MS..RS_TUI_REFRESH_MAX_MS */
	uint64_t    stale_ms;     /* 0: the reader's default */
	bool        read_during_ticks; /* false: wake-ups avoid the aggregator's ticks (tui_schedule.h) */
};

/*
 * Runs the dashboard on the process's terminal (stdin and stdout) until q,
 * SIGINT, SIGTERM or SIGHUP, or until the terminal goes away.  Returns 0,
 * or -errno with err set when the terminal cannot be used (e.g. unknown TERM).
 */
int rs_tui_run(const struct rs_tui_options *o, struct rs_error *err);

#endif
