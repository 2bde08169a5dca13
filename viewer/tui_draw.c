/*
 * tui_draw.c - curses painting of the dashboard (tui_draw.h): top bar,
 * headline strip with sparkline, node tabs, leaderboard, activity feed,
 * methods, footer, the help overlay and the waiting screen; the detail view
 * is tui_detail.c, the styles and text primitives tui_paint.c.
 *
 * Everything is drawn into stdscr clipped to its panel.  Block characters
 * (sparkline, sort arrow) are used only in a UTF-8 locale, with ASCII
 * stand-ins otherwise.
 */
#include "tui_draw_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "tui_keys.h"

/* ---- top bar ----------------------------------------------------------------- */

static int segment(int y, int x, int end, enum rs_tui_style s, const char *text)
{
	if (x + 2 + (int)strlen(text) > end)
		return x;
	x = rs_tui_put(y, x, end - x, ST_NORMAL, "  ");
	return rs_tui_put(y, x, end - x, s, "%s", text);
}

static void status_text(const struct rs_tui_frame *f, char *b, size_t n, enum rs_tui_style *s)
{
	char age[32];
	const char *aggr = f->l->compact ? "" : "aggregator ";
	switch (f->source) {
	case RS_TUI_SRC_NO_OBJECT:
		snprintf(b, n, "%swaiting", aggr);
		*s = ST_WARN;
		return;
	case RS_TUI_SRC_NO_DATA:
		snprintf(b, n, "%sstarting (pid %u)", aggr, f->info->writer_pid);
		*s = ST_WARN;
		return;
	case RS_TUI_SRC_OK:
		break;
	}
	if (f->info->status == RS_SNAPSHOT_DEAD) {
		snprintf(b, n, "%s%s", aggr, f->info->stopped ? "dead (stopped)" : "dead");
		*s = ST_ERR;
	} else if (f->info->status == RS_SNAPSHOT_STALE) {
		snprintf(b, n, "%sstale (heartbeat %s)", aggr,
			 rs_tui_fmt_age(age, sizeof age, f->info->heartbeat_age_ms));
		*s = ST_WARN;
	} else if (f->restarted || f->info->status == RS_SNAPSHOT_RESTARTED) {
		snprintf(b, n, "%srestarted", aggr);
		*s = ST_WARN;
	} else {
		snprintf(b, n, "%sfresh", aggr);
		*s = ST_OK;
	}
}

static void draw_top(const struct rs_tui_frame *f)
{
	const struct rs_tui_rect *r = &f->l->top;
	const struct rs_metrics_snapshot *s = f->m->s;
	int end = r->x + r->w;
	int x = rs_tui_put(r->y, r->x, r->w, ST_BRAND, " routestat %s ", f->instance);
	char buf[96], num[32];
	enum rs_tui_style st;

	/* Right end first: pause and refresh must stay visible. */
	char right[64];
	snprintf(right, sizeof right, "%s%s %s", f->st->paused ? "PAUSED  " : "",
		 f->l->compact ? "every" : "refresh", rs_tui_fmt_refresh(num, sizeof num, f->st->refresh_ms));
	int rx = end - (int)strlen(right) - 1;
	if (rx > x + 20) {
		if (f->st->paused)
			rs_tui_put(r->y, rx, 6, ST_BRAND, "PAUSED");
		rs_tui_put(r->y, rx + (f->st->paused ? 8 : 0), end - rx, ST_MUTED, "%s",
		    right + (f->st->paused ? 8 : 0));
		end = rx - 1;
	}
	if (s != NULL) {
		snprintf(buf, sizeof buf, "nodes %u/%u", f->m->nodes_reporting, f->m->nodes_total);
		x = segment(r->y, x, end, f->m->nodes_reporting < f->m->nodes_total ? ST_WARN : ST_NORMAL, buf);
		snprintf(buf, sizeof buf, "age %s", rs_tui_fmt_age(num, sizeof num, f->age_ms));
		x = segment(r->y, x, end, f->info->status == RS_SNAPSHOT_FRESH ? ST_NORMAL : ST_WARN, buf);
	}
	status_text(f, buf, sizeof buf, &st);
	x = segment(r->y, x, end, st, buf);
	if (s != NULL && s->totals.dropped) {
		snprintf(buf, sizeof buf, "dropped %s", rs_tui_fmt_count(num, sizeof num, s->totals.dropped));
		x = segment(r->y, x, end, ST_WARN, buf);
	}
	if (s != NULL && s->totals.source_lost) {
		snprintf(buf, sizeof buf, "lost %s", rs_tui_fmt_count(num, sizeof num, s->totals.source_lost));
		x = segment(r->y, x, end, ST_WARN, buf);
	}
	if (s != NULL && s->totals.rejected) {
		snprintf(buf, sizeof buf, "rejected %s", rs_tui_fmt_count(num, sizeof num, s->totals.rejected));
		x = segment(r->y, x, end, ST_WARN, buf);
	}
}

