/*
 * test_ingest_sources.c - routestat-ingest's datagram sockets and followed files, end to end.
 *
 * The real routestat-ingest (and rs-emit) are forked and exec'd; the test
 * sends datagrams or writes files, stops the ingest with SIGTERM (it takes
 * what has already arrived before exiting), then reads the ring as its
 * consumer and checks every record and counter: unix socket mode 0660,
 * several decisions per datagram, bad and over-long datagrams counted by
 * reason and logged naming the sender, both io_uring receive modes, UDP on
 * IPv4 and IPv6 loopback, refusal of a non-loopback address without
 * --allow-remote, stale / live / non-socket paths, log rotation and
 * truncation under --follow, a file that appears late, and floods of
 * 500,000 datagrams where every datagram is accounted for.
 *
 * Waits poll a condition (a line on stderr, a ring counter) up to a
 * deadline; nothing sleeps to synchronise.  Each test takes a few seconds
 * (the floods up to ~15 s under ASan).
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "e2e_support.h"
#include "ring.h"

#ifndef RS_INGEST_BIN
#error "RS_INGEST_BIN must name the built routestat-ingest (tests/CMakeLists.txt)"
#endif
#ifndef RS_EMIT_BIN
#error "RS_EMIT_BIN must name the built rs-emit (tests/CMakeLists.txt)"
#endif

#define WAIT_S 10.0

/* ~3 s per flood here, ~7 s under ASan (the parser is the bottleneck: ~75 k lines/s there). */
#define FLOOD_DATAGRAMS 500000u

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	e2e_setup();
}

static void teardown(void)
{
	e2e_teardown();
}

TestSuite(ingest_sources, .init = setup, .fini = teardown, .timeout = 40);

/* ---- input ---------------------------------------------------------------------- */

/* A valid decision whose request id is hi:lo (32 hex digits); pad adds an unknown field of that many bytes. */
static size_t decision(char *buf, size_t size, uint64_t hi, uint64_t lo, size_t pad)
{
	int n = snprintf(buf, size,
		"{\"ts\":%lld,\"request_id\":\"%016" PRIx64 "%016" PRIx64 "\",\"provider_id\":\"alchemy\","
		"\"chain\":\"base\",\"method\":\"eth_call\",\"strategy\":\"fastest\",\"transport\":\"http\","
		"\"duration_ms\":12.5,\"result\":\"success\",\"request_origin\":\"client\","
		"\"failover_count\":0%s", (long long)e2e_now_ms(), hi, lo, pad ? ",\"pad\":\"" : "}");
	cr_assert(n > 0 && (size_t)n + pad + 3 < size);
	if (pad) {
		memset(buf + n, 'x', pad);
		memcpy(buf + n + pad, "\"}", 3);
		n += (int)pad + 2;
	}
	return (size_t)n;
}

/* A decision padded to exactly total bytes. */
static size_t decision_of_size(char *buf, size_t size, uint64_t hi, uint64_t lo, size_t total)
{
	size_t base = decision(buf, size, hi, lo, 1) - 1;   /* with the pad field, minus its one byte */
	cr_assert(total > base);
	return decision(buf, size, hi, lo, total - base);
}

/* ---- the ingest ------------------------------------------------------------------- */

struct ingest {
	pid_t pid;
	char *err;                 /* its stderr file */
	char  where[128];          /* "unix /tmp/...", "udp 127.0.0.1:40000" from its first line */
};

/* Polls a file until it holds needle; false after timeout_s or when pid (if > 0) has exited. */
static bool wait_text(const char *path, const char *needle, double timeout_s, pid_t pid)
{
	double deadline = rs_test_now() + timeout_s;
	for (;;) {
		char *t = e2e_read_file(path);
		bool found = strstr(t, needle) != NULL;
		free(t);
		if (found)
			return true;
		if (rs_test_now() > deadline || (pid > 0 && !e2e_running(pid)))
			return false;
		e2e_nap();
	}
}

/* Starts routestat-ingest for node with args (NULL-terminated) after the common ones. */
static struct ingest start_ingest(const char *inst, const char *node, const char *const *args)
{
	const char *argv[32] = { RS_INGEST_BIN, "--instance", inst, "--node", node };
	size_t n = 5;
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert(n < 31);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	struct ingest g = { .err = e2e_path("ingest.err") };
	g.pid = e2e_spawn(argv, -1, NULL, g.err, NULL);
	return g;
}

/* Starts a datagram ingest and waits for "receiving on ..."; g.where names its socket. */
static struct ingest start_dgram(const char *inst, const char *node, const char *const *args)
{
	struct ingest g = start_ingest(inst, node, args);
	if (!wait_text(g.err, "receiving on ", WAIT_S, g.pid)) {
		char *t = e2e_read_file(g.err);
		cr_assert_fail("the ingest did not start receiving; stderr:\n%s", t);
	}
	char *t = e2e_read_file(g.err);
	const char *at = strstr(t, "receiving on ") + strlen("receiving on ");
	const char *end = strstr(at, " (");      /* "unix /p.sock (io_uring, ...)" */
	cr_assert_not_null(end, "%s", t);
	snprintf(g.where, sizeof g.where, "%.*s", (int)(end - at), at);
	free(t);
	return g;
}

