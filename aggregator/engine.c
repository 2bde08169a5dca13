/*
 * engine.c - the per-event path and window upkeep of the metrics engine
 * (engine.h).  Rendering the snapshot is in engine_render.c.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rs_engine_init(struct rs_engine *e, const struct rs_engine_config *cfg, uint64_t now_unix_s)
{
	memset(e, 0, sizeof *e);
	e->cfg = *cfg;
	if (e->cfg.window_s == 0)
		e->cfg.window_s = 60;
	if (e->cfg.dedup_capacity == 0)
		e->cfg.dedup_capacity = RS_DEDUP_DEFAULT_CAPACITY;
	if (e->cfg.dedup_ttl_s == 0)
		e->cfg.dedup_ttl_s = RS_DEDUP_DEFAULT_TTL_S;
	/* Enough slices to cover the window plus the one being filled. */
	e->hist_slices = (e->cfg.window_s + RS_ENGINE_HIST_SLICE_S - 1) / RS_ENGINE_HIST_SLICE_S + 1;
	e->now_s = e->start_s = now_unix_s;
	e->first_counted_s = UINT64_MAX;
	e->total_sec = calloc(e->cfg.window_s, sizeof *e->total_sec);
	e->dup_sec = calloc(e->cfg.window_s, sizeof *e->dup_sec);
	e->methods = calloc(RS_ENGINE_MAX_METHODS, sizeof *e->methods);
	e->scratch = calloc(RS_MAX_PROVIDER_CHAINS + RS_MAX_NODES + 2, sizeof *e->scratch);
	if (!e->total_sec || !e->dup_sec || !e->methods || !e->scratch ||
	    rs_dedup_init(&e->dedup, e->cfg.dedup_capacity, e->cfg.dedup_ttl_s) < 0) {
		rs_engine_free(e);
		return -ENOMEM;
	}
	return 0;
}

static void free_node_caches(struct rs_engine_node *n)
{
	free(n->method_of_id);
	free(n->circuit_of_id);
	n->method_of_id = NULL;
	n->circuit_of_id = NULL;
}

static void free_node_methods(struct rs_engine_node *n)
{
	for (uint32_t m = 0; m < RS_ENGINE_MAX_METHODS; m++) {
		free(n->method_sec[m]);
		n->method_sec[m] = NULL;
	}
}

void rs_engine_free(struct rs_engine *e)
{
	for (uint32_t i = 0; i < e->n_routes; i++) {
		free(e->routes[i]->sec);
		free(e->routes[i]->hist);
		free(e->routes[i]);
	}
	for (uint32_t i = 0; e->methods && i < e->n_methods; i++)
		free(e->methods[i].sec);
	for (uint32_t i = 0; i < e->n_nodes; i++) {
		free_node_caches(&e->nodes[i]);
		free_node_methods(&e->nodes[i]);
	}
	free(e->methods);
	free(e->total_sec);
	free(e->dup_sec);
	free(e->scratch);
	rs_dedup_free(&e->dedup);
	memset(e, 0, sizeof *e);
}

/* ---- nodes ----------------------------------------------------------------- */

