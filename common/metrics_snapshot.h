/*
 * metrics_snapshot.h - the payload the aggregator publishes through
 * snapshot.h and every viewer reads: the routestat dashboard as one
 * fixed-size, pointer-free struct (schema RS_METRICS_SCHEMA).
 *
 * Everything a viewer shows is here, already computed: counts, percentiles,
 * rates and names (strings inline, so a viewer needs no ring dictionary).
 * Arrays are bounded; the n_* counts say how many entries are valid.  A
 * reader must treat the payload as untrusted (rs_metrics_validate) before
 * indexing with any count or index it holds.
 *
 * Memory: sizeof(struct rs_metrics_snapshot) (97,432 bytes, about 95 KiB, of
 * which node_methods[] is 14,208), twice in the snapshot object (the latch),
 * plus a private copy per text or JSON view and two per dashboard (the one
 * shown and the one being read).
 */
#ifndef RS_METRICS_SNAPSHOT_H
#define RS_METRICS_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "rs_error.h"
#include "shm_abi.h"

#define RS_METRICS_SCHEMA      2u     /* snapshot payload_kind; JSON "schema" (2: node_methods, source_lost) */
#define RS_MAX_NODES           16u
#define RS_MAX_PROVIDER_CHAINS 64u    /* (provider, chain) pairs */
#define RS_MAX_ROUTES          256u   /* (provider, chain, node) triples */
#define RS_TOP_METHODS         10u
#define RS_RECENT_DECISIONS    100u
#define RS_RPS_HISTORY         60u    /* per-second client calls, oldest first */
#define RS_COLD_START_CALLS    10u    /* fewer calls in the window: "warming up" */
#define RS_CIRCUIT_HISTORY     64u    /* latest circuit-breaker transitions, all nodes */
#define RS_STR                 (RS_DICT_STR_MAX + 2u) /* inline string buffer */

/* The metric set shared by every level (route, provider, node, totals). */
struct rs_metric_set {
	uint64_t calls;            /* client decisions in the window (dedup'd) */
	uint64_t errors;           /* of which result = error */
	uint64_t failovers;        /* sum of failover_count */
	uint64_t system_calls;     /* request_origin = system, counted apart */
	uint64_t sum_us;           /* sum of durations, for the average */
	uint32_t p50_us, p95_us, p99_us;  /* nearest rank, histogram.h precision */
	uint32_t reserved;
};

/* One (provider, chain, node) route. */
struct rs_route_metrics {
	uint16_t provider_chain;   /* index into provider_chains[] */
	uint16_t node;             /* index into nodes[] */
	uint8_t  circuit[RS_TRANSPORT_COUNT]; /* enum rs_circuit per transport */
	uint8_t  has_block;        /* block_height / block_lag valid */
	uint8_t  reserved[3];
	uint64_t block_height;
	int64_t  block_lag;        /* height - consensus of (chain, node); <= 0 */
	uint64_t last_seen_unix_ms;
	struct rs_metric_set m;
};

/* One (provider, chain) aggregated over every node. */
struct rs_provider_chain_metrics {
	char     provider[RS_STR];
	char     chain[RS_STR];
	struct rs_metric_set m;
	double   traffic_pct;      /* calls / all calls of this chain, percent */
	double   events_per_s;     /* calls / window */
	uint8_t  has_block;
	uint8_t  reserved[7];
	uint64_t block_height;     /* max over nodes */
	int64_t  block_lag;        /* worst (most negative) over nodes */
	uint32_t circuit_counts[RS_TRANSPORT_COUNT][RS_CIRCUIT_COUNT]; /* nodes per state */
};

/* One ingest node: its ring's counters and its traffic. */
struct rs_node_metrics {
	char     name[RS_STR];
	uint8_t  attached;         /* the aggregator currently drains its ring */
	uint8_t  producer_alive;
	uint8_t  reserved[6];
	uint32_t producer_pid;
	uint32_t producer_restarts;   /* producer attaches - 1 */
	uint64_t produced, consumed, dropped, rejected, in_ring, capacity, high_water;
	uint64_t source_lost;         /* datagrams the kernel dropped before the ingest read them */
	uint64_t rejected_by_reason[RS_REJECT_SLOTS];
	uint64_t heartbeat_age_ms;    /* producer heartbeat */
	uint64_t dict_count, dict_capacity;
	struct rs_metric_set m;
	double   events_per_s;
};

