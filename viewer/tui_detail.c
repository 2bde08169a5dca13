/*
 * tui_detail.c - the provider detail view (Enter on a leaderboard row): the
 * (provider, chain) over all nodes, then one row per node with its circuit
 * state per transport and its block height against the chain's consensus
 * on that node, then its latest circuit-breaker transitions (the snapshot
 * keeps the last RS_CIRCUIT_HISTORY of all providers), then the provider's
 * recent decisions.
 */
#include "tui_draw_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record.h"

enum dcol { D_NODE, D_CALLS, D_SUCC, D_AVG, D_P50, D_P95, D_P99, D_TRAF, D_HEIGHT, D_CONS, D_LAG,
	    D_HTTP, D_WS, D_SEEN, D_COUNT };

static const struct { const char *title; int w; int drop; } dcols[D_COUNT] = {
	[D_NODE] = { "NODE", 0, 0 },       [D_CALLS] = { "CALLS", 7, 0 },
	[D_SUCC] = { "SUCC%", 6, 5 },      [D_AVG] = { "AVG", 7, 7 },
	[D_P50] = { "P50", 7, 9 },         [D_P95] = { "P95", 7, 8 },
	[D_P99] = { "P99", 8, 4 },         [D_TRAF] = { "TRAF%", 6, 6 },
	[D_HEIGHT] = { "HEIGHT", 10, 0 },  [D_CONS] = { "CONSENSUS", 10, 0 },
	[D_LAG] = { "LAG", 5, 0 },         [D_HTTP] = { "HTTP", 6, 2 },
	[D_WS] = { "WS", 6, 3 },           [D_SEEN] = { "SEEN", 8, 10 },
};

static void detail_cell(const struct rs_tui_frame *f, const struct rs_tui_detail_row *d, int c,
			char *b, size_t n, enum rs_tui_style *st)
{
	const struct rs_metrics_snapshot *s = f->m->s;
	const struct rs_route_metrics *rt = d->route >= 0 ? &s->routes[d->route] : NULL;
	*st = ST_NORMAL;
	if (c == D_NODE) {
		snprintf(b, n, "%s", s->nodes[d->node].name);
		return;
	}
	if (rt == NULL) {
		snprintf(b, n, c == D_CALLS ? "0" : "-");
		*st = ST_MUTED;
		return;
	}
	const struct rs_metric_set *m = &rt->m;
	switch (c) {
	case D_CALLS:  rs_tui_fmt_count(b, n, m->calls); break;
	case D_SUCC:
		snprintf(b, n, "%.1f", rs_metric_success_pct(m));
		*st = rs_tui_success_style(rs_metric_success_pct(m));
		break;
	case D_AVG:    rs_tui_fmt_ms(b, n, rs_metric_avg_ms(m)); break;
	case D_P50:    rs_tui_fmt_us(b, n, m->p50_us); break;
	case D_P95:    rs_tui_fmt_us(b, n, m->p95_us); break;
	case D_P99:    rs_tui_fmt_us(b, n, m->p99_us); break;
	case D_TRAF:   snprintf(b, n, "%.1f", rs_view_route_traffic_pct(s, (uint32_t)d->route)); break;
	case D_HEIGHT:
		if (rt->has_block)
			snprintf(b, n, "%" PRIu64, rt->block_height);
		else
			snprintf(b, n, "-");
		break;
	case D_CONS:
		if (d->has_consensus)
			snprintf(b, n, "%" PRIu64, d->consensus);
		else
			snprintf(b, n, "-");
		break;
	case D_LAG:
		if (rt->has_block)
			snprintf(b, n, "%" PRId64, rt->block_lag);
		else
			snprintf(b, n, "-");
		*st = rt->has_block && rt->block_lag < -2 ? ST_WARN : ST_NORMAL;
		break;
	case D_HTTP:
	case D_WS: {
		unsigned t = c == D_HTTP ? RS_TRANSPORT_HTTP : RS_TRANSPORT_WS;
		unsigned v = rt->circuit[t];
		snprintf(b, n, "%s", v == RS_CIRCUIT_HALF_OPEN ? "half" : rs_view_name(rs_circuit_name(v)));
		*st = v == RS_CIRCUIT_OPEN ? ST_ERR : v == RS_CIRCUIT_HALF_OPEN ? ST_WARN : ST_NORMAL;
		break;
	}
	case D_SEEN: {
		char a[24];
		uint64_t ago = s->computed_unix_ms > rt->last_seen_unix_ms
			? s->computed_unix_ms - rt->last_seen_unix_ms : 0;
		snprintf(b, n, "%s", rs_tui_fmt_age(a, sizeof a, ago));
		break;
	}
	default: b[0] = '\0'; break;
	}
}