static int find_node(const struct rs_engine *e, const char *name)
{
	for (uint32_t i = 0; i < e->n_nodes; i++)
		if (strcmp(e->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int reset_node_caches(struct rs_engine_node *n, const struct rs_ring *ring)
{
	free_node_caches(n);
	n->dict_capacity = ring->layout->dict_capacity;
	n->method_of_id = malloc(n->dict_capacity * sizeof *n->method_of_id);
	n->circuit_of_id = calloc(n->dict_capacity, sizeof *n->circuit_of_id); /* 0 = closed */
	if (n->method_of_id == NULL || n->circuit_of_id == NULL)
		return -ENOMEM;
	memset(n->method_of_id, 0xff, n->dict_capacity * sizeof *n->method_of_id);
	for (unsigned i = 0; i < RS_ROUTE_CACHE_SLOTS; i++)
		n->routes[i].route = RS_ENGINE_NO_INDEX;
	return 0;
}

int rs_engine_attach_node(struct rs_engine *e, const char *name, const struct rs_ring *ring)
{
	int idx = find_node(e, name);
	bool is_new = idx < 0;
	if (is_new) {
		if (e->n_nodes == RS_MAX_NODES)
			return -ENOSPC;
		idx = (int)e->n_nodes;
	}
	struct rs_engine_node *n = &e->nodes[idx];
	n->ring = NULL;
	int rc = reset_node_caches(n, ring);
	if (rc < 0)
		return rc;
	if (is_new) {
		snprintf(n->name, RS_STR, "%s", name);
		e->n_nodes++;
	}
	n->ring = ring;
	/* Provider ids of the old dictionary mean nothing in the new one. */
	for (uint32_t i = 0; i < e->n_routes; i++)
		if (e->routes[i]->node == idx)
			e->routes[i]->provider_id = RS_DICT_NONE;
	return idx;
}

void rs_engine_detach_node(struct rs_engine *e, unsigned node)
{
	if (node < e->n_nodes)
		e->nodes[node].ring = NULL;
}

/* ---- window upkeep --------------------------------------------------------- */

static void clear_second(struct rs_engine *e, uint64_t sec)
{
	uint32_t s = rs_engine_slot(e, sec);
	memset(&e->total_sec[s], 0, sizeof e->total_sec[s]);
	e->dup_sec[s] = 0;
	for (uint32_t i = 0; i < e->n_routes; i++)
		memset(&e->routes[i]->sec[s], 0, sizeof(struct rs_counts));
	for (uint32_t i = 0; i < e->n_methods; i++)
		memset(&e->methods[i].sec[s], 0, sizeof(struct rs_method_counts));
	for (uint32_t n = 0; n < e->n_nodes; n++)
		for (uint32_t i = 0; i < e->n_methods; i++)
			if (e->nodes[n].method_sec[i] != NULL)
				memset(&e->nodes[n].method_sec[i][s], 0, sizeof(struct rs_method_counts));
}

static void clear_hist_slice(struct rs_engine *e, uint64_t sec)
{
	uint32_t h = rs_engine_hist_slot(e, sec);
	for (uint32_t i = 0; i < e->n_routes; i++)
		rs_hist_reset(&e->routes[i]->hist[h]);
}

void rs_engine_advance(struct rs_engine *e, uint64_t now_unix_s)
{
	if (now_unix_s <= e->now_s)
		return;
	/* Seconds entering the window reuse the slots of seconds leaving it. */
	uint64_t first = e->now_s + 1;
	if (now_unix_s - e->now_s > e->cfg.window_s)
		first = now_unix_s - e->cfg.window_s + 1;
	for (uint64_t s = first; s <= now_unix_s; s++)
		clear_second(e, s);
	uint64_t old_k = e->now_s / RS_ENGINE_HIST_SLICE_S, new_k = now_unix_s / RS_ENGINE_HIST_SLICE_S;
	uint64_t k_first = old_k + 1;
	if (new_k - old_k > e->hist_slices)
		k_first = new_k - e->hist_slices + 1;
	for (uint64_t k = k_first; k <= new_k; k++)
		clear_hist_slice(e, k * RS_ENGINE_HIST_SLICE_S);
	e->now_s = now_unix_s;
}

/* ---- lookups (first sight of an id fills a cache) --------------------------- */

static const char *dict_name(const struct rs_engine_node *n, uint16_t id)
{
	const char *s = n->ring ? rs_ring_dict_lookup(n->ring, id) : NULL;
	return s ? s : "?";
}

static int provider_chain_index(struct rs_engine *e, const char *provider, const char *chain)
{
	for (uint32_t i = 0; i < e->n_pcs; i++)
		if (strcmp(e->pc_provider[i], provider) == 0 && strcmp(e->pc_chain[i], chain) == 0)
			return (int)i;
	if (e->n_pcs == RS_MAX_PROVIDER_CHAINS)
		return -1;
	snprintf(e->pc_provider[e->n_pcs], RS_STR, "%s", provider);
	snprintf(e->pc_chain[e->n_pcs], RS_STR, "%s", chain);
	return (int)e->n_pcs++;
}

static int new_route(struct rs_engine *e, unsigned node, uint16_t provider, uint16_t chain)
{
	const struct rs_engine_node *n = &e->nodes[node];
	int pc = provider_chain_index(e, dict_name(n, provider), dict_name(n, chain));
	if (pc < 0 || e->n_routes == RS_MAX_ROUTES)
		return -1;
	for (uint32_t i = 0; i < e->n_routes; i++)  /* known route, new ring dictionary */
		if (e->routes[i]->pc == pc && e->routes[i]->node == node) {
			e->routes[i]->provider_id = provider;
			return (int)i;
		}
	struct rs_route *r = calloc(1, sizeof *r);
	struct rs_counts *sec = calloc(e->cfg.window_s, sizeof *sec);
	struct rs_hist *hist = calloc(e->hist_slices, sizeof *hist);
	if (!r || !sec || !hist) {
		free(r); free(sec); free(hist);
		return -1;
	}
	r->pc = (uint16_t)pc;
	r->node = (uint16_t)node;
	r->provider_id = provider;
	r->sec = sec;
	r->hist = hist;
	e->routes[e->n_routes] = r;
	return (int)e->n_routes++;
}

static int route_of(struct rs_engine *e, unsigned node, uint16_t provider, uint16_t chain)
{
	struct rs_engine_node *n = &e->nodes[node];
	uint32_t key = (uint32_t)provider << 16 | chain;
	uint32_t i = (key * 2654435761u) >> 22;  /* 10 bits: RS_ROUTE_CACHE_SLOTS */
	for (unsigned probe = 0; probe < RS_ROUTE_CACHE_SLOTS; probe++, i = (i + 1) & (RS_ROUTE_CACHE_SLOTS - 1)) {
		struct rs_route_cache_slot *slot = &n->routes[i];
		if (slot->route == RS_ENGINE_NO_INDEX) {
			int r = new_route(e, node, provider, chain);
			if (r >= 0) {
				slot->key = key;
				slot->route = (uint16_t)r;
			}
			return r;
		}
		if (slot->key == key)
			return slot->route;
	}
	return -1;
}

static int method_named(struct rs_engine *e, const char *name)
{
	for (uint32_t i = 0; i < e->n_methods; i++)
		if (strcmp(e->methods[i].name, name) == 0)
			return (int)i;
	if (e->n_methods == RS_ENGINE_MAX_METHODS)
		return -1;
	struct rs_engine_method *m = &e->methods[e->n_methods];
	m->sec = calloc(e->cfg.window_s, sizeof *m->sec);
	if (m->sec == NULL)
		return -1;
	snprintf(m->name, RS_STR, "%s", name);
	return (int)e->n_methods++;
}

/*
 * Gives node n its own counters of method m on its first call of it.  Out of
 * memory, the node's list misses m while the cluster-wide one still counts it.
 */
static void give_node_counters(struct rs_engine *e, struct rs_engine_node *n, int m)
{
	if (m >= 0 && n->method_sec[m] == NULL)
		n->method_sec[m] = calloc(e->cfg.window_s, sizeof *n->method_sec[m]);
}

static int method_of(struct rs_engine *e, unsigned node, uint16_t id)
{
	struct rs_engine_node *n = &e->nodes[node];
	if (id >= n->dict_capacity) {
		int m = method_named(e, "?");
		give_node_counters(e, n, m);
		return m;
	}
	if (n->method_of_id[id] == RS_ENGINE_NO_INDEX) {
		int m = method_named(e, dict_name(n, id));
		if (m < 0)
			m = e->n_methods > 0 ? (int)e->n_methods - 1 : -1; /* full: lumped with the last */
		if (m < 0)
			return -1;
		give_node_counters(e, n, m);
		n->method_of_id[id] = (uint16_t)m;
	}
	return n->method_of_id[id];
}

/* ---- the per-event path ------------------------------------------------------ */

static void remember_recent(struct rs_engine *e, unsigned node, const struct rs_record *rec,
			    int route, int method)
{
	struct rs_recent_entry *r = &e->recent[node][e->recent_next[node]];
	r->rec = *rec;
	r->route = (uint16_t)route;
	r->method = method < 0 ? RS_ENGINE_NO_INDEX : (uint16_t)method;
	e->recent_next[node] = (e->recent_next[node] + 1) % RS_RECENT_DECISIONS;
	if (e->recent_count[node] < RS_RECENT_DECISIONS)
		e->recent_count[node]++;
}

static void count_decision(struct rs_engine *e, struct rs_route *r, int method,
			   const struct rs_record *rec, uint64_t sec)
{
	const struct rs_decision *d = &rec->u.decision;
	uint32_t s = rs_engine_slot(e, sec);
	struct rs_counts *rc = &r->sec[s], *tc = &e->total_sec[s];
	uint64_t err = d->result == RS_RESULT_ERROR;
	if (d->origin == RS_ORIGIN_SYSTEM) {
		rc->system_calls++;
		tc->system_calls++;
		return;
	}
	rc->calls++; rc->errors += err; rc->failovers += d->failover_count; rc->sum_us += d->duration_us;
	tc->calls++; tc->errors += err; tc->failovers += d->failover_count; tc->sum_us += d->duration_us;
	rs_hist_record(&r->hist[rs_engine_hist_slot(e, sec)], d->duration_us);
	if (method >= 0) {
		struct rs_method_counts *mc = &e->methods[method].sec[s];
		struct rs_method_counts *node_sec = e->nodes[r->node].method_sec[method];
		mc->calls++; mc->errors += err; mc->sum_us += d->duration_us;
		if (node_sec != NULL) {   /* NULL only when its allocation failed */
			struct rs_method_counts *nc = &node_sec[s];
			nc->calls++; nc->errors += err; nc->sum_us += d->duration_us;
		}
	}
}

static void ingest_decision(struct rs_engine *e, unsigned node, const struct rs_record *rec, uint64_t sec)
{
	const struct rs_decision *d = &rec->u.decision;
	/* Seconds since start, offset so a record from before start is still >= 1. */
	uint32_t dedup_s = (uint32_t)(sec + e->cfg.window_s + 1 - e->start_s);
	if (rs_dedup_check(&e->dedup, d->id_hi, d->id_lo, dedup_s)) {
		e->dup_sec[rs_engine_slot(e, sec)]++;
		e->duplicates_total++;
		return;
	}
	int route = route_of(e, node, rec->provider, rec->chain);
	if (route < 0) {
		e->routes_dropped++;
		return;
	}
	int method = method_of(e, node, rec->method);
	struct rs_route *r = e->routes[route];
	r->last_seen_unix_ms = rec->emit_unix_ms;
	if (sec < e->first_counted_s)
		e->first_counted_s = sec;
	count_decision(e, r, method, rec, sec);
	remember_recent(e, node, rec, route, method);
}

static void ingest_circuit(struct rs_engine *e, unsigned node, const struct rs_record *rec)
{
	struct rs_engine_node *n = &e->nodes[node];
	const struct rs_circuit_change *c = &rec->u.circuit;
	if (rec->provider >= n->dict_capacity || c->transport >= RS_TRANSPORT_COUNT ||
	    c->to_state >= RS_CIRCUIT_COUNT || c->from_state >= RS_CIRCUIT_COUNT)
		return;
	n->circuit_of_id[rec->provider][c->transport] = c->to_state;
	/* Transitions are rare: resolving their names now keeps rendering simple. */
	struct rs_circuit_event *ev = &e->circuit_events[e->circuit_next];
	memset(ev, 0, sizeof *ev);
	ev->emit_unix_ms = rec->emit_unix_ms;
	ev->arrival_unix_ns = rec->arrival_unix_ns;
	snprintf(ev->provider, RS_STR, "%s", dict_name(n, rec->provider));
	if (c->reason != RS_DICT_NONE)
		snprintf(ev->reason, RS_STR, "%s", dict_name(n, c->reason));
	ev->node = (uint8_t)node;
	ev->transport = c->transport;
	ev->from_state = c->from_state;
	ev->to_state = c->to_state;
	e->circuit_next = (e->circuit_next + 1) % RS_CIRCUIT_HISTORY;
	if (e->circuit_count < RS_CIRCUIT_HISTORY)
		e->circuit_count++;
}

static void ingest_block(struct rs_engine *e, unsigned node, const struct rs_record *rec)
{
	int route = route_of(e, node, rec->provider, rec->chain);
	if (route < 0) {
		e->routes_dropped++;
		return;
	}
	struct rs_route *r = e->routes[route];
	r->block_height = rec->u.block.height;
	r->has_block = 1;
}

/* Arrival second of a record, clamped to the window; 0 when too old to count. */
static uint64_t window_second(struct rs_engine *e, const struct rs_record *rec)
{
	uint64_t sec = rec->arrival_unix_ns / 1000000000u;
	if (sec > e->now_s)
		return e->now_s;  /* ingest's clock a hair ahead of ours */
	if (sec + e->cfg.window_s <= e->now_s)
		return 0;
	return sec;
}

/* Records ahead whose dedup bucket is prefetched: about one miss latency of work. */
#define RS_ENGINE_PREFETCH 8

void rs_engine_ingest(struct rs_engine *e, unsigned node, const struct rs_record *recs, size_t n)
{
	if (node >= e->n_nodes || e->nodes[node].method_of_id == NULL)
		return;  /* not attached: nothing to resolve names with */
	for (size_t i = 0; i < n; i++) {
		const struct rs_record *rec = &recs[i];
		if (i + RS_ENGINE_PREFETCH < n)
			rs_dedup_prefetch(&e->dedup, recs[i + RS_ENGINE_PREFETCH].u.decision.id_hi,
					  recs[i + RS_ENGINE_PREFETCH].u.decision.id_lo);
		uint64_t sec = window_second(e, rec);
		switch (rec->kind) {
		case RS_REC_DECISION:
			if (sec == 0)
				e->late_total++;
			else
				ingest_decision(e, node, rec, sec);
			break;
		case RS_REC_CIRCUIT:
			ingest_circuit(e, node, rec);
			break;
		case RS_REC_BLOCK:
			ingest_block(e, node, rec);
			break;
		default:
			break;  /* unknown kinds from a newer producer are skipped */
		}
	}
}
