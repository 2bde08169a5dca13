/*
 * source_jsonl.c - JSON lines from a file or stdin into the ring.
 *
 * Each non-blank line is handed to rs_ingest_line (parse, validate, intern,
 * push); a bad line is counted by reason and reported with its line number,
 * and never stops the ingest.  Reading never stalls the heartbeat: when no
 * complete line is ready the source flushes and waits at most 50 ms
 * (line_reader.c), so an idle stdin or a --follow'ed file still shows a live
 * producer (heartbeat under 100 ms old).
 *
 * --follow on a named FILE behaves like tail -F.  At the end of the file,
 * every 50 ms, the path is looked at again (stat):
 *   - it names another file (rotation: renamed and re-created): the old file
 *     is read once more to its end (lines a writer added before the rename),
 *     its partial last line, if any, is taken as a line, then the new file is
 *     opened and read from its start;
 *   - the same file, but shorter than what was read (truncation): reading
 *     starts again at offset 0, and the partial line is dropped;
 *   - no file at the path (rotated, not yet re-created): the old file keeps
 *     being read, in case its writer still appends, until a new one appears.
 * A FILE missing at start is waited for the same way.  Each event is logged
 * once on stderr.  Line numbers in rejection messages restart with each file.
 *
 * Cost per line: whatever the parser costs (decision_parse.c); the line
 * buffer and the record are reused.
 */
#include "sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "line_reader.h"
#include "rs_clock.h"

#define FLUSH_EVERY_LINES 1024u
/* Longest wait for input between flushes: half of the 100 ms promised, so the
 * heartbeat of an idle source is never older than 100 ms.  Also how often a
 * followed path is looked at again. */
#define IDLE_WAIT_MS 50

/* The followed path and the identity of the file being read. */
struct followed {
	const char *path;      /* NULL: stdin, nothing to follow by name */
	int         fd;
	dev_t       dev;
	ino_t       ino;
	bool        rotating;  /* the path names a new file: the old one is being read to its end */
	bool        gone_said; /* "no file at the path" was logged for this absence */
};

/* What the look at the path found. */
enum follow_step { FOLLOW_WAIT, FOLLOW_READ_NOW, FOLLOW_ERROR };

static void handle_line(struct rs_ingest *g, uint64_t line_no, const char *line, size_t len)
{
	if (rs_ingest_blank(line, len))
		return;
	struct rs_ingest_where w = { .line_no = line_no };
	rs_ingest_line(g, line, len, &w);
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

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);   /* a signal ends it early: the caller checks its flag */
}

static bool limits_reached(const struct rs_ingest *g, const struct rs_ingest_config *cfg,
			   uint64_t deadline_ns, bool check_clock)
{
	if (cfg->count != 0 && g->read >= cfg->count)
		return true;
	return check_clock && deadline_ns != 0 && rs_mono_ns() >= deadline_ns;
}

/* Opens f->path and records its identity: the fd, or a negative errno. */
static int open_followed(struct followed *f)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return fd;
}

/* --follow of a FILE not there yet: waits for it (flushing, heartbeat fresh) until a limit or stop. */
static int wait_for_file(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct followed *f,
			 uint64_t deadline_ns, struct rs_error *err)
{
	bool said = false;
	for (;;) {
		int fd = open_followed(f);
		if (fd >= 0)
			return fd;
		if (fd != -ENOENT)
			return rs_error_set(err, fd, "open %s: %s", f->path, strerror(-fd));
		if (!said)
			fprintf(stderr, "routestat-ingest: %s: does not exist (yet); waiting for it\n", f->path);
		said = true;
		rs_ingest_flush(g);
		if (rs_ingest_stop_requested() || limits_reached(g, cfg, deadline_ns, true))
			return -ENOENT;
		sleep_ms(wait_ms(deadline_ns));
	}
}

/* Leaves the old file for the new one at the path (its partial last line first). */
static enum follow_step switch_file(struct rs_ingest *g, struct followed *f, struct rs_line_reader *lr,
				    struct rs_error *err)
{
	int old = f->fd;
	int fd = open_followed(f);
	if (fd == -ENOENT)
		return FOLLOW_WAIT;          /* gone again between stat and open: look later */
	if (fd < 0) {
		rs_error_set(err, fd, "open %s: %s", f->path, strerror(-fd));
		return FOLLOW_ERROR;
	}
	const char *line;
	size_t len;
	if (rs_line_reader_take_partial(lr, &line, &len) == RS_LINE_OK)
		handle_line(g, lr->line_no, line, len);
	close(old);
	rs_line_reader_reset(lr, fd);
	f->rotating = false;
	f->gone_said = false;
	fprintf(stderr, "routestat-ingest: %s: rotated; reading the new file from its start\n", f->path);
	return FOLLOW_READ_NOW;
}

