/*
 * bench_ingest.h - `routestat-bench ingest` (bench_ingest.c): decisions/s
 * parsed and written to the ring by one routestat-ingest process, from stdin
 * and from its unix datagram socket.
 */
#ifndef RS_BENCH_INGEST_H
#define RS_BENCH_INGEST_H

#include "bench_ring.h"

int bench_ingest_run(const struct bench_opts *o);

#endif
