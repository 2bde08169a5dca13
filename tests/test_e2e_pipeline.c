/*
 * End-to-end tests of the pipeline: the real routestat-ingest,
 * routestat-aggregator and routestat-view, forked and exec'd, talking through
 * real shared memory, stopped with real signals.  The tests generate their
 * own JSON-lines input, compute the expected figures themselves and compare
 * them with routestat-view --json: exact metrics over two nodes, duplicates,
 * rejected lines, late ring discovery, an aggregator SIGKILLed and restarted
 * mid-stream, and the viewer's exit codes against live, stopped, stalled and
 * killed aggregators.
 *
 * Every test uses its own instance name and temporary directory; .fini kills
 * and reaps every child and removes the instance's objects, even after a
 * failed assertion (e2e_support.h).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "e2e_support.h"

#ifndef RS_INGEST_BIN
#error "RS_INGEST_BIN must name the built routestat-ingest (tests/CMakeLists.txt)"
#endif
#ifndef RS_AGGREGATOR_BIN
#error "RS_AGGREGATOR_BIN must name the built routestat-aggregator (tests/CMakeLists.txt)"
#endif
#ifndef RS_INSPECT_BIN
#error "RS_INSPECT_BIN must name the built routestat-inspect (tests/CMakeLists.txt)"
#endif

#define SETTLE_S 12.0   /* longest wait for the aggregator to catch up with the rings */

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);   /* a dead ingest must fail an assertion, not kill the test */
	e2e_setup();
}

static void teardown(void)
{
	e2e_teardown();
}

TestSuite(e2e_pipeline, .init = setup, .fini = teardown, .timeout = 60);

/* ---- starting the programs ------------------------------------------------------ */

static pid_t start_aggregator(const char *inst)
{
	char *log = e2e_path("aggregator.log");
	const char *argv[] = { RS_AGGREGATOR_BIN, "--instance", inst, "--tick-ms", "100",
			       "--window-s", "60", NULL };
	pid_t pid = e2e_spawn(argv, -1, NULL, log, NULL);
	free(log);
	return pid;
}

/* An ingest for node reading a JSON-lines file (or "-" with in_fd); stderr into *err_path. */
static pid_t start_ingest_jsonl(const char *inst, const char *node, const char *file, int in_fd,
				char **err_path)
{
	char *err = e2e_path("ingest.err");
	const char *argv[] = { RS_INGEST_BIN, "--instance", inst, "--node", node, "--source", "jsonl",
			       file, NULL };
	pid_t pid = e2e_spawn(argv, in_fd, NULL, err, NULL);
	if (err_path != NULL)
		*err_path = err;
	else
		free(err);
	return pid;
}

static void expect_exit_ok(pid_t pid, const char *what, const char *err_path)
{
	int st = e2e_wait(pid, SETTLE_S);
	char buf[32];
	char *err = err_path ? e2e_read_file(err_path) : strdup("");
	cr_assert(rs_test_exited_ok(st), "%s: %s, stderr:\n%s", what, e2e_status_str(st, buf, sizeof buf), err);
	free(err);
}

