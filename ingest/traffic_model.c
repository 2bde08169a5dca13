/*
 * traffic_model.c - the tables and sampling behind traffic_model.h.
 *
 * A decision: origin (2% system health checks), method, chain, strategy and
 * transport are drawn from skewed tables; the strategy picks the provider
 * (fastest favours low latency, cheapest the free endpoints, ...) avoiding
 * circuits that are open; each attempt takes a log-normal time scaled by the
 * provider, method, chain and node, with rare stalls; an attempt fails with
 * the provider's error rate times the method's, and a failed attempt fails
 * over to another provider (up to 3 times) or ends the request as an error.
 * The request's duration is the sum of its attempts.
 *
 * Every table is constant; all state lives in struct rs_traffic_model.
 */
#include "traffic_model.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "shm_abi.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define OTHER_EVENT_CHANCE (1.0 / 150.0) /* circuit or block record per decision */
#define BLOCK_SHARE        0.75          /* of those, block heights */
#define SYSTEM_CHANCE      0.02
#define DUPLICATE_CHANCE   0.005
#define WS_CHANCE          0.25
#define FAILOVER_CHANCE    0.8           /* a failed attempt is retried elsewhere */
#define FAILOVER_MAX       3
#define STALL_CHANCE       0.002         /* an attempt 5..30x slower than usual */
#define TIMEOUT_SHARE      0.25          /* errors that are timeouts */
#define TIMEOUT_MS         10000.0
#define ATTEMPT_MAX_MS     60000.0
#define ANCHOR_UNIX_MS     1735689600000ull /* 2025-01-01T00:00:00Z, for block heights */

struct provider_spec {
	const char *name;
	double median_ms, sigma, error_rate;
	unsigned popularity;      /* "priority" strategy weight */
	unsigned cheapness;       /* "cheapest" strategy weight */
	int ws;                   /* offers WebSocket */
};

static const struct provider_spec providers[RS_TRAFFIC_PROVIDERS] = {
	{ "alchemy",     42.0, 0.45, 0.004, 40,  4, 1 },
	{ "infura",      55.0, 0.55, 0.007, 25,  4, 1 },
	{ "quicknode",   36.0, 0.40, 0.005, 20,  2, 1 },
	{ "ankr",        85.0, 0.75, 0.020,  8, 20, 1 },
	{ "llamarpc",   110.0, 0.85, 0.030,  4, 35, 0 },
	{ "publicnode", 140.0, 0.95, 0.045,  3, 35, 1 },
};

struct chain_spec {
	const char *name;
	unsigned weight;
	double latency;
	uint64_t anchor_height;   /* height at ANCHOR_UNIX_MS */
	uint64_t block_ms;
};

static const struct chain_spec chains[] = {
	{ "ethereum", 40, 1.00,  21525000,  12000 },
	{ "base",     20, 0.90,  24500000,   2000 },
	{ "arbitrum", 15, 0.95, 291000000,    250 },
	{ "polygon",  15, 1.15,  66200000,   2000 },
	{ "optimism", 10, 0.90, 130300000,   2000 },
};

struct method_spec {
	const char *name;
	unsigned weight;
	double latency, errors;   /* factors over the provider's */
};

static const struct method_spec methods[] = {
	{ "eth_call",                  300, 1.3, 1.5 },
	{ "eth_blockNumber",           140, 0.5, 0.5 },
	{ "eth_getBalance",            110, 0.8, 0.6 },
	{ "eth_getTransactionReceipt",  90, 0.9, 0.8 },
	{ "eth_getBlockByNumber",       80, 1.4, 0.8 },
	{ "eth_getLogs",                60, 3.5, 3.0 },
	{ "eth_chainId",                50, 0.3, 0.2 },
	{ "eth_estimateGas",            40, 1.5, 4.0 },
	{ "eth_gasPrice",               40, 0.5, 0.5 },
	{ "eth_getTransactionCount",    30, 0.8, 0.6 },
	{ "eth_getCode",                20, 0.9, 0.6 },
	{ "eth_sendRawTransaction",     20, 2.5, 3.0 },
	{ "eth_feeHistory",             10, 1.2, 1.0 },
	{ "net_version",                10, 0.3, 0.2 },
};
#define METHOD_BLOCK_NUMBER 1u
#define METHOD_CHAIN_ID     6u

