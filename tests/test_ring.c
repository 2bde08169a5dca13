/* Criterion tests for common/ring.c and dict.c: the SPSC ring across real processes (order, completeness, drops, crash and restart of either side), counters, dictionary, observer, bad parameters. */
#include <criterion/criterion.h>

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring.h"
#include "rs_clock.h"
#include "test_support.h"

#define NODE           "node-1.a"
#define CHILD_LIMIT_S  40.0   /* a child gives up (and fails) after this long */
#define WAIT_LIMIT_S   30.0   /* the parent fails a test that stalls this long */
#define BATCH          256u

/* ---- records whose every byte derives from their sequence number ---- */

static uint64_t mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* id_hi is the record's index in the ring's stream; everything else is a function of it. */
static void make_record(uint64_t seq, struct rs_record *r)
{
	uint64_t m = mix64(seq);
	memset(r, 0, sizeof *r);
	r->kind = RS_REC_DECISION;
	r->flags = (uint8_t)(seq & 1u);
	r->provider = (uint16_t)seq;
	r->chain = (uint16_t)(seq >> 16);
	r->method = (uint16_t)(m >> 48);
	r->emit_unix_ms = seq * 3u + 1u;
	r->arrival_unix_ns = m ^ UINT64_C(0xa5a5a5a5a5a5a5a5);
	r->u.decision.id_hi = seq;
	r->u.decision.id_lo = m;
	r->u.decision.duration_us = (uint32_t)(m >> 32);
	r->u.decision.profile = (uint16_t)(m >> 16);
	r->u.decision.strategy = (uint8_t)(seq % RS_STRATEGY_COUNT);
	r->u.decision.transport = (uint8_t)(seq % RS_TRANSPORT_COUNT);
	r->u.decision.result = (uint8_t)((m >> 8) % RS_RESULT_COUNT);
	r->u.decision.origin = (uint8_t)((m >> 9) % RS_ORIGIN_COUNT);
	r->u.decision.failover_count = (uint8_t)(seq % (RS_FAILOVER_MAX + 1u));
}

static bool record_ok(uint64_t seq, const struct rs_record *got)
{
	struct rs_record want;
	make_record(seq, &want);
	return memcmp(&want, got, sizeof want) == 0;
}

/*
 * Checks a batch against the expected stream position; on the first problem
 * fails the test with what was wrong (gap/duplicate vs torn record).
 */
static void expect_batch(uint64_t *next, const struct rs_record *buf, long n)
{
	for (long i = 0; i < n; i++, (*next)++) {
		if (buf[i].u.decision.id_hi != *next)
			cr_assert_fail("out of order: expected record %" PRIu64 ", got %" PRIu64
				       " (%s)", *next, buf[i].u.decision.id_hi,
				       buf[i].u.decision.id_hi < *next ? "duplicate" : "gap");
		if (!record_ok(*next, &buf[i]))
			cr_assert_fail("record %" PRIu64 " torn: a field does not match its sequence number",
				       *next);
	}
}

/* ---- children: tracked so that a failing test still kills and reaps them ---- */

static pid_t children[8];

static void track(pid_t p)
{
	for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
		if (children[i] == 0) {
			children[i] = p;
			return;
		}
}

static void untrack(pid_t p)
{
	for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
		if (children[i] == p)
			children[i] = 0;
}

/* Runs fn in a forked child that always ends with _exit(fn's status). */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t p = fork();
	cr_assert_geq(p, 0, "fork: %s", strerror(errno));
	if (p == 0)
		_exit(fn(arg));
	track(p);
	return p;
}

static int reap(pid_t p, double timeout_s)
{
	int st = rs_test_wait(p, timeout_s);
	untrack(p);
	return st;
}