/* ---- a deterministic generator ---------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)   /* splitmix64 */
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double rng_unit(struct rng *r)     /* [0, 1) */
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_normal(struct rng *r)   /* Box-Muller */
{
	double u = 1.0 - rng_unit(r), v = rng_unit(r);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* A unique lowercase 32-hex request id: random high half, (tag, serial) low half. */
static void make_id(struct rng *r, uint32_t tag, uint32_t serial, char out[33])
{
	snprintf(out, 33, "%016llx%08x%08x", (unsigned long long)rng_next(r), tag, serial);
}

struct decision {
	char        id[33];
	const char *node;
	const char *provider;
	const char *chain;
	int         chain_id;        /* > 0: written as "chain_id" instead of "chain" */
	const char *method;
	const char *strategy;
	const char *transport;
	char        duration[32];    /* duration_ms as written */
	bool        error;
	bool        system;
	bool        omit_defaults;   /* leave out request_origin (client) and failover_count (0) */
	unsigned    failovers;
};

/* The line of a decision, as the proxy would publish it. */
static int format_decision(char *buf, size_t n, const struct decision *d, int64_t ts)
{
	char chain[64], tail[96] = "";
	if (d->chain_id > 0)
		snprintf(chain, sizeof chain, "\"chain_id\":%d", d->chain_id);
	else
		snprintf(chain, sizeof chain, "\"chain\":\"%s\"", d->chain);
	if (!d->omit_defaults)
		snprintf(tail, sizeof tail, ",\"request_origin\":\"%s\",\"failover_count\":%u",
			 d->system ? "system" : "client", d->failovers);
	return snprintf(buf, n,
			"{\"ts\":%lld,\"request_id\":\"%s\",\"profile\":\"default\",\"source_node_id\":\"%s\","
			"%s,\"method\":\"%s\",\"strategy\":\"%s\",\"provider_id\":\"%s\",\"transport\":\"%s\","
			"\"duration_ms\":%s,\"result\":\"%s\"%s}\n",
			(long long)ts, d->id, d->node, chain, d->method, d->strategy ? d->strategy : "fastest",
			d->provider, d->transport ? d->transport : "http", d->duration,
			d->error ? "error" : "success", tail);
}

/* What routestat-ingest stores for a duration_ms text: rounded microseconds. */
static uint32_t duration_us(const char *text)
{
	if (strpbrk(text, ".eE") == NULL)
		return (uint32_t)(strtoll(text, NULL, 10) * 1000);
	return (uint32_t)llround(strtod(text, NULL) * 1000.0);
}

/* A growing text buffer (the contents of one JSON-lines file). */
struct text {
	char  *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		cr_assert_not_null(t->s);
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_addf(struct text *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof buf);
	text_add(t, buf, (size_t)n);
}

static void text_add_decision(struct text *t, const struct decision *d)
{
	char line[1024];
	int n = format_decision(line, sizeof line, d, e2e_now_ms());
	cr_assert(n > 0 && (size_t)n < sizeof line);
	text_add(t, line, (size_t)n);
}

/* Writes t to a new file of the test directory; returns its path. */
static char *text_save(struct text *t, const char *tag)
{
	char *path = e2e_path(tag);
	e2e_write_file(path, t->s ? t->s : "", t->len);
	return path;
}

/* n simple client successes of node (ids tagged `tag`), e.g. for counting. */
static void text_add_simple(struct text *t, struct rng *r, const char *node, uint32_t tag, unsigned n)
{
	static const char *providers[] = { "alchemy", "infura" };
	for (unsigned i = 0; i < n; i++) {
		struct decision d = { .node = node, .provider = providers[i % 2], .chain = "ethereum",
				      .method = "eth_call" };
		make_id(r, tag, i, d.id);
		snprintf(d.duration, sizeof d.duration, "%u", 5 + i % 40);
		text_add_decision(t, &d);
	}
}

/* ---- expected figures ----------------------------------------------------------- */

struct agg {
	uint64_t  calls, errors, failovers, system_calls, sum_us;
	uint32_t *dur;
	size_t    n, cap;
};

static void agg_add(struct agg *a, const struct decision *d)
{
	if (d->system) {
		a->system_calls++;
		return;
	}
	a->calls++;
	a->errors += d->error;
	a->failovers += d->failovers;
	uint32_t us = duration_us(d->duration);
	a->sum_us += us;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->dur = realloc(a->dur, a->cap * sizeof *a->dur);
		cr_assert_not_null(a->dur);
	}
	a->dur[a->n++] = us;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* Nearest rank: the value of 1-based rank ceil(pct / 100 * n) (sorts a->dur). */
static double agg_quantile_ms(struct agg *a, unsigned pct)
{
	if (a->n == 0)
		return 0.0;
	qsort(a->dur, a->n, sizeof *a->dur, cmp_u32);
	size_t rank = (a->n * pct + 99) / 100;
	if (rank < 1)
		rank = 1;
	return a->dur[rank - 1] / 1000.0;
}

static void agg_free(struct agg *a)
{
	free(a->dur);
	memset(a, 0, sizeof *a);
}

static bool near(double got, double want, double rel, double abs_slack)
{
	return fabs(got - want) <= rel * fabs(want) + abs_slack;
}

/* Compares one metrics object (totals, providers[], by_node[], nodes[]) with the expectation. */
static void expect_metrics(json_t *o, struct agg *a, const char *what)
{
	cr_assert_not_null(o, "%s: absent", what);
	cr_expect_eq(e2e_int(o, "calls"), (json_int_t)a->calls, "%s: calls %lld, want %llu", what,
		     (long long)e2e_int(o, "calls"), (unsigned long long)a->calls);
	cr_expect_eq(e2e_int(o, "errors"), (json_int_t)a->errors, "%s: errors %lld, want %llu", what,
		     (long long)e2e_int(o, "errors"), (unsigned long long)a->errors);
	cr_expect_eq(e2e_int(o, "failovers"), (json_int_t)a->failovers, "%s: failovers %lld, want %llu",
		     what, (long long)e2e_int(o, "failovers"), (unsigned long long)a->failovers);
	cr_expect_eq(e2e_int(o, "system_calls"), (json_int_t)a->system_calls,
		     "%s: system_calls %lld, want %llu", what, (long long)e2e_int(o, "system_calls"),
		     (unsigned long long)a->system_calls);
	double sr = a->calls ? 100.0 * (double)(a->calls - a->errors) / (double)a->calls : 100.0;
	cr_expect(near(e2e_num(o, "success_rate"), sr, 0, 0.05 + 1e-9), "%s: success_rate %.3f, want %.3f",
		  what, e2e_num(o, "success_rate"), sr);
	if (a->calls == 0)
		return;
	static const struct { const char *key; unsigned pct; } q[] = {
		{ "p50_ms", 50 }, { "p95_ms", 95 }, { "p99_ms", 99 },
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		double want = agg_quantile_ms(a, q[i].pct), got = e2e_num(o, q[i].key);
		cr_expect(near(got, want, 0.01, 0.001), "%s: %s %.3f, want %.3f (n %zu)", what, q[i].key,
			  got, want, a->n);
	}
	double avg = (double)a->sum_us / (double)a->calls / 1000.0;
	cr_expect(near(e2e_num(o, "avg_ms"), avg, 0.001, 0.0005), "%s: avg_ms %.4f, want %.4f", what,
		  e2e_num(o, "avg_ms"), avg);
}

/* Predicate: each named node shows produced == consumed == its expected count. */
struct settled {
	const char *nodes[4];
	long long   produced[4];
};

static bool pred_settled(const struct e2e_view *v, void *ctx)
{
	const struct settled *s = ctx;
	if (v->doc == NULL)
		return false;
	for (int i = 0; i < 4 && s->nodes[i]; i++)
		if (e2e_node_int(v->doc, s->nodes[i], "produced") != s->produced[i] ||
		    e2e_node_int(v->doc, s->nodes[i], "consumed") != s->produced[i])
			return false;
	return true;
}

/* ---- 1. exact metrics over two nodes -------------------------------------------- */

#define N_DECISIONS 6000
#define N_PROVIDERS 3
#define N_CHAINS    2
#define N_METHODS   4
#define N_NODES     2

static const char *const providers[N_PROVIDERS] = { "alchemy", "infura", "quicknode" };
static const char *const chains[N_CHAINS] = { "ethereum", "polygon" };
static const int chain_ids[N_CHAINS] = { 1, 137 };
static const char *const methods[N_METHODS] = { "eth_call", "eth_getBalance", "eth_blockNumber",
						"eth_getLogs" };
static const char *const nodes[N_NODES] = { "node-a", "node-b" };
static const char *const strategies[] = { "fastest", "cheapest", "priority", "round_robin",
					  "latency_weighted" };

struct expected {
	struct agg total, pc[N_PROVIDERS][N_CHAINS], route[N_PROVIDERS][N_CHAINS][N_NODES];
	struct agg node[N_NODES], method[N_METHODS];
	long long  lines[N_NODES];
};

static void generate(struct rng *r, struct decision *d, unsigned i)
{
	static const double median_ms[N_PROVIDERS] = { 18.0, 45.0, 110.0 };
	unsigned p = (unsigned)(rng_next(r) % N_PROVIDERS), c = (unsigned)(rng_next(r) % 10 < 6 ? 0 : 1);
	unsigned m = (unsigned)(rng_next(r) % N_METHODS), node = rng_unit(r) < 0.55 ? 0 : 1;
	*d = (struct decision){ .node = nodes[node], .provider = providers[p], .chain = chains[c],
				.method = methods[m], .strategy = strategies[rng_next(r) % 5],
				.transport = rng_next(r) % 4 ? "http" : "ws" };
	make_id(r, 0xa11ce, i, d->id);
	if (rng_next(r) % 5 == 0)
		d->chain_id = chain_ids[c];       /* the EIP-155 form for some */
	double ms = median_ms[p] * (c ? 1.3 : 1.0) * exp(0.7 * rng_normal(r));
	if (ms > 3000000.0)
		ms = 3000000.0;
	switch (rng_next(r) % 3) {
	case 0: snprintf(d->duration, sizeof d->duration, "%lld", (long long)llround(ms)); break;
	case 1: snprintf(d->duration, sizeof d->duration, "%.3f", ms); break;
	default: snprintf(d->duration, sizeof d->duration, "%.4f", ms); break;  /* sub-us: rounded */
	}
	d->error = rng_unit(r) < 0.05;
	d->system = rng_unit(r) < 0.04;
	if (d->error || rng_unit(r) < 0.06)
		d->failovers = 1 + (unsigned)(rng_next(r) % 3);
	d->omit_defaults = !d->system && d->failovers == 0 && rng_next(r) % 4 == 0;
}

static void expect_provider(json_t *doc, struct expected *x, unsigned p, unsigned c)
{
	char what[96];
	snprintf(what, sizeof what, "providers[%s/%s]", providers[p], chains[c]);
	json_t *entry = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(doc, "providers"), i, e)
		if (strcmp(e2e_str(e, "provider"), providers[p]) == 0 &&
		    strcmp(e2e_str(e, "chain"), chains[c]) == 0)
			entry = e;
	cr_assert_not_null(entry, "%s: absent from the view", what);
	expect_metrics(entry, &x->pc[p][c], what);
	uint64_t chain_calls = 0;
	for (unsigned q = 0; q < N_PROVIDERS; q++)
		chain_calls += x->pc[q][c].calls;
	double share = 100.0 * (double)x->pc[p][c].calls / (double)chain_calls;
	cr_expect(near(e2e_num(entry, "traffic_pct"), share, 0, 0.05 + 1e-9), "%s: traffic_pct %.2f, want %.2f",
		  what, e2e_num(entry, "traffic_pct"), share);
	cr_expect(json_is_false(json_object_get(entry, "cold_start")), "%s: cold_start", what);
	for (unsigned n = 0; n < N_NODES; n++) {
		char w2[128];
		snprintf(w2, sizeof w2, "%s.by_node[%s]", what, nodes[n]);
		json_t *bn = e2e_find_by(json_object_get(entry, "by_node"), "node", nodes[n]);
		expect_metrics(bn, &x->route[p][c][n], w2);
	}
	cr_expect_eq(json_array_size(json_object_get(entry, "by_node")), N_NODES);
}

