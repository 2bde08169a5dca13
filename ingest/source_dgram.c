/*
 * source_dgram.c - JSON decisions in datagrams (unix or udp) into the ring.
 *
 * The socket is opened by dgram_socket.c, received from through io_uring by
 * dgram_rx.c; this file turns datagrams into lines.  One datagram holds one
 * JSON line or several separated by "\n" (a trailing "\r" on each is
 * dropped, blank ones skipped); each line goes through rs_ingest_line like a
 * line of the jsonl source, and a bad one is reported naming its sender
 * ("udp 127.0.0.1:40122", "unix pid 812 uid 1000", plus "line 3" when the
 * datagram held several lines).  A datagram over --max-line is one too_long
 * rejection, whatever it held.
 *
 * Loop: wait for completions (at most 50 ms, less near --duration), hand
 * every datagram of the batch over, flush the ring once per batch (which
 * also refreshes the heartbeat, so an idle source stays live).  Pushing
 * never waits: a full ring drops and counts (ingest.c).  Every second the
 * kernel's drop count for the socket (SO_MEMINFO) is read; when it grew, a
 * line says so (at most every 10 s).
 *
 * Stopping: at --count lines or --duration, reading stops at once.  On
 * SIGINT / SIGTERM what has already arrived is still taken: the receives in
 * flight are cancelled and the socket is read without waiting until empty
 * (at most 1 s), so a sender that finished before the signal loses nothing.
 * The unix socket file is removed at exit.
 */
#include "sources.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dgram_rx.h"
#include "dgram_socket.h"
#include "rs_clock.h"

#define IDLE_WAIT_NS     (50u * 1000u * 1000u)
#define DROPS_CHECK_NS   (1000u * 1000u * 1000u)
#define DROPS_LOG_NS     (10ull * 1000u * 1000u * 1000u)
#define DRAIN_MAX_NS     (1000u * 1000u * 1000u)

struct rs_dgram_source {
	struct rs_ingest              *g;
	const struct rs_ingest_config *cfg;
	struct rs_dgram_socket         sock;
	struct rs_dgram_rx             rx;
	const struct rs_dgram_msg     *cur;          /* the datagram being handled, for sender() */
	uint64_t                       drops_logged;
	uint32_t                       drops_seen;     /* the kernel's (wrapping) count, last read */
	uint64_t                       drops_checked_ns, drops_logged_ns;
};

/* rs_ingest_where callback: names the current datagram's sender. */
static void sender(char *buf, size_t size, const void *ctx)
{
	const struct rs_dgram_source *d = ctx;
	const struct rs_dgram_msg *m = d->cur;
	rs_dgram_format_sender(buf, size, m->name, m->namelen, m->pid, m->uid);
}

static bool count_reached(const struct rs_dgram_source *d)
{
	return d->cfg->count != 0 && d->g->read >= d->cfg->count;
}

static void too_long(struct rs_dgram_source *d, const struct rs_dgram_msg *m)
{
	char msg[96];
	snprintf(msg, sizeof msg, "datagram of %zu bytes is longer than the %" PRIu64 "-byte limit",
		 m->full_len, d->cfg->max_line);
	struct rs_ingest_where w = { .sender = sender, .ctx = d };
	d->g->read++;
	rs_ingest_reject(d->g, RS_REJECT_TOO_LONG, &w, msg);
}