/* ---- headline and sparkline --------------------------------------------------- */

static void draw_headline(const struct rs_tui_frame *f)
{
	const struct rs_tui_rect *r = &f->l->headline;
	const struct rs_tui_headline *h = &f->m->head;
	int end = f->l->spark.w && !f->l->spark_own_row ? f->l->spark.x - 1 : r->x + r->w;
	int y = r->y, x = r->x + 1;
	char b[32];
	bool c = f->l->compact;
	if (!h->cluster && !c)   /* compact: the highlighted tab says which node */
		x = rs_tui_put(y, x, end - x, ST_TITLE, "%s: ", f->m->s->nodes[f->m->node].name);
	x = rs_tui_put(y, x, end - x, ST_NORMAL, "RPS ");
	snprintf(b, sizeof b, "%.1f", h->rps);
	x = rs_tui_put(y, x, end - x, ST_VALUE, "%s", b);
	x = rs_tui_put(y, x, end - x, ST_NORMAL, c ? "  succ " : "   success ");
	x = rs_tui_put(y, x, end - x, rs_tui_success_style(h->success_pct), "%.1f%%", h->success_pct);
	x = rs_tui_put(y, x, end - x, ST_NORMAL, c ? "  avg " : "   avg ");
	x = rs_tui_put(y, x, end - x, ST_VALUE, "%s", rs_tui_fmt_ms(b, sizeof b, h->avg_ms));
	x = rs_tui_put(y, x, end - x, ST_NORMAL, c ? "ms  fo/min " : " ms   failovers/min ");
	x = rs_tui_put(y, x, end - x, ST_VALUE, "%.1f",
		h->failovers_per_min);
	if (!c) {
		x = rs_tui_put(y, x, end - x, ST_NORMAL, "   calls ");
		rs_tui_put(y, x, end - x, ST_VALUE, "%s", rs_tui_fmt_count(b, sizeof b, h->calls));
	}
}

static void draw_spark(const struct rs_tui_frame *f)
{
	const struct rs_tui_rect *r = &f->l->spark;
	const struct rs_metrics_snapshot *s = f->m->s;
	if (r->w <= 0)
		return;
	int bars = r->w < (int)RS_RPS_HISTORY ? r->w : (int)RS_RPS_HISTORY;
	const uint64_t *hist = s->totals.rps_history + (RS_RPS_HISTORY - (unsigned)bars);
	uint64_t max = 0;
	for (int i = 0; i < bars; i++)
		max = hist[i] > max ? hist[i] : max;
	rs_tui_put(r->y, r->x, RS_TUI_SPARK_LABEL_W, ST_MUTED, "rps %2ds", bars);
	int x = r->x + RS_TUI_SPARK_LABEL_W;
	static const char *const blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
					       "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[8] = { '_', '.', '-', '~', '=', '+', '*', '#' };
	attrset(rs_tui_attr(ST_SPARK));
	for (int i = 0; i < bars && x + i < COLS; i++) {
		if (hist[i] == 0 || max == 0) {
			mvaddch(r->y, x + i, ' ');
			continue;
		}
		int level = (int)((hist[i] * 8u - 1u) / max);   /* 0..7 */
		level = level > 7 ? 7 : level;
		if (f->utf8)
			mvaddstr(r->y, x + i, blocks[level]);
		else
			mvaddch(r->y, x + i, (chtype)(unsigned char)ascii[level]);
	}
	attrset(A_NORMAL);
	if (f->l->spark_tail)
		rs_tui_put(r->y, x + bars, RS_TUI_SPARK_TAIL_W, ST_MUTED, " max %" PRIu64 "%s", max,
		    f->m->head.cluster ? "" : " (all)");
}