Test(e2e_pipeline, exact_metrics_two_nodes)
{
	const char *inst = rs_test_new_instance("exact");
	struct rng r = { 20240601 };
	static struct expected x;
	memset(&x, 0, sizeof x);
	struct text file[N_NODES] = { { 0 } };

	for (unsigned i = 0; i < N_DECISIONS; i++) {
		struct decision d;
		generate(&r, &d, i);
		unsigned p = 0, c = 0, m = 0, n = strcmp(d.node, nodes[0]) == 0 ? 0 : 1;
		while (strcmp(d.provider, providers[p]) != 0) p++;
		while (strcmp(d.chain, chains[c]) != 0) c++;
		while (strcmp(d.method, methods[m]) != 0) m++;
		text_add_decision(&file[n], &d);
		x.lines[n]++;
		agg_add(&x.total, &d);
		agg_add(&x.pc[p][c], &d);
		agg_add(&x.route[p][c][n], &d);
		agg_add(&x.node[n], &d);
		agg_add(&x.method[m], &d);
	}
	cr_assert(x.total.errors > 100 && x.total.system_calls > 100 && x.total.failovers > 100,
		  "the generated stream lacks variety");

	pid_t agg = start_aggregator(inst);
	pid_t ing[N_NODES];
	char *err[N_NODES];
	for (unsigned n = 0; n < N_NODES; n++) {
		char *path = text_save(&file[n], nodes[n]);
		ing[n] = start_ingest_jsonl(inst, nodes[n], path, -1, &err[n]);
		free(path);
	}
	for (unsigned n = 0; n < N_NODES; n++)
		expect_exit_ok(ing[n], nodes[n], err[n]);

	struct settled s = { { nodes[0], nodes[1] }, { x.lines[0], x.lines[1] } };
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s,
					  "every line of both nodes to be consumed");
	json_t *doc = v.doc;
	cr_assert(e2e_running(agg), "the aggregator exited");
	cr_expect_eq(v.code, 0, "view exit %d: %s", v.code, v.err);
	cr_expect_str_eq(e2e_str(doc, "status"), "fresh");
	cr_expect_eq(e2e_int(doc, "tick_ms"), 100);
	cr_expect_eq(e2e_int(doc, "window_s"), 60);
	cr_expect_str_eq(e2e_str(doc, "instance"), inst);

	expect_metrics(json_object_get(doc, "totals"), &x.total, "totals");
	cr_expect_eq(e2e_int(doc, "totals.duplicates"), 0);
	cr_expect_eq(e2e_int(doc, "totals.dropped"), 0);
	cr_expect_eq(e2e_int(doc, "totals.rejected"), 0);
	cr_expect_eq(e2e_int(doc, "totals.late"), 0);
	cr_expect_eq(json_array_size(json_object_get(doc, "providers")), N_PROVIDERS * N_CHAINS);
	for (unsigned p = 0; p < N_PROVIDERS; p++)
		for (unsigned c = 0; c < N_CHAINS; c++)
			expect_provider(doc, &x, p, c);

	json_t *ms = json_object_get(doc, "methods");
	cr_expect_eq(json_array_size(ms), N_METHODS);
	for (unsigned m = 0; m < N_METHODS; m++) {
		json_t *e = e2e_find_by(ms, "method", methods[m]);
		cr_assert_not_null(e, "methods[%s] absent", methods[m]);
		cr_expect_eq(e2e_int(e, "calls"), (json_int_t)x.method[m].calls, "methods[%s].calls", methods[m]);
		cr_expect_eq(e2e_int(e, "errors"), (json_int_t)x.method[m].errors, "methods[%s].errors", methods[m]);
		double avg = (double)x.method[m].sum_us / (double)x.method[m].calls / 1000.0;
		cr_expect(near(e2e_num(e, "avg_ms"), avg, 0.001, 0.0005), "methods[%s].avg_ms %.4f, want %.4f",
			  methods[m], e2e_num(e, "avg_ms"), avg);
	}

	cr_expect_eq(json_array_size(json_object_get(doc, "nodes")), N_NODES);
	for (unsigned n = 0; n < N_NODES; n++) {
		char what[64];
		snprintf(what, sizeof what, "nodes[%s]", nodes[n]);
		json_t *ne = e2e_node(doc, nodes[n]);
		cr_assert_not_null(ne, "%s absent", what);
		expect_metrics(ne, &x.node[n], what);
		cr_expect(json_is_true(json_object_get(ne, "attached")), "%s not attached", what);
		cr_expect_eq(e2e_int(ne, "produced"), x.lines[n]);
		cr_expect_eq(e2e_int(ne, "consumed"), x.lines[n]);
		cr_expect_eq(e2e_int(ne, "in_ring"), 0);
		cr_expect_eq(e2e_int(ne, "dropped"), 0);
		cr_expect_eq(e2e_int(ne, "rejected"), 0);
		cr_expect_eq(e2e_int(ne, "producer_restarts"), 0);
		cr_expect(json_is_false(json_object_get(ne, "producer_alive")), "%s: the ingest has exited", what);
		cr_expect_eq(e2e_int(ne, "dict_entries"), (json_int_t)(1 + N_PROVIDERS + N_CHAINS + N_METHODS),
			     "%s: dictionary holds profile, providers, chains, methods", what);
	}
	cr_expect_eq(e2e_int(doc, "aggregator.pid"), agg);
	cr_expect_eq(e2e_int(doc, "aggregator.drained_total"), x.lines[0] + x.lines[1]);

	/* The ingest summary agrees. */
	for (unsigned n = 0; n < N_NODES; n++) {
		char *text = e2e_read_file(err[n]), want[160];
		snprintf(want, sizeof want, "node %s: %lld read, %lld accepted, 0 rejected, 0 dropped",
			 nodes[n], x.lines[n], x.lines[n]);
		cr_expect(strstr(text, want) != NULL, "ingest %s summary: want '%s' in:\n%s", nodes[n], want, text);
		free(text);
		free(err[n]);
		free(file[n].s);
	}
	e2e_view_free(&v);
	agg_free(&x.total);
	for (unsigned p = 0; p < N_PROVIDERS; p++)
		for (unsigned c = 0; c < N_CHAINS; c++) {
			agg_free(&x.pc[p][c]);
			for (unsigned n = 0; n < N_NODES; n++)
				agg_free(&x.route[p][c][n]);
		}
	for (unsigned n = 0; n < N_NODES; n++)
		agg_free(&x.node[n]);
	for (unsigned m = 0; m < N_METHODS; m++)
		agg_free(&x.method[m]);
}

