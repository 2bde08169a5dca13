/*
 * source_jsonl.c - JSON lines from a file or stdin into the ring.
 *
 * Each non-blank line is parsed and validated (decision_parse.c), its names
 * interned, and the record pushed; a bad line is counted by reason and
 * reported (ingest.c), and never stops the ingest.  Reading never stalls the
 * heartbeat: when no complete line is ready the source flushes and waits at
 * most 50 ms (line_reader.c), so an idle stdin or a --follow'ed file still
 * shows a live producer (heartbeat under 100 ms old); at the end of a
 * --follow'ed file that is also how often the file is re-read.
 *
 * Cost per line: jansson allocates the parsed object (a few small mallocs,
 * freed at once); the line buffer and the record are reused.
 */
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "decision_parse.h"
#include "line_reader.h"
#include "rs_clock.h"

#define FLUSH_EVERY_LINES 1024u
/* Longest wait for input between flushes: half of the 100 ms promised, so the
 * heartbeat of an idle source is never older than 100 ms. */
#define IDLE_WAIT_MS 50

static bool blank(const char *s, size_t len)
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

static void handle_line(struct rs_ingest *g, uint64_t line_no, const char *line, size_t len)
{
	struct rs_parsed p;
	struct rs_parse_error e;
	g->read++;
	if (rs_decision_parse(line, len, &p, &e) < 0 || intern_names(g, &p, &e) < 0) {
		rs_ingest_reject(g, e.reason, line_no, e.msg);
		return;
	}
	rs_ingest_push(g, &p.rec);
}

static int open_input(const char *path, struct rs_error *err)
{
	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rs_error_set(err, -errno, "open %s: %s", path, strerror(errno));
	return fd;
}

/* How long the reader may wait: IDLE_WAIT_MS, less near the --duration deadline. */
static int wait_ms(uint64_t deadline_ns)
{
	if (deadline_ns == 0)
		return IDLE_WAIT_MS;
	uint64_t now = rs_mono_ns();
	uint64_t left_ms = now < deadline_ns ? (deadline_ns - now) / 1000000u + 1 : 1;
	return left_ms < IDLE_WAIT_MS ? (int)left_ms : IDLE_WAIT_MS;
}

static bool limits_reached(const struct rs_ingest *g, const struct rs_ingest_config *cfg,
			   uint64_t deadline_ns, bool check_clock)
{
	if (cfg->count != 0 && g->read >= cfg->count)
		return true;
	return check_clock && deadline_ns != 0 && rs_mono_ns() >= deadline_ns;
}

/* The read loop: lines while they come, flush and wait when they do not. */
static int pump(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct rs_line_reader *lr,
		uint64_t deadline_ns, struct rs_error *err)
{
	bool idle = false;          /* the last call found nothing: check the clock */
	unsigned since_flush = 0;
	while (!rs_ingest_stop_requested() && !limits_reached(g, cfg, deadline_ns, idle)) {
		const char *line;
		size_t len;
		int st = rs_line_reader_next(lr, idle ? wait_ms(deadline_ns) : 0, &line, &len);
		idle = false;
		if (st == RS_LINE_OK) {
			if (!blank(line, len))
				handle_line(g, lr->line_no, line, len);
		} else if (st == RS_LINE_TOO_LONG) {
			g->read++;
			rs_ingest_reject(g, RS_REJECT_TOO_LONG, lr->line_no,
					 "line is longer than the 65536-byte limit");
		} else if (st == RS_LINE_AGAIN) {
			rs_ingest_flush(g);
			since_flush = 0;
			idle = true;
			continue;
		} else if (st == RS_LINE_EOF) {
			return 0;
		} else {
			return rs_error_set(err, st, "read %s: %s", cfg->file, strerror(-st));
		}
		if (++since_flush >= FLUSH_EVERY_LINES) {
			rs_ingest_flush(g);
			since_flush = 0;
			if (limits_reached(g, cfg, deadline_ns, true))
				return 0;
		}
	}
	return 0;
}

int rs_source_jsonl_run(struct rs_ingest *g, const struct rs_ingest_config *cfg,
			struct rs_error *err)
{
	int fd = open_input(cfg->file, err);
	if (fd < 0)
		return fd;
	struct rs_line_reader lr;
	int rc = rs_line_reader_init(&lr, fd, cfg->follow);
	if (rc < 0) {
		rs_error_set(err, rc, "read %s: no memory for the line buffer", cfg->file);
	} else {
		uint64_t deadline = cfg->duration_s > 0 ? rs_mono_ns() + (uint64_t)(cfg->duration_s * 1e9) : 0;
		rc = pump(g, cfg, &lr, deadline, err);
	}
	rs_line_reader_free(&lr);
	rs_ingest_flush(g);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
