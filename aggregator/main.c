/*
 * routestat-aggregator - drains every ring of an instance on an io_uring tick,
 * deduplicates, computes the windowed metrics and publishes one snapshot per
 * tick.  Viewers read the snapshot; the aggregator never knows they exist.
 *
 *   routestat-aggregator --instance NAME [--tick-ms 500] [--window-s 60] ...
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "metrics_snapshot.h"
#include "ring_set.h"
#include "rs_clock.h"
#include "snapshot.h"
#include "tick_loop.h"

#define PROG "routestat-aggregator"

struct options {
	const char *instance;
	uint32_t    tick_ms;
	uint32_t    window_s;
	uint64_t    dedup_capacity;
	uint32_t    dedup_ttl_s;
	enum rs_tick_source tick_source;
	bool        quiet;
};

/* One row per option: getopt_long and --help are generated from it. */
struct option_row {
	const char *name;
	int         has_arg;
	int         key;
	const char *arg;
	const char *help;
};

static const struct option_row option_table[] = {
	{ "instance",       required_argument, 'n', "NAME", "instance name (default: default)" },
	{ "tick-ms",        required_argument, 't', "MS",   "publish interval, 10..60000 (default 500)" },
	{ "window-s",       required_argument, 'w', "S",    "sliding window, 5..3600 seconds (default 60)" },
	{ "dedup-capacity", required_argument, 'd', "N",    "request ids remembered, 1024..2^28 (default 1048576)" },
	{ "dedup-ttl-s",    required_argument, 'T', "S",    "how long an id is remembered, >= window (default 120)" },
	{ "tick-source",    required_argument, 's', "SRC",  "auto | multishot | timerfd (default auto)" },
	{ "quiet",          no_argument,       'q', NULL,   "log only errors" },
	{ "help",           no_argument,       'h', NULL,   "show this help" },
};
#define N_OPTIONS (sizeof option_table / sizeof option_table[0])

static struct options opts = {
	.instance = "default", .tick_ms = 500, .window_s = 60,
	.dedup_capacity = RS_DEDUP_DEFAULT_CAPACITY, .dedup_ttl_s = RS_DEDUP_DEFAULT_TTL_S,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: " PROG " [options]\n"
		"Drains the instance's rings on an io_uring tick and publishes metrics snapshots.\n\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		char left[40];
		snprintf(left, sizeof left, "--%s%s%s", option_table[i].name,
			 option_table[i].arg ? " " : "", option_table[i].arg ? option_table[i].arg : "");
		fprintf(out, "  %-26s %s\n", left, option_table[i].help);
	}
}