/* ---- 2. duplicates --------------------------------------------------------------- */

/* Replaces the first `from` of a formatted line by `to`, then adds it. */
static void text_add_variant(struct text *t, const struct decision *d, const char *from, const char *to)
{
	char line[1024], out[1200];
	format_decision(line, sizeof line, d, e2e_now_ms());
	char *at = strstr(line, from);
	cr_assert_not_null(at, "'%s' not in %s", from, line);
	int n = snprintf(out, sizeof out, "%.*s%s%s", (int)(at - line), line, to, at + strlen(from));
	cr_assert(n > 0 && (size_t)n < sizeof out);
	text_add(t, out, (size_t)n);
}

static size_t count_in_recent(json_t *doc, const char *key, const char *val)
{
	size_t i, k = 0;
	json_t *e;
	json_array_foreach(json_object_get(doc, "recent"), i, e) {
		json_t *s = json_object_get(e, key);
		k += json_is_string(s) && strcmp(json_string_value(s), val) == 0;
	}
	return k;
}

Test(e2e_pipeline, duplicates_counted_once)
{
	const char *inst = rs_test_new_instance("dups");
	struct rng r = { 77 };
	struct decision x = { .node = "node-a", .provider = "alchemy", .chain = "ethereum",
			      .method = "eth_call", .duration = "10" };
	make_id(&r, 0xd0d0, 0, x.id);

	/* node-a: the id, 10 others, the id again. */
	struct text a = { 0 }, b = { 0 };
	text_add_decision(&a, &x);
	text_add_simple(&a, &r, "node-a", 0xaaaa, 10);
	text_add_decision(&a, &x);
	/* node-b: the same id again (claiming another provider: the first copy must win), 5 others. */
	struct decision x2 = x;
	x2.node = "node-b";
	x2.provider = "impostor";
	text_add_decision(&b, &x2);
	text_add_simple(&b, &r, "node-b", 0xbbbb, 5);

	pid_t agg = start_aggregator(inst);
	char *pa = text_save(&a, "a.jsonl"), *pb = text_save(&b, "b.jsonl"), *ea, *eb;
	pid_t ia = start_ingest_jsonl(inst, "node-a", pa, -1, &ea);
	expect_exit_ok(ia, "ingest node-a", ea);
	struct settled s1 = { { "node-a" }, { 12 } };
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s1, "node-a's 12 lines consumed");
	e2e_view_free(&v);
	/* node-b only after node-a is counted: which copy is first is then known. */
	pid_t ib = start_ingest_jsonl(inst, "node-b", pb, -1, &eb);
	expect_exit_ok(ib, "ingest node-b", eb);
	struct settled s2 = { { "node-a", "node-b" }, { 12, 6 } };
	v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s2, "both nodes consumed");

	cr_assert(e2e_running(agg));
	json_t *doc = v.doc;
	cr_expect_eq(e2e_int(doc, "totals.calls"), 16, "calls %lld: the id counts once",
		     (long long)e2e_int(doc, "totals.calls"));
	cr_expect_eq(e2e_int(doc, "totals.duplicates"), 2);
	cr_expect_eq(e2e_int(doc, "totals.duplicates_total"), 2);
	cr_expect_eq(e2e_node_int(doc, "node-a", "calls"), 11);
	cr_expect_eq(e2e_node_int(doc, "node-b", "calls"), 5);
	cr_expect_null(e2e_find_by(json_object_get(doc, "providers"), "provider", "impostor"),
		       "a dropped copy reached the leaderboard");
	cr_expect_eq(count_in_recent(doc, "request_id", x.id), 1, "recent[] holds the id once");
	cr_expect_eq(count_in_recent(doc, "provider", "impostor"), 0);
	cr_expect_eq(e2e_int(doc, "aggregator.drained_total"), 18);
	e2e_view_free(&v);
	free(pa); free(pb); free(ea); free(eb); free(a.s); free(b.s);
}

/* ---- 3. bad lines ------------------------------------------------------------------ */

