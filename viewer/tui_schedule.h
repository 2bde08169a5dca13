/*
 * tui_schedule.h - when a dashboard may wake: never while the aggregator is
 * in its tick.
 *
 * On a machine with two CPUs, 200 dashboards refreshing at 100 ms took CPU
 * time the aggregator's tick then waited for (its wall time grew ~9%).  The
 * aggregator ticks on a fixed schedule and every snapshot says when it was
 * published and how long its tick took, so a dashboard can know when the
 * next tick will run and move a wake-up that would fall inside it to just
 * after that tick's publication.  The dashboard then also shows each new
 * snapshot within milliseconds of its publication.
 *
 *        guard        busy       margin
 *   ----[------|==============|------)----->  time
 *        start - guard          publication + margin: the postponed wake-up
 *
 * Pure arithmetic on monotonic milliseconds, so it is unit-tested directly.
 */
#ifndef RS_TUI_SCHEDULE_H
#define RS_TUI_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define RS_TUI_TICK_GUARD_MAX_MS  50u  /* quiet this long before a tick starts (at most) */
#define RS_TUI_TICK_MARGIN_MS      5u  /* and this long after its expected publication */

/* What the last snapshot says about the aggregator's ticks. */
struct rs_tui_tick_plan {
	bool     known;          /* false: wake whenever (no snapshot, or not a live aggregator) */
	uint64_t start_ms;       /* CLOCK_MONOTONIC ms when the published tick started */
	uint64_t interval_ms;    /* ticks start this far apart */
	uint64_t busy_ms;        /* a tick's expected duration (drain + compute + publish) */
};

/*
 * The plan from a snapshot published at published_ms (monotonic) by a tick
 * that took tick_us, on an aggregator ticking every interval_ms.
 */
struct rs_tui_tick_plan rs_tui_tick_plan_make(uint64_t published_ms, uint64_t tick_us,
					      uint64_t interval_ms);

/*
 * The time to wake for a wake-up wanted at want_ms: want_ms itself, or the
 * end of the tick window it falls into.  Never earlier than want_ms, and
 * never later than want_ms + the window (at most half an interval).
 */
uint64_t rs_tui_schedule(const struct rs_tui_tick_plan *p, uint64_t want_ms);

#endif