/* SIGTERM, exit 0 expected; returns its stderr (caller frees), frees g->err. */
static char *stop_ingest(struct ingest *g)
{
	cr_assert(e2e_running(g->pid), "the ingest exited early:\n%s", e2e_read_file(g->err));
	kill(g->pid, SIGTERM);
	int st = e2e_wait(g->pid, WAIT_S);
	char *t = e2e_read_file(g->err), buf[32];
	cr_assert_eq(e2e_exit_code(st), 0, "ingest: %s; stderr:\n%s", e2e_status_str(st, buf, sizeof buf), t);
	free(g->err);
	g->err = NULL;
	return t;
}

/* The numbers of the summary line. */
struct summary {
	unsigned long long read, accepted, rejected, dropped, datagrams, kernel_drops;
	bool has_dgram;
};

static struct summary parse_summary(const char *text, const char *node)
{
	char key[96];
	snprintf(key, sizeof key, "node %s: ", node);
	const char *at = strstr(text, key);
	cr_assert_not_null(at, "no summary for %s in:\n%s", node, text);
	struct summary s = { 0 };
	int n = sscanf(at + strlen(key), "%llu read, %llu accepted, %llu rejected, %llu dropped (ring full), "
		       "%llu datagrams, %llu dropped by the kernel", &s.read, &s.accepted, &s.rejected,
		       &s.dropped, &s.datagrams, &s.kernel_drops);
	cr_assert(n >= 4, "unparsable summary: %s", at);
	s.has_dgram = n == 6;
	return s;
}

/* ---- the ring ------------------------------------------------------------------ */

struct drained {
	struct rs_ring_stats stats;
	struct rs_record    *rec;
	size_t               n;
};

/* Everything in node's ring, consumed after the ingest has exited. */
static struct drained drain_ring(const char *inst, const char *node)
{
	struct rs_ring r;
	struct rs_error err;
	cr_assert_eq(rs_ring_open_consumer(&r, inst, node, &err), 0, "open ring %s: %s", node, err.msg);
	struct drained d = { 0 };
	rs_ring_stats(&r, &d.stats);
	d.rec = malloc((d.stats.in_ring + 1) * sizeof *d.rec);
	cr_assert_not_null(d.rec);
	long got;
	while (d.n < d.stats.in_ring && (got = rs_ring_consume(&r, d.rec + d.n, d.stats.in_ring - d.n)) > 0)
		d.n += (size_t)got;
	rs_ring_close(&r);
	cr_assert_eq(d.n, d.stats.in_ring, "consumed %zu of %" PRIu64, d.n, d.stats.in_ring);
	return d;
}

static uint64_t ring_produced(const char *inst, const char *node)
{
	char name[RS_SHM_NAME_MAX];
	struct rs_error err;
	struct rs_ring r;
	if (rs_ring_object_name(name, inst, node, &err) < 0 || rs_ring_open_observer(&r, name, &err) < 0)
		return 0;
	struct rs_ring_stats s;
	rs_ring_stats(&r, &s);
	rs_ring_close(&r);
	return s.produced;
}

static void wait_produced(const char *inst, const char *node, uint64_t want, const struct ingest *g)
{
	double deadline = rs_test_now() + WAIT_S;
	uint64_t got;
	while ((got = ring_produced(inst, node)) < want) {
		if (rs_test_now() > deadline || !e2e_running(g->pid))
			cr_assert_fail("ring %s: %" PRIu64 " produced, want %" PRIu64 "; stderr:\n%s", node, got,
				       want, e2e_read_file(g->err));
		e2e_nap();
	}
	cr_assert_eq(got, want, "ring %s: %" PRIu64 " produced, want exactly %" PRIu64, node, got, want);
}

/* Every expected id (hi:lo) arrived exactly once, and nothing else. */
static void assert_ids(const struct drained *d, uint64_t hi, const uint64_t *lo, size_t n)
{
	cr_assert_eq(d->n, n, "%zu records in the ring, want %zu", d->n, n);
	unsigned char *seen = calloc(n, 1);
	for (size_t i = 0; i < d->n; i++) {
		const struct rs_record *r = &d->rec[i];
		cr_assert_eq(r->kind, RS_REC_DECISION);
		cr_assert_eq(r->u.decision.id_hi, hi, "record %zu: id_hi %" PRIx64, i, r->u.decision.id_hi);
		size_t k = 0;
		while (k < n && lo[k] != r->u.decision.id_lo)
			k++;
		cr_assert(k < n, "record %zu: unexpected id_lo %" PRIu64, i, r->u.decision.id_lo);
		cr_assert(!seen[k], "id_lo %" PRIu64 " arrived twice", lo[k]);
		seen[k] = 1;
	}
	free(seen);
}