enum { R_PARSE, R_MISSING, R_TYPE, R_RANGE, R_ENUM, R_TOO_LONG, R_DICT_FULL, R_ENCODING, R_COUNT };
static const char *const reason_names[R_COUNT] = {
	"parse", "missing_field", "bad_type", "out_of_range", "bad_enum", "too_long",
	"dictionary_full", "bad_encoding",
};

/*
 * A good line with a padding field making it `bytes` long, newline excluded
 * ("\r\n" when crlf: the "\r" is not part of the line either).
 */
static void text_add_padded(struct text *t, const struct decision *d, size_t bytes, bool crlf)
{
	char line[1024];
	int n = format_decision(line, sizeof line, d, e2e_now_ms());
	cr_assert(n > 0);
	size_t base = (size_t)n - 1 + strlen("\"note\":\"\",");
	cr_assert(bytes > base);
	size_t start = t->len;
	text_add(t, "{\"note\":\"", 9);
	for (size_t i = 0; i < bytes - base; i++)
		text_add(t, "x", 1);
	text_add(t, "\",", 2);
	text_add(t, line + 1, (size_t)n - 2);
	cr_assert_eq(t->len - start, bytes);
	text_add(t, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
}

Test(e2e_pipeline, bad_lines_rejected_and_counted)
{
	const char *inst = rs_test_new_instance("badlines");
	struct rng r = { 99 };
	struct text t = { 0 };
	long long good = 0, lines = 0, want[R_COUNT] = { 0 }, long_line_no = 0, utf8_line_no = 0;
	unsigned serial = 0;

#define GOOD()                                                                             \
	do {                                                                                   \
		struct decision d_ = { .node = "n1", .provider = "alchemy", .chain = "ethereum", \
				       .method = "eth_call", .duration = "12.5" };               \
		make_id(&r, 0x600d, serial++, d_.id);                                          \
		text_add_decision(&t, &d_);                                                    \
		good++, lines++;                                                               \
	} while (0)
#define BAD(reason, from, to)                                                              \
	do {                                                                                   \
		struct decision d_ = { .node = "n1", .provider = "alchemy", .chain = "ethereum", \
				       .method = "eth_call", .duration = "12.5" };               \
		make_id(&r, 0xbad, serial++, d_.id);                                           \
		text_add_variant(&t, &d_, from, to);                                           \
		want[reason]++, lines++;                                                       \
		GOOD();                                                                        \
	} while (0)

	GOOD();
	text_addf(&t, "{\"ts\": 1, \"request_id\": \n"), want[R_PARSE]++, lines++;
	GOOD();
	text_addf(&t, "[1, 2, 3]\n"), want[R_PARSE]++, lines++;
	text_addf(&t, "\n   \t\n"), lines += 2;                          /* blank: ignored */
	BAD(R_MISSING, "\"method\":\"eth_call\",", "");
	BAD(R_MISSING, "\"provider_id\":\"alchemy\"", "\"provider_id\":\"\"");
	BAD(R_ENUM, "\"result\":\"success\"", "\"result\":\"maybe\"");
	BAD(R_ENUM, "\"transport\":\"http\"", "\"transport\":\"grpc\"");
	BAD(R_ENUM, "{", "{\"type\":\"bogus\",");
	BAD(R_RANGE, "\"duration_ms\":12.5", "\"duration_ms\":-5");
	BAD(R_RANGE, "\"duration_ms\":12.5", "\"duration_ms\":3600001");
	BAD(R_RANGE, "\"failover_count\":0", "\"failover_count\":17");
	BAD(R_TYPE, "\"duration_ms\":12.5", "\"duration_ms\":\"fast\"");
	BAD(R_TYPE, "\"ts\":", "\"ts\":\"yesterday\",\"x\":");
	BAD(R_TOO_LONG, "\"request_id\":\"", "\"request_id\":\"0123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789");
	{       /* a 70 KB line, then at once a good one */
		struct decision d = { .node = "n1", .provider = "alchemy", .chain = "ethereum",
				      .method = "eth_call", .duration = "12.5" };
		make_id(&r, 0x1009, 0, d.id);
		text_add_padded(&t, &d, 70 * 1024, false);
		want[R_TOO_LONG]++, lines++;
		long_line_no = lines;
		GOOD();
	}
	{       /* 60 KB, and exactly 65536 bytes (with "\n" or "\r\n"), are within the limit:
		 * accepted (unknown fields are ignored); 65537 bytes is one too many. */
		static const struct { size_t bytes; bool crlf, ok; } sizes[] = {
			{ 60000, false, true }, { 65536, false, true }, { 65536, true, true },
			{ 65537, false, false }, { 65537, true, false },
		};
		for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			struct decision d = { .node = "n1", .provider = "alchemy", .chain = "ethereum",
					      .method = "eth_call", .duration = "12.5" };
			make_id(&r, 0x1009, 1 + i, d.id);
			text_add_padded(&t, &d, sizes[i].bytes, sizes[i].crlf);
			lines++;
			if (sizes[i].ok)
				good++;
			else
				want[R_TOO_LONG]++;
		}
		GOOD();
	}
	BAD(R_ENCODING, "\"method\":\"eth_call\"", "\"method\":\"eth_\xff\xfe\"");
	utf8_line_no = lines - 1;
	BAD(R_ENCODING, "\"method\":\"eth_call\"", "\"method\":\"eth_\\u0000call\"");
	for (int i = 0; i < 20; i++)
		GOOD();
	/* The last line has no newline: it still counts. */
	cr_assert_eq(t.s[t.len - 1], '\n');
	t.len--;
	t.s[t.len] = '\0';
#undef GOOD
#undef BAD

	long long bad = 0;
	for (int i = 0; i < R_COUNT; i++)
		bad += want[i];

	pid_t agg = start_aggregator(inst);
	char *path = text_save(&t, "bad.jsonl"), *err;
	pid_t ing = start_ingest_jsonl(inst, "n1", path, -1, &err);
	expect_exit_ok(ing, "ingest with bad lines", err);

	struct settled s = { { "n1" }, { good } };
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s, "every good line consumed");
	cr_assert(e2e_running(agg));
	json_t *doc = v.doc, *node = e2e_node(doc, "n1");
	cr_expect_eq(e2e_int(doc, "totals.calls"), good, "calls %lld, want %lld",
		     (long long)e2e_int(doc, "totals.calls"), good);
	cr_expect_eq(e2e_int(node, "rejected"), bad, "rejected %lld, want %lld",
		     (long long)e2e_int(node, "rejected"), bad);
	cr_expect_eq(e2e_int(doc, "totals.rejected"), bad);
	for (int i = 0; i < R_COUNT; i++) {
		char path_[64];
		snprintf(path_, sizeof path_, "rejected_by_reason.%s", reason_names[i]);
		cr_expect_eq(e2e_int(node, path_), want[i], "%s: %lld, want %lld", path_,
			     (long long)e2e_int(node, path_), want[i]);
	}
	cr_expect_eq(json_object_size(json_object_get(node, "rejected_by_reason")), R_COUNT);
	cr_expect_eq(e2e_int(node, "dropped"), 0);

	/* stderr names the lines at fault, counting the long one as one line. */
	char *text = e2e_read_file(err), want_long[32], want_utf8[32], summary[128];
	snprintf(want_long, sizeof want_long, "line %lld: ", long_line_no);
	snprintf(want_utf8, sizeof want_utf8, "line %lld: ", utf8_line_no);
	const char *at = strstr(text, want_long);
	cr_expect(at != NULL && strstr(at, "65536") != NULL && strstr(at, "65536") < strchr(at, '\n'),
		  "no '%s... 65536 ...' message for the 70 KB line in:\n%s", want_long, text);
	cr_expect(strstr(text, want_utf8) != NULL, "no '%s' message for the invalid UTF-8 in:\n%s",
		  want_utf8, text);
	snprintf(summary, sizeof summary, "node n1: %lld read, %lld accepted, %lld rejected, 0 dropped",
		 good + bad, good, bad);
	cr_expect(strstr(text, summary) != NULL, "want '%s' in:\n%s", summary, text);
	free(text);
	e2e_view_free(&v);
	free(path); free(err); free(t.s);
}