/* ---- node tabs ----------------------------------------------------------------- */

/* " 3 sa-east-1 ", the name cut to name_w characters (name_w < 0: whole; 0: number only). */
static void tab_label(const struct rs_node_metrics *n, uint32_t i, int name_w, char *b, size_t len)
{
	bool ok = rs_tui_node_reporting(n);
	int nl = (int)strlen(n->name);
	if (name_w < 0 || name_w > nl)
		name_w = nl;
	if (i >= 9)
		snprintf(b, len, " %.*s%s ", name_w ? name_w : nl, n->name, ok ? "" : "!");
	else if (name_w == 0)
		snprintf(b, len, " %u%s ", i + 1, ok ? "" : "!");
	else
		snprintf(b, len, " %u %.*s%s ", i + 1, name_w, n->name,
			 ok ? "" : name_w == nl ? " (down)" : "!");
}

static int tabs_width(const struct rs_metrics_snapshot *s, int on, int name_w)
{
	char label[RS_STR + 16];
	int w = 0;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		tab_label(&s->nodes[i], i, (int)i == on ? -1 : name_w, label, sizeof label);
		w += 1 + (int)strlen(label);
	}
	return w;
}

static int longest_name(const struct rs_metrics_snapshot *s)
{
	int w = 0;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		int len = (int)strlen(s->nodes[i].name);
		w = len > w ? len : w;
	}
	return w;
}

/*
 * Every node's name when they fit; otherwise the names cut short (the open
 * tab's whole), down to numbers only; '!' or "(down)" marks a node not reporting.
 */
static void draw_tabs(const struct rs_tui_frame *f)
{
	const struct rs_tui_rect *r = &f->l->tabs;
	const struct rs_metrics_snapshot *s = f->m->s;
	int end = r->x + r->w, x = r->x + 1;
	bool all = f->st->node[0] == '\0';
	x = rs_tui_put(r->y, x, end - x, all ? ST_TAB_ON : ST_NORMAL, " 0 all ");
	if (f->m->node_missing) {
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " ");
		rs_tui_put(r->y, x, end - x, ST_TAB_ON, " %s: not in this snapshot ", f->st->node);
		return;
	}
	int on = f->m->node, name_w = -1;
	if (x + tabs_width(s, on, -1) > end - 2)
		for (name_w = longest_name(s) - 1; name_w > 0 && x + tabs_width(s, on, name_w) > end - 2;
		     name_w--)
			;
	if (name_w > 0 && name_w < 3)
		name_w = 0;                               /* two letters say nothing: numbers */
	char label[RS_STR + 16];
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		const struct rs_node_metrics *n = &s->nodes[i];
		bool open = on == (int)i;
		tab_label(n, i, open ? -1 : name_w, label, sizeof label);
		if (x + 1 + (int)strlen(label) > end - 2) {
			rs_tui_put(r->y, end - 2, 2, ST_MUTED, " >");
			return;
		}
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " ");
		x = rs_tui_put(r->y, x, end - x, open ? ST_TAB_ON : rs_tui_node_reporting(n) ? ST_NORMAL
			: ST_WARN, "%s", label);
	}
}

/* ---- leaderboard ---------------------------------------------------------------- */