/* ---- sending ---------------------------------------------------------------------- */

static struct sockaddr_un unix_addr(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	cr_assert(strlen(path) < sizeof sa.sun_path);
	strcpy(sa.sun_path, path);
	return sa;
}

static void send_to(int fd, const void *to, socklen_t tolen, const char *data, size_t len)
{
	ssize_t n = sendto(fd, data, len, 0, (const struct sockaddr *)to, tolen);
	cr_assert_eq(n, (ssize_t)len, "sendto (%zu bytes): %s", len, strerror(errno));
}

/* Fixed content for the datagram tests: what was sent and what must come out. */
struct expect {
	uint64_t lo[128];
	size_t   n_good;
	unsigned parse, bad_enum, too_long, lines, datagrams;
};

#define HI 0x5eed000000000001ull
#define MAX_LINE 4096u

/*
 * Sends the standard mix to one socket: single decisions, several per
 * datagram ("\n", "\r\n", blank lines, a trailing newline), a datagram with
 * a bad line between good ones, garbage, a bad enum, one of exactly MAX_LINE
 * bytes (accepted), MAX_LINE + 1 and 70000 bytes (too_long), empty and
 * blank datagrams (nothing).
 */
static void send_mix(int fd, const void *to, socklen_t tolen, struct expect *x)
{
	static char buf[80000];
	char one[512];
	memset(x, 0, sizeof *x);
	for (uint64_t i = 0; i < 30; i++) {                       /* 30 single ones */
		size_t n = decision(buf, sizeof buf, HI, i, 0);
		send_to(fd, to, tolen, buf, n);
		x->lo[x->n_good++] = i;
		x->lines++, x->datagrams++;
	}
	static const char *const seps[] = { "\n", "\r\n", "\n\n \n", "\n", "\r\n", "\n" };
	for (uint64_t d = 0; d < 6; d++) {                        /* 6 x 5 per datagram */
		size_t len = 0;
		for (uint64_t k = 0; k < 5; k++) {
			uint64_t lo = 100 + d * 5 + k;
			size_t n = decision(one, sizeof one, HI, lo, 0);
			memcpy(buf + len, one, n);
			len += n;
			if (k < 4 || d % 2 == 1) {                /* odd ones end with a separator */
				memcpy(buf + len, seps[d], strlen(seps[d]));
				len += strlen(seps[d]);
			}
			x->lo[x->n_good++] = lo;
			x->lines++;
		}
		send_to(fd, to, tolen, buf, len);
		x->datagrams++;
	}
	{                                                          /* good, bad (line 2), good */
		size_t len = decision(buf, sizeof buf, HI, 200, 0);
		len += (size_t)sprintf(buf + len, "\n{\"ts\":broken\n");
		len += decision(buf + len, sizeof buf - len, HI, 201, 0);
		send_to(fd, to, tolen, buf, len);
		x->lo[x->n_good++] = 200;
		x->lo[x->n_good++] = 201;
		x->parse++, x->lines += 3, x->datagrams++;
	}
	send_to(fd, to, tolen, "garbage", 7);
	x->parse++, x->lines++, x->datagrams++;
	{                                                          /* "result":"maybe" */
		size_t n = decision(buf, sizeof buf, HI, 250, 0);
		char *r = strstr(buf, "\"success\"");
		cr_assert_not_null(r);
		memcpy(r, "\"maybeno\"", 9);
		send_to(fd, to, tolen, buf, n);
		x->bad_enum++, x->lines++, x->datagrams++;
	}
	send_to(fd, to, tolen, buf, decision_of_size(buf, sizeof buf, HI, 300, MAX_LINE));
	x->lo[x->n_good++] = 300;
	x->lines++, x->datagrams++;
	send_to(fd, to, tolen, buf, decision_of_size(buf, sizeof buf, HI, 301, MAX_LINE + 1));
	x->too_long++, x->lines++, x->datagrams++;
	if (tolen == sizeof(struct sockaddr_un)) {                 /* udp cannot carry 70000 bytes */
		send_to(fd, to, tolen, buf, decision_of_size(buf, sizeof buf, HI, 302, 70000));
		x->too_long++, x->lines++, x->datagrams++;
	}
	send_to(fd, to, tolen, "", 0);
	send_to(fd, to, tolen, "\n \n", 3);
	x->datagrams += 2;
}