/* ---- 4. a ring that appears late ---------------------------------------------------- */

static bool pred_generation_10(const struct e2e_view *v, void *ctx)
{
	(void)ctx;
	json_t *g = v->doc ? json_object_get(v->doc, "generation") : NULL;
	return e2e_pred_fresh(v, NULL) && json_is_integer(g) && json_integer_value(g) >= 10;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		cr_assert(w > 0, "write to the ingest's stdin: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

Test(e2e_pipeline, late_ring_discovered)
{
	const char *inst = rs_test_new_instance("late");
	struct rng r = { 4242 };
	double t0 = rs_test_now();
	pid_t agg = start_aggregator(inst);
	/* At 100 ms a tick, generation 10 is a second of snapshots without any ring. */
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, pred_generation_10, NULL, "generation >= 10");
	cr_expect_eq(json_array_size(json_object_get(v.doc, "nodes")), 0, "nodes before any ingest: %s",
		     e2e_brief(v.doc));
	cr_expect_eq(e2e_int(v.doc, "totals.calls"), 0);
	e2e_view_free(&v);
	cr_assert(rs_test_now() - t0 >= 0.9, "generation 10 after %.2f s at 100 ms ticks?", rs_test_now() - t0);

	/* The ingest reads a pipe the test keeps open: a live producer. */
	int p[2];
	cr_assert_eq(pipe(p), 0);
	char *err;
	pid_t ing = start_ingest_jsonl(inst, "late-node", "-", p[0], &err);
	close(p[0]);
	struct text t = { 0 };
	text_add_simple(&t, &r, "late-node", 0x1a7e, 50);
	write_all(p[1], t.s, t.len);
	struct settled s = { { "late-node" }, { 50 } };
	v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s, "the late node's first 50 decisions");
	json_t *n = e2e_node(v.doc, "late-node");
	cr_expect_eq(e2e_int(v.doc, "totals.calls"), 50);
	cr_expect_eq(e2e_int(n, "calls"), 50);
	cr_expect(json_is_true(json_object_get(n, "attached")));
	cr_expect(json_is_true(json_object_get(n, "producer_alive")), "the ingest still runs");
	cr_expect_eq(e2e_int(n, "producer_pid"), ing);
	cr_expect_eq(json_array_size(json_object_get(v.doc, "nodes")), 1);
	cr_expect_eq(e2e_int(v.doc, "aggregator.pid"), agg);
	e2e_view_free(&v);

	t.len = 0;
	text_add_simple(&t, &r, "late-node", 0x1a7f, 50);
	write_all(p[1], t.s, t.len);
	close(p[1]);
	expect_exit_ok(ing, "ingest from a pipe", err);
	s.produced[0] = 100;
	v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s, "all 100 decisions");
	cr_expect_eq(e2e_int(v.doc, "totals.calls"), 100);
	cr_expect_eq(e2e_node_int(v.doc, "late-node", "calls"), 100);
	cr_expect(json_is_false(json_object_get(e2e_node(v.doc, "late-node"), "producer_alive")));
	e2e_view_free(&v);
	free(t.s);
	free(err);
}

/* ---- 5. aggregator SIGKILLed and restarted ---------------------------------------- */

#define SYNTH_RATE  "2000"
#define SYNTH_COUNT 10000

struct calls_above {
	long long min;
};

/* Fresh, both nodes listed, produced == consumed + in_ring on each, and calls > min. */
static bool pred_calls_above(const struct e2e_view *v, void *ctx)
{
	const struct calls_above *c = ctx;
	if (!e2e_pred_fresh(v, NULL))
		return false;
	for (int i = 0; i < N_NODES; i++) {
		json_int_t p = e2e_node_int(v->doc, nodes[i], "produced");
		json_int_t k = e2e_node_int(v->doc, nodes[i], "consumed");
		json_int_t in = e2e_node_int(v->doc, nodes[i], "in_ring");
		if (p < 0)
			return false;
		cr_assert_eq(p, k + in, "%s: produced %lld != consumed %lld + in_ring %lld", nodes[i],
			     (long long)p, (long long)k, (long long)in);
	}
	json_t *calls = e2e_at(v->doc, "totals.calls");
	return json_is_integer(calls) && json_integer_value(calls) > c->min;
}

static pid_t start_synthetic(const char *inst, const char *node, const char *seed)
{
	char count[32];
	snprintf(count, sizeof count, "%d", SYNTH_COUNT);
	const char *argv[] = { RS_INGEST_BIN, "--instance", inst, "--node", node, "--source", "synthetic",
			       "--rate", SYNTH_RATE, "--count", count, "--seed", seed, NULL };
	char *err = e2e_path("synthetic.err");
	pid_t pid = e2e_spawn(argv, -1, NULL, err, NULL);
	free(err);
	return pid;
}