static void circuit_text(const struct rs_view_row *row, unsigned t, char *b, size_t n,
			 enum rs_tui_style *s)
{
	const uint32_t *c = row->circuit_counts[t];
	if (row->route >= 0) {
		const char *name = c[RS_CIRCUIT_OPEN] ? "open" : c[RS_CIRCUIT_HALF_OPEN] ? "half"
			: c[RS_CIRCUIT_CLOSED] ? "closed" : "?";
		snprintf(b, n, "%s", name);
		*s = c[RS_CIRCUIT_OPEN] ? ST_ERR : c[RS_CIRCUIT_HALF_OPEN] ? ST_WARN : ST_NORMAL;
		return;
	}
	if (c[RS_CIRCUIT_OPEN] == 0 && c[RS_CIRCUIT_HALF_OPEN] == 0) {
		snprintf(b, n, "%s", c[RS_CIRCUIT_CLOSED] ? "closed" : "-");
		*s = ST_NORMAL;
	} else if (c[RS_CIRCUIT_OPEN] && c[RS_CIRCUIT_HALF_OPEN]) {
		snprintf(b, n, "o%u h%u", c[RS_CIRCUIT_OPEN], c[RS_CIRCUIT_HALF_OPEN]);
		*s = ST_ERR;
	} else if (c[RS_CIRCUIT_OPEN]) {
		snprintf(b, n, "open %u", c[RS_CIRCUIT_OPEN]);
		*s = ST_ERR;
	} else {
		snprintf(b, n, "half %u", c[RS_CIRCUIT_HALF_OPEN]);
		*s = ST_WARN;
	}
}

/* The text and style of one leaderboard cell. */
static void board_cell(const struct rs_tui_frame *f, const struct rs_view_row *row, size_t rank,
		       enum rs_tui_col c, char *b, size_t n, enum rs_tui_style *s)
{
	const struct rs_metric_set *m = &row->m;
	*s = ST_NORMAL;
	switch (c) {
	case RS_TUI_COL_RANK:     snprintf(b, n, "%zu", rank); *s = ST_MUTED; break;
	case RS_TUI_COL_PROVIDER: snprintf(b, n, "%s%s", row->provider, row->cold ? "*" : ""); break;
	case RS_TUI_COL_CHAIN:    snprintf(b, n, "%s", row->chain); break;
	case RS_TUI_COL_CALLS:    rs_tui_fmt_count(b, n, m->calls); break;
	case RS_TUI_COL_RPS:      snprintf(b, n, "%.1f", row->events_per_s); break;
	case RS_TUI_COL_ERRORS:
		rs_tui_fmt_count(b, n, m->errors);
		*s = m->errors ? ST_WARN : ST_NORMAL;
		break;
	case RS_TUI_COL_SUCCESS:
		snprintf(b, n, "%.1f", rs_metric_success_pct(m));
		*s = rs_tui_success_style(rs_metric_success_pct(m));
		break;
	case RS_TUI_COL_AVG:      rs_tui_fmt_ms(b, n, rs_metric_avg_ms(m)); break;
	case RS_TUI_COL_P50:      rs_tui_fmt_us(b, n, m->p50_us); break;
	case RS_TUI_COL_P95:      rs_tui_fmt_us(b, n, m->p95_us); break;
	case RS_TUI_COL_P99:      rs_tui_fmt_us(b, n, m->p99_us); break;
	case RS_TUI_COL_RATIO:
		if (m->p50_us)
			snprintf(b, n, "%.2f", rs_tui_tail_ratio(m));
		else
			snprintf(b, n, "-");
		*s = rs_tui_tail_ratio(m) >= 20.0 ? ST_WARN : ST_NORMAL;
		break;
	case RS_TUI_COL_TRAFFIC:
		if (isfinite(row->traffic_pct))
			snprintf(b, n, "%.1f", row->traffic_pct);
		else
			snprintf(b, n, "-");
		break;
	case RS_TUI_COL_HEIGHT:
		if (row->has_block)
			snprintf(b, n, "%" PRIu64, row->block_height);
		else
			snprintf(b, n, "-");
		break;
	case RS_TUI_COL_LAG:
		if (row->has_block)
			snprintf(b, n, "%" PRId64, row->block_lag);
		else
			snprintf(b, n, "-");
		*s = row->has_block && row->block_lag < -2 ? ST_WARN : ST_NORMAL;
		break;
	case RS_TUI_COL_HTTP:     circuit_text(row, RS_TRANSPORT_HTTP, b, n, s); break;
	case RS_TUI_COL_WS:       circuit_text(row, RS_TRANSPORT_WS, b, n, s); break;
	case RS_TUI_COL_COUNT:    b[0] = '\0'; break;
	}
	(void)f;
}

