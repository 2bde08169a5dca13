/* ingest.c - shared run state of routestat-ingest's sources (see ingest.h). */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "decision_parse.h"
#include "record_names.h"
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
	struct rs_ring_params params = {
		.capacity = (uint32_t)cfg->capacity,
		.dict_capacity = (uint32_t)cfg->dict_capacity,
	};
	return rs_ring_open_producer(&g->ring, cfg->instance, cfg->node, &params, err);
}

void rs_ingest_close(struct rs_ingest *g)
{
	rs_ring_close(&g->ring);   /* flushes first */
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

/* Interns the line's names; on failure fills e with the reason and the field. */
static int intern_names(struct rs_ingest *g, struct rs_parsed *p, struct rs_parse_error *e)
{
	for (unsigned slot = 0; slot < RS_NAME_COUNT; slot++) {
		const struct rs_parsed_str *n = &p->name[slot];
		if (n->len == 0)
			continue;
		int id = rs_ring_intern(&g->ring, n->s, n->len);
		if (id >= 0) {
			rs_record_set_name(&p->rec, (enum rs_name_slot)slot, (uint16_t)id);
			continue;
		}
		const char *field = rs_name_slot_field((enum rs_name_slot)slot);
		e->field = field;
		e->reason = id == -ENOSPC ? RS_REJECT_DICT_FULL
			  : id == -ENAMETOOLONG ? RS_REJECT_TOO_LONG : RS_REJECT_ENCODING;
		if (id == -ENOSPC)
			snprintf(e->msg, sizeof e->msg, "%s: dictionary full (%u names); a new ring with "
				 "a larger --dict-capacity would take it", field, rs_ring_dict_count(&g->ring));
		else
			snprintf(e->msg, sizeof e->msg, "%s: not accepted by the dictionary (%s)", field,
				 strerror(-id));
		return -1;
	}
	return 0;
}

void rs_ingest_line(struct rs_ingest *g, const char *line, size_t len,
		    const struct rs_ingest_where *w)
{
	struct rs_parsed p;
	struct rs_parse_error e;
	if (g->first_read_ns == 0)
		g->first_read_ns = rs_mono_ns();
	g->read++;
	if (rs_decision_parse(line, len, &p, &e) < 0 || intern_names(g, &p, &e) < 0) {
		rs_ingest_reject(g, e.reason, w, e.msg);
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
	g->rejected++;
	rs_ring_count_reject(&g->ring, reason);
	if ((unsigned)reason >= RS_REJECT_COUNT)
		return;
	unsigned n = g->logged[reason]++;
	if (n < RS_INGEST_LOG_PER_REASON) {
		char where[RS_INGEST_WHERE_MAX];
		format_where(where, sizeof where, w);
		fprintf(stderr, "routestat-ingest: %s%s%s\n", where, where[0] ? ": " : "", msg);
	} else if (n == RS_INGEST_LOG_PER_REASON) {
		fprintf(stderr, "routestat-ingest: more than %u %s rejections: further ones are only counted\n",
			RS_INGEST_LOG_PER_REASON, rs_reject_reason_name(reason));
	}
}

void rs_ingest_flush(struct rs_ingest *g)
{
	if (g->read != g->read_at_flush) {
		g->read_at_flush = g->read;
		g->last_read_ns = rs_mono_ns();
	}
	rs_ring_flush(&g->ring);
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