/* Checks ring, summary and log against what send_mix sent. */
static void check_mix(const char *inst, const char *node, const char *text, const struct expect *x,
		      const char *sender)
{
	struct drained d = drain_ring(inst, node);
	assert_ids(&d, HI, x->lo, x->n_good);
	cr_expect_eq(d.stats.produced, x->n_good);
	cr_expect_eq(d.stats.dropped, 0);
	cr_expect_eq(d.stats.rejected[RS_REJECT_PARSE], x->parse, "parse %" PRIu64, d.stats.rejected[RS_REJECT_PARSE]);
	cr_expect_eq(d.stats.rejected[RS_REJECT_ENUM], x->bad_enum, "enum %" PRIu64, d.stats.rejected[RS_REJECT_ENUM]);
	cr_expect_eq(d.stats.rejected[RS_REJECT_TOO_LONG], x->too_long, "too_long %" PRIu64,
		     d.stats.rejected[RS_REJECT_TOO_LONG]);
	cr_expect_eq(d.stats.rejected_total, x->parse + x->bad_enum + x->too_long);
	free(d.rec);

	struct summary s = parse_summary(text, node);
	cr_expect(s.has_dgram, "no datagram counters in the summary:\n%s", text);
	cr_expect_eq(s.read, x->lines, "read %llu, want %u", s.read, x->lines);
	cr_expect_eq(s.accepted, x->n_good);
	cr_expect_eq(s.rejected, x->parse + x->bad_enum + x->too_long);
	cr_expect_eq(s.dropped, 0);
	cr_expect_eq(s.datagrams, x->datagrams, "datagrams %llu, want %u", s.datagrams, x->datagrams);
	cr_expect_eq(s.kernel_drops, 0);

	/* Rejections name the sender, and the line within a datagram of several. */
	char want[256];
	snprintf(want, sizeof want, "%s, line 2: ", sender);
	cr_expect(strstr(text, want) != NULL, "no '%s' in:\n%s", want, text);
	snprintf(want, sizeof want, "%s: datagram of %u bytes is longer than the %u-byte limit", sender,
		 MAX_LINE + 1, MAX_LINE);
	cr_expect(strstr(text, want) != NULL, "no '%s' in:\n%s", want, text);
}

/* ---- unix ------------------------------------------------------------------------ */

static void unix_mix(const char *mode)
{
	const char *inst = rs_test_new_instance("unix");
	char *path = e2e_path("in.sock"), maxl[16];
	snprintf(maxl, sizeof maxl, "%u", MAX_LINE);
	const char *args[] = { "--source", "unix", path, "--recv-mode", mode, "--max-line", maxl, NULL };
	struct ingest g = start_dgram(inst, "u1", args);
	char want[64];
	snprintf(want, sizeof want, "(io_uring, %s receive)", strcmp(mode, "auto") ? mode : "multishot");
	cr_expect(wait_text(g.err, want, 0, 0), "want '%s' in:\n%s", want, e2e_read_file(g.err));

	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode), "not a socket");
	cr_expect_eq(st.st_mode & 07777, 0660, "socket mode %o, want 0660", st.st_mode & 07777);

	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert(fd >= 0);
	struct sockaddr_un sa = unix_addr(path);
	struct expect x;
	send_mix(fd, &sa, sizeof sa, &x);
	close(fd);

	char *text = stop_ingest(&g);
	char sender[64];
	snprintf(sender, sizeof sender, "unix pid %d uid %d", (int)getpid(), (int)getuid());
	check_mix(inst, "u1", text, &x, sender);
	cr_expect_neq(stat(path, &st), 0, "the socket file is removed at exit");
	free(text);
	free(path);
}

Test(ingest_sources, unix_socket_multishot)
{
	unix_mix("auto");
}

Test(ingest_sources, unix_socket_single_receives)
{
	unix_mix("single");
}

/* A regular file is never replaced, a live socket is never stolen, a stale one is reused. */
Test(ingest_sources, unix_path_checks)
{
	const char *inst = rs_test_new_instance("upath");
	char *path = e2e_path("x.sock");
	e2e_write_file(path, "keep me\n", 8);
	const char *argv[] = { RS_INGEST_BIN, "--instance", inst, "--node", "p", "--source", "unix", path, NULL };
	struct e2e_run r = e2e_run(argv);
	cr_expect_eq(r.code, 1, "a regular file at the path: exit %d", r.code);
	cr_expect(strstr(r.err, "not a socket") != NULL, "stderr: %s", r.err);
	char *kept = e2e_read_file(path);
	cr_expect_str_eq(kept, "keep me\n", "the file is untouched");
	free(kept);
	e2e_run_free(&r);
	unlink(path);

	/* A live socket: refused, left alone. */
	struct sockaddr_un sa = unix_addr(path);
	int live = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(bind(live, (struct sockaddr *)&sa, sizeof sa), 0);
	r = e2e_run(argv);
	cr_expect_eq(r.code, 1, "a live socket at the path: exit %d", r.code);
	cr_expect(strstr(r.err, "in use") != NULL, "stderr: %s", r.err);
	e2e_run_free(&r);
	struct stat st;
	cr_expect_eq(stat(path, &st), 0, "the live socket's file is still there");
	close(live);                       /* now it is stale: the file stays, nobody receives */

	const char *argv2[] = { RS_INGEST_BIN, "--instance", inst, "--node", "p", "--source", "unix", path,
				"--duration", "0.3", NULL };
	r = e2e_run(argv2);
	cr_expect_eq(r.code, 0, "over a stale socket: exit %d, stderr %s", r.code, r.err);
	cr_expect(strstr(r.err, "receiving on unix ") != NULL, "stderr: %s", r.err);
	cr_expect_neq(stat(path, &st), 0, "removed at exit");
	e2e_run_free(&r);
	free(path);
}

