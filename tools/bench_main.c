/*
 * bench_main.c - routestat-bench: the command line of routestat's benchmarks.
 *
 * Usage:
 *   routestat-bench ring [--records N] [--socket-records N] [--runs R] [--pin] [--verbose]
 *   routestat-bench aggregator [--records N] [--runs R]
 *   routestat-bench ingest [--records N] [--runs R]
 *   routestat-bench --help | routestat-bench SUBCOMMAND --help
 *
 * Each subcommand is one row of the table below (name, summary, function), so
 * a new benchmark (e.g. `aggregator`) is one row plus its own source file.
 * Options are common to all subcommands; this file only parses them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ingest.h"
#include "bench_ring.h"
#include "bench_viewers.h"

struct bench_cmd {
	const char *name;
	const char *summary;
	int (*run)(const struct bench_opts *o);
};

static const struct bench_cmd bench_cmds[] = {
	{ "ring", "records/s across two processes: routestat ring, ck_ring, socketpair",
	  bench_ring_run },
	{ "aggregator", "events/s of the aggregator on one core, 7 rings filled ahead, all metrics on",
	  bench_aggregator_run },
	{ "ingest", "decisions/s of one routestat-ingest: stdin, and its unix socket (multishot, single)",
	  bench_ingest_run },
	{ "viewers", "aggregator tick and throughput, worst scenario, 0 vs 200 live dashboards (--runs pairs)",
	  bench_viewers_run },
};

#define BENCH_NCMDS (sizeof bench_cmds / sizeof bench_cmds[0])

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: routestat-bench SUBCOMMAND [options]\n"
		"\n"
		"subcommands:\n");
	for (size_t i = 0; i < BENCH_NCMDS; i++)
		fprintf(f, "  %-12s %s\n", bench_cmds[i].name, bench_cmds[i].summary);
	fprintf(f,
		"\n"
		"options:\n"
		"  --records N         records per run for the shared-memory rings (default %llu;\n"
		"                      aggregator: 3500000 in all, over 7 rings; ingest: 2000000 decisions)\n"
		"  --socket-records N  records per run for the socketpair (default %llu, at most --records)\n"
		"  --runs R            runs per transport, interleaved, at least 1 (default %u)\n"
		"  --pin               pin producer and consumer to two different CPUs (default unpinned)\n"
		"  --verbose           per-run details (yields, producer retries)\n"
		"  --help              this text\n"
		"\n"
		"Rates are M records/s; ratios are to the socketpair's median in the same run.\n"
		"The exit status is 1 when any run lost, duplicated or damaged a record.\n",
		BENCH_DEFAULT_RECORDS, BENCH_DEFAULT_SOCKET_RECORDS, BENCH_DEFAULT_RUNS);
}

/* A positive count; rejects signs, junk and overflow rather than guessing. */
static int bench_parse_count(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > max) {
		fprintf(stderr, "routestat-bench: %s wants a count in 1..%" PRIu64 ", not '%s'\n",
			opt, max, s);
		return -1;
	}
	*out = v;
	return 0;
}

enum { OPT_RECORDS = 1, OPT_SOCKET_RECORDS, OPT_RUNS, OPT_PIN, OPT_VERBOSE, OPT_HELP };

/* Parses argv (argv[0] is the subcommand); returns 0, 1 for --help, -1 on error. */
static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "records", required_argument, NULL, OPT_RECORDS },
		{ "socket-records", required_argument, NULL, OPT_SOCKET_RECORDS },
		{ "runs", required_argument, NULL, OPT_RUNS },
		{ "pin", no_argument, NULL, OPT_PIN },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool socket_given = false;
	uint64_t runs = BENCH_DEFAULT_RUNS;
	*o = (struct bench_opts){ .records = BENCH_DEFAULT_RECORDS,
				  .socket_records = BENCH_DEFAULT_SOCKET_RECORDS };
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case OPT_RECORDS:
			rc = bench_parse_count("--records", optarg, UINT64_C(1) << 40, &o->records);
			o->records_given = true;
			break;
		case OPT_SOCKET_RECORDS:
			rc = bench_parse_count("--socket-records", optarg, UINT64_C(1) << 40,
					       &o->socket_records);
			socket_given = true;
			break;
		case OPT_RUNS:
			rc = bench_parse_count("--runs", optarg, 1000, &runs);
			break;
		case OPT_PIN:     o->pin = true; break;
		case OPT_VERBOSE: o->verbose = true; break;
		case OPT_HELP:    return 1;
		default:          return -1;  /* getopt_long has printed why */
		}
		if (rc < 0)
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "routestat-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	/* A small --records run is a quick check: keep the socketpair from dominating it. */
	if (!socket_given && o->socket_records > o->records)
		o->socket_records = o->records;
	o->runs = (unsigned)runs;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bench_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < BENCH_NCMDS; i++) {
		if (strcmp(argv[1], bench_cmds[i].name) != 0)
			continue;
		struct bench_opts o;
		int rc = bench_parse(argc - 1, argv + 1, &o);
		if (rc > 0) {
			bench_usage(stdout);
			return 0;
		}
		if (rc < 0) {
			fprintf(stderr, "routestat-bench: see routestat-bench --help\n");
			return 2;
		}
		return bench_cmds[i].run(&o);
	}
	fprintf(stderr, "routestat-bench: unknown subcommand '%s'\n", argv[1]);
	bench_usage(stderr);
	return 2;
}