static void draw_board(const struct rs_tui_frame *f, size_t top)
{
	const struct rs_tui_layout *l = f->l;
	const struct rs_tui_rect *r = &l->board;
	const struct rs_tui_model *m = f->m;
	const struct rs_metrics_snapshot *s = m->s;
	if (r->h <= 0)
		return;
	int end = r->x + r->w;
	int x = rs_tui_put(r->y, r->x + 1, r->w - 1, ST_TITLE, "Providers");
	if (m->node >= 0)
		x = rs_tui_put(r->y, x, end - x, ST_TITLE, " on %s", s->nodes[m->node].name);
	else
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " (all nodes)");
	x = rs_tui_put(r->y, x, end - x, ST_NORMAL, "  sort: ");
	x = rs_tui_put(r->y, x, end - x, ST_VALUE, "%s", rs_tui_sort_name(f->st->sort));
	if (!l->compact)
		x = rs_tui_put(r->y, x, end - x, ST_MUTED, "  last %us, ms  * cold start", s->window_s);
	if (m->n_rows > l->board_rows && l->board_rows > 0) {
		char pos[48];
		snprintf(pos, sizeof pos, " %zu-%zu/%zu ", top + 1,
			 top + l->board_rows < m->n_rows ? top + l->board_rows : m->n_rows, m->n_rows);
		if (end - (int)strlen(pos) > x)
			rs_tui_put_right(r->y, r->x, r->w, ST_MUTED, pos);
	}
	if (r->h < 2)
		return;

	int hy = r->y + 1;
	rs_tui_fill(hy, r->x, r->w, ST_HEADER);
	for (int c = 0; c < RS_TUI_COL_COUNT; c++) {
		if (!rs_tui_col_shown(l, c))
			continue;
		const struct rs_tui_column *col = &rs_tui_columns[c];
		bool sorted = col->sort == (int)f->st->sort;
		char t[32];
		snprintf(t, sizeof t, "%s%s", col->title,
			 sorted ? (f->utf8 ? "\u25bc" : "v") : "");
		int len = (int)strlen(col->title) + (sorted ? 1 : 0);
		int cx = col->right && len < l->col_w[c] ? l->col_x[c] + l->col_w[c] - len : l->col_x[c];
		attrset(rs_tui_attr(sorted ? ST_SORTED : ST_HEADER));
		mvaddstr(hy, cx, t);
		attrset(A_NORMAL);
	}
	if (m->n_rows == 0) {
		rs_tui_put(hy + 1, r->x + 2, r->w - 2, ST_MUTED, "%s",
		    m->node_missing ? "this node is not in the snapshot (0: all nodes)"
				    : "no traffic in the window");
		return;
	}
	for (size_t i = 0; i < l->board_rows && top + i < m->n_rows; i++) {
		size_t idx = top + i;
		const struct rs_view_row *row = &m->rows[idx];
		int y = hy + 1 + (int)i;
		bool sel = idx == m->sel;
		if (sel)
			rs_tui_fill(y, r->x, r->w, ST_KEY);
		for (int c = 0; c < RS_TUI_COL_COUNT; c++) {
			if (!rs_tui_col_shown(l, c))
				continue;
			char b[64];
			enum rs_tui_style st;
			board_cell(f, row, idx + 1, c, b, sizeof b, &st);
			if (row->cold && st == ST_NORMAL)
				st = ST_MUTED;
			if (sel)
				st = ST_KEY;
			if (rs_tui_columns[c].right)
				rs_tui_put_right(y, l->col_x[c], l->col_w[c], st, b);
			else
				rs_tui_put(y, l->col_x[c], l->col_w[c], st, "%s", b);
		}
	}
}

/* ---- activity feed ------------------------------------------------------------------ */

int rs_tui_node_name_width(const struct rs_metrics_snapshot *s)
{
	int w = 4;
	for (uint32_t i = 0; i < s->n_nodes; i++) {
		int len = (int)strlen(s->nodes[i].name);
		w = len > w ? len : w;
	}
	return w > 16 ? 16 : w;
}