/* The ring's consumed counter (its head) as routestat-inspect reads it from the object. */
static long long inspect_consumed(const char *inst, const char *node)
{
	const char *argv[] = { RS_INSPECT_BIN, "--instance", inst, "--json", NULL };
	struct e2e_run r = e2e_run(argv);
	cr_assert_eq(r.code, 0, "routestat-inspect: exit %d\n%s", r.code, r.err);
	json_error_t je;
	json_t *root = json_loads(r.out, 0, &je);
	cr_assert_not_null(root, "routestat-inspect JSON: %s\n%.1000s", je.text, r.out);
	long long consumed = -1;
	size_t i, j;
	json_t *in, *obj;
	json_array_foreach(json_object_get(root, "instances"), i, in)
		json_array_foreach(json_object_get(in, "objects"), j, obj) {
			json_t *ring = json_object_get(obj, "ring");
			json_t *n = ring ? json_object_get(ring, "node") : NULL;
			if (json_is_string(n) && strcmp(json_string_value(n), node) == 0)
				consumed = e2e_int(ring, "consumed");
		}
	cr_assert(consumed >= 0, "routestat-inspect shows no ring of %s:\n%.2000s", node, r.out);
	json_decref(root);
	e2e_run_free(&r);
	return consumed;
}

Test(e2e_pipeline, aggregator_killed_and_restarted)
{
	const char *inst = rs_test_new_instance("restart");
	struct rng r = { 5150 };

	/* Phase 1: two synthetic producers; the aggregator dies mid-stream. */
	pid_t agg1 = start_aggregator(inst);
	pid_t prod[N_NODES] = { start_synthetic(inst, nodes[0], "11"), start_synthetic(inst, nodes[1], "12") };
	struct calls_above above = { 0 };
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, pred_calls_above, &above, "first calls");
	cr_assert_eq(e2e_int(v.doc, "aggregator.pid"), agg1);
	e2e_view_free(&v);
	e2e_kill9(agg1);
	cr_assert(e2e_running(prod[0]) && e2e_running(prod[1]),
		  "the producers finished before the aggregator was killed: the test proves nothing");
	/* With no consumer the heads stand still: what the dead aggregator took is known exactly. */
	long long taken = 0;
	for (int i = 0; i < N_NODES; i++)
		taken += inspect_consumed(inst, nodes[i]);
	cr_assert(taken > 0 && taken < 2 * SYNTH_COUNT, "the first aggregator took %lld records", taken);

	v = e2e_view(inst);
	cr_expect_eq(v.code, 3, "view of a SIGKILLed aggregator: exit %d (%s)", v.code, v.err);
	cr_assert_not_null(v.doc, "the last snapshot is still printed");
	cr_expect_str_eq(e2e_str(v.doc, "status"), "dead");
	cr_expect(json_is_false(json_object_get(v.doc, "aggregator_stopped")), "a crash is no clean stop");
	e2e_view_free(&v);

	pid_t agg2 = start_aggregator(inst);
	v = e2e_poll_view(inst, SETTLE_S, e2e_pred_aggregator_pid, &agg2, "the restarted aggregator, fresh");
	e2e_view_free(&v);
	v = e2e_poll_view(inst, SETTLE_S, pred_calls_above, &above, "calls from the restarted aggregator");
	above.min = e2e_int(v.doc, "totals.calls");
	cr_assert_eq(e2e_int(v.doc, "aggregator.pid"), agg2);
	e2e_view_free(&v);
	cr_assert(e2e_running(prod[0]) || e2e_running(prod[1]), "producers already done: no growth to see");
	v = e2e_poll_view(inst, SETTLE_S, pred_calls_above, &above, "calls to grow after the restart");
	cr_assert_eq(e2e_int(v.doc, "aggregator.pid"), agg2);
	e2e_view_free(&v);

	/* The producers stop at --count; nothing may be lost from the rings. */
	for (int i = 0; i < N_NODES; i++) {
		int st = e2e_wait(prod[i], SETTLE_S + 5);
		char buf[32];
		cr_assert(rs_test_exited_ok(st), "synthetic %s: %s", nodes[i], e2e_status_str(st, buf, sizeof buf));
	}
	struct settled s = { { nodes[0], nodes[1] }, { SYNTH_COUNT, SYNTH_COUNT } };
	v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s, "consumed == produced == --count on both rings");
	for (int i = 0; i < N_NODES; i++) {
		cr_expect_eq(e2e_node_int(v.doc, nodes[i], "dropped"), 0);
		cr_expect_eq(e2e_node_int(v.doc, nodes[i], "in_ring"), 0);
	}
	cr_expect_eq(e2e_int(v.doc, "aggregator.pid"), agg2);
	/* Every record the first aggregator did not take went to the second: none lost, none twice. */
	cr_expect_eq(e2e_int(v.doc, "aggregator.drained_total"), 2 * SYNTH_COUNT - taken,
		     "restarted aggregator drained %lld, want %lld - %lld taken before the kill",
		     (long long)e2e_int(v.doc, "aggregator.drained_total"), 2LL * SYNTH_COUNT, taken);
	e2e_view_free(&v);

	/* Phase 2: a quiet kill and restart; then a known number of new decisions. */
	e2e_kill9(agg2);
	pid_t agg3 = start_aggregator(inst);
	v = e2e_poll_view(inst, SETTLE_S, e2e_pred_aggregator_pid, &agg3, "the second restart, fresh");
	cr_expect_eq(e2e_int(v.doc, "totals.calls"), 0, "the rings were empty: %s", e2e_brief(v.doc));
	e2e_view_free(&v);

	struct text a = { 0 }, b = { 0 };
	text_add_simple(&a, &r, nodes[0], 0x2a, 500);
	text_add_simple(&b, &r, nodes[1], 0x2b, 300);
	char *pa = text_save(&a, "phase2-a.jsonl"), *ea, *eb;
	pid_t ia = start_ingest_jsonl(inst, nodes[0], pa, -1, &ea);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t ib = start_ingest_jsonl(inst, nodes[1], "-", p[0], &eb);
	close(p[0]);
	write_all(p[1], b.s, b.len);
	close(p[1]);
	expect_exit_ok(ia, "phase 2 ingest node-a", ea);
	expect_exit_ok(ib, "phase 2 ingest node-b (stdin)", eb);
	struct settled s2 = { { nodes[0], nodes[1] }, { SYNTH_COUNT + 500, SYNTH_COUNT + 300 } };
	v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s2, "phase 2 consumed");
	json_t *doc = v.doc;
	cr_expect_eq(e2e_int(doc, "aggregator.pid"), agg3);
	cr_expect_eq(e2e_int(doc, "totals.calls"), 800, "phase 2 calls %lld, want 800: %s",
		     (long long)e2e_int(doc, "totals.calls"), e2e_brief(doc));
	cr_expect_eq(e2e_int(doc, "totals.duplicates"), 0);
	cr_expect_eq(e2e_int(doc, "aggregator.drained_total"), 800);
	cr_expect_eq(e2e_node_int(doc, nodes[0], "calls"), 500);
	cr_expect_eq(e2e_node_int(doc, nodes[1], "calls"), 300);
	for (int i = 0; i < N_NODES; i++) {
		cr_expect_eq(e2e_node_int(doc, nodes[i], "producer_restarts"), 1,
			     "%s: one producer after the synthetic one", nodes[i]);
		cr_expect_eq(e2e_node_int(doc, nodes[i], "dropped"), 0);
	}
	e2e_view_free(&v);
	free(pa); free(ea); free(eb); free(a.s); free(b.s);
}