/* ---- udp ------------------------------------------------------------------------- */

static void udp_mix(int family)
{
	const char *inst = rs_test_new_instance("udp");
	char maxl[16];
	snprintf(maxl, sizeof maxl, "%u", MAX_LINE);
	const char *addr = family == AF_INET6 ? "[::1]:0" : "127.0.0.1:0";
	const char *args[] = { "--source", "udp", addr, "--max-line", maxl, NULL };
	struct ingest g = start_dgram(inst, "d1", args);
	const char *colon = strrchr(g.where, ':');
	cr_assert_not_null(colon, "where: %s", g.where);
	int port = atoi(colon + 1);
	cr_assert(port > 0, "ingest's port: %s", g.where);

	int fd = socket(family, SOCK_DGRAM, 0);
	cr_assert(fd >= 0);
	struct sockaddr_storage to = { 0 }, me = { 0 };
	socklen_t len;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&to;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&to;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)port);
		len = sizeof *a;
	}
	memcpy(&me, &to, len);
	((struct sockaddr_in *)&me)->sin_port = 0;     /* same offset in both families */
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, len), 0, "bind: %s", strerror(errno));
	socklen_t mlen = sizeof me;
	getsockname(fd, (struct sockaddr *)&me, &mlen);
	int my_port = ntohs(((struct sockaddr_in *)&me)->sin_port);

	struct expect x;
	send_mix(fd, &to, len, &x);
	close(fd);
	char *text = stop_ingest(&g);
	char sender[64];
	snprintf(sender, sizeof sender, family == AF_INET6 ? "udp [::1]:%d" : "udp 127.0.0.1:%d", my_port);
	check_mix(inst, "d1", text, &x, sender);
	free(text);
}

Test(ingest_sources, udp_ipv4_loopback)
{
	udp_mix(AF_INET);
}

Test(ingest_sources, udp_ipv6_loopback)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok)
		cr_skip_test("no IPv6 loopback here");
	udp_mix(AF_INET6);
}

/* Without --allow-remote a non-loopback address is refused before any ring exists. */
Test(ingest_sources, udp_non_loopback_needs_allow_remote)
{
	const char *inst = rs_test_new_instance("remote");
	static const char *const addrs[] = { "0.0.0.0:0", "[::]:0", "192.0.2.1:9000" };
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		const char *argv[] = { RS_INGEST_BIN, "--instance", inst, "--node", "r", "--source", "udp",
				       addrs[i], NULL };
		struct e2e_run r = e2e_run(argv);
		cr_expect_eq(r.code, 1, "%s: exit %d", addrs[i], r.code);
		cr_expect(strstr(r.err, "--allow-remote") != NULL, "%s: stderr: %s", addrs[i], r.err);
		e2e_run_free(&r);
	}
	char name[RS_SHM_NAME_MAX];
	struct rs_error err;
	struct rs_ring ring;
	cr_assert_eq(rs_ring_object_name(name, inst, "r", &err), 0);
	cr_expect_eq(rs_ring_open_observer(&ring, name, &err), -ENOENT, "no ring was created");

	const char *argv[] = { RS_INGEST_BIN, "--instance", inst, "--node", "r", "--source", "udp",
			       "0.0.0.0:0", "--allow-remote", "--duration", "0.2", NULL };
	struct e2e_run r = e2e_run(argv);
	cr_expect_eq(r.code, 0, "with --allow-remote: exit %d, %s", r.code, r.err);
	cr_expect(strstr(r.err, "receiving on udp 0.0.0.0:") != NULL, "stderr: %s", r.err);
	e2e_run_free(&r);

	/* Usage errors: the flag is udp-only, and a bare IPv6 address needs brackets. */
	const char *argv2[] = { RS_INGEST_BIN, "--instance", inst, "--node", "r", "--source", "unix",
				"/tmp/x.sock", "--allow-remote", NULL };
	r = e2e_run(argv2);
	cr_expect_eq(r.code, 2, "--allow-remote with unix: exit %d", r.code);
	e2e_run_free(&r);
	const char *argv3[] = { RS_INGEST_BIN, "--instance", inst, "--node", "r", "--source", "udp",
				"::1:9000", NULL };
	r = e2e_run(argv3);
	cr_expect_eq(r.code, 1, "::1:9000: exit %d", r.code);
	cr_expect(strstr(r.err, "brackets") != NULL, "stderr: %s", r.err);
	e2e_run_free(&r);
}