/* rs_dgram_fn: one datagram, one or more lines. */
static void on_datagram(void *ctx, const struct rs_dgram_msg *m)
{
	struct rs_dgram_source *d = ctx;
	if (count_reached(d))
		return;
	d->g->datagrams++;
	d->cur = m;
	if (m->truncated) {
		too_long(d, m);
		return;
	}
	const char *p = m->data, *end = m->data + m->len;
	bool several = memchr(p, '\n', m->len) != NULL;
	struct rs_ingest_where w = { .sender = sender, .ctx = d };
	for (uint64_t line_no = 1; p < end && !count_reached(d); line_no++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t len = (size_t)(stop - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (!rs_ingest_blank(p, len)) {
			w.line_no = several ? line_no : 0;
			rs_ingest_line(d->g, p, len, &w);
		}
		p = stop + 1;
	}
}

/*
 * Adds what the kernel dropped since the last look to this run's count and
 * to the ring's source_lost, which outlives this process (restarts add up).
 * The kernel's counter is 32 bits and wraps: differences, in 32 bits, stay
 * right across a wrap.  Returns this run's total.
 */
static uint64_t count_kernel_drops(struct rs_dgram_source *d)
{
	uint32_t now;
	if (rs_dgram_kernel_drops(&d->sock, &now)) {
		uint32_t delta = now - d->drops_seen;
		d->drops_seen = now;
		d->g->kernel_drops += delta;
		rs_ring_count_source_lost(&d->g->ring, delta);
	}
	return d->g->kernel_drops;
}

/* Reads the kernel's drop count every second; says so when it grew (at most every 10 s). */
static void check_kernel_drops(struct rs_dgram_source *d, uint64_t now)
{
	if (now - d->drops_checked_ns < DROPS_CHECK_NS)
		return;
	d->drops_checked_ns = now;
	uint64_t drops = count_kernel_drops(d);
	if (drops > d->drops_logged && now - d->drops_logged_ns >= DROPS_LOG_NS) {
		fprintf(stderr, "routestat-ingest: %s: the kernel dropped %" PRIu64 " datagrams so far "
			"(receive buffer full; see --rcvbuf)\n", d->sock.local, drops);
		d->drops_logged = drops;
		d->drops_logged_ns = now;
	}
}

static int open_socket(struct rs_dgram_source *d, struct rs_error *err)
{
	const struct rs_ingest_config *cfg = d->cfg;
	if (cfg->source == RS_SOURCE_UNIX)
		return rs_dgram_open_unix(&d->sock, cfg->file, cfg->rcvbuf, err);
	return rs_dgram_open_udp(&d->sock, cfg->file, cfg->allow_remote, cfg->rcvbuf, err);
}

static int run(struct rs_dgram_source *d, struct rs_error *err)
{
	const struct rs_ingest_config *cfg = d->cfg;
	uint64_t start = rs_mono_ns();
	uint64_t deadline = cfg->duration_s > 0 ? start + (uint64_t)(cfg->duration_s * 1e9) : 0;
	d->drops_checked_ns = start;
	unsigned mode = d->rx.mode;
	while (!rs_ingest_stop_requested() && !count_reached(d)) {
		uint64_t now = rs_mono_ns(), wait = IDLE_WAIT_NS;
		if (deadline != 0) {
			if (now >= deadline)
				return 0;
			if (deadline - now < wait)
				wait = deadline - now;
		}
		int n = rs_dgram_rx_wait(&d->rx, wait, on_datagram, d, err);
		if (n < 0)
			return n;
		if (d->rx.mode != mode) {    /* auto, and the kernel refused multishot */
			mode = d->rx.mode;
			fprintf(stderr, "routestat-ingest: %s: multishot receive refused by this kernel; "
				"using %s receives\n", d->sock.local, rs_dgram_rx_mode_name(&d->rx));
		}
		rs_ingest_flush(d->g);
		check_kernel_drops(d, rs_mono_ns());
	}
	if (!rs_ingest_stop_requested())
		return 0;
	int n = rs_dgram_rx_drain(&d->rx, DRAIN_MAX_NS, on_datagram, d, err);
	rs_ingest_flush(d->g);
	return n < 0 ? n : 0;
}

int rs_source_dgram_open(struct rs_dgram_source **out, const struct rs_ingest_config *cfg,
			 struct rs_error *err)
{
	struct rs_dgram_source *d = calloc(1, sizeof *d);
	*out = d;
	if (d == NULL)
		return rs_error_set(err, -ENOMEM, "no memory");
	d->cfg = cfg;
	int rc = open_socket(d, err);
	if (rc == 0)
		rc = rs_dgram_rx_init(&d->rx, d->sock.fd, (size_t)cfg->max_line, cfg->recv_mode,
				      cfg->source == RS_SOURCE_UNIX, err);
	return rc;
}

int rs_source_dgram_run(struct rs_dgram_source *d, struct rs_ingest *g, struct rs_error *err)
{
	d->g = g;
	fprintf(stderr, "routestat-ingest: receiving on %s (io_uring, %s receive)\n", d->sock.local,
		rs_dgram_rx_mode_name(&d->rx));
	int rc = run(d, err);
	if (rc < 0) {   /* name the socket in the error */
		char msg[RS_ERROR_MSG_MAX];
		snprintf(msg, sizeof msg, "%s", err->msg);
		rs_error_set(err, rc, "%s: %s", d->sock.local, msg);
	}
	if (d->rx.rearms > 0 && rc == 0)
		fprintf(stderr, "routestat-ingest: %s: multishot receive re-armed %" PRIu64 " times "
			"(the kernel ends it when buffers run out or for an empty datagram)\n",
			d->sock.local, d->rx.rearms);
	count_kernel_drops(d);
	rs_ingest_flush(g);
	return rc;
}

void rs_source_dgram_close(struct rs_dgram_source *d)
{
	if (d == NULL)
		return;
	rs_dgram_rx_close(&d->rx);
	rs_dgram_close(&d->sock);
	free(d);
}
