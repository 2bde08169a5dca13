/*
 * view_model.h - what every routestat view shows, derived from one validated
 * struct rs_metrics_snapshot: the provider leaderboard and the top methods
 * in the aggregate (all nodes) or one node's scope, node lookup, per-route
 * traffic shares.
 *
 * Linked by routestat-view (text and JSON) and by the later terminal UI, so
 * all of them rank and scope identically.  Pure functions of the snapshot:
 * no shared memory, no I/O, no allocation.  Every function expects a
 * snapshot that passed rs_metrics_validate (indices within their arrays);
 * enum values held in it may still be out of range and are shown "unknown".
 */
#ifndef RS_VIEW_MODEL_H
#define RS_VIEW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_snapshot.h"

/* Decisions the text view lists by default (the dashboard's feed shows ~100; JSON gives all). */
#define RS_VIEW_TEXT_RECENT 10u
#define RS_VIEW_TEXT_CIRCUITS 5u   /* circuit transitions listed by --once */

/* What a formatter shows; zero-initialised means "everything, defaults". */
struct rs_view_options {
	const char *node;      /* a node name: only that node's routes and data; NULL: all */
	unsigned    recent;    /* text: decisions listed; 0: RS_VIEW_TEXT_RECENT */
};

/* One leaderboard row: a (provider, chain) over all nodes, or one of its routes. */
struct rs_view_row {
	uint32_t    pc;            /* index into provider_chains[] */
	int32_t     route;         /* index into routes[] in a node scope, else -1 */
	const char *provider, *chain;
	struct rs_metric_set m;
	double      traffic_pct;   /* of all calls of this chain in this scope */
	double      events_per_s;
	bool        cold;          /* calls < RS_COLD_START_CALLS: warming up */
	bool        has_block;
	uint64_t    block_height;
	int64_t     block_lag;
	uint32_t    circuit_counts[RS_TRANSPORT_COUNT][RS_CIRCUIT_COUNT]; /* nodes per state */
};

/* Index of the node called name in s->nodes[], or -1. */
int rs_view_node_find(const struct rs_metrics_snapshot *s, const char *name);

/*
 * Fills rows with the leaderboard: every provider-chain (node < 0), or every
 * route of node (node >= 0), most calls first, ties by provider, chain.
 * Returns the number of rows written (at most cap).
 */
size_t rs_view_rank_providers(const struct rs_metrics_snapshot *s, int node,
			      struct rs_view_row *rows, size_t cap);

/* routes[route]'s calls as a percent of all calls of its chain on its node. */
double rs_view_route_traffic_pct(const struct rs_metrics_snapshot *s, uint32_t route);

/* Calls per second over the snapshot's window; 0 for an empty window. */
double rs_view_per_second(const struct rs_metrics_snapshot *s, uint64_t count);

/* Value of a "cold start" mark: fewer than RS_COLD_START_CALLS calls. */
static inline bool rs_view_is_cold(uint64_t calls)
{
	return calls < RS_COLD_START_CALLS;
}

/*
 * The top-methods list of a scope, most calls first: node's own (node >= 0;
 * empty for an index beyond n_nodes) or the cluster-wide one (node < 0).
 * *n receives its length.
 */
const struct rs_method_metrics *rs_view_methods(const struct rs_metrics_snapshot *s, int node,
						uint32_t *n);

/* A metric set of a top-methods entry, so its figures use rs_metric_*(). */
struct rs_metric_set rs_view_method_metrics(const struct rs_method_metrics *mm);

/* Enum names for display: the record.h name, or "unknown" when out of range. */
const char *rs_view_name(const char *name_or_null);

/* The aggregator's timer, named as its --tick-source option: "multishot", "timerfd", or "unknown". */
const char *rs_view_tick_source_name(uint32_t tick_source);

/* Dedup set fill in percent (0 when the capacity is unknown). */
double rs_view_dedup_fill_pct(const struct rs_self_metrics *self);

#endif
