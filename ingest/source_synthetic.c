/*
 * source_synthetic.c - generated traffic (traffic_model.c) into the ring.
 *
 * Pacing: the number of events due is computed from CLOCK_MONOTONIC time
 * since the start (due = elapsed * rate), the due ones are emitted, the
 * ring flushed, and the process sleeps (clock_nanosleep, absolute) until
 * the next event is due, but at least 2 ms and at most 10 ms at a time:
 * events are spread evenly at a 2 ms granularity, the heartbeat is fresh,
 * and nothing spins.  After a stall of more than a second (SIGSTOP, an
 * overloaded machine, a rate above what this process can make) the schedule
 * restarts from now instead of bursting the backlog.  --rate 0 emits as
 * fast as it can, flushing every chunk.
 *
 * Names are interned once at start; per event only ids are copied.
 */
#include "sources.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "record_names.h"
#include "rs_clock.h"
#include "shm_object.h"
#include "traffic_model.h"

#define NAMES_MAX       16u                    /* largest name table */
#define STAMP_EVERY     256u                   /* events per clock reading for ts */
#define CHUNK_MAX       65536u                 /* events between flushes */
#define MIN_SLEEP_NS    (2u * 1000u * 1000u)
#define MAX_SLEEP_NS    (10u * 1000u * 1000u)
#define NS_PER_S        1000000000ull

_Static_assert(RS_TRAFFIC_METHODS <= NAMES_MAX && RS_TRAFFIC_CHAINS <= NAMES_MAX &&
	       RS_TRAFFIC_PROVIDERS <= NAMES_MAX, "name tables fit");

struct synth {
	struct rs_traffic_model model;
	uint16_t ids[RS_NAME_COUNT][NAMES_MAX];   /* model name index -> dictionary id */
	uint64_t rate;                            /* events/s, 0 = unpaced */
	uint64_t t0_ns, base;                     /* schedule: base events due at t0 */
	uint64_t emitted;
};

static int intern_tables(struct rs_ingest *g, struct synth *s, struct rs_error *err)
{
	for (unsigned slot = 0; slot < RS_NAME_COUNT; slot++)
		for (unsigned i = 0; i < rs_traffic_name_count((enum rs_name_slot)slot); i++) {
			const char *name = rs_traffic_name((enum rs_name_slot)slot, i);
			int id = rs_ring_intern(&g->ring, name, strlen(name));
			if (id < 0)
				return rs_error_set(err, id, "intern %s: %s", name,
						    id == -ENOSPC ? "dictionary full" : strerror(-id));
			s->ids[slot][i] = (uint16_t)id;
		}
	return 0;
}

static void emit(struct rs_ingest *g, struct synth *s, uint64_t n)
{
	uint64_t now_ms = 0;
	for (uint64_t k = 0; k < n; k++) {
		if (k % STAMP_EVERY == 0)
			now_ms = rs_unix_ns() / 1000000u;
		struct rs_traffic_event ev;
		rs_traffic_next(&s->model, now_ms, &ev);
		for (unsigned slot = 0; slot < RS_NAME_COUNT; slot++)
			if (ev.name[slot] != RS_TRAFFIC_NONE)
				rs_record_set_name(&ev.rec, (enum rs_name_slot)slot,
						   s->ids[slot][ev.name[slot]]);
		g->read++;
		rs_ingest_push(g, &ev.rec);
	}
	s->emitted += n;
}

/* Events due by now_ns (all of the next chunk when unpaced). */
static uint64_t due(const struct synth *s, uint64_t now_ns)
{
	if (s->rate == 0)
		return s->emitted + CHUNK_MAX;
	unsigned __int128 x = (unsigned __int128)(now_ns - s->t0_ns) * s->rate / NS_PER_S;
	return s->base + (uint64_t)x;
}

/* When event number `index` (0-based) falls due. */
static uint64_t due_time(const struct synth *s, uint64_t index)
{
	unsigned __int128 n = (unsigned __int128)(index + 1 - s->base) * NS_PER_S;
	return s->t0_ns + (uint64_t)((n + s->rate - 1) / s->rate);
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { (time_t)(t_ns / NS_PER_S), (long)(t_ns % NS_PER_S) };
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL); /* EINTR: caller re-checks */
}

/* Sleeps until the next event is due, within [2 ms, 10 ms] and not past the end. */
static void pause_for_next(const struct synth *s, uint64_t now, uint64_t end_ns)
{
	uint64_t t = due_time(s, s->emitted);
	if (t < now + MIN_SLEEP_NS)
		t = now + MIN_SLEEP_NS;
	if (t > now + MAX_SLEEP_NS)
		t = now + MAX_SLEEP_NS;
	if (end_ns != 0 && t > end_ns)
		t = end_ns;
	sleep_until(t);
}

static int run(struct rs_ingest *g, struct synth *s, const struct rs_ingest_config *cfg)
{
	uint64_t end_ns = cfg->duration_s > 0 ? s->t0_ns + (uint64_t)(cfg->duration_s * 1e9) : 0;
	while (!rs_ingest_stop_requested()) {
		uint64_t now = rs_mono_ns();
		if (end_ns != 0 && now >= end_ns)
			break;
		uint64_t d = due(s, now);
		if (s->rate != 0 && d - s->emitted > s->rate) {   /* over a second behind */
			s->t0_ns = now;
			s->base = s->emitted;
			d = s->emitted;
		}
		if (cfg->count != 0 && d > cfg->count)
			d = cfg->count;
		uint64_t n = d > s->emitted ? d - s->emitted : 0;
		emit(g, s, n < CHUNK_MAX ? n : CHUNK_MAX);
		rs_ingest_flush(g);
		if (cfg->count != 0 && s->emitted >= cfg->count)
			break;
		if (s->rate != 0 && s->emitted >= d)
			pause_for_next(s, now, end_ns);
	}
	return 0;
}

int rs_source_synthetic_run(struct rs_ingest *g, const struct rs_ingest_config *cfg,
			    struct rs_error *err)
{
	struct synth s;
	memset(&s, 0, sizeof s);
	uint64_t seed = rs_ingest_option_given(cfg, RS_OPT_SEED) ? cfg->seed : rs_random64();
	rs_traffic_init(&s.model, seed, cfg->node);
	int rc = intern_tables(g, &s, err);
	if (rc < 0)
		return rc;
	s.rate = cfg->rate;
	s.t0_ns = rs_mono_ns();
	return run(g, &s, cfg);
}
