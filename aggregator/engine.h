/*
 * engine.h - the aggregator's metrics engine: takes drained records, keeps
 * sliding-window state, and renders the snapshot payload (metrics_snapshot.h).
 *
 * Windows are by arrival time.  Counts are kept in per-second slices (exact);
 * latency histograms in coarser slices (RS_ENGINE_HIST_SLICE_S) because each
 * is 13 KiB: a route's percentiles cover the last window_s to window_s + 5 s.
 * Window sums and histogram merges are computed at publication (once per
 * tick), so the per-event path only touches the current slices.
 *
 * Identity: a route is (provider, chain, node); records carry the ring's
 * dictionary ids, which each node maps to routes and methods through caches
 * filled on first sight (ids are stable for a ring's life).
 *
 * Memory: per route window_s * 40 B + (window_s / 5 + 2) * 13.3 KiB
 * (~190 KiB at 60 s), allocated when the route first appears, at most
 * RS_MAX_ROUTES routes (~48 MiB); per method window_s * 24 B cluster-wide
 * and as much again per node that reports it, allocated on the node's first
 * call of the method: at most RS_MAX_NODES x RS_ENGINE_MAX_METHODS x
 * window_s x 24 B (16 x 256 x 60 x 24 B = 5.6 MiB at 60 s), plus their
 * pointers in struct rs_engine (16 x 256 x 8 B = 32 KiB); plus the dedup
 * table (dedup.h).
 * Single-threaded: only the aggregator's loop calls it.
 */
#ifndef RS_ENGINE_H
#define RS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "dedup.h"
#include "histogram.h"
#include "metrics_snapshot.h"
#include "ring.h"

#define RS_ENGINE_HIST_SLICE_S 5u
#define RS_ENGINE_MAX_METHODS  256u
#define RS_ENGINE_NO_INDEX     0xffffu

struct rs_engine_config {
	uint32_t window_s;          /* sliding window, default 60 */
	uint64_t dedup_capacity;    /* ids remembered, default 1 Mi */
	uint32_t dedup_ttl_s;       /* default 120 */
};

struct rs_counts {
	uint64_t calls, errors, failovers, system_calls, sum_us;
};

struct rs_route;
struct rs_engine_method;
struct rs_method_counts;

struct rs_route_cache_slot {
	uint32_t key;               /* provider << 16 | chain, + used flag in route */
	uint16_t route;             /* RS_ENGINE_NO_INDEX = empty */
};

#define RS_ROUTE_CACHE_SLOTS 1024u

struct rs_engine_node {
	char                   name[RS_STR];
	const struct rs_ring  *ring;            /* NULL while detached */
	uint32_t               dict_capacity;
	uint16_t              *method_of_id;    /* dict id -> method index */
	uint8_t              (*circuit_of_id)[RS_TRANSPORT_COUNT]; /* provider id -> state */
	struct rs_route_cache_slot routes[RS_ROUTE_CACHE_SLOTS];
	/*
	 * This node's share of each method's counters, by method index: [window_s]
	 * per-second slices like rs_engine_method.sec, allocated when the node first
	 * reports the method (method_of), kept across re-attaches, freed with the engine.
	 */
	struct rs_method_counts *method_sec[RS_ENGINE_MAX_METHODS];
};

struct rs_recent_entry {
	struct rs_record rec;
	uint16_t route;
	uint16_t method;
};

struct rs_engine {
	struct rs_engine_config cfg;
	uint32_t                hist_slices;    /* ring of histogram slices per route */
	uint64_t                now_s;          /* newest second (Unix) the window holds */
	uint64_t                start_s;
	uint64_t                first_counted_s; /* oldest arrival second counted (a backlog predates start) */
	struct rs_engine_node   nodes[RS_MAX_NODES];
	uint32_t                n_nodes;
	char                    pc_provider[RS_MAX_PROVIDER_CHAINS][RS_STR];
	char                    pc_chain[RS_MAX_PROVIDER_CHAINS][RS_STR];
	uint32_t                n_pcs;
	struct rs_route        *routes[RS_MAX_ROUTES];
	uint32_t                n_routes;
	struct rs_engine_method *methods;
	uint32_t                n_methods;
	struct rs_counts       *total_sec;      /* [window_s] */
	uint64_t               *dup_sec;        /* [window_s] */
	struct rs_dedup         dedup;
	/* The latest decisions of each node; rendering merges them newest first. */
	struct rs_recent_entry  recent[RS_MAX_NODES][RS_RECENT_DECISIONS];
	uint32_t                recent_next[RS_MAX_NODES], recent_count[RS_MAX_NODES];
	struct rs_circuit_event circuit_events[RS_CIRCUIT_HISTORY]; /* ring, names resolved on arrival */
	uint32_t                circuit_next, circuit_count;
	uint64_t                duplicates_total, late_total, routes_dropped;
	struct rs_hist         *scratch;        /* publication: [pcs + nodes + 2] */
};

int  rs_engine_init(struct rs_engine *e, const struct rs_engine_config *cfg, uint64_t now_unix_s);
void rs_engine_free(struct rs_engine *e);

/*
 * Binds a ring to the node of its name (new or known); forgets the node's
 * id caches since a re-created ring has a new dictionary.  Returns the node
 * index or -ENOSPC when RS_MAX_NODES nodes exist, -ENOMEM.
 */
int  rs_engine_attach_node(struct rs_engine *e, const char *name, const struct rs_ring *ring);
void rs_engine_detach_node(struct rs_engine *e, unsigned node);

/* Moves the window forward to now (Unix seconds); never backwards. */
void rs_engine_advance(struct rs_engine *e, uint64_t now_unix_s);

/* Accounts n records drained from node's ring. */
void rs_engine_ingest(struct rs_engine *e, unsigned node, const struct rs_record *recs, size_t n);

/* Fills everything of the snapshot the engine knows (not ring counters or self-metrics). */
void rs_engine_render(struct rs_engine *e, struct rs_metrics_snapshot *out);

#endif