/* One decision: "HH:MM:SS.mmm node chain method -> provider (N ms) [error] [failover N] [system]". */
void rs_tui_draw_decision(const struct rs_tui_frame *f, const struct rs_recent_decision *d,
			  int y, int x, int w, bool with_time)
{
	const struct rs_metrics_snapshot *s = f->m->s;
	int end = x + w;
	bool err = d->result != RS_RESULT_SUCCESS;
	if (with_time) {
		time_t secs = (time_t)(d->emit_unix_ms / 1000u);
		struct tm tm;
		char when[16] = "??:??:??";
		if (gmtime_r(&secs, &tm) != NULL)
			strftime(when, sizeof when, "%H:%M:%S", &tm);
		x = rs_tui_put(y, x, end - x, ST_MUTED, "%s.%03u ", when, (unsigned)(d->emit_unix_ms % 1000u));
	}
	x = rs_tui_put(y, x, end - x, ST_MUTED, "%-*s ", rs_tui_node_name_width(s), s->nodes[d->node].name);
	double ms = (double)d->duration_us / 1000.0;
	x = rs_tui_put(y, x, end - x, err ? ST_ERR : ST_NORMAL, "%s %s -> %s (%.*f ms)", d->chain, d->method,
		d->provider, ms < 10.0 ? 1 : 0, ms);
	if (err)
		x = rs_tui_put(y, x, end - x, ST_ERR, " [%s]", rs_view_name(rs_result_name(d->result)));
	if (d->failover_count)
		x = rs_tui_put(y, x, end - x, ST_WARN, " [failover %u]", d->failover_count);
	if (d->origin != RS_ORIGIN_CLIENT)
		rs_tui_put(y, x, end - x, ST_MUTED, " [%s]", rs_view_name(rs_origin_name(d->origin)));
}

static void draw_feed(const struct rs_tui_frame *f)
{
	const struct rs_tui_layout *l = f->l;
	const struct rs_tui_rect *r = &l->feed;
	const struct rs_tui_model *m = f->m;
	if (r->h <= 0 || r->w <= 0)
		return;
	int end = r->x + r->w;
	int x = rs_tui_put(r->y, r->x + 1, r->w - 1, ST_TITLE, "Recent activity");
	if (m->node >= 0)
		x = rs_tui_put(r->y, x, end - x, ST_TITLE, " on %s", m->s->nodes[m->node].name);
	if (l->feed_collapsed) {
		x = rs_tui_put(r->y, x, end - x, ST_MUTED, " (m: open) ");
		if (m->n_feed)
			rs_tui_draw_decision(f, &m->s->recent[m->feed[0]], r->y, x, end - x, false);
		return;
	}
	rs_tui_put(r->y, x, end - x, ST_MUTED, "  (latest to arrive first, node times UTC)");
	if (m->n_feed == 0 && m->node >= 0)
		rs_tui_put(r->y + 1, r->x + 2, r->w - 2, ST_MUTED, "none of this node's among the latest %u "
		    "decisions (the snapshot keeps %u, cluster-wide)", m->s->n_recent, RS_RECENT_DECISIONS);
	else if (m->n_feed == 0)
		rs_tui_put(r->y + 1, r->x + 2, r->w - 2, ST_MUTED, "no decisions yet");
	for (size_t i = 0; i < l->feed_rows && i < m->n_feed; i++)
		rs_tui_draw_decision(f, &m->s->recent[m->feed[i]], r->y + 1 + (int)i, r->x + 1, r->w - 1,
			      true);
}

/* ---- methods ---------------------------------------------------------------------- */

static const char *no_methods_text(const struct rs_tui_model *m)
{
	if (m->node_missing)
		return "this node is not in the snapshot (0: all nodes)";
	return m->node >= 0 ? "no calls from this node in the window" : "no calls in the window";
}