/* Strategy mix of client traffic, in enum rs_strategy order. */
static const unsigned strategy_weights[RS_STRATEGY_COUNT] = { 35, 8, 12, 20, 25 };

enum reason { R_THRESHOLD, R_TIMEOUTS, R_RATE_LIMIT, R_COOLDOWN, R_PROBE_OK, R_PROBE_FAIL };
static const char *const reasons[] = {
	[R_THRESHOLD] = "failure_threshold",   [R_TIMEOUTS] = "consecutive_timeouts",
	[R_RATE_LIMIT] = "rate_limited",       [R_COOLDOWN] = "cooldown_elapsed",
	[R_PROBE_OK] = "probe_succeeded",      [R_PROBE_FAIL] = "probe_failed",
};

static const char *const profiles[] = { "default" };

_Static_assert(COUNT(chains) == RS_TRAFFIC_CHAINS, "chain table");
_Static_assert(COUNT(methods) == RS_TRAFFIC_METHODS, "method table");
_Static_assert(COUNT(providers) < RS_TRAFFIC_NONE && COUNT(methods) < RS_TRAFFIC_NONE, "name indices");

/* ---- names ---------------------------------------------------------------- */

unsigned rs_traffic_name_count(enum rs_name_slot slot)
{
	switch (slot) {
	case RS_NAME_PROVIDER: return COUNT(providers);
	case RS_NAME_CHAIN:    return COUNT(chains);
	case RS_NAME_METHOD:   return COUNT(methods);
	case RS_NAME_PROFILE:  return COUNT(profiles);
	case RS_NAME_REASON:   return COUNT(reasons);
	case RS_NAME_COUNT:    break;
	}
	return 0;
}

const char *rs_traffic_name(enum rs_name_slot slot, unsigned i)
{
	if (i >= rs_traffic_name_count(slot))
		return NULL;
	switch (slot) {
	case RS_NAME_PROVIDER: return providers[i].name;
	case RS_NAME_CHAIN:    return chains[i].name;
	case RS_NAME_METHOD:   return methods[i].name;
	case RS_NAME_PROFILE:  return profiles[i];
	case RS_NAME_REASON:   return reasons[i];
	case RS_NAME_COUNT:    break;
	}
	return NULL;
}

/* ---- weighted choices ----------------------------------------------------- */

/* Index i with probability w[i] / sum, from cumulative weights cum[0..n). */
static unsigned pick_cum(struct rs_rng *r, const uint32_t *cum, unsigned n)
{
	uint32_t x = rs_rng_below(r, cum[n - 1]);
	unsigned i = 0;
	while (i + 1 < n && x >= cum[i])
		i++;
	return i;
}

static unsigned pick_chain(struct rs_traffic_model *m)
{
	return pick_cum(&m->rng, m->chain_cum, RS_TRAFFIC_CHAINS);
}

static unsigned pick_method(struct rs_traffic_model *m)
{
	return pick_cum(&m->rng, m->method_cum, RS_TRAFFIC_METHODS);
}

static unsigned pick_strategy(struct rs_traffic_model *m)
{
	return pick_cum(&m->rng, m->strategy_cum, RS_STRATEGY_COUNT);
}

/* How much strategy s likes provider p (before this node's latency factors). */
static double strategy_weight(unsigned s, unsigned p)
{
	double median = providers[p].median_ms;
	switch (s) {
	case RS_STRATEGY_FASTEST:          return 1e6 / (median * median);
	case RS_STRATEGY_CHEAPEST:         return providers[p].cheapness;
	case RS_STRATEGY_PRIORITY:         return providers[p].popularity;
	case RS_STRATEGY_LATENCY_WEIGHTED: return 1e3 / median;
	default:                           return 10.0; /* round robin */
	}
}

