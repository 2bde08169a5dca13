/* ingest.c - shared run state of routestat-ingest's sources (see ingest.h). */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "rs_clock.h"

static volatile sig_atomic_t stop_requested;

void rs_ingest_request_stop(void)
{
	stop_requested = 1;
}

bool rs_ingest_stop_requested(void)
{
	return stop_requested != 0;
}

int rs_ingest_open(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct rs_error *err)
{
	memset(g, 0, sizeof *g);
	g->node = cfg->node;
	g->datagram_source = cfg->source == RS_SOURCE_UNIX || cfg->source == RS_SOURCE_UDP;
	uint32_t max[RS_NAME_COUNT];
	char why[160];
	rs_name_limits_defaults(max);
	if (cfg->name_limits != NULL && rs_name_limits_parse(cfg->name_limits, max, why, sizeof why) < 0)
		return rs_error_set(err, -EINVAL, "--name-limits: %s", why);
	if (rs_name_limits_init(&g->names, max) < 0)
		return rs_error_set(err, -ENOMEM, "no memory for the name limits");
	g->parse_opts.line_max = (size_t)cfg->max_line;
	g->parse_opts.ts_skew_ms = cfg->max_clock_skew_s > 0 ? (int64_t)(cfg->max_clock_skew_s * 1000.0) : -1;
	g->parse_opts.now_unix_ms = (int64_t)(rs_unix_ns() / 1000000u);
	struct rs_ring_params params = {
		.capacity = (uint32_t)cfg->capacity,
		.dict_capacity = (uint32_t)cfg->dict_capacity,
	};
	int rc = rs_ring_open_producer(&g->ring, cfg->instance, cfg->node, &params, err);
	if (rc < 0)
		rs_name_limits_free(&g->names);
	return rc;
}

void rs_ingest_close(struct rs_ingest *g)
{
	rs_ring_close(&g->ring);   /* flushes first */
	rs_name_limits_free(&g->names);
}

bool rs_ingest_push(struct rs_ingest *g, struct rs_record *rec)
{
	rec->arrival_unix_ns = rs_unix_ns();
	if (rs_ring_push(&g->ring, rec)) {
		g->accepted++;
		return true;
	}
	g->dropped++;
	return false;
}

bool rs_ingest_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

void rs_ingest_line(struct rs_ingest *g, const char *line, size_t len,
		    const struct rs_ingest_where *w)
{
	struct rs_parsed p;
	struct rs_parse_error e;
	if (g->first_read_ns == 0)
		g->first_read_ns = rs_mono_ns();
	g->read++;
	if (rs_decision_parse_opts(line, len, &g->parse_opts, &p, &e) < 0 ||
	    rs_name_limits_intern_ring(&g->names, &g->ring, &p, &e) < 0) {
		rs_ingest_reject_input(g, e.reason, w, e.msg, line, len);
		return;
	}
	rs_ingest_push(g, &p.rec);
}

/* "line 12", "udp 127.0.0.1:4000", "unix pid 7 uid 0, line 2", or "". */
static void format_where(char *buf, size_t size, const struct rs_ingest_where *w)
{
	buf[0] = '\0';
	if (w == NULL)
		return;
	if (w->sender != NULL)
		w->sender(buf, size, w->ctx);
	size_t n = strlen(buf);
	if (w->line_no > 0 && n + 1 < size)
		snprintf(buf + n, size - n, "%sline %" PRIu64, n ? ", " : "", w->line_no);
}

void rs_ingest_reject(struct rs_ingest *g, enum rs_reject_reason reason,
		      const struct rs_ingest_where *w, const char *msg)
{
	rs_ingest_reject_input(g, reason, w, msg, NULL, 0);
}

void rs_ingest_reject_input(struct rs_ingest *g, enum rs_reject_reason reason,
			    const struct rs_ingest_where *w, const char *msg, const char *input,
			    size_t len)
{
	g->rejected++;
	rs_ring_count_reject(&g->ring, reason);
	if ((unsigned)reason >= RS_REJECT_COUNT)
		return;
	uint64_t now = 0;
	if (g->logged[reason] >= RS_INGEST_LOG_PER_REASON) {
		g->unlogged[reason]++;
		now = rs_mono_ns();
		if (now - g->last_log_ns[reason] < RS_INGEST_LOG_EVERY_S * 1000000000ull)
			return;    /* the common case of a flood: counted, nothing formatted */
	}
	char where[RS_INGEST_WHERE_MAX], excerpt[4 * RS_INGEST_EXCERPT_BYTES + 8] = "";
	format_where(where, sizeof where, w);
	if (input != NULL)
		rs_parse_excerpt(excerpt, sizeof excerpt, input, len, RS_INGEST_EXCERPT_BYTES);
	const char *colon = where[0] ? ": " : "", *bar = input != NULL ? " | " : "";
	if (now == 0) {
		fprintf(stderr, "routestat-ingest: %s%s%s%s%s\n", where, colon, msg, bar, excerpt);
		if (++g->logged[reason] == RS_INGEST_LOG_PER_REASON) {
			g->last_log_ns[reason] = rs_mono_ns();
			fprintf(stderr, "routestat-ingest: %u %s rejections: further ones are counted and "
				"summed up here at most every %u s\n", RS_INGEST_LOG_PER_REASON,
				rs_reject_reason_name(reason), RS_INGEST_LOG_EVERY_S);
		}
		return;
	}
	fprintf(stderr, "routestat-ingest: %" PRIu64 " more %s rejections; the latest: %s%s%s%s%s\n",
		g->unlogged[reason], rs_reject_reason_name(reason), where, colon, msg, bar, excerpt);
	g->unlogged[reason] = 0;
	g->last_log_ns[reason] = now;
}

void rs_ingest_flush(struct rs_ingest *g)
{
	if (g->read != g->read_at_flush) {
		g->read_at_flush = g->read;
		g->last_read_ns = rs_mono_ns();
	}
	rs_ring_flush(&g->ring);
	/* The parser's "now" for the ts window, refreshed here (every batch of lines,
	 * and while idle) rather than read from the clock for every line. */
	g->parse_opts.now_unix_ms = (int64_t)(rs_unix_ns() / 1000000u);
}

void rs_ingest_print_summary(const struct rs_ingest *g)
{
	char dgram[96] = "", span[48] = "";
	if (g->datagram_source)
		snprintf(dgram, sizeof dgram, ", %" PRIu64 " datagrams, %" PRIu64 " dropped by the kernel",
			 g->datagrams, g->kernel_drops);
	if (g->first_read_ns != 0 && g->last_read_ns >= g->first_read_ns)
		snprintf(span, sizeof span, ", %.3f s from first to last line",
			 (double)(g->last_read_ns - g->first_read_ns) / 1e9);
	fprintf(stderr,
		"routestat-ingest: node %s: %" PRIu64 " read, %" PRIu64 " accepted, %" PRIu64
		" rejected, %" PRIu64 " dropped (ring full)%s%s\n",
		g->node, g->read, g->accepted, g->rejected, g->dropped, dgram, span);
}