/* The scope's top methods: the open node's own on a node tab, over all nodes on the "all" tab. */
static void draw_methods(const struct rs_tui_frame *f)
{
	const struct rs_tui_layout *l = f->l;
	const struct rs_tui_rect *r = &l->methods;
	const struct rs_tui_model *m = f->m;
	if (r->h <= 0 || r->w <= 0)
		return;
	int end = r->x + r->w;
	int x = rs_tui_put(r->y, r->x + 1, r->w - 1, ST_TITLE, "Top methods");
	if (m->node >= 0)
		x = rs_tui_put(r->y, x, end - x, ST_TITLE, " on %s", m->s->nodes[m->node].name);
	else if (!m->node_missing)
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " (all nodes)");
	if (l->methods_collapsed) {
		x = rs_tui_put(r->y, x, end - x, ST_MUTED, " (m: open) ");
		for (uint32_t i = 0; i < m->n_methods && x < end; i++)
			x = rs_tui_put(r->y, x, end - x, ST_NORMAL, "%s%s %" PRIu64, i ? ", " : "",
				m->methods[i].method, m->methods[i].calls);
		return;
	}
	if (r->h < 2)
		return;
	int name_w = r->w - 1 - 3 * 9;
	name_w = name_w > 30 ? 30 : name_w;
	int hy = r->y + 1;
	rs_tui_fill(hy, r->x, r->w, ST_HEADER);
	rs_tui_put(hy, r->x + 1, name_w, ST_HEADER, "METHOD");
	const char *titles[3] = { "CALLS", "SUCC%", "AVG ms" };
	for (int c = 0; c < 3; c++)
		rs_tui_put_right(hy, r->x + 1 + name_w + c * 9, 9, ST_HEADER, titles[c]);
	for (size_t i = 0; i < l->methods_rows && i < m->n_methods; i++) {
		struct rs_metric_set mm = rs_view_method_metrics(&m->methods[i]);
		int y = hy + 1 + (int)i;
		char b[32];
		rs_tui_put(y, r->x + 1, name_w, ST_NORMAL, "%s", m->methods[i].method);
		rs_tui_put_right(y, r->x + 1 + name_w, 9, ST_NORMAL, rs_tui_fmt_count(b, sizeof b, mm.calls));
		snprintf(b, sizeof b, "%.1f", rs_metric_success_pct(&mm));
		rs_tui_put_right(y, r->x + 1 + name_w + 9, 9, rs_tui_success_style(rs_metric_success_pct(&mm)), b);
		rs_tui_put_right(y, r->x + 1 + name_w + 18, 9, ST_NORMAL, rs_tui_fmt_ms(b, sizeof b, rs_metric_avg_ms(&mm)));
	}
	if (m->n_methods == 0)
		rs_tui_put(hy + 1, r->x + 2, r->w - 2, ST_MUTED, "%s", no_methods_text(m));
}

/* ---- footer, help, waiting ------------------------------------------------------------ */

static void draw_footer(const struct rs_tui_frame *f)
{
	const struct rs_tui_rect *r = &f->l->footer;
	int end = r->x + r->w, x = r->x;
	if (f->message != NULL) {
		rs_tui_put(r->y, x, r->w, ST_ERR, " %s", f->message);
		return;
	}
	if (f->st->detail) {
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " ");
		x = rs_tui_put(r->y, x, end - x, ST_KEY, "Esc");
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " back  ");
		x = rs_tui_put(r->y, x, end - x, ST_KEY, "jk");
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " provider ");
	}
	for (size_t i = 0; i < rs_tui_nkeys && x < end; i++) {
		const struct rs_tui_key *k = &rs_tui_keys[i];
		if (k->hint == NULL)
			continue;
		if (f->st->detail && (k->action == RS_TUI_ACT_UP || k->action == RS_TUI_ACT_QUIT
				      || k->action == RS_TUI_ACT_DETAIL || k->action == RS_TUI_ACT_SORT))
			continue;   /* said above, or not for this view */
		if (x + (int)strlen(k->hint_keys) + (int)strlen(k->hint) + 2 > end)
			break;
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " ");
		x = rs_tui_put(r->y, x, end - x, ST_KEY, "%s", k->hint_keys);
		x = rs_tui_put(r->y, x, end - x, ST_NORMAL, " %s ", k->hint);
	}
}