/* ---- floods ------------------------------------------------------------------------ */

/* Runs rs-emit to completion; returns how many sends succeeded. */
static unsigned long long emit(const char *kind, const char *where, unsigned count)
{
	char n[16], *out = e2e_path("emit.out"), *err = e2e_path("emit.err");
	snprintf(n, sizeof n, "%u", count);
	const char *argv[] = { RS_EMIT_BIN, kind, where, n, NULL };
	pid_t pid = e2e_spawn(argv, -1, out, err, NULL);
	int st = e2e_wait(pid, 30.0);
	char *text = e2e_read_file(out), buf[32];
	cr_assert_eq(e2e_exit_code(st), 0, "rs-emit: %s; %s %s", e2e_status_str(st, buf, sizeof buf), text,
		     e2e_read_file(err));
	unsigned long long sent = 0, failed = 0;
	cr_assert_eq(sscanf(text, "sent %llu, failed %llu", &sent, &failed), 2, "rs-emit said: %s", text);
	cr_assert_eq(sent + failed, count);
	free(text);
	free(out);
	free(err);
	return sent;
}

/* A unix sender blocks while the ingest's queue is full: nothing is lost anywhere. */
Test(ingest_sources, unix_flood_is_exact)
{
	const char *inst = rs_test_new_instance("uflood");
	char *path = e2e_path("flood.sock");
	const char *args[] = { "--source", "unix", path, NULL };
	struct ingest g = start_dgram(inst, "f", args);
	double t0 = rs_test_now();
	unsigned long long sent = emit("unix", path, FLOOD_DATAGRAMS);
	double took = rs_test_now() - t0;
	cr_assert_eq(sent, FLOOD_DATAGRAMS, "a blocking unix sender loses nothing");
	char *text = stop_ingest(&g);
	struct summary s = parse_summary(text, "f");
	struct drained d = drain_ring(inst, "f");
	cr_expect_eq(s.datagrams, sent, "datagrams %llu, sent %llu", s.datagrams, sent);
	cr_expect_eq(s.read, sent);
	cr_expect_eq(s.kernel_drops, 0);
	cr_expect_eq(s.rejected, 0);
	cr_expect_eq(d.stats.produced + d.stats.dropped, sent, "produced %" PRIu64 " + dropped %" PRIu64
		     " != sent %llu", d.stats.produced, d.stats.dropped, sent);
	cr_expect_eq(d.stats.produced, s.accepted);
	cr_expect_eq(d.stats.dropped, s.dropped);
	cr_expect_eq(d.n, d.stats.produced, "all produced records are in the ring (no consumer ran)");
	cr_log_info("unix flood: %llu datagrams in %.2f s (%.0f/s), %" PRIu64 " in the ring, %" PRIu64
		    " dropped (ring full)\n", sent, took, (double)sent / took, d.stats.produced, d.stats.dropped);
	free(d.rec);
	free(text);
	free(path);
}

/* Sum of the "dropped" column of /proc/net/softnet_stat (packets lost before any socket). */
static unsigned long long softnet_drops(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	unsigned long long sum = 0;
	unsigned processed, dropped;
	char rest[512];
	while (f != NULL && fscanf(f, "%x %x", &processed, &dropped) == 2) {
		sum += dropped;
		if (fgets(rest, sizeof rest, f) == NULL)
			break;
	}
	if (f != NULL)
		fclose(f);
	return sum;
}

/*
 * UDP never blocks the sender: the kernel drops what does not fit the
 * receive buffer, and the ingest reports that count (SO_MEMINFO).  Every
 * datagram sent is received, dropped at the socket, or (rarely) dropped by
 * the loopback device's backlog, machine-wide counted in softnet_stat.
 */
Test(ingest_sources, udp_flood_is_accounted_for)
{
	const char *inst = rs_test_new_instance("dflood");
	const char *args[] = { "--source", "udp", "127.0.0.1:0", NULL };
	struct ingest g = start_dgram(inst, "f", args);
	unsigned long long backlog0 = softnet_drops();
	unsigned long long sent = emit("udp", g.where + 4, FLOOD_DATAGRAMS);
	char *text = stop_ingest(&g);
	unsigned long long backlog = softnet_drops() - backlog0;
	struct summary s = parse_summary(text, "f");
	struct drained d = drain_ring(inst, "f");
	cr_expect(s.datagrams > 0);
	cr_expect_eq(s.read, s.datagrams, "one decision per datagram");
	cr_expect_eq(s.rejected, 0);
	cr_expect_eq(s.accepted + s.dropped, s.read);
	cr_expect_eq(d.stats.produced, s.accepted);
	cr_expect_eq(d.stats.dropped, s.dropped);
	cr_expect_eq(d.stats.produced + d.stats.dropped + d.stats.rejected_total, s.datagrams,
		     "ring produced + dropped + rejected == datagrams received");
	cr_expect_eq(d.stats.source_lost, s.kernel_drops,
		     "the ring's source_lost (what routestat-inspect shows) == the summary's kernel drops");
	cr_expect(s.datagrams + s.kernel_drops <= sent, "received %llu + kernel drops %llu > sent %llu",
		  s.datagrams, s.kernel_drops, sent);
	cr_expect(s.datagrams + s.kernel_drops + backlog >= sent,
		  "lost without a count: sent %llu, received %llu, socket drops %llu, backlog drops %llu",
		  sent, s.datagrams, s.kernel_drops, backlog);
	cr_log_info("udp flood: sent %llu, received %llu, dropped by the socket %llu, by the backlog %llu; "
		    "ring %" PRIu64 " + %" PRIu64 " dropped (full)\n", sent, s.datagrams, s.kernel_drops,
		    backlog, d.stats.produced, d.stats.dropped);
	free(d.rec);
	free(text);
}