static int draw_detail_table(const struct rs_tui_frame *f, int y, int bottom)
{
	const struct rs_tui_rect *r = &f->l->body;
	const struct rs_metrics_snapshot *s = f->m->s;
	int w[D_COUNT], xs[D_COUNT];
	unsigned shown = (1u << D_COUNT) - 1u;
	int total = 1;
	for (int c = 0; c < D_COUNT; c++) {
		w[c] = c == D_NODE ? rs_tui_node_name_width(s) : dcols[c].w;
		total += w[c] + 1;
	}
	while (total > r->w) {
		int victim = -1;
		for (int c = 0; c < D_COUNT; c++)
			if (((shown >> c) & 1u) && dcols[c].drop
			    && (victim < 0 || dcols[c].drop > dcols[victim].drop))
				victim = c;
		if (victim < 0)
			break;
		shown &= ~(1u << victim);
		total -= w[victim] + 1;
	}
	int x = r->x + 2;
	rs_tui_fill(y, r->x, r->w, ST_HEADER);
	for (int c = 0; c < D_COUNT; c++) {
		xs[c] = x;
		if (!((shown >> c) & 1u))
			continue;
		if (c == D_NODE)
			rs_tui_put(y, x, w[c], ST_HEADER, "%s", dcols[c].title);
		else
			rs_tui_put_right(y, x, w[c], ST_HEADER, dcols[c].title);
		x += w[c] + 1;
	}
	y++;
	for (size_t i = 0; i < f->m->n_detail && y < bottom; i++, y++) {
		const struct rs_tui_detail_row *d = &f->m->detail[i];
		bool here = f->m->node == (int)d->node;
		if (here)
			rs_tui_put(y, r->x, 2, ST_TITLE, ">");
		for (int c = 0; c < D_COUNT; c++) {
			if (!((shown >> c) & 1u))
				continue;
			char b[64];
			enum rs_tui_style st;
			detail_cell(f, d, c, b, sizeof b, &st);
			if (here && st == ST_NORMAL)
				st = ST_VALUE;
			if (c == D_NODE)
				rs_tui_put(y, xs[c], w[c], st, "%s", b);
			else
				rs_tui_put_right(y, xs[c], w[c], st, b);
		}
	}
	return y;
}


/* The provider's latest transitions, newest first, at most RS_TUI_CIRCUIT_ROWS rows. */
#define RS_TUI_CIRCUIT_ROWS 5

static int draw_circuit_history(const struct rs_tui_frame *f, const char *provider, int y, int bottom,
				int x, int w)
{
	static const enum rs_tui_style to_style[RS_CIRCUIT_COUNT] = { ST_OK, ST_WARN, ST_ERR };
	const struct rs_metrics_snapshot *s = f->m->s;
	if (y >= bottom)
		return y;
	rs_tui_put(y++, x, w, ST_TITLE, "Circuit transitions (latest first)");
	unsigned shown = 0;
	for (uint32_t i = 0; i < s->n_circuit_events && shown < RS_TUI_CIRCUIT_ROWS && y < bottom; i++) {
		const struct rs_circuit_event *c = &s->circuit_events[i];
		if (strcmp(c->provider, provider) != 0)
			continue;
		char when[16] = "--:--:--";
		time_t secs = (time_t)(c->emit_unix_ms / 1000u);
		struct tm tm;
		if (gmtime_r(&secs, &tm) != NULL)
			strftime(when, sizeof when, "%H:%M:%S", &tm);
		rs_tui_put(y++, x + 1, w - 1, to_style[c->to_state], "%s  %-14s %-4s %s -> %s%s%s", when,
			   s->nodes[c->node].name, rs_transport_name(c->transport),
			   rs_circuit_name(c->from_state), rs_circuit_name(c->to_state),
			   c->reason[0] ? "  " : "", c->reason);
		shown++;
	}
	if (shown == 0 && y < bottom)
		rs_tui_put(y++, x + 1, w - 1, ST_MUTED, "none among the latest %u transitions", RS_CIRCUIT_HISTORY);
	return y;
}