static void log_line(const char *fmt, ...)
{
	if (opts.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t parse_number(const char *what, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi) {
		fprintf(stderr, PROG ": --%s: '%s' is not a number in %" PRIu64 "..%" PRIu64 "\n",
			what, s, lo, hi);
		exit(64);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	struct option longopts[N_OPTIONS + 1];
	memset(longopts, 0, sizeof longopts);
	for (size_t i = 0; i < N_OPTIONS; i++)
		longopts[i] = (struct option){ option_table[i].name, option_table[i].has_arg, NULL,
					       option_table[i].key };
	int c;
	while ((c = getopt_long(argc, argv, "n:t:w:d:T:s:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': opts.instance = optarg; break;
		case 't': opts.tick_ms = (uint32_t)parse_number("tick-ms", optarg, 10, 60000); break;
		case 'w': opts.window_s = (uint32_t)parse_number("window-s", optarg, 5, 3600); break;
		case 'd': opts.dedup_capacity = parse_number("dedup-capacity", optarg, 1024, 1u << 28); break;
		case 'T': opts.dedup_ttl_s = (uint32_t)parse_number("dedup-ttl-s", optarg, 1, 86400); break;
		case 's':
			if (strcmp(optarg, "auto") == 0) opts.tick_source = RS_TICK_AUTO;
			else if (strcmp(optarg, "multishot") == 0) opts.tick_source = RS_TICK_MULTISHOT;
			else if (strcmp(optarg, "timerfd") == 0) opts.tick_source = RS_TICK_TIMERFD;
			else { fprintf(stderr, PROG ": --tick-source: '%s' is not auto, multishot or timerfd\n", optarg); exit(64); }
			break;
		case 'q': opts.quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(64);
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		exit(64);
	}
	if (opts.dedup_ttl_s < opts.window_s)
		opts.dedup_ttl_s = opts.window_s;
}

struct aggregator {
	struct rs_engine                 engine;
	struct rs_ring_set               rings;
	struct rs_tick_loop              loop;
	struct rs_snapshot_writer_handle writer;
	struct rs_metrics_snapshot      *snap;    /* 95 KiB: on the heap, built in place */
	struct rs_self_metrics           self;
	uint64_t                         drain_delay_ns;  /* next early drain, when rings fill fast */
};

static double drain(struct aggregator *a)
{
	double fill;
	uint64_t n = rs_ring_set_drain(&a->rings, &a->engine, &fill);
	a->self.drained_last_tick += n;
	a->self.drained_total += n;
	return fill;
}

/*
 * A ring a quarter full at a drain fills faster than ticks empty it: drain
 * again sooner, halving the delay while rings stay over half full (down to
 * RS_MIN_DRAIN_NS), and back to tick/8 once they calm down.
 */
#define RS_MIN_DRAIN_NS 2000000u

static void maybe_drain_early(struct aggregator *a, double fill)
{
	uint64_t relaxed = a->loop.tick_ns / 8;
	if (a->drain_delay_ns == 0 || fill < 0.25)
		a->drain_delay_ns = relaxed;
	else if (fill > 0.5 && a->drain_delay_ns / 2 >= RS_MIN_DRAIN_NS)
		a->drain_delay_ns /= 2;
	if (fill > 0.25)
		rs_tick_loop_arm_extra(&a->loop, a->drain_delay_ns);
}

static void publish(struct aggregator *a, uint64_t t0)
{
	rs_engine_render(&a->engine, a->snap);
	rs_ring_set_render(&a->rings, a->snap);
	a->snap->tick_ms = opts.tick_ms;
	snprintf(a->snap->instance, sizeof a->snap->instance, "%s", opts.instance);
	a->snap->computed_unix_ms = rs_unix_ns() / 1000000u;
	a->self.ticks = a->loop.ticks_seen;
	a->self.missed_ticks = a->loop.missed;
	a->self.tick_source = a->loop.source;
	a->self.dedup_entries = a->engine.dedup.occupied;
	a->self.dedup_capacity = a->engine.dedup.capacity;
	a->self.dedup_evictions = a->engine.dedup.evictions;
	a->self.routes_dropped = a->engine.routes_dropped;
	a->self.last_tick_us = (rs_mono_ns() - t0) / 1000u;
	if (a->self.last_tick_us > a->self.max_tick_us)
		a->self.max_tick_us = a->self.last_tick_us;
	a->snap->self = a->self;
	rs_snapshot_publish(&a->writer, a->snap);
}

static void on_tick(struct aggregator *a)
{
	uint64_t t0 = rs_mono_ns();
	a->self.drained_last_tick = 0;
	rs_engine_advance(&a->engine, rs_unix_ns() / 1000000000u);
	rs_ring_set_scan(&a->rings, &a->engine);
	double fill = drain(a);
	rs_ring_set_heartbeat(&a->rings);
	publish(a, t0);
	maybe_drain_early(a, fill);
}

static void on_extra_drain(struct aggregator *a)
{
	a->self.extra_drains++;
	rs_engine_advance(&a->engine, rs_unix_ns() / 1000000000u);
	maybe_drain_early(a, drain(a));
}

static int start(struct aggregator *a, struct rs_error *err)
{
	struct rs_engine_config cfg = {
		.window_s = opts.window_s, .dedup_capacity = opts.dedup_capacity,
		.dedup_ttl_s = opts.dedup_ttl_s,
	};
	a->snap = calloc(1, sizeof *a->snap);
	if (a->snap == NULL || rs_engine_init(&a->engine, &cfg, rs_unix_ns() / 1000000000u) < 0)
		return rs_error_set(err, -ENOMEM, "no memory for the metrics engine");
	int rc = rs_snapshot_create(&a->writer, opts.instance, RS_METRICS_SCHEMA, sizeof *a->snap,
				    (uint64_t)opts.tick_ms * 1000000u, err);
	if (rc < 0)
		return rc;
	rc = rs_tick_loop_init(&a->loop, (uint64_t)opts.tick_ms * 1000000u, opts.tick_source, err);
	if (rc < 0)
		return rc;
	rs_ring_set_init(&a->rings, opts.instance, log_line);
	a->self.started_unix_ms = rs_unix_ns() / 1000000u;
	a->self.aggregator_pid = (uint32_t)getpid();
	return 0;
}

static void stop(struct aggregator *a)
{
	rs_ring_set_close(&a->rings, &a->engine);
	rs_tick_loop_close(&a->loop);
	rs_snapshot_close_writer(&a->writer, false);
	rs_engine_free(&a->engine);
	free(a->snap);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	static struct aggregator a;
	struct rs_error err = { 0 };
	if (rs_name_check("instance", opts.instance, false, &err) < 0 || start(&a, &err) < 0) {
		fprintf(stderr, PROG ": start: %s\n", err.msg);
		return err.code == -EBUSY ? 3 : 1;
	}
	log_line("instance %s: tick %u ms, window %u s, dedup %" PRIu64 " ids", opts.instance,
		 opts.tick_ms, opts.window_s, a.engine.dedup.capacity);
	bool announced = false;
	for (;;) {
		enum rs_tick_event ev = rs_tick_loop_wait(&a.loop, &err);
		if (ev == RS_EV_STOP)
			break;
		if (ev == RS_EV_TICK && !announced) {
			log_line("tick source: %s", rs_tick_source_name(a.loop.source));
			announced = true;
		}
		if (ev == RS_EV_TICK)
			on_tick(&a);
		else if (ev == RS_EV_EXTRA_DRAIN)
			on_extra_drain(&a);
	}
	if (err.code < 0)
		fprintf(stderr, PROG ": %s\n", err.msg);
	log_line("stopping after %" PRIu64 " ticks, %" PRIu64 " records", a.self.ticks, a.self.drained_total);
	stop(&a);
	return err.code < 0 ? 1 : 0;
}