/*
 * A stopped ingest cannot read: with a small receive buffer the kernel drops
 * most of a burst, and those losses reach the ring's source_lost, where
 * routestat-inspect shows them, exactly as the ingest's own summary counts.
 */
Test(ingest_sources, udp_kernel_drops_reach_the_ring)
{
	const char *inst = rs_test_new_instance("klost");
	const char *args[] = { "--source", "udp", "127.0.0.1:0", "--rcvbuf", "4096", NULL };
	struct ingest g = start_dgram(inst, "k", args);
	cr_assert_eq(kill(g.pid, SIGSTOP), 0);
	unsigned long long sent = emit("udp", g.where + 4, 5000);
	cr_assert_eq(kill(g.pid, SIGCONT), 0);
	char *text = stop_ingest(&g);
	struct summary s = parse_summary(text, "k");
	struct drained d = drain_ring(inst, "k");
	cr_assert_gt(s.kernel_drops, 0, "a 4 KiB buffer held %llu of %llu datagrams", s.datagrams, sent);
	cr_expect_eq(d.stats.source_lost, s.kernel_drops, "ring source_lost %" PRIu64 ", summary %llu",
		     d.stats.source_lost, s.kernel_drops);
	cr_expect_leq(s.datagrams + s.kernel_drops, sent);
	cr_log_info("stopped ingest: sent %llu, received %llu, dropped by the kernel %llu\n", sent,
		    s.datagrams, s.kernel_drops);

	struct e2e_run r = e2e_run((const char *[]){ RS_INSPECT_BIN, "--instance", inst, "--json", NULL });
	cr_assert_eq(r.code, 0, "inspect: %s", r.err);
	char want[64];
	snprintf(want, sizeof want, "\"source_lost_datagrams\": %llu", s.kernel_drops);
	cr_expect(strstr(r.out, want) != NULL, "inspect --json lacks %s:\n%s", want, r.out);
	e2e_run_free(&r);
	free(d.rec);
	free(text);
}

/* ---- --follow ---------------------------------------------------------------------- */

#define HF 0xf011000000000002ull

static void append_lines(const char *path, uint64_t from, uint64_t to, bool last_partial,
			 uint64_t *lo, size_t *n)
{
	FILE *f = fopen(path, "ab");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	char buf[512];
	for (uint64_t i = from; i < to; i++) {
		size_t len = decision(buf, sizeof buf, HF, i, 0);
		fwrite(buf, 1, len, f);
		if (!(last_partial && i + 1 == to))
			fputc('\n', f);
		lo[(*n)++] = i;
	}
	cr_assert_eq(fclose(f), 0);
}

/* Stops a --follow ingest and checks its ring holds exactly the n ids of lo. */
static void finish_follow(struct ingest *g, const char *inst, const char *node, const uint64_t *lo,
			  size_t n)
{
	char *text = stop_ingest(g);
	struct drained d = drain_ring(inst, node);
	assert_ids(&d, HF, lo, n);
	free(d.rec);
	free(text);
}

/*
 * Rename and re-create, twice: the old file is read to its end (its partial
 * last line too), the new one from its start; every line exactly once.
 */
Test(ingest_sources, follow_survives_rotation)
{
	const char *inst = rs_test_new_instance("rot");
	char *path = e2e_path("app.jsonl"), old1[PATH_MAX], old2[PATH_MAX];
	snprintf(old1, sizeof old1, "%s.1", path);
	snprintf(old2, sizeof old2, "%s.2", path);
	static uint64_t lo[1000];
	size_t n = 0;
	append_lines(path, 0, 100, false, lo, &n);
	const char *args[] = { "--source", "jsonl", path, "--follow", NULL };
	struct ingest g = start_ingest(inst, "r", args);
	wait_produced(inst, "r", 100, &g);

	append_lines(path, 100, 150, true, lo, &n);   /* the last one without "\n" */
	cr_assert_eq(rename(path, old1), 0);
	append_lines(path, 1000, 1100, false, lo, &n);
	wait_produced(inst, "r", n, &g);

	append_lines(path, 1100, 1120, false, lo, &n);
	cr_assert_eq(rename(path, old2), 0);
	append_lines(path, 2000, 2050, false, lo, &n);
	wait_produced(inst, "r", n, &g);

	char *text = stop_ingest(&g);
	struct drained d = drain_ring(inst, "r");
	assert_ids(&d, HF, lo, n);
	const char *first = strstr(text, "rotated");
	cr_expect(first != NULL && strstr(first + 1, "rotated") != NULL, "two rotations logged:\n%s", text);
	struct summary s = parse_summary(text, "r");
	cr_expect_eq(s.read, n);
	cr_expect_eq(s.accepted, n);
	free(d.rec);
	free(text);
	free(path);
}