void rs_tui_draw_detail(const struct rs_tui_frame *f)
{
	const struct rs_tui_rect *r = &f->l->body;
	const struct rs_tui_model *m = f->m;
	const struct rs_metrics_snapshot *s = m->s;
	int y = r->y, bottom = r->y + r->h, end = r->x + r->w;
	if (m->detail_pc < 0) {
		rs_tui_put(y, r->x + 1, r->w - 1, ST_MUTED, "no provider selected (Esc: back)");
		return;
	}
	const struct rs_provider_chain_metrics *p = &s->provider_chains[m->detail_pc];
	char a[32], b2[32], c[32], d[32];
	int x = rs_tui_put(y, r->x + 1, r->w - 1, ST_TITLE, "%s", p->provider);
	x = rs_tui_put(y, x, end - x, ST_NORMAL, " on ");
	x = rs_tui_put(y, x, end - x, ST_TITLE, "%s", p->chain);
	x = rs_tui_put(y, x, end - x, ST_NORMAL, "  all nodes, last %us:", s->window_s);
	y++;
	x = rs_tui_put(y, r->x + 3, r->w - 3, ST_NORMAL, "calls %s  success ",
		rs_tui_fmt_count(a, sizeof a, p->m.calls));
	x = rs_tui_put(y, x, end - x, rs_tui_success_style(rs_metric_success_pct(&p->m)), "%.1f%%",
		rs_metric_success_pct(&p->m));
	x = rs_tui_put(y, x, end - x, ST_NORMAL, "  traffic %.1f%% of %s  failovers %" PRIu64, p->traffic_pct,
		p->chain, p->m.failovers);
	if (p->m.calls < RS_COLD_START_CALLS)
		rs_tui_put(y, x, end - x, ST_WARN, "  cold start");
	y++;
	rs_tui_put(y, r->x + 3, r->w - 3, ST_NORMAL, "latency ms  avg %s  p50 %s  p95 %s  p99 %s",
	    rs_tui_fmt_ms(a, sizeof a, rs_metric_avg_ms(&p->m)), rs_tui_fmt_us(b2, sizeof b2, p->m.p50_us),
	    rs_tui_fmt_us(c, sizeof c, p->m.p95_us), rs_tui_fmt_us(d, sizeof d, p->m.p99_us));
	y++;
	x = rs_tui_put(y, r->x + 3, r->w - 3, ST_NORMAL, "block height ");
	if (p->has_block)
		rs_tui_put(y, x, end - x, ST_NORMAL, "%" PRIu64 " (max over nodes), worst lag %" PRId64,
		    p->block_height, p->block_lag);
	else
		rs_tui_put(y, x, end - x, ST_MUTED, "never reported");
	y++;
	x = rs_tui_put(y, r->x + 3, r->w - 3, ST_NORMAL, "circuits, nodes per state:");
	static const char *const state_names[RS_CIRCUIT_COUNT] = { "closed", "half-open", "open" };
	static const enum rs_tui_style state_styles[RS_CIRCUIT_COUNT] = { ST_NORMAL, ST_WARN, ST_ERR };
	for (unsigned t = 0; t < RS_TRANSPORT_COUNT; t++) {
		x = rs_tui_put(y, x, end - x, ST_NORMAL, "  %s", rs_view_name(rs_transport_name(t)));
		for (unsigned st = 0; st < RS_CIRCUIT_COUNT; st++)
			if (p->circuit_counts[t][st])
				x = rs_tui_put(y, x, end - x, state_styles[st], " %u %s", p->circuit_counts[t][st],
					state_names[st]);
	}
	y += 2;
	if (y >= bottom)
		return;
	rs_tui_put(y++, r->x + 1, r->w - 1, ST_TITLE, "Per node: circuit state per transport, height vs consensus");
	y = draw_detail_table(f, y, bottom);
	y++;
	y = draw_circuit_history(f, p->provider, y, bottom, r->x + 1, r->w - 1);
	y++;
	if (y >= bottom)
		return;
	rs_tui_put(y++, r->x + 1, r->w - 1, ST_TITLE, "Recent decisions of %s on %s", p->provider, p->chain);
	if (m->n_detail_recent == 0 && y < bottom)
		rs_tui_put(y, r->x + 2, r->w - 2, ST_MUTED, "none among the latest %u decisions",
		    RS_RECENT_DECISIONS);
	for (size_t i = 0; i < m->n_detail_recent && y < bottom; i++, y++)
		rs_tui_draw_decision(f, &s->recent[m->detail_recent[i]], y, r->x + 1, r->w - 1, true);
}

