/*
 * bench_ring.h - what bench_main.c (the command line) hands to a benchmark.
 *
 * Every subcommand of routestat-bench takes the same options struct and
 * returns an exit status: 0 when every run was valid, 1 when any run failed
 * its verification or could not be set up.
 */
#ifndef RS_BENCH_RING_H
#define RS_BENCH_RING_H

#include <stdbool.h>
#include <stdint.h>

struct bench_opts {
	uint64_t records;         /* records per run for the shared-memory rings */
	bool     records_given;   /* --records was on the command line */
	uint64_t socket_records;  /* records per run for the socketpair (it is ~100x slower) */
	unsigned runs;            /* runs per transport, interleaved */
	bool     pin;             /* producer and consumer on two different CPUs */
	bool     verbose;         /* per-run details: yields, producer retries */
};

#define BENCH_DEFAULT_RECORDS        10000000ull
#define BENCH_DEFAULT_SOCKET_RECORDS  1000000ull
#define BENCH_DEFAULT_RUNS            5u

/* `routestat-bench ring`: routestat ring vs ck_ring vs socketpair, across two processes. */
int bench_ring_run(const struct bench_opts *o);

/* `routestat-bench aggregator`: the aggregator's events/s on one core (bench_aggregator.c). */
int bench_aggregator_run(const struct bench_opts *o);

#endif