/* Truncated in place (copytruncate): reading starts over at offset 0. */
Test(ingest_sources, follow_survives_truncation)
{
	const char *inst = rs_test_new_instance("trunc");
	char *path = e2e_path("app.jsonl");
	static uint64_t lo[1000];
	size_t n = 0;
	append_lines(path, 0, 50, false, lo, &n);
	const char *args[] = { "--source", "jsonl", path, "--follow", NULL };
	struct ingest g = start_ingest(inst, "t", args);
	wait_produced(inst, "t", 50, &g);

	cr_assert_eq(truncate(path, 0), 0);
	cr_assert(wait_text(g.err, "truncated", WAIT_S, g.pid), "no truncation logged:\n%s",
		  e2e_read_file(g.err));
	append_lines(path, 100, 120, false, lo, &n);
	wait_produced(inst, "t", n, &g);

	/* Truncated and rewritten at once, shorter than before: found by size alone. */
	cr_assert_eq(truncate(path, 0), 0);
	append_lines(path, 200, 205, false, lo, &n);
	wait_produced(inst, "t", n, &g);

	finish_follow(&g, inst, "t", lo, n);
	free(path);
}

/* --follow of a file that does not exist yet waits for it instead of failing. */
Test(ingest_sources, follow_waits_for_missing_file)
{
	const char *inst = rs_test_new_instance("late");
	char *path = e2e_path("later.jsonl");
	const char *args[] = { "--source", "jsonl", path, "--follow", NULL };
	struct ingest g = start_ingest(inst, "l", args);
	cr_assert(wait_text(g.err, "waiting for it", WAIT_S, g.pid), "stderr:\n%s", e2e_read_file(g.err));
	static uint64_t lo[100];
	size_t n = 0;
	append_lines(path, 0, 10, false, lo, &n);
	wait_produced(inst, "l", n, &g);
	finish_follow(&g, inst, "l", lo, n);
	free(path);
}

/* A 10 MB line between good ones, through the real binary: refused as too_long, the rest arrive. */
Test(ingest_sources, ten_megabyte_line_between_good_lines)
{
	const char *inst = rs_test_new_instance("bigline");
	char *path = e2e_path("big.jsonl");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	char line[512];
	const uint64_t hi = 0xb16b16b16ull;
	uint64_t lo[4] = { 1, 2, 3, 4 };
	for (unsigned i = 0; i < 2; i++) {
		size_t n = decision(line, sizeof line, hi, lo[i], 0);
		fwrite(line, 1, n, f);
		fputc('\n', f);
	}
	/* A syntactically valid decision whose unknown field makes it 10 MB long. */
	size_t n = decision(line, sizeof line, hi, 99, 0);
	fwrite(line, 1, n - 1, f);
	fputs(",\"pad\":\"", f);
	for (unsigned k = 0; k < 10 * 1024; k++) {
		static char kib[1024];
		memset(kib, 'x', sizeof kib);
		fwrite(kib, 1, sizeof kib, f);
	}
	fputs("\"}\n", f);
	for (unsigned i = 2; i < 4; i++) {
		n = decision(line, sizeof line, hi, lo[i], 0);
		fwrite(line, 1, n, f);
		fputc('\n', f);
	}
	cr_assert_eq(fclose(f), 0);
	struct ingest g = start_ingest(inst, "n1", (const char *const[]){ "--source", "jsonl", path, NULL });
	int st = e2e_wait(g.pid, WAIT_S);   /* the deadline is the hang guard */
	char *text = e2e_read_file(g.err), buf[32];
	cr_assert_eq(e2e_exit_code(st), 0, "ingest: %s; stderr:\n%s", e2e_status_str(st, buf, sizeof buf), text);
	struct summary s = parse_summary(text, "n1");
	cr_expect_eq(s.accepted, 4);
	cr_expect_eq(s.rejected, 1);
	struct drained d = drain_ring(inst, "n1");
	cr_expect_eq(d.stats.rejected[RS_REJECT_TOO_LONG], 1);
	assert_ids(&d, hi, lo, 4);
	free(d.rec);
	free(text);
	free(g.err);
	free(path);
}