struct rs_method_metrics {
	char     method[RS_STR];
	uint64_t calls, errors, sum_us;
};

/* One node's top methods: ranked like methods[], over that node's calls only. */
struct rs_node_methods {
	uint32_t n;                /* valid entries of top[], <= RS_TOP_METHODS */
	uint32_t reserved;
	struct rs_method_metrics top[RS_TOP_METHODS];   /* most calls first */
};

struct rs_recent_decision {
	uint64_t emit_unix_ms;
	uint64_t arrival_unix_ns;
	char     chain[RS_STR];
	char     method[RS_STR];
	char     provider[RS_STR];
	char     request_id[33];
	uint8_t  node;             /* index into nodes[] */
	uint8_t  result, transport, origin, failover_count, strategy;
	uint32_t duration_us;
};

/* One circuit-breaker transition, as a node reported it. */
struct rs_circuit_event {
	uint64_t emit_unix_ms;
	uint64_t arrival_unix_ns;
	char     provider[RS_STR];
	char     reason[RS_STR];       /* "" when none was given */
	uint8_t  node;                 /* index into nodes[] */
	uint8_t  transport;            /* enum rs_transport */
	uint8_t  from_state, to_state; /* enum rs_circuit */
	uint8_t  reserved[4];
};

/* The headline strip: last window, from exact per-second counters. */
struct rs_totals {
	struct rs_metric_set m;
	double   rps;
	double   success_pct;
	double   avg_ms;
	double   failovers_per_min;
	uint64_t duplicates;       /* in the window */
	uint64_t duplicates_total; /* since the aggregator started */
	uint64_t dropped;          /* sum over nodes (lifetime of the rings) */
	uint64_t rejected;         /* sum over nodes */
	uint64_t source_lost;      /* sum over nodes: datagrams lost before an ingest read them */
	uint64_t late;             /* arrived older than the window: not counted */
	uint64_t rps_history[RS_RPS_HISTORY];
};

/* The aggregator's own health. */
struct rs_self_metrics {
	uint64_t ticks;
	uint64_t missed_ticks;
	uint64_t last_tick_us;       /* drain + compute + publish of the last tick */
	uint64_t max_tick_us;
	uint64_t drained_last_tick;
	uint64_t drained_total;
	uint64_t extra_drains;       /* drains between ticks because a ring filled fast */
	uint64_t dedup_entries, dedup_capacity, dedup_evictions;
	uint64_t routes_dropped;     /* events whose route did not fit RS_MAX_ROUTES */
	uint64_t started_unix_ms;
	uint32_t aggregator_pid;
	uint32_t tick_source;        /* 1 multishot timeout, 2 timerfd */
};

struct rs_metrics_snapshot {
	uint32_t schema;
	uint32_t tick_ms;
	uint32_t window_s;
	uint32_t n_nodes, n_provider_chains, n_routes, n_methods, n_recent;
	uint32_t n_circuit_events;
	char     instance[RS_NAME_MAX + 1];
	uint8_t  reserved[7];
	uint64_t computed_unix_ms;
	struct rs_totals                 totals;
	struct rs_self_metrics           self;
	struct rs_node_metrics           nodes[RS_MAX_NODES];
	struct rs_provider_chain_metrics provider_chains[RS_MAX_PROVIDER_CHAINS];
	struct rs_route_metrics          routes[RS_MAX_ROUTES];
	struct rs_method_metrics         methods[RS_TOP_METHODS];      /* most calls first */
	struct rs_recent_decision        recent[RS_RECENT_DECISIONS];  /* newest first */
	struct rs_circuit_event          circuit_events[RS_CIRCUIT_HISTORY]; /* newest first */
	/* By nodes[] index; the entries from n_nodes on are empty (n = 0). */
	struct rs_node_methods           node_methods[RS_MAX_NODES];
};

/*
 * Checks every count and index a reader will use (counts within their
 * arrays, route indices within n_*, strings terminated; node_methods[] of
 * nodes beyond n_nodes empty).  Returns 0 or
 * -EPROTO with a message naming the field.
 */
int rs_metrics_validate(const struct rs_metrics_snapshot *s, struct rs_error *err);

/* Derived figures, computed the same way for text, JSON and the terminal UI. */
double rs_metric_success_pct(const struct rs_metric_set *m);  /* 100 when no calls */
double rs_metric_avg_ms(const struct rs_metric_set *m);

#endif