static void expect_exit_ok(pid_t p, const char *who)
{
	int st = reap(p, WAIT_LIMIT_S);
	cr_assert(st != -1, "%s (pid %d) did not finish in %.0f s", who, (int)p, WAIT_LIMIT_S);
	cr_assert(WIFEXITED(st), "%s (pid %d) died of signal %d", who, (int)p,
		  WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	cr_assert_eq(WEXITSTATUS(st), 0, "%s (pid %d) exited with status %d", who, (int)p,
		     WEXITSTATUS(st));
}

static bool instance_has_objects(void)
{
	char pattern[RS_SHM_NAME_MAX + 16];
	snprintf(pattern, sizeof pattern, "/dev/shm/routestat.%s.*", rs_test_instance);
	glob_t g;
	bool any = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
	globfree(&g);
	return any;
}

static void fini(void)
{
	for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	rs_test_cleanup();
}

/* ---- small helpers ---- */

static bool read_full(int fd, void *buf, size_t len, double timeout_s)
{
	double deadline = rs_test_now() + timeout_s;
	char *p = buf;
	while (len > 0) {
		int ms = (int)((deadline - rs_test_now()) * 1000.0);
		if (ms <= 0)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return false;
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void open_pipe(int fds[2])
{
	cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
}

static void wait_ready(int fd, pid_t who)
{
	char c = 0;
	cr_assert(read_full(fd, &c, 1, WAIT_LIMIT_S) && c == 'R',
		  "child %d never reported ready", (int)who);
}

static struct rs_ring_stats stats_of(const struct rs_ring *r)
{
	struct rs_ring_stats s;
	rs_ring_stats(r, &s);
	return s;
}

static void open_producer_ok(struct rs_ring *r, const char *inst, uint32_t cap, uint32_t dcap)
{
	struct rs_ring_params p = { .capacity = cap, .dict_capacity = dcap };
	struct rs_error err = { 0 };
	int rc = rs_ring_open_producer(r, inst, NODE, &p, &err);
	cr_assert_eq(rc, 0, "open producer: %d %s", rc, err.msg);
}

static void open_consumer_ok(struct rs_ring *r, const char *inst)
{
	struct rs_error err = { 0 };
	int rc = rs_ring_open_consumer(r, inst, NODE, &err);
	cr_assert_eq(rc, 0, "open consumer: %d %s", rc, err.msg);
}

/* Pushes seq, retrying after sched_yield() while the ring is full; counts the refusals. */
struct pusher {
	struct rs_ring *ring;
	uint64_t failed;
	pid_t parent;
	double deadline;
};

static bool push_retry(struct pusher *p, uint64_t seq)
{
	struct rs_record rec;
	make_record(seq, &rec);
	while (!rs_ring_push(p->ring, &rec)) {
		p->failed++;
		if ((p->failed & 1023u) == 0 &&
		    (getppid() != p->parent || rs_test_now() > p->deadline))
			return false;
		sched_yield();
	}
	return true;
}

/* ---- 1. two processes, millions of records, a small ring that fills ---- */

#define T1_N   4000037u   /* not a multiple of the publish batch: the last flush matters */
#define T1_CAP 4096u

struct producer_args {
	const char *instance;
	uint32_t capacity;
	uint64_t count;       /* records to push; UINT64_MAX = until killed */
	uint64_t flush_every; /* 0 = only at the end */
	int fd;               /* 'R' when attached, then the failed-push count */
};

static int producer_main(void *arg)
{
	const struct producer_args *a = arg;
	struct rs_ring r;
	struct rs_error err = { 0 };
	struct rs_ring_params params = { .capacity = a->capacity };
	if (rs_ring_open_producer(&r, a->instance, NODE, &params, &err) < 0)
		return 10;
	if (!write_full(a->fd, "R", 1))
		return 11;
	struct pusher p = { .ring = &r, .parent = getppid(),
			    .deadline = rs_test_now() + CHILD_LIMIT_S };
	uint64_t start = stats_of(&r).produced;   /* continue the stream where it stands */
	for (uint64_t i = 0; i < a->count; i++) {
		if (!push_retry(&p, start + i))
			return 12;
		if ((i & 0xffffu) == 0xffffu && (getppid() != p.parent || rs_test_now() > p.deadline))
			return 12;
		if (a->flush_every && (i + 1) % a->flush_every == 0)
			rs_ring_flush(&r);
	}
	rs_ring_flush(&r);
	uint64_t failed = p.failed;
	bool wrote = write_full(a->fd, &failed, sizeof failed);
	rs_ring_close(&r);
	return wrote ? 0 : 13;
}

/*
 * Consumes until *next reaches end, verifying every record; fails after
 * WAIT_LIMIT_S.  vary picks a pseudo-random batch size per call so that
 * batch boundaries fall everywhere relative to the producer's.
 */
static void consume_until_v(struct rs_ring *c, uint64_t *next, uint64_t end, struct rs_record *buf,
			    bool vary)
{
	double deadline = rs_test_now() + WAIT_LIMIT_S;
	uint64_t calls = 0;
	while (*next < end) {
		size_t max = vary ? 1u + (size_t)(mix64(calls++) % BATCH) : BATCH;
		size_t want = end - *next < max ? (size_t)(end - *next) : max;
		long n = rs_ring_consume(c, buf, want);
		if (n < 0)
			cr_assert_fail("consume: %ld", n);
		if (n == 0) {
			if (rs_test_now() > deadline)
				cr_assert_fail("stalled at record %" PRIu64 " of %" PRIu64, *next, end);
			sched_yield();
			continue;
		}
		if ((size_t)n > want)
			cr_assert_fail("consume returned %ld records for a buffer of %zu", n, want);
		expect_batch(next, buf, n);
	}
}

static void consume_until(struct rs_ring *c, uint64_t *next, uint64_t end, struct rs_record *buf)
{
	consume_until_v(c, next, end, buf, false);
}

/*
 * Producer child pushes n records into a ring of cap, retrying refused pushes;
 * this process waits until the ring is full and a push was refused, then
 * consumes and checks order, completeness, integrity and the counters.
 */
static void stream_between_processes(const char *tag, uint32_t cap, uint64_t n, bool vary)
{
	const char *inst = rs_test_new_instance(tag);
	int fds[2];
	open_pipe(fds);
	struct producer_args a = { .instance = inst, .capacity = cap, .count = n, .fd = fds[1] };
	pid_t prod = spawn(producer_main, &a);
	close(fds[1]);
	wait_ready(fds[0], prod);

	/* Let the producer fill the ring and be refused at least once before consuming. */
	struct rs_ring o, c;
	char name[RS_SHM_NAME_MAX];
	struct rs_error err = { 0 };
	cr_assert_eq(rs_ring_object_name(name, inst, NODE, &err), 0, "%s", err.msg);
	cr_assert_eq(rs_ring_open_observer(&o, name, &err), 0, "observer: %s", err.msg);
	double deadline = rs_test_now() + WAIT_LIMIT_S;
	while (stats_of(&o).dropped == 0) {
		cr_assert(rs_test_now() < deadline, "the producer never filled the ring");
		sched_yield();
	}
	struct rs_ring_stats s = stats_of(&o);
	cr_assert_eq(s.produced, cap, "a full ring holds exactly its capacity");
	cr_assert_eq(s.capacity, cap);
	rs_ring_close(&o);
	open_consumer_ok(&c, inst);

	struct rs_record *buf = malloc(BATCH * sizeof *buf);
	cr_assert_not_null(buf);
	uint64_t next = 0;
	consume_until_v(&c, &next, n, buf, vary);

	expect_exit_ok(prod, "producer");
	uint64_t failed = 0;
	cr_assert(read_full(fds[0], &failed, sizeof failed, 1.0), "producer sent no failure count");
	close(fds[0]);

	cr_assert_eq(rs_ring_consume(&c, buf, BATCH), 0, "records beyond the %" PRIu64 " pushed", n);
	s = stats_of(&c);
	cr_assert_eq(s.produced, n);
	cr_assert_eq(s.consumed, n);
	cr_assert_eq(s.in_ring, 0);
	cr_assert_eq(s.produced, s.consumed + s.in_ring);
	cr_assert_geq(failed, 1);
	cr_assert_eq(s.dropped, failed, "dropped %" PRIu64 " but the producer saw %" PRIu64 " refusals",
		     s.dropped, failed);
	cr_assert(s.high_water >= 1 && s.high_water <= cap, "high water %" PRIu64, s.high_water);
	cr_assert_eq(s.producer_attaches, 1);
	cr_assert_eq(s.consumer_attaches, 1);
	cr_assert_eq(s.producer_pid, 0, "a closed producer clears its pid");
	cr_assert_eq(s.consumer_pid, (uint32_t)getpid());
	free(buf);
	rs_ring_close(&c);
}

Test(ring, two_processes_order_completeness_drops, .fini = fini, .timeout = 60)
{
	stream_between_processes("order", T1_CAP, T1_N, false);
}

/* The smallest ring wraps every 64 records: slot reuse races show up here first. */
Test(ring, two_processes_tight_ring, .fini = fini, .timeout = 60)
{
	stream_between_processes("tight", RS_RING_MIN_CAPACITY, T1_N, true);
}

/* ---- 2. a full ring drops and counts ---- */

Test(ring, full_ring_drops_and_counts, .fini = fini)
{
	const char *inst = rs_test_new_instance("full");
	enum { CAP = 256, K = 77, FREED = 10 };
	struct rs_ring p, c;
	open_producer_ok(&p, inst, CAP, 0);
	struct rs_record rec;
	for (uint64_t i = 0; i < CAP; i++) {
		make_record(i, &rec);
		cr_assert(rs_ring_push(&p, &rec), "push %" PRIu64 " refused below capacity", i);
	}
	for (uint64_t i = 0; i < K; i++) {
		make_record(CAP + i, &rec);
		cr_assert_not(rs_ring_push(&p, &rec), "push %" PRIu64 " accepted into a full ring", i);
	}
	rs_ring_flush(&p);
	struct rs_ring_stats s = stats_of(&p);
	cr_assert_eq(s.dropped, K);
	cr_assert_eq(s.produced, CAP);
	cr_assert_eq(s.in_ring, CAP);
	cr_assert_eq(s.consumed, 0);

	open_consumer_ok(&c, inst);
	struct rs_record out[FREED];
	uint64_t next = 0;
	cr_assert_eq(rs_ring_consume(&c, out, FREED), FREED);
	expect_batch(&next, out, FREED);

	/* Exactly the freed slots are usable again; the stream continues at CAP. */
	for (uint64_t i = 0; i < FREED; i++) {
		make_record(CAP + i, &rec);
		cr_assert(rs_ring_push(&p, &rec), "push after consuming refused (%" PRIu64 ")", i);
	}
	make_record(CAP + FREED, &rec);
	cr_assert_not(rs_ring_push(&p, &rec), "more accepted than consumed");
	rs_ring_flush(&p);
	s = stats_of(&c);
	cr_assert_eq(s.dropped, K + 1);
	cr_assert_eq(s.produced, CAP + FREED);
	cr_assert_eq(s.consumed, FREED);
	cr_assert_eq(s.in_ring, CAP);

	struct rs_record *buf = malloc(BATCH * sizeof *buf);
	cr_assert_not_null(buf);
	consume_until(&c, &next, CAP + FREED, buf);
	cr_assert_eq(rs_ring_consume(&c, buf, BATCH), 0);
	free(buf);
	rs_ring_close(&c);
	rs_ring_close(&p);
}

/* ---- 3. producer killed with SIGKILL, a new producer continues the stream ---- */

struct opener_args {
	const char *instance;
	bool consumer;
	int expect;
};

/* Another process tries to take a side of the ring; returns 0 when it got the expected code. */
static int opener_main(void *arg)
{
	const struct opener_args *a = arg;
	struct rs_ring r;
	struct rs_error err = { 0 };
	int rc = a->consumer ? rs_ring_open_consumer(&r, a->instance, NODE, &err)
			     : rs_ring_open_producer(&r, a->instance, NODE, NULL, &err);
	if (rc != a->expect)
		return 20;
	if (rc == -EBUSY && strstr(err.msg, a->consumer ? "live consumer" : "live producer") == NULL)
		return 21;
	return 0;
}

Test(ring, producer_killed_and_restarted, .fini = fini, .timeout = 60)
{
	const char *inst = rs_test_new_instance("pkill");
	enum { CAP = 4096, BEFORE_KILL = 200000, B_COUNT = 300000 };
	int fa[2];
	open_pipe(fa);
	struct producer_args a = { .instance = inst, .capacity = CAP, .count = UINT64_MAX,
				   .flush_every = 1000, .fd = fa[1] };
	pid_t pa = spawn(producer_main, &a);
	close(fa[1]);
	wait_ready(fa[0], pa);
	close(fa[0]);

	struct rs_ring c;
	open_consumer_ok(&c, inst);
	struct rs_record *buf = malloc(BATCH * sizeof *buf);
	cr_assert_not_null(buf);
	uint64_t next = 0;
	consume_until(&c, &next, BEFORE_KILL, buf);

	struct rs_ring_stats s = stats_of(&c);
	cr_assert_eq(s.producer_pid, (uint32_t)pa);
	cr_assert_eq(s.producer_attaches, 1);

	/* While A lives, neither this process nor a third one may become the producer. */
	struct rs_ring p2;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_producer(&p2, inst, NODE, NULL, &err);
	cr_assert_eq(rc, -EBUSY, "second producer while A lives: %d %s", rc, err.msg);
	cr_assert(strstr(err.msg, "live producer") != NULL, "message: %s", err.msg);
	struct opener_args oa = { .instance = inst, .consumer = false, .expect = -EBUSY };
	expect_exit_ok(spawn(opener_main, &oa), "second producer");
	cr_assert_eq(stats_of(&c).producer_attaches, 1, "a refused producer counts no attach");

	/*
	 * Consume some more, then stop and kill A as soon as half a ring waits:
	 * A is mid-stream (pushing, with records written but not yet published)
	 * and B must start behind a backlog it may not overwrite.
	 */
	consume_until(&c, &next, next + BEFORE_KILL, buf);
	double deadline = rs_test_now() + WAIT_LIMIT_S;
	while (stats_of(&c).in_ring < CAP / 2) {
		cr_assert(rs_test_now() < deadline, "producer A stopped producing");
		sched_yield();
	}
	cr_assert_eq(kill(pa, SIGKILL), 0);
	int st = reap(pa, WAIT_LIMIT_S);
	cr_assert(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		  "producer A did not die of SIGKILL (status %d)", st);
	s = stats_of(&c);
	uint64_t tail_a = s.produced;
	cr_assert_geq(s.in_ring, CAP / 2);
	cr_assert_eq(s.consumed, next);

	int fb[2];
	open_pipe(fb);
	struct producer_args b = { .instance = inst, .capacity = CAP, .count = B_COUNT, .fd = fb[1] };
	pid_t pb = spawn(producer_main, &b);
	close(fb[1]);
	wait_ready(fb[0], pb);
	cr_assert_eq(stats_of(&c).producer_pid, (uint32_t)pb);
	/* A's published records, then B's, with nothing lost or repeated in between. */
	consume_until(&c, &next, tail_a + B_COUNT, buf);
	expect_exit_ok(pb, "producer B");
	close(fb[0]);

	cr_assert_eq(rs_ring_consume(&c, buf, BATCH), 0, "records beyond B's");
	s = stats_of(&c);
	cr_assert_eq(s.produced, tail_a + B_COUNT);
	cr_assert_eq(s.consumed, s.produced);
	cr_assert_eq(s.in_ring, 0);
	cr_assert_eq(s.producer_attaches, 2);
	cr_assert_eq(s.producer_pid, 0);
	free(buf);
	rs_ring_close(&c);
}

/* ---- 4. consumer killed, a new consumer resumes at the published head ---- */

enum { T4_CAP = 4096, T4_FIRST = 3000, T4_M = 1234, T4_MORE = 2000 };

struct crash_consumer_args {
	const char *instance;
	int ready_fd;
	int hold_fd;   /* read end of a pipe nobody writes: blocks until killed */
};

static int crash_consumer_main(void *arg)
{
	const struct crash_consumer_args *a = arg;
	struct rs_ring r;
	struct rs_error err = { 0 };
	if (rs_ring_open_consumer(&r, a->instance, NODE, &err) < 0)
		return 10;
	struct rs_record buf[100];
	uint64_t got = 0;
	double deadline = rs_test_now() + CHILD_LIMIT_S;
	while (got < T4_M) {
		size_t want = T4_M - got < 100 ? (size_t)(T4_M - got) : 100;
		long n = rs_ring_consume(&r, buf, want);
		if (n < 0)
			return 11;
		if (n == 0 && rs_test_now() > deadline)
			return 12;
		if (n == 0)
			sched_yield();
		for (long i = 0; i < n; i++, got++)
			if (!record_ok(got, &buf[i]))
				return 13;
	}
	if (!write_full(a->ready_fd, "R", 1))
		return 14;
	char c;
	if (read(a->hold_fd, &c, 1) < 0)   /* the parent kills us here; EOF means it died */
		return 16;
	return 15;
}

Test(ring, consumer_killed_and_restarted, .fini = fini, .timeout = 60)
{
	const char *inst = rs_test_new_instance("ckill");
	struct rs_ring p;
	open_producer_ok(&p, inst, T4_CAP, 0);
	struct rs_record rec;
	for (uint64_t i = 0; i < T4_FIRST; i++) {
		make_record(i, &rec);
		cr_assert(rs_ring_push(&p, &rec));
	}
	rs_ring_flush(&p);

	int ready[2], hold[2];
	open_pipe(ready);
	open_pipe(hold);
	struct crash_consumer_args a = { .instance = inst, .ready_fd = ready[1], .hold_fd = hold[0] };
	fflush(NULL);
	pid_t cc = fork();
	cr_assert_geq(cc, 0);
	if (cc == 0) {
		close(hold[1]);
		close(ready[0]);
		_exit(crash_consumer_main(&a));
	}
	track(cc);
	close(ready[1]);
	close(hold[0]);
	wait_ready(ready[0], cc);

	struct rs_ring_stats s = stats_of(&p);
	cr_assert_eq(s.consumed, T4_M, "head is published after every batch");
	cr_assert_eq(s.consumer_pid, (uint32_t)cc);
	struct rs_ring c;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_consumer(&c, inst, NODE, &err);
	cr_assert_eq(rc, -EBUSY, "second consumer while the first lives: %d %s", rc, err.msg);
	cr_assert(strstr(err.msg, "live consumer") != NULL, "message: %s", err.msg);

	cr_assert_eq(kill(cc, SIGKILL), 0);
	int st = reap(cc, WAIT_LIMIT_S);
	cr_assert(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		  "consumer child did not die of SIGKILL (status %d; exit %d)", st,
		  st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(ready[0]);
	close(hold[1]);

	/* The stream goes on while no consumer lives. */
	for (uint64_t i = T4_FIRST; i < T4_FIRST + T4_MORE; i++) {
		make_record(i, &rec);
		cr_assert(rs_ring_push(&p, &rec));
	}
	rs_ring_flush(&p);

	open_consumer_ok(&c, inst);
	s = stats_of(&c);
	uint64_t at_attach = s.consumed;
	cr_assert_eq(at_attach, T4_M);
	cr_assert_eq(s.consumer_attaches, 2);
	cr_assert_eq(s.consumer_pid, (uint32_t)getpid());

	struct rs_record first;
	cr_assert_eq(rs_ring_consume(&c, &first, 1), 1);
	cr_assert_eq(first.u.decision.id_hi, at_attach, "resumed at %" PRIu64 ", head was %" PRIu64,
		     first.u.decision.id_hi, at_attach);
	cr_assert(record_ok(at_attach, &first));
	uint64_t next = at_attach + 1;
	struct rs_record *buf = malloc(BATCH * sizeof *buf);
	cr_assert_not_null(buf);
	consume_until(&c, &next, T4_FIRST + T4_MORE, buf);
	cr_assert_eq(rs_ring_consume(&c, buf, BATCH), 0);
	s = stats_of(&c);
	cr_assert_eq(s.consumed, T4_FIRST + T4_MORE);
	cr_assert_eq(s.in_ring, 0);
	free(buf);
	rs_ring_close(&c);
	rs_ring_close(&p);
}

/* ---- 5. reject counters, heartbeats, high-water mark ---- */

static void expect_heartbeat_advances(struct rs_ring *r, bool producer, void (*poke)(struct rs_ring *))
{
	struct rs_ring_stats s = stats_of(r);
	uint64_t before = producer ? s.producer_heartbeat_ns : s.consumer_heartbeat_ns;
	cr_assert_gt(before, 0, "attach sets the heartbeat");
	uint64_t now = 0;
	double deadline = rs_test_now() + 2.0;
	do {
		cr_assert(rs_test_now() < deadline, "heartbeat stuck at %" PRIu64, before);
		poke(r);
		s = stats_of(r);
		now = producer ? s.producer_heartbeat_ns : s.consumer_heartbeat_ns;
	} while (now == before);
	cr_assert_gt(now, before);
	cr_assert_leq(now, rs_mono_ns(), "heartbeat is CLOCK_MONOTONIC");
}

static void poke_heartbeat(struct rs_ring *r) { rs_ring_heartbeat(r); }
static void poke_flush(struct rs_ring *r) { rs_ring_flush(r); }

static void push_range(struct rs_ring *p, uint64_t from, uint64_t to)
{
	struct rs_record rec;
	for (uint64_t i = from; i < to; i++) {
		make_record(i, &rec);
		cr_assert(rs_ring_push(p, &rec), "push %" PRIu64, i);
	}
	rs_ring_flush(p);
}

static void drain(struct rs_ring *c, uint64_t *next, uint64_t end, size_t first_batch)
{
	struct rs_record *buf = malloc(BATCH * sizeof *buf);
	cr_assert_not_null(buf);
	long n = rs_ring_consume(c, buf, first_batch);
	cr_assert_geq(n, 0);
	expect_batch(next, buf, n);
	consume_until(c, next, end, buf);
	free(buf);
}

Test(ring, counters_rejects_heartbeat_high_water, .fini = fini)
{
	const char *inst = rs_test_new_instance("count");
	struct rs_ring p, c;
	open_producer_ok(&p, inst, 1024, 0);
	open_consumer_ok(&c, inst);

	uint64_t total = 0;
	for (unsigned reason = 0; reason < RS_REJECT_COUNT; reason++)
		for (unsigned k = 0; k <= reason * 3u; k++, total++)
			rs_ring_count_reject(&p, (enum rs_reject_reason)reason);
	rs_ring_count_reject(&p, RS_REJECT_COUNT);             /* out of range: ignored */
	rs_ring_count_reject(&p, (enum rs_reject_reason)1000);
	struct rs_ring_stats s = stats_of(&c);                 /* seen from the other side */
	for (unsigned reason = 0; reason < RS_REJECT_COUNT; reason++)
		cr_assert_eq(s.rejected[reason], reason * 3u + 1u, "reason %u (%s): %" PRIu64, reason,
			     rs_reject_reason_name(reason), s.rejected[reason]);
	cr_assert_eq(s.rejected_total, total);
	cr_assert_eq(s.produced, 0, "rejects never reach the ring");
	cr_assert_eq(s.dropped, 0, "rejects are not drops");

	expect_heartbeat_advances(&p, true, poke_heartbeat);
	expect_heartbeat_advances(&p, true, poke_flush);
	expect_heartbeat_advances(&c, false, poke_heartbeat);

	uint64_t next = 0;
	cr_assert_eq(stats_of(&c).high_water, 0);
	push_range(&p, 0, 500);
	drain(&c, &next, 500, 10);
	cr_assert_eq(stats_of(&c).high_water, 500);
	push_range(&p, 500, 700);                   /* fewer than before: the mark stays */
	drain(&c, &next, 700, 10);
	cr_assert_eq(stats_of(&c).high_water, 500);
	push_range(&p, 700, 1700);                  /* 1000 waiting at once */
	drain(&c, &next, 1700, 1);
	s = stats_of(&p);
	cr_assert_eq(s.high_water, 1000);
	cr_assert_eq(s.produced, 1700);
	cr_assert_eq(s.consumed, 1700);
	rs_ring_close(&c);
	rs_ring_close(&p);
}

/*
 * A consumer that attaches to a backlog has seen that many records waiting:
 * the aggregator restarting onto a full ring must report the ring filled.
 */
Test(ring, high_water_counts_backlog_found_at_attach, .fini = fini)
{
	const char *inst = rs_test_new_instance("hwattach");
	struct rs_ring p, c;
	open_producer_ok(&p, inst, 1024, 0);
	push_range(&p, 0, 1000);
	open_consumer_ok(&c, inst);
	uint64_t next = 0;
	drain(&c, &next, 1000, BATCH);
	struct rs_record extra;
	long more = rs_ring_consume(&c, &extra, 1);
	struct rs_ring_stats s = stats_of(&c);
	rs_ring_close(&c);   /* before asserting: a failure leaks nothing */
	rs_ring_close(&p);
	cr_assert_eq(more, 0);
	cr_assert_eq(s.consumed, 1000);
	cr_assert_eq(s.high_water, 1000, "1000 records waited at attach, high water says %" PRIu64,
		     s.high_water);
}

/* ---- 6. dictionary ---- */

static const char *const dict_names[8] = {
	"alchemy", "infura", "ethereum-mainnet", "eth_call", "eth_getBalance",
	"fast.profile", "circuit:timeout",
	/* 62 bytes: the longest string an entry holds */
	"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
};

static int intern(struct rs_ring *r, const char *s) { return rs_ring_intern(r, s, strlen(s)); }

struct dict_reader_args { const char *instance; };

static int dict_reader_main(void *arg)
{
	const struct dict_reader_args *a = arg;
	struct rs_ring r;
	struct rs_error err = { 0 };
	if (rs_ring_open_consumer(&r, a->instance, NODE, &err) < 0)
		return 10;
	if (rs_ring_dict_count(&r) != 8)
		return 11;
	for (uint16_t id = 0; id < 8; id++) {
		const char *s = rs_ring_dict_lookup(&r, id);
		if (s == NULL || strcmp(s, dict_names[id]) != 0)
			return 12;
	}
	if (rs_ring_dict_lookup(&r, 8) != NULL || rs_ring_dict_lookup(&r, RS_DICT_NONE) != NULL)
		return 13;
	rs_ring_close(&r);
	return 0;
}

Test(ring, dictionary, .fini = fini)
{
	const char *inst = rs_test_new_instance("dict");
	cr_assert_eq(strlen(dict_names[7]), RS_DICT_STR_MAX);
	struct rs_ring p, c;
	open_producer_ok(&p, inst, 64, 8);
	cr_assert_eq(stats_of(&p).dict_capacity, 8);
	cr_assert_eq(rs_ring_dict_count(&p), 0);

	cr_assert_eq(intern(&p, dict_names[0]), 0);
	cr_assert_eq(intern(&p, dict_names[1]), 1);
	cr_assert_eq(intern(&p, dict_names[0]), 0, "same string, same id");
	cr_assert_eq(rs_ring_intern(&p, "alchemyXYZ", 7), 0, "only len bytes count");
	cr_assert_eq(rs_ring_dict_count(&p), 2);

	/* A consumer attached separately sees each entry as soon as it is interned. */
	open_consumer_ok(&c, inst);
	cr_assert_str_eq(rs_ring_dict_lookup(&c, 1), "infura");
	cr_assert_null(rs_ring_dict_lookup(&c, 2));
	for (int i = 2; i < 8; i++) {
		cr_assert_eq(intern(&p, dict_names[i]), i, "new name %d", i);
		cr_assert_str_eq(rs_ring_dict_lookup(&c, (uint16_t)i), dict_names[i]);
	}
	for (int i = 7; i >= 0; i--)
		cr_assert_eq(intern(&p, dict_names[i]), i, "existing name %d", i);

	cr_assert_eq(intern(&p, "ninth"), -ENOSPC);
	cr_assert_eq(intern(&p, "tenth"), -ENOSPC);
	cr_assert_eq(intern(&p, dict_names[3]), 3, "existing names resolve when full");
	cr_assert_eq(rs_ring_dict_count(&c), 8);
	cr_assert_null(rs_ring_dict_lookup(&c, 8));

	char too_long[RS_DICT_STR_MAX + 2];
	memset(too_long, 'x', sizeof too_long - 1);
	too_long[sizeof too_long - 1] = '\0';
	cr_assert_eq(intern(&p, too_long), -ENAMETOOLONG);
	cr_assert_eq(rs_ring_intern(&p, "", 0), -EINVAL);
	cr_assert_eq(rs_ring_intern(&p, "a\0b", 3), -EINVAL, "an embedded NUL is refused");
	cr_assert_eq(rs_ring_dict_count(&c), 8);

	struct dict_reader_args ra = { .instance = inst };
	rs_ring_close(&c);   /* the reader child takes the consumer side */
	expect_exit_ok(spawn(dict_reader_main, &ra), "dictionary reader");

	/* A new producer rebuilds its index from shared memory: same ids. */
	rs_ring_close(&p);
	open_producer_ok(&p, inst, 0, 0);
	cr_assert_eq(stats_of(&p).dict_capacity, 8, "an existing ring keeps its dictionary size");
	cr_assert_eq(rs_ring_dict_count(&p), 8);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(intern(&p, dict_names[i]), i, "after reopen: %s", dict_names[i]);
	cr_assert_eq(intern(&p, "ninth"), -ENOSPC);
	cr_assert_eq(rs_ring_dict_count(&p), 8);
	rs_ring_close(&p);
}

/* ---- 7. observer ---- */

/* The permissions /proc/self/maps shows for the mapping starting at base. */
static bool mapping_perms(const void *base, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo == (unsigned long)base)
			found = true;
	}
	fclose(f);
	return found;
}

Test(ring, observer_reads_stats_read_only, .fini = fini)
{
	const char *inst = rs_test_new_instance("observe");
	struct rs_ring p, c, o;
	open_producer_ok(&p, inst, 128, 16);
	open_consumer_ok(&c, inst);
	cr_assert_eq(intern(&p, "provider-a"), 0);
	push_range(&p, 0, 100);
	struct rs_record tmp[40];
	uint64_t next = 0;
	cr_assert_eq(rs_ring_consume(&c, tmp, 40), 40);
	expect_batch(&next, tmp, 40);
	struct rs_record rec;
	make_record(100, &rec);
	for (int i = 0; i < 100; i++)   /* 60 wait, 68 more fit, 32 are dropped */
		rs_ring_push(&p, &rec);
	rs_ring_flush(&p);
	rs_ring_count_reject(&p, RS_REJECT_ENUM);

	char name[RS_SHM_NAME_MAX];
	struct rs_error err = { 0 };
	cr_assert_eq(rs_ring_object_name(name, inst, NODE, &err), 0, "%s", err.msg);
	char want[RS_SHM_NAME_MAX];
	snprintf(want, sizeof want, "/routestat.%s.ring.%s", inst, NODE);
	cr_assert_str_eq(name, want);
	int rc = rs_ring_open_observer(&o, name, &err);
	cr_assert_eq(rc, 0, "open observer: %d %s", rc, err.msg);
	cr_assert_not(o.map.writable);
	char perms[5] = "";
	cr_assert(mapping_perms(o.map.base, perms), "observer mapping not in /proc/self/maps");
	cr_assert_eq(perms[1], '-', "observer mapping is writable: %s", perms);

	struct rs_ring_stats sp = stats_of(&p), so = stats_of(&o);
	cr_assert_eq(so.capacity, 128);
	cr_assert_eq(so.produced, 168);
	cr_assert_eq(so.consumed, 40);
	cr_assert_eq(so.in_ring, 128);
	cr_assert_eq(so.dropped, 32);
	cr_assert_eq(so.rejected[RS_REJECT_ENUM], 1);
	cr_assert_eq(so.rejected_total, 1);
	cr_assert_eq(so.high_water, 100);
	cr_assert_eq(so.producer_pid, (uint32_t)getpid());
	cr_assert_eq(so.consumer_pid, (uint32_t)getpid());
	cr_assert_eq(so.dict_count, 1);
	cr_assert_eq(so.dict_capacity, 16);
	cr_assert_str_eq(rs_ring_dict_lookup(&o, 0), "provider-a");
	cr_assert_eq(memcmp(&sp, &so, sizeof sp), 0, "observer and producer stats differ");

	/* An observer never writes: its heartbeat is a no-op on the read-only map. */
	rs_ring_heartbeat(&o);
	cr_assert_eq(stats_of(&o).consumer_heartbeat_ns, so.consumer_heartbeat_ns);
	cr_assert_eq(stats_of(&o).producer_heartbeat_ns, so.producer_heartbeat_ns);
	rs_ring_close(&o);
	cr_assert_eq(stats_of(&p).producer_pid, (uint32_t)getpid(), "closing an observer frees no side");
	cr_assert_eq(stats_of(&p).consumer_pid, (uint32_t)getpid());

	rs_ring_close(&c);
	rs_ring_close(&p);
}

/* ---- 8. bad parameters ---- */

static void expect_bad_capacity(const char *inst, uint32_t cap, uint32_t dcap, const char *needle)
{
	struct rs_ring r;
	struct rs_error err = { 0 };
	struct rs_ring_params params = { .capacity = cap, .dict_capacity = dcap };
	int rc = rs_ring_open_producer(&r, inst, NODE, &params, &err);
	cr_assert_eq(rc, -EINVAL, "capacity %u / dict %u: %d %s", cap, dcap, rc, err.msg);
	cr_assert_eq(err.code, -EINVAL);
	cr_assert(strstr(err.msg, needle) != NULL, "message lacks '%s': %s", needle, err.msg);
	cr_assert(strstr(err.msg, inst) != NULL, "message lacks the object name: %s", err.msg);
}

static void expect_bad_name(const char *inst, const char *node, const char *needle)
{
	struct rs_ring r;
	struct rs_error err = { 0 };
	int rc = rs_ring_open_producer(&r, inst, node, NULL, &err);
	cr_assert_eq(rc, -EINVAL, "instance '%s' node '%s': %d %s", inst, node ? node : "(null)",
		     rc, err.msg);
	cr_assert(strstr(err.msg, needle) != NULL, "message lacks '%s': %s", needle, err.msg);
	rc = rs_ring_open_consumer(&r, inst, node, &err);
	cr_assert_eq(rc, -EINVAL, "consumer: instance '%s': %d %s", inst, rc, err.msg);
}

Test(ring, bad_params, .fini = fini)
{
	const char *inst = rs_test_new_instance("params");
	expect_bad_capacity(inst, 1000, 0, "capacity 1000");
	expect_bad_capacity(inst, 32, 0, "capacity 32");                /* below the minimum */
	expect_bad_capacity(inst, 1u << 25, 0, "capacity 33554432");   /* above the maximum */
	expect_bad_capacity(inst, 64, RS_DICT_MAX_CAPACITY + 1, "dictionary capacity 65536");
	cr_assert_not(instance_has_objects(), "a refused ring left an object behind");

	expect_bad_name(inst, "bad/node", "node name 'bad/node'");
	expect_bad_name(inst, "", "node name");
	expect_bad_name(inst, NULL, "node name");
	expect_bad_name(inst, "n23456789012345678901234567890123", "1 to 32");
	expect_bad_name("bad.instance", NODE, "instance name");
	cr_assert_not(instance_has_objects(), "a refused name left an object behind");

	/* Smallest and largest legal names still work. */
	struct rs_ring r;
	struct rs_error err = { 0 };
	struct rs_ring_params params = { .capacity = RS_RING_MIN_CAPACITY, .dict_capacity = 1 };
	int rc = rs_ring_open_producer(&r, inst, "n2345678901234567890123456789.12", &params, &err);
	cr_assert_eq(rc, 0, "32-character node: %d %s", rc, err.msg);
	cr_assert_eq(stats_of(&r).capacity, RS_RING_MIN_CAPACITY);
	rs_ring_close(&r);
}