/* At the end of the followed file: rotation, truncation, or nothing new yet. */
static enum follow_step follow_check(struct rs_ingest *g, struct followed *f, struct rs_line_reader *lr,
				     struct rs_error *err)
{
	struct stat st;
	if (stat(f->path, &st) < 0) {
		if (!f->gone_said)
			fprintf(stderr, "routestat-ingest: %s: no file at the path; reading the old one "
				"until a new one appears\n", f->path);
		f->gone_said = true;
		return FOLLOW_WAIT;
	}
	if (st.st_dev != f->dev || st.st_ino != f->ino) {
		if (!f->rotating) {      /* first read the old file to its end once more */
			f->rotating = true;
			return FOLLOW_READ_NOW;
		}
		return switch_file(g, f, lr, err);
	}
	f->rotating = false;
	off_t pos = lseek(f->fd, 0, SEEK_CUR);
	if (pos >= 0 && st.st_size < pos) {
		int rc = rs_line_reader_rewind(lr);
		if (rc < 0) {
			rs_error_set(err, rc, "seek %s: %s", f->path, strerror(-rc));
			return FOLLOW_ERROR;
		}
		fprintf(stderr, "routestat-ingest: %s: truncated (%lld bytes, %lld were read); "
			"reading from its start\n", f->path, (long long)st.st_size, (long long)pos);
		return FOLLOW_READ_NOW;
	}
	return FOLLOW_WAIT;
}

/* The read loop: lines while they come, flush and wait when they do not. */
static int pump(struct rs_ingest *g, const struct rs_ingest_config *cfg, struct followed *f,
		struct rs_line_reader *lr, uint64_t deadline_ns, struct rs_error *err)
{
	bool idle = false;          /* the last call found nothing: check the clock, wait */
	unsigned since_flush = 0;
	char msg[96];
	snprintf(msg, sizeof msg, "line is longer than the %zu-byte limit", lr->max_line);
	while (!rs_ingest_stop_requested() && !limits_reached(g, cfg, deadline_ns, idle)) {
		const char *line;
		size_t len;
		int st = rs_line_reader_next(lr, idle ? wait_ms(deadline_ns) : 0, &line, &len);
		idle = false;
		if (st == RS_LINE_OK) {
			handle_line(g, lr->line_no, line, len);
		} else if (st == RS_LINE_TOO_LONG) {
			g->read++;
			struct rs_ingest_where w = { .line_no = lr->line_no };
			rs_ingest_reject(g, RS_REJECT_TOO_LONG, &w, msg);
		} else if (st == RS_LINE_AGAIN) {
			rs_ingest_flush(g);
			since_flush = 0;
			idle = true;
			if (!lr->at_eof)
				continue;            /* a pipe with nothing yet: the next call waits */
			enum follow_step s = f->path ? follow_check(g, f, lr, err) : FOLLOW_WAIT;
			if (s == FOLLOW_ERROR)
				return err->code;
			if (s == FOLLOW_READ_NOW)
				idle = false;
			else if (!limits_reached(g, cfg, deadline_ns, true) && !rs_ingest_stop_requested())
				sleep_ms(wait_ms(deadline_ns));
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
	uint64_t deadline = cfg->duration_s > 0 ? rs_mono_ns() + (uint64_t)(cfg->duration_s * 1e9) : 0;
	bool is_stdin = strcmp(cfg->file, "-") == 0;
	struct followed f = { .path = is_stdin || !cfg->follow ? NULL : cfg->file, .fd = STDIN_FILENO };
	int fd = STDIN_FILENO;
	if (f.path != NULL) {
		fd = wait_for_file(g, cfg, &f, deadline, err);
		if (fd == -ENOENT && err->code == 0)
			return 0;            /* stopped or a limit reached while waiting */
	} else if (!is_stdin) {
		fd = open(cfg->file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fd = rs_error_set(err, -errno, "open %s: %s", cfg->file, strerror(errno));
	}
	if (fd < 0)
		return fd;
	struct rs_line_reader lr;
	int rc = rs_line_reader_init(&lr, fd, cfg->follow, (size_t)cfg->max_line);
	if (rc < 0)
		rs_error_set(err, rc, "read %s: no memory for the line buffer", cfg->file);
	else
		rc = pump(g, cfg, &f, &lr, deadline, err);
	rs_line_reader_free(&lr);
	rs_ingest_flush(g);
	if (lr.fd != STDIN_FILENO)
		close(lr.fd);
	return rc;
}