static void build_tables(struct rs_traffic_model *m)
{
	for (unsigned i = 0, sum = 0; i < RS_TRAFFIC_CHAINS; i++)
		m->chain_cum[i] = sum += chains[i].weight;
	for (unsigned i = 0, sum = 0; i < RS_TRAFFIC_METHODS; i++)
		m->method_cum[i] = sum += methods[i].weight;
	for (unsigned i = 0, sum = 0; i < RS_STRATEGY_COUNT; i++)
		m->strategy_cum[i] = sum += strategy_weights[i];

	for (unsigned s = 0; s < RS_STRATEGY_COUNT; s++) {
		double w[RS_TRAFFIC_PROVIDERS], total = 0.0;
		for (unsigned p = 0; p < RS_TRAFFIC_PROVIDERS; p++) {
			/* fastest and latency_weighted see this node's latencies */
			double f = s == RS_STRATEGY_FASTEST || s == RS_STRATEGY_LATENCY_WEIGHTED
					   ? 1.0 / m->provider_factor[p] : 1.0;
			w[p] = strategy_weight(s, p) * f;
			total += w[p];
		}
		uint32_t sum = 0;
		for (unsigned p = 0; p < RS_TRAFFIC_PROVIDERS; p++) {
			sum += 1u + (uint32_t)(w[p] / total * 1e6);
			m->provider_cum[s][p] = sum;
		}
	}
}

/* ---- setup ---------------------------------------------------------------- */

void rs_traffic_init(struct rs_traffic_model *m, uint64_t seed, const char *node)
{
	memset(m, 0, sizeof *m);
	uint64_t h = rs_rng_hash(node);
	/* The node's profile depends on its name only, not on the seed. */
	struct rs_rng node_rng;
	rs_rng_seed(&node_rng, h);
	m->node_factor = 0.85 + 0.4 * rs_rng_uniform(&node_rng);
	m->node_extra_ms = 25.0 * rs_rng_uniform(&node_rng);
	for (unsigned p = 0; p < RS_TRAFFIC_PROVIDERS; p++)
		m->provider_factor[p] = 0.8 + 0.5 * rs_rng_uniform(&node_rng);
	build_tables(m);
	rs_rng_seed(&m->rng, seed ^ h);
}

/* ---- decisions ------------------------------------------------------------ */

static bool usable(const struct rs_traffic_model *m, unsigned p, unsigned transport, unsigned avoid)
{
	return p != avoid && (transport != RS_TRANSPORT_WS || providers[p].ws) &&
	       m->circuit[p][transport] != RS_CIRCUIT_OPEN;
}

/* The strategy's choice among usable providers; a few redraws, then any other. */
static unsigned pick_provider(struct rs_traffic_model *m, unsigned strategy, unsigned transport,
			      unsigned avoid)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned p = pick_cum(&m->rng, m->provider_cum[strategy], RS_TRAFFIC_PROVIDERS);
		if (usable(m, p, transport, avoid))
			return p;
	}
	unsigned start = rs_rng_below(&m->rng, RS_TRAFFIC_PROVIDERS);
	for (unsigned i = 0; i < RS_TRAFFIC_PROVIDERS; i++) {
		unsigned p = (start + i) % RS_TRAFFIC_PROVIDERS;
		if (p != avoid && (transport != RS_TRANSPORT_WS || providers[p].ws))
			return p;
	}
	return start;
}

/* One attempt's time; *failed says whether it failed. */
static double attempt_ms(struct rs_traffic_model *m, unsigned p, unsigned method, unsigned chain,
			 unsigned transport, bool *failed)
{
	const struct provider_spec *ps = &providers[p];
	double median = ps->median_ms * methods[method].latency * chains[chain].latency *
			m->node_factor * m->provider_factor[p];
	double ms = rs_rng_lognormal(&m->rng, median, ps->sigma) + m->node_extra_ms;
	if (rs_rng_chance(&m->rng, STALL_CHANCE))
		ms *= 5.0 + 25.0 * rs_rng_uniform(&m->rng);
	double err = ps->error_rate * methods[method].errors;
	if (m->circuit[p][transport] == RS_CIRCUIT_HALF_OPEN)
		err *= 4.0;
	*failed = rs_rng_chance(&m->rng, err);
	if (*failed)
		ms = rs_rng_chance(&m->rng, TIMEOUT_SHARE)
			     ? TIMEOUT_MS * (1.0 + 0.05 * rs_rng_uniform(&m->rng))
			     : ms * 0.6;
	return ms < ATTEMPT_MAX_MS ? ms : ATTEMPT_MAX_MS;
}

