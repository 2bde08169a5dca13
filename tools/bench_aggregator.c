/*
 * bench_aggregator.c - `routestat-bench aggregator`: the aggregator's
 * sustained events/s on one core with every metric on.
 *
 * Seven rings (one per node of the worst scenario) are filled ahead of time
 * with realistic decisions (6 providers x 5 chains x 12 methods, log-normal
 * latencies, ~0.5% duplicate ids, ~2% system traffic, a block or circuit
 * record every ~150), so no producer is measured.  Then the real aggregator
 * code drains them (ring_set drain -> dedup -> engine) and renders one
 * snapshot, pinned to one CPU; the time of that is the figure.  Runs are
 * repeated with fresh rings and the median is reported.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_ring.h"
#include "engine.h"
#include "ring_set.h"
#include "rs_clock.h"

#define NODES 7

static const char *const providers[] = { "alchemy", "infura", "quicknode", "ankr", "llamarpc", "publicnode" };
static const char *const chains[] = { "ethereum", "base", "arbitrum", "polygon", "optimism" };
static const char *const methods[] = { "eth_call", "eth_getBalance", "eth_blockNumber", "eth_getLogs",
	"eth_getTransactionReceipt", "eth_chainId", "eth_getBlockByNumber", "eth_estimateGas",
	"eth_sendRawTransaction", "eth_gasPrice", "net_version", "eth_getCode" };
static const char *const node_names[NODES] = { "us-west-2", "us-east-1", "eu-central-1",
	"ap-southeast-1", "sa-east-1", "eu-west-1", "ap-northeast-1" };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x1234567887654321ull;

static uint64_t next_random(void)   /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform01(void) { return (double)(next_random() >> 11) / 9007199254740992.0; }

static uint32_t lognormal_us(double median_us, double sigma)
{
	double u1 = uniform01() + 1e-12, u2 = uniform01();
	double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
	double v = median_us * exp(sigma * z);
	return v > 3.6e9 ? 3600000000u : (uint32_t)v;
}

struct names { int provider[COUNT(providers)], chain[COUNT(chains)], method[COUNT(methods)]; };

static void intern_all(struct rs_ring *r, struct names *n)
{
	for (size_t i = 0; i < COUNT(providers); i++)
		n->provider[i] = rs_ring_intern(r, providers[i], strlen(providers[i]));
	for (size_t i = 0; i < COUNT(chains); i++)
		n->chain[i] = rs_ring_intern(r, chains[i], strlen(chains[i]));
	for (size_t i = 0; i < COUNT(methods); i++)
		n->method[i] = rs_ring_intern(r, methods[i], strlen(methods[i]));
}

static void make_record(struct rs_record *rec, const struct names *n, uint64_t now_ns, uint64_t last_id)
{
	memset(rec, 0, sizeof *rec);
	uint64_t r = next_random();
	size_t p = r % COUNT(providers), c = (r >> 8) % COUNT(chains), m = (r >> 16) % 100;
	rec->provider = (uint16_t)n->provider[p];
	rec->chain = (uint16_t)n->chain[c];
	rec->emit_unix_ms = now_ns / 1000000u;
	rec->arrival_unix_ns = now_ns;
	if ((r >> 24) % 150 == 0) {
		rec->kind = RS_REC_BLOCK;
		rec->u.block.height = 20000000u + (r >> 40) % 4;
		return;
	}
	rec->kind = RS_REC_DECISION;
	rec->method = (uint16_t)n->method[m < 40 ? 0 : m % COUNT(methods)]; /* eth_call dominates */
	struct rs_decision *d = &rec->u.decision;
	d->id_hi = (r >> 32) % 200 == 0 ? last_id : next_random();  /* ~0.5% retries */
	d->id_lo = d->id_hi * 31u;
	d->duration_us = lognormal_us(20000.0 * (1.0 + (double)p / 4.0), 0.9);
	d->result = (r >> 40) % 100 < 2 ? RS_RESULT_ERROR : RS_RESULT_SUCCESS;
	d->origin = (r >> 48) % 50 == 0 ? RS_ORIGIN_SYSTEM : RS_ORIGIN_CLIENT;
	d->failover_count = d->result == RS_RESULT_ERROR ? 1 : 0;
}

