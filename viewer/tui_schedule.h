/*
 * tui_schedule.h - when a dashboard may wake: never while the aggregator is
 * in its tick.
 *
 * On a machine with two CPUs, 200 dashboards refreshing at 100 ms took CPU
 * time the aggregator's tick then waited for (its median wall time grew
 * 3-9% in our runs, its p95 10%).  The aggregator ticks on a fixed schedule
 * and every snapshot says when it was published and how long its tick took,
 * so a dashboard can know when the next tick will run and move a wake-up
 * that would fall inside it to just after that tick's publication.  A dashboard whose wake-up was moved also
 * shows that snapshot within milliseconds of its publication.
 *
 *        guard        busy       margin   spread
 *   ----[------|==============|------)--:---->  time
 *        start - guard                  the postponed wake-up: window end + this
 *                                       process's place in the spread
 *
 * The spread (a few ms, from the pid) keeps many dashboards from waking in
 * the same millisecond after every publication.
 *
 * Pure arithmetic on monotonic milliseconds, so it is unit-tested directly.
 */
#ifndef RS_TUI_SCHEDULE_H
#define RS_TUI_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define RS_TUI_TICK_GUARD_MAX_MS  50u  /* quiet this long before a tick starts (at most) */
#define RS_TUI_TICK_MARGIN_MS      5u  /* and this long after its expected publication */
#define RS_TUI_TICK_SPREAD_MS     10u  /* postponed wake-ups spread over this many ms */

/* What the last snapshot says about the aggregator's ticks. */
struct rs_tui_tick_plan {
	bool     known;          /* false: wake whenever (no snapshot, or not a live aggregator) */
	uint64_t start_ms;       /* CLOCK_MONOTONIC ms when the published tick started */
	uint64_t interval_ms;    /* ticks start this far apart */
	uint64_t busy_ms;        /* a tick's expected duration (drain + compute + publish) */
	uint32_t spread_ms;      /* this process's offset after the window, < RS_TUI_TICK_SPREAD_MS */
};

/*
 * The plan from a snapshot published at published_ms (monotonic) by a tick
 * that took tick_us, on an aggregator ticking every interval_ms; spread_ms 0
 * (the caller sets its own).
 */
struct rs_tui_tick_plan rs_tui_tick_plan_make(uint64_t published_ms, uint64_t tick_us,
					      uint64_t interval_ms);

/*
 * The time to wake for a wake-up wanted at want_ms: want_ms itself, or the
 * end of the tick window it falls into plus spread_ms.  Never earlier than
 * want_ms, never later than want_ms + the window (at most half an interval)
 * + spread_ms.
 */
uint64_t rs_tui_schedule(const struct rs_tui_tick_plan *p, uint64_t want_ms);

#endif