/* ---- 6. routestat-view's exit codes against real processes ------------------------- */

static bool pred_stale(const struct e2e_view *v, void *ctx)
{
	(void)ctx;
	json_t *s = v->doc ? json_object_get(v->doc, "status") : NULL;
	return v->code == 3 && json_is_string(s) && strcmp(json_string_value(s), "stale") == 0;
}

Test(e2e_pipeline, view_exit_codes)
{
	const char *inst = rs_test_new_instance("exits");
	struct e2e_view v = e2e_view(inst);
	cr_expect_eq(v.code, 2, "no instance: exit %d (%s)", v.code, v.err);
	cr_expect_null(v.doc, "nothing printed for a missing instance");
	cr_expect(strstr(v.err, inst) != NULL, "stderr names the instance: %s", v.err);
	e2e_view_free(&v);

	pid_t agg = start_aggregator(inst);
	v = e2e_poll_view(inst, SETTLE_S, e2e_pred_aggregator_pid, &agg, "a fresh aggregator");
	cr_expect(json_is_false(json_object_get(v.doc, "aggregator_stopped")));
	e2e_view_free(&v);

	/* Stopped (SIGSTOP): its heartbeat ages past 3 ticks: stale, exit 3; SIGCONT: fresh again. */
	cr_assert_eq(kill(agg, SIGSTOP), 0);
	v = e2e_poll_view(inst, SETTLE_S, pred_stale, NULL, "status stale under SIGSTOP");
	cr_expect(strstr(v.err, "stale") != NULL, "stderr says stale: %s", v.err);
	e2e_view_free(&v);
	cr_assert_eq(kill(agg, SIGCONT), 0);
	v = e2e_poll_view(inst, SETTLE_S, e2e_pred_aggregator_pid, &agg, "fresh again after SIGCONT");
	e2e_view_free(&v);

	/* SIGKILL: the writer is gone: dead, exit 3, the last snapshot still printed. */
	e2e_kill9(agg);
	v = e2e_view(inst);
	cr_expect_eq(v.code, 3, "dead aggregator: exit %d (%s)", v.code, v.err);
	cr_assert_not_null(v.doc);
	cr_expect_str_eq(e2e_str(v.doc, "status"), "dead");
	cr_expect(json_is_false(json_object_get(v.doc, "aggregator_stopped")));
	cr_expect_eq(e2e_int(v.doc, "aggregator.pid"), agg);
	cr_expect(strstr(v.err, "dead") != NULL, "stderr says dead: %s", v.err);
	e2e_view_free(&v);
}

Test(e2e_pipeline, view_after_clean_stop)
{
	const char *inst = rs_test_new_instance("sigterm");
	pid_t agg = start_aggregator(inst);
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, e2e_pred_aggregator_pid, &agg, "a fresh aggregator");
	e2e_view_free(&v);
	cr_assert_eq(kill(agg, SIGTERM), 0);
	int st = e2e_wait(agg, SETTLE_S);
	char buf[32];
	cr_assert(rs_test_exited_ok(st), "aggregator after SIGTERM: %s", e2e_status_str(st, buf, sizeof buf));
	v = e2e_view(inst);
	cr_expect_eq(v.code, 3, "stopped aggregator: exit %d (%s)", v.code, v.err);
	cr_assert_not_null(v.doc);
	cr_expect_str_eq(e2e_str(v.doc, "status"), "dead");
	cr_expect(json_is_true(json_object_get(v.doc, "aggregator_stopped")), "a clean stop is reported");
	cr_expect(strstr(v.err, "stopped") != NULL, "stderr says stopped: %s", v.err);
	e2e_view_free(&v);
}

/* ---- 7. a full ring drops and counts ------------------------------------------------ */

Test(e2e_pipeline, full_ring_drops_counted)
{
	const char *inst = rs_test_new_instance("full");
	struct rng r = { 64 };
	struct text t = { 0 };
	text_add_simple(&t, &r, "tiny", 0xf011, 200);
	char *path = text_save(&t, "full.jsonl"), *err = e2e_path("ingest.err");
	/* No aggregator yet: a 64-record ring takes the first 64 and drops the rest. */
	const char *argv[] = { RS_INGEST_BIN, "--instance", inst, "--node", "tiny", "--source", "jsonl",
			       path, "--capacity", "64", NULL };
	expect_exit_ok(e2e_spawn(argv, -1, NULL, err, NULL), "ingest into a small ring", err);
	char *text = e2e_read_file(err);
	cr_expect(strstr(text, "200 read, 64 accepted, 0 rejected, 136 dropped") != NULL,
		  "ingest summary:\n%s", text);
	free(text);

	pid_t agg = start_aggregator(inst);
	struct settled s = { { "tiny" }, { 64 } };
	struct e2e_view v = e2e_poll_view(inst, SETTLE_S, pred_settled, &s, "the 64 records consumed");
	json_t *n = e2e_node(v.doc, "tiny");
	cr_expect_eq(e2e_int(n, "dropped"), 136);
	cr_expect_eq(e2e_int(v.doc, "totals.dropped"), 136);
	cr_expect_eq(e2e_int(v.doc, "totals.calls"), 64);
	cr_expect_eq(e2e_int(n, "capacity"), 64);
	cr_expect_eq(e2e_int(n, "high_water"), 64, "the aggregator found a full ring");
	cr_expect_eq(e2e_int(n, "in_ring"), 0);
	cr_expect_eq(e2e_int(v.doc, "aggregator.pid"), agg);
	e2e_view_free(&v);
	free(path); free(err); free(t.s);
}