static int fill_rings(const char *instance, uint32_t capacity, uint64_t per_ring)
{
	uint64_t now = rs_unix_ns();
	for (int i = 0; i < NODES; i++) {
		struct rs_ring r;
		struct rs_error err = { 0 };
		struct rs_ring_params p = { .capacity = capacity };
		if (rs_ring_open_producer(&r, instance, node_names[i], &p, &err) < 0) {
			fprintf(stderr, "routestat-bench: %s\n", err.msg);
			return -1;
		}
		struct names n;
		intern_all(&r, &n);
		uint64_t last_id = 1;
		for (uint64_t k = 0; k < per_ring; k++) {
			struct rs_record rec;
			make_record(&rec, &n, now, last_id);
			if (rec.kind == RS_REC_DECISION)
				last_id = rec.u.decision.id_hi;
			rs_ring_push(&r, &rec);
		}
		rs_ring_close(&r);
	}
	return 0;
}

static void remove_object(const char *name, void *arg)
{
	(void)arg;
	rs_shm_remove(name);
}

static void quiet_log(const char *fmt, ...) { (void)fmt; }

/* One measured run: returns seconds spent draining + rendering, and the records. */
static double measure(const char *instance, uint64_t *records, struct rs_metrics_snapshot *snap)
{
	static struct rs_engine e;
	struct rs_engine_config cfg = { .window_s = 60 };
	rs_engine_init(&e, &cfg, rs_unix_ns() / 1000000000u);
	struct rs_ring_set set;
	rs_ring_set_init(&set, instance, quiet_log);
	rs_ring_set_scan(&set, &e);
	uint64_t t0 = rs_mono_ns(), n = 0, got;
	double fill;
	while ((got = rs_ring_set_drain(&set, &e, &fill)) > 0)
		n += got;
	rs_engine_render(&e, snap);
	rs_ring_set_render(&set, snap);
	double secs = (double)(rs_mono_ns() - t0) / 1e9;
	rs_ring_set_close(&set, &e);
	rs_engine_free(&e);
	*records = n;
	return secs;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int bench_aggregator_run(const struct bench_opts *o)
{
	int runs = (int)(o->runs < 50 ? o->runs : 50);
	uint64_t per_ring = (o->records_given ? o->records : 3500000u) / NODES;
	if (per_ring < 1000 || per_ring > (1u << 22)) {
		fprintf(stderr, "routestat-bench: aggregator --records wants 7000..%u\n", NODES << 22);
		return 2;
	}
	uint32_t capacity = 1024;
	while (capacity < per_ring)
		capacity <<= 1;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	bool pinned = sched_setaffinity(0, sizeof one, &one) == 0;
	char instance[32];
	snprintf(instance, sizeof instance, "benchagg%d", (int)getpid());
	struct rs_metrics_snapshot *snap = malloc(sizeof *snap);
	double rate[50];
	uint64_t records = 0;
	printf("routestat-bench aggregator: %d rings x %llu records, %d runs, %s, all metrics on\n",
	       NODES, (unsigned long long)per_ring, runs, pinned ? "pinned to CPU 0" : "unpinned");
	for (int r = 0; r < runs; r++) {
		if (fill_rings(instance, capacity, per_ring) < 0)
			return 1;
		double secs = measure(instance, &records, snap);
		rate[r] = (double)records / secs;
		printf("  run %d: %llu records in %.3f s: %.2f M events/s, %.1f ns/event (%llu calls, %llu duplicates)\n",
		       r + 1, (unsigned long long)records, secs, rate[r] / 1e6, 1e9 / rate[r],
		       (unsigned long long)snap->totals.m.calls, (unsigned long long)snap->totals.duplicates);
		rs_shm_list(instance, remove_object, NULL);
	}
	qsort(rate, (size_t)runs, sizeof rate[0], compare_double);
	double median = rate[runs / 2];
	printf("median: %.2f M events/s = %.1f ns/event; %.0f x the 50,000 events/s at which the message fan-out was projected to fail\n",
	       median / 1e6, 1e9 / median, median / 50000.0);
	free(snap);
	return records == (uint64_t)NODES * per_ring ? 0 : 1;
}
