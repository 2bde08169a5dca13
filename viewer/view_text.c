/*
 * view_text.c - the aligned text report of view_text.h.
 *
 * Tables are built cell by cell into memory, then printed with each column
 * as wide as its widest cell.  Strings come from other processes: control
 * characters are printed as '?' so a hostile name cannot drive the
 * terminal.  Widths count bytes, so non-ASCII names may shift a row.
 */
#include "view_text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

#define TABLE_COLS 16
#define CELL_MAX   (RS_STR + 16)
#define TEXT_LINE_MAX   1024
#define INDENT     "  "
#define GAP        "  "

/* ---- output helpers ---------------------------------------------------- */

static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * printf of one line to f through a buffer: blank lines before it and its
 * final newline are kept, any other control character (from a name) is '?'.
 */
static void line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(FILE *f, const char *fmt, ...)
{
	char buf[TEXT_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char *body = buf + strspn(buf, "\n");
	size_t len = strlen(body);
	bool eol = len > 0 && body[len - 1] == '\n';
	if (eol)
		body[len - 1] = '\0';
	sanitize(body);
	fputs(buf, f);
	if (eol)
		fputc('\n', f);
}

/* Milliseconds from microseconds for tables: one decimal. */
static double ms(uint64_t us)
{
	return (double)us / 1000.0;
}

const char *rs_view_fmt_age(char *buf, size_t n, uint64_t age_ms)
{
	if (age_ms < 1000)
		snprintf(buf, n, "%llu ms", (unsigned long long)age_ms);
	else
		snprintf(buf, n, "%.1f s", (double)age_ms / 1000.0);
	return buf;
}

/* A finite number with `prec` decimals, or "-". */
static const char *num_str(char *buf, size_t n, double v, int prec)
{
	if (isfinite(v))
		snprintf(buf, n, "%.*f", prec, v);
	else
		snprintf(buf, n, "-");
	return buf;
}

/* ---- tables ------------------------------------------------------------ */

struct column {
	const char *title;
	bool        right;     /* right-aligned (numbers) */
};

struct table {
	const struct column *cols;
	size_t ncols, nrows, cap, col;
	char (*cells)[TABLE_COLS][CELL_MAX];
};

static int table_init(struct table *t, const struct column *cols, size_t ncols, size_t cap)
{
	*t = (struct table){ .cols = cols, .ncols = ncols < TABLE_COLS ? ncols : TABLE_COLS,
			     .cap = cap };
	t->cells = calloc(cap ? cap : 1, sizeof *t->cells);
	return t->cells ? 0 : -ENOMEM;
}

static void table_free(struct table *t)
{
	free(t->cells);
	t->cells = NULL;
}

static void cell(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cell(struct table *t, const char *fmt, ...)
{
	if (t->nrows >= t->cap || t->col >= t->ncols)
		return;
	char *c = t->cells[t->nrows][t->col++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c, CELL_MAX, fmt, ap);
	va_end(ap);
	sanitize(c);
}

static void row_end(struct table *t)
{
	if (t->nrows < t->cap)
		t->nrows++;
	t->col = 0;
}

static void print_row(FILE *f, const struct table *t, const size_t *w, const char *const *cells)
{
	fputs(INDENT, f);
	for (size_t c = 0; c < t->ncols; c++) {
		if (c > 0)
			fputs(GAP, f);
		if (t->cols[c].right)
			fprintf(f, "%*s", (int)w[c], cells[c]);
		else if (c + 1 == t->ncols)
			fputs(cells[c], f);          /* no trailing blanks */
		else
			fprintf(f, "%-*s", (int)w[c], cells[c]);
	}
	fputc('\n', f);
}

static void table_print(FILE *f, const struct table *t)
{
	size_t w[TABLE_COLS];
	const char *titles[TABLE_COLS];
	for (size_t c = 0; c < t->ncols; c++) {
		titles[c] = t->cols[c].title;
		w[c] = strlen(titles[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t len = strlen(t->cells[r][c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	print_row(f, t, w, titles);
	for (size_t r = 0; r < t->nrows; r++) {
		const char *cells[TABLE_COLS];
		for (size_t c = 0; c < t->ncols; c++)
			cells[c] = t->cells[r][c];
		print_row(f, t, w, cells);
	}
	if (t->nrows == 0)
		fputs(INDENT "(none)\n", f);
}

/* ---- sections ---------------------------------------------------------- */

static void header(FILE *f, const struct rs_metrics_snapshot *s, const struct rs_view_info *info)
{
	char age[32], hb[32], who[64];
	rs_view_fmt_age(hb, sizeof hb, info->heartbeat_age_ms);
	if (info->stopped)
		snprintf(who, sizeof who, "stopped %s ago", hb);
	else
		snprintf(who, sizeof who, "pid %u, heartbeat %s", info->writer_pid, hb);
	line(f, "routestat  instance %s  generation %llu  age %s  aggregator %s (%s)"
		"  tick %u ms  window %u s\n",
	     s->instance, (unsigned long long)info->generation,
	     rs_view_fmt_age(age, sizeof age, info->age_ms), rs_snapshot_status_name(info->status), who,
	     s->tick_ms, s->window_s);
}

/* Datagrams a socket ingest never read (all nodes, or node's): said only when there were some. */
static void lost_line(FILE *f, const char *node, uint64_t lost)
{
	if (lost != 0)
		line(f, "%s%s%slost before ingest: %llu datagrams (the kernel's receive queue was full)\n",
		     node ? "node " : "", node ? node : "", node ? ": " : "", (unsigned long long)lost);
}

static void headline(FILE *f, const struct rs_metrics_snapshot *s)
{
	const struct rs_totals *t = &s->totals;
	char rps[32], succ[32], avg[32], fpm[32];
	line(f, "calls %llu  RPS %s  success %s%%  avg %s ms  p50 %.1f  p95 %.1f  p99 %.1f ms"
		"  failovers/min %s  duplicates %llu  dropped %llu  rejected %llu\n",
	     (unsigned long long)t->m.calls, num_str(rps, sizeof rps, t->rps, 1),
	     num_str(succ, sizeof succ, t->success_pct, 1), num_str(avg, sizeof avg, t->avg_ms, 1),
	     ms(t->m.p50_us), ms(t->m.p95_us), ms(t->m.p99_us),
	     num_str(fpm, sizeof fpm, t->failovers_per_min, 1),
	     (unsigned long long)t->duplicates, (unsigned long long)t->dropped,
	     (unsigned long long)t->rejected);
	lost_line(f, NULL, t->source_lost);
}

/* The same strip for one node, from its metric set. */
static void node_headline(FILE *f, const struct rs_metrics_snapshot *s, const struct rs_node_metrics *n)
{
	const struct rs_metric_set *m = &n->m;
	double fpm = s->window_s ? 60.0 * (double)m->failovers / (double)s->window_s : 0.0;
	char rps[32];
	line(f, "node %s: calls %llu  RPS %s  success %.1f%%  avg %.1f ms  p50 %.1f  p95 %.1f"
		"  p99 %.1f ms  failovers/min %.1f  dropped %llu  rejected %llu\n",
	     n->name, (unsigned long long)m->calls, num_str(rps, sizeof rps, n->events_per_s, 1),
	     rs_metric_success_pct(m), rs_metric_avg_ms(m), ms(m->p50_us), ms(m->p95_us),
	     ms(m->p99_us), fpm, (unsigned long long)n->dropped, (unsigned long long)n->rejected);
	lost_line(f, n->name, n->source_lost);
}

enum { PCOL_HTTP = 13, PCOL_WS = 14 };

static const struct column provider_cols[] = {
	{ "#", true }, { "PROVIDER", false }, { "CHAIN", false }, { "CALLS", true },
	{ "SUCCESS%", true }, { "AVG ms", true }, { "P50 ms", true }, { "P95 ms", true },
	{ "P99 ms", true }, { "P99/P50", true }, { "TRAFFIC%", true }, { "HEIGHT", true },
	{ "LAG", true }, { "HTTP c/h/o", true }, { "WS c/h/o", true },
};

/* In one node's scope the circuit columns hold that node's states. */
static const struct column provider_node_cols[] = {
	{ "#", true }, { "PROVIDER", false }, { "CHAIN", false }, { "CALLS", true },
	{ "SUCCESS%", true }, { "AVG ms", true }, { "P50 ms", true }, { "P95 ms", true },
	{ "P99 ms", true }, { "P99/P50", true }, { "TRAFFIC%", true }, { "HEIGHT", true },
	{ "LAG", true }, { "HTTP", true }, { "WS", true },
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(NCOLS(provider_cols) == PCOL_WS + 1, "provider columns");
_Static_assert(NCOLS(provider_node_cols) == NCOLS(provider_cols), "provider columns");

static void circuit_cell(struct table *t, const struct rs_metrics_snapshot *s,
			 const struct rs_view_row *row, unsigned transport)
{
	if (row->route >= 0) {
		cell(t, "%s", rs_view_name(rs_circuit_name(s->routes[row->route].circuit[transport])));
		return;
	}
	const uint32_t *c = row->circuit_counts[transport];
	cell(t, "%u/%u/%u", c[RS_CIRCUIT_CLOSED], c[RS_CIRCUIT_HALF_OPEN], c[RS_CIRCUIT_OPEN]);
}

static void provider_row(struct table *t, const struct rs_metrics_snapshot *s,
			 const struct rs_view_row *row, size_t rank)
{
	const struct rs_metric_set *m = &row->m;
	cell(t, "%zu", rank);
	cell(t, "%s%s", row->provider, row->cold ? "*" : "");
	cell(t, "%s", row->chain);
	cell(t, "%llu", (unsigned long long)m->calls);
	cell(t, "%.1f", rs_metric_success_pct(m));
	cell(t, "%.1f", rs_metric_avg_ms(m));
	cell(t, "%.1f", ms(m->p50_us));
	cell(t, "%.1f", ms(m->p95_us));
	cell(t, "%.1f", ms(m->p99_us));
	if (m->p50_us)
		cell(t, "%.2f", (double)m->p99_us / (double)m->p50_us);
	else
		cell(t, "-");
	if (isfinite(row->traffic_pct))
		cell(t, "%.1f", row->traffic_pct);
	else
		cell(t, "-");
	if (row->has_block) {
		cell(t, "%llu", (unsigned long long)row->block_height);
		cell(t, "%lld", (long long)row->block_lag);
	} else {
		cell(t, "-");
		cell(t, "-");
	}
	circuit_cell(t, s, row, RS_TRANSPORT_HTTP);
	circuit_cell(t, s, row, RS_TRANSPORT_WS);
	row_end(t);
}

static int providers(FILE *f, const struct rs_metrics_snapshot *s, int node)
{
	struct rs_view_row rows[RS_MAX_ROUTES];   /* ~36 KiB */
	size_t n = rs_view_rank_providers(s, node, rows, RS_MAX_ROUTES);
	struct table t;
	const struct column *cols = node < 0 ? provider_cols : provider_node_cols;
	if (table_init(&t, cols, NCOLS(provider_cols), n) < 0)
		return -ENOMEM;
	bool any_cold = false;
	for (size_t i = 0; i < n; i++) {
		provider_row(&t, s, &rows[i], i + 1);
		any_cold |= rows[i].cold;
	}
	if (node < 0)
		line(f, "\nproviders: all nodes, by calls in the last %u s (circuits: nodes per state,"
			" closed/half_open/open)\n", s->window_s);
	else
		line(f, "\nproviders on node %s, by calls in the last %u s\n", s->nodes[node].name,
		     s->window_s);
	table_print(f, &t);
	if (any_cold)
		line(f, INDENT "* cold start: fewer than %u calls in the window\n", RS_COLD_START_CALLS);
	table_free(&t);
	return 0;
}

static const struct column node_cols[] = {
	{ "NODE", false }, { "ATTACHED", false }, { "PRODUCER", false }, { "HEARTBEAT", true },
	{ "CALLS", true }, { "EV/S", true }, { "PRODUCED", true }, { "CONSUMED", true },
	{ "DROPPED", true }, { "REJECTED", true }, { "IN RING", true },
};

static void node_row(struct table *t, const struct rs_node_metrics *n)
{
	char hb[32];
	cell(t, "%s", n->name);
	cell(t, "%s", n->attached ? "yes" : "no");
	if (n->producer_alive)
		cell(t, "alive %u", n->producer_pid);
	else
		cell(t, "gone");
	cell(t, "%s", rs_view_fmt_age(hb, sizeof hb, n->heartbeat_age_ms));
	cell(t, "%llu", (unsigned long long)n->m.calls);
	if (isfinite(n->events_per_s))
		cell(t, "%.1f", n->events_per_s);
	else
		cell(t, "-");
	cell(t, "%llu", (unsigned long long)n->produced);
	cell(t, "%llu", (unsigned long long)n->consumed);
	cell(t, "%llu", (unsigned long long)n->dropped);
	cell(t, "%llu", (unsigned long long)n->rejected);
	cell(t, "%llu/%llu", (unsigned long long)n->in_ring, (unsigned long long)n->capacity);
	row_end(t);
}

static int nodes(FILE *f, const struct rs_metrics_snapshot *s, int node)
{
	struct table t;
	if (table_init(&t, node_cols, NCOLS(node_cols), s->n_nodes) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (node < 0 || (uint32_t)node == i)
			node_row(&t, &s->nodes[i]);
	line(f, "\nnodes\n");
	table_print(f, &t);
	table_free(&t);
	return 0;
}

static const struct column method_cols[] = {
	{ "METHOD", false }, { "CALLS", true }, { "SUCCESS%", true }, { "AVG ms", true },
};

/* The top methods of the scope: the node's own with --node, else over all nodes. */
static int methods(FILE *f, const struct rs_metrics_snapshot *s, int node)
{
	uint32_t n;
	const struct rs_method_metrics *top = rs_view_methods(s, node, &n);
	struct table t;
	if (table_init(&t, method_cols, NCOLS(method_cols), n) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct rs_metric_set m = rs_view_method_metrics(&top[i]);
		cell(&t, "%s", top[i].method);
		cell(&t, "%llu", (unsigned long long)m.calls);
		cell(&t, "%.1f", rs_metric_success_pct(&m));
		cell(&t, "%.1f", rs_metric_avg_ms(&m));
		row_end(&t);
	}
	if (node < 0)
		line(f, "\ntop methods (all nodes)\n");
	else
		line(f, "\ntop methods on node %s\n", s->nodes[node].name);
	table_print(f, &t);
	table_free(&t);
	return 0;
}

static void decision(FILE *f, const struct rs_metrics_snapshot *s, const struct rs_recent_decision *d,
		     int node_width)
{
	time_t secs = (time_t)(d->emit_unix_ms / 1000u);
	struct tm tm;
	char when[16] = "??:??:??";
	if (gmtime_r(&secs, &tm) != NULL)
		strftime(when, sizeof when, "%H:%M:%S", &tm);
	char dur[32];
	double d_ms = ms(d->duration_us);
	snprintf(dur, sizeof dur, "%.*f", d_ms < 10.0 ? 1 : 0, d_ms);
	char marks[96] = "";
	size_t used = 0;
	if (d->result != RS_RESULT_SUCCESS)
		used += (size_t)snprintf(marks + used, sizeof marks - used, "  [%s]",
					 rs_view_name(rs_result_name(d->result)));
	if (d->failover_count > 0 && used < sizeof marks)
		used += (size_t)snprintf(marks + used, sizeof marks - used, "  [failover %u]",
					 d->failover_count);
	if (d->origin != RS_ORIGIN_CLIENT && used < sizeof marks)
		snprintf(marks + used, sizeof marks - used, "  [%s]",
			 rs_view_name(rs_origin_name(d->origin)));
	line(f, INDENT "%s.%03u  %-*s  %s %s -> %s (%s ms)%s\n", when,
	     (unsigned)(d->emit_unix_ms % 1000u), node_width, s->nodes[d->node].name, d->chain,
	     d->method, d->provider, dur, marks);
}

static void recent(FILE *f, const struct rs_metrics_snapshot *s, int node, unsigned limit)
{
	line(f, "\nrecent decisions (latest to arrive first; times as the nodes sent them, UTC)\n");
	int width = 0;                      /* node names line up */
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (node < 0 || (uint32_t)node == i) {
			int len = (int)strlen(s->nodes[i].name);
			width = len > width ? len : width;
		}
	unsigned shown = 0;
	for (uint32_t i = 0; i < s->n_recent && shown < limit; i++) {
		if (node >= 0 && s->recent[i].node != (uint32_t)node)
			continue;
		decision(f, s, &s->recent[i], width);
		shown++;
	}
	if (shown == 0)
		fputs(INDENT "(none)\n", f);
}

/* The latest circuit-breaker transitions, newest first (at most limit). */
static void circuit_events(FILE *f, const struct rs_metrics_snapshot *s, int node, unsigned limit)
{
	line(f, "\ncircuit transitions (latest to arrive first; times as the nodes sent them, UTC)\n");
	unsigned shown = 0;
	for (uint32_t i = 0; i < s->n_circuit_events && shown < limit; i++) {
		const struct rs_circuit_event *c = &s->circuit_events[i];
		if (node >= 0 && c->node != (uint32_t)node)
			continue;
		time_t secs = (time_t)(c->emit_unix_ms / 1000u);
		struct tm tm;
		char when[16] = "??:??:??";
		if (gmtime_r(&secs, &tm) != NULL)
			strftime(when, sizeof when, "%H:%M:%S", &tm);
		line(f, INDENT "%s  %s  %s %s: %s -> %s%s%s\n", when, s->nodes[c->node].name, c->provider,
		     rs_view_name(rs_transport_name(c->transport)),
		     rs_view_name(rs_circuit_name(c->from_state)), rs_view_name(rs_circuit_name(c->to_state)),
		     c->reason[0] ? "  " : "", c->reason);
		shown++;
	}
	if (shown == 0)
		fputs(INDENT "(none)\n", f);
}

static void self_metrics(FILE *f, const struct rs_self_metrics *a)
{
	line(f, "\naggregator pid %u  tick %llu us (max %llu us, %s)  drained %llu (total %llu, "
		"extra drains %llu)  missed ticks %llu  dedup %llu/%llu (%.1f%%, evictions %llu)"
		"  routes dropped %llu\n",
	     a->aggregator_pid, (unsigned long long)a->last_tick_us,
	     (unsigned long long)a->max_tick_us, rs_view_tick_source_name(a->tick_source),
	     (unsigned long long)a->drained_last_tick, (unsigned long long)a->drained_total,
	     (unsigned long long)a->extra_drains, (unsigned long long)a->missed_ticks,
	     (unsigned long long)a->dedup_entries, (unsigned long long)a->dedup_capacity,
	     rs_view_dedup_fill_pct(a), (unsigned long long)a->dedup_evictions,
	     (unsigned long long)a->routes_dropped);
}

int rs_view_text_write(FILE *f, const struct rs_metrics_snapshot *s,
		       const struct rs_view_info *info, const struct rs_view_options *o)
{
	int node = -1;
	if (o->node != NULL && (node = rs_view_node_find(s, o->node)) < 0)
		return -ENOENT;
	header(f, s, info);
	headline(f, s);
	if (node >= 0)
		node_headline(f, s, &s->nodes[node]);
	int rc = providers(f, s, node);
	if (rc == 0)
		rc = nodes(f, s, node);
	if (rc == 0)
		rc = methods(f, s, node);
	if (rc < 0)
		return rc;
	recent(f, s, node, o->recent ? o->recent : RS_VIEW_TEXT_RECENT);
	circuit_events(f, s, node, RS_VIEW_TEXT_CIRCUITS);
	self_metrics(f, &s->self);
	return ferror(f) ? -EIO : 0;
}