static void write_hex64(char *dst, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, v >>= 4)
		dst[i] = digits[v & 15u];
}

/* A fresh 32-hex-digit id, or (rarely) a recent one again, as a proxy retry. */
static void request_id(struct rs_traffic_model *m, struct rs_record *rec)
{
	struct rs_decision *d = &rec->u.decision;
	if (m->recent_n > 0 && rs_rng_chance(&m->rng, DUPLICATE_CHANCE)) {
		uint64_t n = m->recent_n < RS_TRAFFIC_RECENT ? m->recent_n : RS_TRAFFIC_RECENT;
		unsigned i = rs_rng_below(&m->rng, (uint32_t)n);
		d->id_hi = m->recent_hi[i];
		d->id_lo = m->recent_lo[i];
		return;
	}
	char hex[32];
	write_hex64(hex, rs_rng_next(&m->rng));
	write_hex64(hex + 16, rs_rng_next(&m->rng));
	rec->flags |= rs_request_id_pack(hex, sizeof hex, &d->id_hi, &d->id_lo);
	unsigned slot = (unsigned)(m->recent_n++ % RS_TRAFFIC_RECENT);
	m->recent_hi[slot] = d->id_hi;
	m->recent_lo[slot] = d->id_lo;
}

/* Client or system traffic: what is asked and how the provider is chosen. */
static void pick_request(struct rs_traffic_model *m, struct rs_decision *d, unsigned *method)
{
	if (rs_rng_chance(&m->rng, SYSTEM_CHANCE)) {
		d->origin = RS_ORIGIN_SYSTEM;   /* health checks */
		*method = rs_rng_chance(&m->rng, 0.7) ? METHOD_BLOCK_NUMBER : METHOD_CHAIN_ID;
		d->strategy = RS_STRATEGY_ROUND_ROBIN;
	} else {
		d->origin = RS_ORIGIN_CLIENT;
		*method = pick_method(m);
		d->strategy = (uint8_t)pick_strategy(m);
	}
	d->transport = rs_rng_chance(&m->rng, WS_CHANCE) ? RS_TRANSPORT_WS : RS_TRANSPORT_HTTP;
}

static void make_decision(struct rs_traffic_model *m, struct rs_traffic_event *ev)
{
	struct rs_decision *d = &ev->rec.u.decision;
	unsigned method, chain = pick_chain(m);
	ev->rec.kind = RS_REC_DECISION;
	request_id(m, &ev->rec);
	pick_request(m, d, &method);
	unsigned p = pick_provider(m, d->strategy, d->transport, RS_TRAFFIC_PROVIDERS);
	double total_ms = 0.0;
	for (;;) {
		bool failed;
		total_ms += attempt_ms(m, p, method, chain, d->transport, &failed);
		d->result = failed ? RS_RESULT_ERROR : RS_RESULT_SUCCESS;
		if (!failed || d->origin == RS_ORIGIN_SYSTEM || d->failover_count >= FAILOVER_MAX ||
		    !rs_rng_chance(&m->rng, FAILOVER_CHANCE))
			break;
		d->failover_count++;
		p = pick_provider(m, d->strategy, d->transport, p);
	}
	d->duration_us = (uint32_t)llround(total_ms * 1000.0);
	ev->name[RS_NAME_PROVIDER] = (uint8_t)p;
	ev->name[RS_NAME_CHAIN] = (uint8_t)chain;
	ev->name[RS_NAME_METHOD] = (uint8_t)method;
	ev->name[RS_NAME_PROFILE] = 0;
}