static void draw_help(const struct rs_tui_frame *f)
{
	int w = 70, h = (int)rs_tui_nkeys + 8;
	if (w > COLS)
		w = COLS;
	if (h > LINES)
		h = LINES;
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
	for (int y = y0; y < y0 + h; y++)
		rs_tui_fill(y, x0, w, ST_NORMAL);
	attrset(rs_tui_attr(ST_TITLE));
	mvhline(y0, x0, ACS_HLINE, w);
	mvhline(y0 + h - 1, x0, ACS_HLINE, w);
	mvvline(y0, x0, ACS_VLINE, h);
	mvvline(y0, x0 + w - 1, ACS_VLINE, h);
	mvaddch(y0, x0, ACS_ULCORNER);
	mvaddch(y0, x0 + w - 1, ACS_URCORNER);
	mvaddch(y0 + h - 1, x0, ACS_LLCORNER);
	mvaddch(y0 + h - 1, x0 + w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	rs_tui_put(y0, x0 + 2, w - 4, ST_TITLE, " Help: routestat-view keys ");
	int y = y0 + 1;
	for (size_t i = 0; i < rs_tui_nkeys && y < y0 + h - 1; i++, y++) {
		rs_tui_put(y, x0 + 2, 12, ST_VALUE, "%s", rs_tui_keys[i].label);
		rs_tui_put(y, x0 + 14, w - 16, ST_NORMAL, "%s", rs_tui_keys[i].help);
	}
	const char *notes[] = {
		"Latencies in ms over the window; * cold start (under 10 calls).",
		"Circuits: the node's state on a node tab; over all nodes, how many",
		"nodes are open / half-open ('closed': all closed).",
		"Any key closes this help.",
	};
	y++;
	for (size_t i = 0; i < sizeof notes / sizeof notes[0] && y < y0 + h - 1; i++, y++)
		rs_tui_put(y, x0 + 2, w - 4, ST_MUTED, "%s", notes[i]);
	(void)f;
}

static void draw_waiting(const struct rs_tui_frame *f)
{
	int y = LINES / 2 - 1, x = 2, w = COLS - 4;
	char t[32], rf[32];
	if (f->source == RS_TUI_SRC_NO_OBJECT)
		rs_tui_put(y, x, w, ST_VALUE, "waiting for /routestat.%s.snapshot ...", f->instance);
	else
		rs_tui_put(y, x, w, ST_VALUE, "waiting for the first snapshot of aggregator pid %u ...",
		    f->info->writer_pid);
	rs_tui_put(y + 1, x, w, ST_MUTED, "%s; waited %s, retrying every %s (q quits)",
	    f->source == RS_TUI_SRC_NO_OBJECT ? "no aggregator has created it yet"
					      : "the aggregator has not published yet",
	    rs_tui_fmt_age(t, sizeof t, f->waited_ms), rs_tui_fmt_refresh(rf, sizeof rf, f->st->refresh_ms));
}

/* ---- the frame ------------------------------------------------------------------------ */

void rs_tui_draw_top(const struct rs_tui_frame *f)
{
	if (f->l->too_small || LINES < 1)
		return;
	rs_tui_paint_dim(false);
	move(f->l->top.y, 0);
	clrtoeol();
	draw_top(f);
}

void rs_tui_draw(const struct rs_tui_frame *f)
{
	erase();
	rs_tui_paint_dim(false);
	if (f->l->too_small) {
		rs_tui_put(0, 0, COLS, ST_WARN, "terminal %dx%d is too small: routestat-view needs %dx%d (q quits)",
		    COLS, LINES, RS_TUI_MIN_COLS, RS_TUI_MIN_ROWS);
		return;
	}
	draw_top(f);
	if (f->m->s == NULL) {
		draw_waiting(f);
		draw_footer(f);
		if (f->st->help)
			draw_help(f);
		return;
	}
	rs_tui_paint_dim(f->info->status == RS_SNAPSHOT_DEAD);
	draw_headline(f);
	draw_spark(f);
	draw_tabs(f);
	if (f->st->detail) {
		rs_tui_draw_detail(f);
	} else {
		draw_board(f, f->st->top);
		draw_feed(f);
		draw_methods(f);
	}
	rs_tui_paint_dim(false);
	draw_footer(f);
	if (f->st->help)
		draw_help(f);
}
