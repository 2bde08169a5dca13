/*
 * tui_schedule.c - keeping dashboard wake-ups out of the aggregator's ticks
 * (tui_schedule.h).
 */
#include "tui_schedule.h"

/* A tick's duration varies from tick to tick: expect up to half as long again. */
static uint64_t expected_busy_ms(uint64_t tick_us)
{
	return (tick_us + tick_us / 2u + 999u) / 1000u;
}

struct rs_tui_tick_plan rs_tui_tick_plan_make(uint64_t published_ms, uint64_t tick_us,
					      uint64_t interval_ms)
{
	uint64_t took_ms = tick_us / 1000u;
	struct rs_tui_tick_plan p = {
		.known = interval_ms > 0 && published_ms > took_ms,
		.start_ms = published_ms - took_ms,
		.interval_ms = interval_ms,
		.busy_ms = expected_busy_ms(tick_us),
	};
	return p;
}

/* Quiet time before a tick: a tenth of the interval, at most RS_TUI_TICK_GUARD_MAX_MS. */
static uint64_t guard_ms(const struct rs_tui_tick_plan *p)
{
	uint64_t g = p->interval_ms / 10u;
	return g < RS_TUI_TICK_GUARD_MAX_MS ? g : RS_TUI_TICK_GUARD_MAX_MS;
}

uint64_t rs_tui_schedule(const struct rs_tui_tick_plan *p, uint64_t want_ms)
{
	if (!p->known)
		return want_ms;
	uint64_t guard = guard_ms(p);
	uint64_t after = p->busy_ms + RS_TUI_TICK_MARGIN_MS;
	/* An aggregator busy most of its interval leaves no window worth waiting for. */
	if (guard + after > p->interval_ms / 2u)
		return want_ms;
	/* The first tick whose window has not ended by want_ms. */
	uint64_t k = 0;
	if (want_ms >= p->start_ms + after)
		k = (want_ms - p->start_ms - after) / p->interval_ms + 1u;
	uint64_t start = p->start_ms + k * p->interval_ms;
	if (want_ms + guard < start)
		return want_ms;
	return start + after + p->spread_ms;
}