/* ---- circuit breakers and block heights ---------------------------------- */

/* Next state and reason of a circuit, closed -> open -> half_open -> closed (or open). */
static unsigned circuit_step(struct rs_traffic_model *m, unsigned from, unsigned *reason)
{
	if (from == RS_CIRCUIT_OPEN) {
		*reason = R_COOLDOWN;
		return RS_CIRCUIT_HALF_OPEN;
	}
	if (from == RS_CIRCUIT_HALF_OPEN) {
		bool ok = rs_rng_chance(&m->rng, 0.75);
		*reason = ok ? R_PROBE_OK : R_PROBE_FAIL;
		return ok ? RS_CIRCUIT_CLOSED : RS_CIRCUIT_OPEN;
	}
	double x = rs_rng_uniform(&m->rng);
	*reason = x < 0.5 ? R_THRESHOLD : x < 0.8 ? R_TIMEOUTS : R_RATE_LIMIT;
	return RS_CIRCUIT_OPEN;
}

/* Mostly moves a tripped circuit along; otherwise trips a random closed one. */
static void make_circuit(struct rs_traffic_model *m, struct rs_traffic_event *ev)
{
	unsigned n = RS_TRAFFIC_PROVIDERS * RS_TRANSPORT_COUNT;
	unsigned start = rs_rng_below(&m->rng, n), pick = start;
	if (rs_rng_chance(&m->rng, 0.8))
		for (unsigned i = 0; i < n; i++) {
			unsigned c = (start + i) % n;
			if (m->circuit[c / RS_TRANSPORT_COUNT][c % RS_TRANSPORT_COUNT] != RS_CIRCUIT_CLOSED) {
				pick = c;
				break;
			}
		}
	unsigned p = pick / RS_TRANSPORT_COUNT, t = pick % RS_TRANSPORT_COUNT, reason;
	struct rs_circuit_change *cc = &ev->rec.u.circuit;
	ev->rec.kind = RS_REC_CIRCUIT;
	cc->transport = (uint8_t)t;
	cc->from_state = m->circuit[p][t];
	cc->to_state = (uint8_t)circuit_step(m, cc->from_state, &reason);
	m->circuit[p][t] = cc->to_state;
	ev->name[RS_NAME_PROVIDER] = (uint8_t)p;
	ev->name[RS_NAME_REASON] = (uint8_t)reason;
}

static void make_block(struct rs_traffic_model *m, uint64_t now_ms, struct rs_traffic_event *ev)
{
	unsigned chain = pick_chain(m);
	unsigned p = rs_rng_below(&m->rng, RS_TRAFFIC_PROVIDERS);
	double x = rs_rng_uniform(&m->rng);
	unsigned lag = x < 0.65 ? 0 : x < 0.85 ? 1 : x < 0.95 ? 2 : 3;
	const struct chain_spec *c = &chains[chain];
	uint64_t since = now_ms > ANCHOR_UNIX_MS ? now_ms - ANCHOR_UNIX_MS : 0;
	ev->rec.kind = RS_REC_BLOCK;
	ev->rec.u.block.height = c->anchor_height + since / c->block_ms - lag;
	ev->name[RS_NAME_PROVIDER] = (uint8_t)p;
	ev->name[RS_NAME_CHAIN] = (uint8_t)chain;
}

void rs_traffic_next(struct rs_traffic_model *m, uint64_t now_ms, struct rs_traffic_event *ev)
{
	memset(ev, 0, sizeof *ev);
	memset(ev->name, RS_TRAFFIC_NONE, sizeof ev->name);
	ev->rec.emit_unix_ms = now_ms;
	if (!rs_rng_chance(&m->rng, OTHER_EVENT_CHANCE))
		make_decision(m, ev);
	else if (rs_rng_chance(&m->rng, BLOCK_SHARE))
		make_block(m, now_ms, ev);
	else
		make_circuit(m, ev);
	rs_record_clear_names(&ev->rec);
}
