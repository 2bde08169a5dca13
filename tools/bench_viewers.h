/*
 * bench_viewers.h - `routestat-bench viewers`: does attaching many live
 * dashboards change the aggregator?  (bench_viewers.c)
 */
#ifndef RS_BENCH_VIEWERS_H
#define RS_BENCH_VIEWERS_H

#include "bench_ring.h"

/* Alternates phases without and with viewers; --runs R is the number of (0, N) pairs. */
int bench_viewers_run(const struct bench_opts *o);

#endif
