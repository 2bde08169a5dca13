/* Criterion tests for common/snapshot: multi-process seqlock torture, writer crashes and kills mid-write, dead/stale/restart detection, single writer, read-only readers, open/read errors. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ck_sequence.h>

#include "rs_clock.h"
#include "snapshot.h"
#include "test_support.h"

#define KIND       0x7e57u   /* the payload kind every test publishes */
#define SEC        1000000000ull
#define MS         1000000ull
#define NREADERS   4
#define CHILD_LIFE 20.0      /* no child outlives this many seconds, whatever the parent does */

/* ---- helpers: naps, polling, children, shared control page ---------------- */

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* Polls cond every 200 us until it holds or timeout_s passes; the caller asserts cond. */
#define POLL_UNTIL(cond, timeout_s)                                         \
	do {                                                                \
		double poll_deadline_ = rs_test_now() + (timeout_s);        \
		while (!(cond) && rs_test_now() < poll_deadline_)           \
			nap_us(200);                                        \
	} while (0)

struct reader_stats {
	uint64_t reads;          /* rc == 0 */
	uint64_t torn;           /* rc == 0 but the payload fails its checksum or pattern */
	uint64_t gen_mismatch;   /* info.generation != the payload's counter */
	uint64_t backwards;      /* counter lower than this reader's previous one */
	uint64_t increases;      /* reads that saw a newer counter than the previous one */
	uint64_t eagain, enodata, other;
	uint64_t first, last;    /* counters of the first and last good reads */
	uint64_t retries, max_retries;
	uint64_t not_fresh;
	uint64_t overlapped;     /* reads during which the writer completed a publication */
	uint64_t odd;            /* reads begun while the writer was inside slot 0 (sequence odd) */
	int      open_rc;
};

/* Shared (MAP_SHARED | MAP_ANONYMOUS) between a test and its children. */
struct ctl {
	atomic_int ready;          /* child: created (and published) */
	atomic_int go;             /* parent: start */
	atomic_int stop;           /* either: stop publishing */
	atomic_int stalled;        /* child: no more publications or heartbeats */
	atomic_int release;        /* parent: the child may finish */
	atomic_int readers_ready;
	atomic_int create_rc;
	_Atomic uint64_t published;    /* counter of the child's last completed publish */
	_Atomic uint64_t incarnation;  /* of the object the child created */
	_Atomic uint64_t reads[NREADERS];
	_Atomic uint64_t overlaps;     /* all readers' overlapped reads */
	struct reader_stats stats[NREADERS];
};

#define MAX_CHILDREN 16
#define MAX_CTLS     8
static pid_t       children[MAX_CHILDREN];
static int         nchildren;
static struct ctl *ctls[MAX_CTLS];
static int         nctls;

static struct ctl *ctl_new(void)
{
	cr_assert_lt(nctls, MAX_CTLS);
	void *p = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	cr_assert_neq(p, MAP_FAILED, "mmap control page: %s", strerror(errno));
	return ctls[nctls++] = p;   /* zero-filled */
}

/* Forks a child running fn(arg); the child _exit()s with fn's value. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
	int slot = 0;
	while (slot < nchildren && children[slot] != 0)
		slot++;
	cr_assert_lt(slot, MAX_CHILDREN, "too many live children");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	children[slot] = pid;
	if (slot == nchildren)
		nchildren++;
	return pid;
}

/* Waits for a child (killing it if it overstays) and forgets it; returns the wait status or -1. */
static int reap(pid_t pid, double timeout_s)
{
	int st = rs_test_wait(pid, timeout_s);
	for (int i = 0; i < nchildren; i++)
		if (children[i] == pid)
			children[i] = 0;
	return st;
}

/*
 * True when /dev/shm holds an object of the current test instance.  Guards
 * rs_test_cleanup(): rs_shm_list() calls qsort(NULL, 0, ...) when nothing
 * matches (common/shm_object.c), which UBSan (RS_SANITIZE=ON) aborts on.
 */
static bool instance_has_objects(void)
{
	char prefix[RS_SHM_NAME_MAX];
	snprintf(prefix, sizeof prefix, "routestat.%s.", rs_test_instance);
	DIR *d = opendir("/dev/shm");
	if (d == NULL)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return found;
}

/* .fini: kills (by pid) children a failed test left behind, then removes the instance's objects. */
static void teardown(void)
{
	for (int i = 0; i < nchildren; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	nchildren = 0;
	for (int i = 0; i < nctls; i++)
		munmap(ctls[i], sizeof(struct ctl));
	nctls = 0;
	if (rs_test_instance[0] != '\0' && instance_has_objects())
		rs_test_cleanup();
}

/* In a child: waits for a flag; false on timeout. */
static bool child_wait(atomic_int *flag, double timeout_s)
{
	double deadline = rs_test_now() + timeout_s;
	while (!atomic_load(flag)) {
		if (rs_test_now() > deadline)
			return false;
		nap_us(200);
	}
	return true;
}

static bool signaled_with(int status, int sig)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

/* ---- payload: counter, counter-derived pattern, checksum ------------------ */

static uint64_t mix64(uint64_t z)
{
	z ^= z >> 33;
	z *= 0xff51afd7ed558ccdull;
	z ^= z >> 33;
	z *= 0xc4ceb9fe1a85ec53ull;
	return z ^ (z >> 33);
}

/* FNV-style multiply-xor in four independent lanes (fast enough to keep the writer inside publish). */
static uint64_t checksum(const uint64_t *w, size_t n)
{
	uint64_t h[4] = { 0xcbf29ce484222325ull, 1, 2, 3 };
	for (size_t i = 0; i < n; i++) {
		uint64_t x = h[i & 3u] ^ w[i];
		x *= 0x100000001b3ull;
		h[i & 3u] = x ^ (x >> 29);
	}
	return mix64(h[0] ^ mix64(h[1] ^ mix64(h[2] ^ mix64(h[3] ^ n))));
}

/* Word 0: counter; words 1..n-2: a pattern unique to the counter; word n-1: checksum of the rest. */
static void fill_payload(void *buf, uint32_t size, uint64_t counter)
{
	uint64_t *w = buf;
	size_t n = size / 8u;
	uint64_t seed = mix64(counter);
	w[0] = counter;
	for (size_t i = 1; i + 1 < n; i++)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ull);
	w[n - 1] = checksum(w, n - 1);
}

/* 0: intact (counter set); 1: checksum mismatch; 2: checksum fine but not the counter's pattern. */
static int check_payload(const void *buf, uint32_t size, uint64_t *counter)
{
	const uint64_t *w = buf;
	size_t n = size / 8u;
	if (checksum(w, n - 1) != w[n - 1])
		return 1;
	uint64_t seed = mix64(w[0]);
	for (size_t i = 1; i + 1 < n; i++)
		if (w[i] != (seed ^ (i * 0x9e3779b97f4a7c15ull)))
			return 2;
	*counter = w[0];
	return 0;
}

/* Reads and asserts an intact payload; returns its counter. */
static uint64_t assert_intact(const void *buf, uint32_t size)
{
	uint64_t counter = 0;
	int bad = check_payload(buf, size, &counter);
	cr_assert_eq(bad, 0, "payload is torn (%s)", bad == 1 ? "checksum" : "pattern");
	return counter;
}

/* ---- a simple writer child: creates, publishes one counter, waits -------- */

enum writer_end { END_EXIT, END_CLOSE_REMOVE, END_CLOSE_KEEP };

struct life {
	const char     *inst;
	uint32_t        size;
	struct ctl     *c;
	uint64_t        counter;
	uint64_t        interval_ns;
	enum writer_end end;
};

static int life_writer(void *arg)
{
	struct life *l = arg;
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	int rc = rs_snapshot_create(&h, l->inst, KIND, l->size, l->interval_ns, &err);
	atomic_store(&l->c->create_rc, rc);
	if (rc < 0) {
		atomic_store(&l->c->ready, 1);
		return 10;
	}
	atomic_store(&l->c->incarnation, rs_shm_header_of(&h.map)->incarnation);
	uint64_t *buf = malloc(l->size);
	if (buf == NULL)
		return 11;
	fill_payload(buf, l->size, l->counter);
	rs_snapshot_publish(&h, buf);
	free(buf);
	atomic_store(&l->c->published, l->counter);
	atomic_store(&l->c->ready, 1);
	if (!child_wait(&l->c->release, CHILD_LIFE))
		return 12;
	if (l->end != END_EXIT)
		rs_snapshot_close_writer(&h, l->end == END_CLOSE_REMOVE);
	return 0;   /* END_EXIT: the object stays, naming a pid that is about to be gone */
}

static pid_t start_life(struct life *l)
{
	pid_t pid = spawn(life_writer, l);
	POLL_UNTIL(atomic_load(&l->c->ready), 10.0);
	cr_assert(atomic_load(&l->c->ready), "writer child %d never got ready", (int)pid);
	cr_assert_eq(atomic_load(&l->c->create_rc), 0, "writer child %d: create returned %d", (int)pid,
		     atomic_load(&l->c->create_rc));
	return pid;
}

static void end_life(struct life *l, pid_t pid)
{
	atomic_store(&l->c->release, 1);
	int st = reap(pid, 10.0);
	cr_assert(rs_test_exited_ok(st), "writer child %d: wait status %#x", (int)pid, st);
}

static void open_reader(struct rs_snapshot_reader *r, const char *inst, uint32_t size)
{
	struct rs_error err = { 0 };
	int rc = rs_snapshot_open_reader(r, inst, KIND, size, &err);
	cr_assert_eq(rc, 0, "open reader: %d %s", rc, err.msg);
}

TestSuite(snapshot, .fini = teardown, .timeout = 60);

/* ---- 1. torture: one writer publishing nonstop, four readers ------------- */

struct torture {
	const char *inst;
	uint32_t    size;
	struct ctl *c;
	int         idx;
	double      min_s, max_s;
	uint64_t    min_reads, min_overlaps;
};

static bool every_reader_has(struct ctl *c, uint64_t reads)
{
	for (int i = 0; i < NREADERS; i++)
		if (atomic_load_explicit(&c->reads[i], memory_order_relaxed) < reads)
			return false;
	return true;
}

/*
 * Publishes counters 1, 2, 3... (generation == counter) until min_s, min_reads
 * and min_overlaps, or max_s.  Overlaps (reads that a publication crossed)
 * need the scheduler to run readers beside the writer: on a loaded 2-core
 * machine they may all share one core in sched_yield lockstep, and the
 * writer then keeps going (to max_s) for a chance of real concurrency.
 */
static int torture_writer(void *arg)
{
	struct torture *t = arg;
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	if (rs_snapshot_create(&h, t->inst, KIND, t->size, SEC, &err) < 0)
		return 10;
	uint64_t *buf = malloc(t->size);
	if (buf == NULL)
		return 11;
	uint64_t n = 1;
	fill_payload(buf, t->size, n);
	rs_snapshot_publish(&h, buf);
	atomic_store(&t->c->published, n);
	atomic_store(&t->c->ready, 1);
	if (!child_wait(&t->c->go, CHILD_LIFE))
		return 12;
	double t0 = rs_test_now();
	for (;;) {
		fill_payload(buf, t->size, ++n);
		rs_snapshot_publish(&h, buf);
		atomic_store(&t->c->published, n);
		sched_yield();
		double el = rs_test_now() - t0;
		if (el > t->max_s || atomic_load(&t->c->stop))
			break;
		if (el > t->min_s && every_reader_has(t->c, t->min_reads) &&
		    atomic_load_explicit(&t->c->overlaps, memory_order_relaxed) >= t->min_overlaps)
			break;
	}
	atomic_store(&t->c->stop, 1);
	bool released = child_wait(&t->c->release, CHILD_LIFE);
	rs_snapshot_close_writer(&h, true);
	free(buf);
	return released ? 0 : 13;
}

static void torture_account(struct reader_stats *s, int rc, const struct rs_snapshot_info *info,
			    const void *buf, uint32_t size)
{
	if (rc == -EAGAIN) {
		s->eagain++;
		return;
	}
	if (rc == -ENODATA) {
		s->enodata++;
		return;
	}
	if (rc != 0) {
		s->other++;
		return;
	}
	s->reads++;
	s->retries += info->retries;
	if (info->retries > s->max_retries)
		s->max_retries = info->retries;
	if (info->status != RS_SNAPSHOT_FRESH)
		s->not_fresh++;
	uint64_t counter = 0;
	if (check_payload(buf, size, &counter) != 0) {
		s->torn++;
		return;
	}
	if (info->generation != counter)
		s->gen_mismatch++;
	if (s->first == 0)
		s->first = counter;
	if (counter < s->last)
		s->backwards++;
	if (counter > s->last)
		s->increases++;
	if (counter > s->last)
		s->last = counter;
}

static int torture_reader(void *arg)
{
	struct torture *t = arg;
	struct reader_stats *s = &t->c->stats[t->idx];
	memset(s, 0, sizeof *s);
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	struct rs_error err = { 0 };
	s->open_rc = rs_snapshot_open_reader(&r, t->inst, KIND, t->size, &err);
	if (s->open_rc < 0)
		return 20;
	void *buf = malloc(t->size);
	if (buf == NULL)
		return 21;
	atomic_fetch_add(&t->c->readers_ready, 1);
	double deadline = rs_test_now() + CHILD_LIFE;
	for (;;) {
		bool stopping = atomic_load(&t->c->stop);
		struct rs_snapshot_info info;
		uint64_t p0 = atomic_load(&t->c->published);
		s->odd += ck_pr_load_uint(&r.w->sequence.sequence) & 1u;
		int rc = rs_snapshot_read(&r, buf, &info, &err);
		if (atomic_load(&t->c->published) != p0) {
			s->overlapped++;
			atomic_fetch_add_explicit(&t->c->overlaps, 1, memory_order_relaxed);
		}
		torture_account(s, rc, &info, buf, t->size);
		atomic_store_explicit(&t->c->reads[t->idx], s->reads, memory_order_relaxed);
		if (stopping)
			break;   /* one more read after the writer stopped */
		if (rs_test_now() > deadline)
			return 22;
		/* Even readers yield after every read; odd ones after 64, so that they
		 * also get to preempt a writer in the middle of a publication when
		 * everything shares one core. */
		if ((t->idx & 1) == 0 || s->reads % 64u == 0)
			sched_yield();
	}
	rs_snapshot_close_reader(&r);
	free(buf);
	if (s->torn || s->gen_mismatch)
		return 1;
	if (s->backwards)
		return 2;
	if (s->enodata || s->other)
		return 3;
	return 0;
}

static void torture(uint32_t size, const char *tag)
{
	const char *inst = rs_test_new_instance(tag);
	struct ctl *c = ctl_new();
	struct torture w = { inst, size, c, -1, 1.5, 6.0, 2000, 200 };
	pid_t wp = spawn(torture_writer, &w);
	POLL_UNTIL(atomic_load(&c->ready), 10.0);
	cr_assert(atomic_load(&c->ready), "writer never published its first snapshot");

	struct torture rd[NREADERS];
	pid_t rp[NREADERS];
	for (int i = 0; i < NREADERS; i++) {
		rd[i] = w;
		rd[i].idx = i;
		rp[i] = spawn(torture_reader, &rd[i]);
	}
	POLL_UNTIL(atomic_load(&c->readers_ready) == NREADERS, 10.0);
	cr_assert_eq(atomic_load(&c->readers_ready), NREADERS, "readers failed to attach");
	double t0 = rs_test_now();
	atomic_store(&c->go, 1);

	int st[NREADERS];
	for (int i = 0; i < NREADERS; i++)
		st[i] = reap(rp[i], 30.0);
	double elapsed = rs_test_now() - t0;
	atomic_store(&c->release, 1);
	int ws = reap(wp, 10.0);
	uint64_t final = atomic_load(&c->published);

	uint64_t reads = 0, eagain = 0, retries = 0, maxr = 0;
	for (int i = 0; i < NREADERS; i++) {
		const struct reader_stats *s = &c->stats[i];
		cr_log_info("%s reader %d: %" PRIu64 " reads, %" PRIu64 " torn, %" PRIu64 " EAGAIN, "
			    "%" PRIu64 " retries (max %" PRIu64 "), %" PRIu64 " overlapped a publication, %" PRIu64
			    " began with the sequence odd, counters %" PRIu64 "..%" PRIu64 " (%" PRIu64 " increases), %" PRIu64 " not fresh",
			    tag, i, s->reads, s->torn, s->eagain, s->retries, s->max_retries, s->overlapped,
			    s->odd, s->first, s->last, s->increases, s->not_fresh);
		reads += s->reads;
		eagain += s->eagain;
		retries += s->retries;
		if (s->max_retries > maxr)
			maxr = s->max_retries;
	}
	cr_log_info("%s: %.2f s, %" PRIu64 " publications, %" PRIu64 " reads (%" PRIu64
		    " overlapped a publication), %" PRIu64 " EAGAIN, %" PRIu64 " retries (max %" PRIu64
		    " in one read)", tag, elapsed, final, reads, (uint64_t)atomic_load(&c->overlaps),
		    eagain, retries, maxr);

	cr_assert(rs_test_exited_ok(ws), "writer: wait status %#x", ws);
	cr_assert_gt(final, 100, "writer published only %" PRIu64 " snapshots", final);
	for (int i = 0; i < NREADERS; i++) {
		const struct reader_stats *s = &c->stats[i];
		cr_assert_eq(s->open_rc, 0, "reader %d: open failed: %d", i, s->open_rc);
		cr_assert_eq(s->torn, 0, "reader %d: %" PRIu64 " torn reads", i, s->torn);
		cr_assert_eq(s->gen_mismatch, 0, "reader %d: %" PRIu64 " reads whose generation is not "
			     "the payload's counter", i, s->gen_mismatch);
		cr_assert_eq(s->backwards, 0, "reader %d: counter went backwards %" PRIu64 " times",
			     i, s->backwards);
		cr_assert_eq(s->enodata + s->other, 0, "reader %d: %" PRIu64 " ENODATA, %" PRIu64
			     " other errors", i, s->enodata, s->other);
		cr_assert_gt(s->reads, 1000, "reader %d: only %" PRIu64 " reads", i, s->reads);
		cr_assert_gt(s->increases, 10, "reader %d: saw only %" PRIu64 " new generations",
			     i, s->increases);
		cr_assert_gt(s->last, s->first, "reader %d: generations never went up", i);
		cr_assert_leq(s->last, final, "reader %d: saw counter %" PRIu64 " > last published %"
			      PRIu64, i, s->last, final);
		cr_assert(rs_test_exited_ok(st[i]), "reader %d: wait status %#x", i, st[i]);
	}
}

Test(snapshot, torture_4k)  { torture(4096, "tort4k"); }
Test(snapshot, torture_64k) { torture(65536, "tort64k"); }

/* ---- 2. writer killed mid-write ----------------------------------------- */

enum crash_point {
	CRASH_FIRST_PUBLISH,  /* inside the very first publish, slot 0 half written, seq odd */
	CRASH_MID_SLOT0,      /* after publishing 1 and 2, inside publish 3 while slot 0 is half written */
	CRASH_MID_SLOT1,      /* inside publish 3 after the latch flipped, slot 1 half written */
};

struct crash { const char *inst; uint32_t size; enum crash_point point; };

/* Emulates rs_snapshot_publish step by step and dies (SIGKILL) inside it. */
static int crashing_writer(void *arg)
{
	struct crash *cr = arg;
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	if (rs_snapshot_create(&h, cr->inst, KIND, cr->size, SEC, &err) < 0)
		return 10;
	uint64_t *buf = malloc(cr->size);
	if (buf == NULL)
		return 11;
	if (cr->point != CRASH_FIRST_PUBLISH)
		for (uint64_t n = 1; n <= 2; n++) {
			fill_payload(buf, cr->size, n);
			rs_snapshot_publish(&h, buf);
		}
	char *slot0 = h.slots, *slot1 = h.slots + h.stride;
	ck_sequence_write_begin(&h.w->sequence);
	if (cr->point == CRASH_MID_SLOT1) {
		struct rs_snapshot_slot *s = (struct rs_snapshot_slot *)slot0;
		s->generation = 3;
		s->published_unix_ns = rs_unix_ns();
		s->published_mono_ns = rs_mono_ns();
		fill_payload(buf, cr->size, 3);
		memcpy(s + 1, buf, cr->size);
		ck_sequence_write_end(&h.w->sequence);
		memset(slot1, 0x5a, sizeof(struct rs_snapshot_slot) + cr->size / 2);
	} else {
		memset(slot0, 0xa5, sizeof(struct rs_snapshot_slot) + cr->size / 2);
	}
	raise(SIGKILL);
	return 99;
}

static void crash_case(enum crash_point point, const char *tag)
{
	const uint32_t size = 4096;
	struct crash cr = { rs_test_new_instance(tag), size, point };
	pid_t pid = spawn(crashing_writer, &cr);
	int st = reap(pid, 10.0);
	cr_assert(signaled_with(st, SIGKILL), "crashing writer: wait status %#x", st);

	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	open_reader(&r, cr.inst, size);
	unsigned seq = ck_pr_load_uint(&r.w->sequence.sequence);
	cr_assert_eq(seq & 1u, point == CRASH_MID_SLOT1 ? 0u : 1u,
		     "the emulated crash left sequence %u", seq);

	void *buf = malloc(size);
	cr_assert_not_null(buf);
	for (int i = 0; i < 3; i++) {   /* and it stays that way */
		struct rs_snapshot_info info;
		struct rs_error err = { 0 };
		memset(buf, 0, size);
		int rc = rs_snapshot_read(&r, buf, &info, &err);
		cr_assert_eq(info.status, RS_SNAPSHOT_DEAD, "status %s", rs_snapshot_status_name(info.status));
		cr_assert_not(info.writer_alive);
		cr_assert_eq(info.writer_pid, (uint32_t)pid);
		cr_assert_eq(info.retries, 0, "a stuck odd sequence must not cause retries");
		if (point == CRASH_FIRST_PUBLISH) {
			cr_assert_eq(rc, -ENODATA, "read returned %d (%s)", rc, err.msg);
			cr_assert_eq(err.code, -ENODATA);
			continue;
		}
		cr_assert_eq(rc, 0, "read returned %d (%s)", rc, err.msg);
		uint64_t want = point == CRASH_MID_SLOT0 ? 2 : 3;
		cr_assert_eq(info.generation, want, "generation %" PRIu64, info.generation);
		cr_assert_eq(assert_intact(buf, size), want);
		cr_assert_eq(err.code, 0);
		cr_assert(strstr(err.msg, "dead") != NULL, "message: %s", err.msg);
		cr_assert(strstr(err.msg, "gone") != NULL, "message: %s", err.msg);
	}
	free(buf);
	rs_snapshot_close_reader(&r);
}

Test(snapshot, crash_mid_slot0_leaves_previous) { crash_case(CRASH_MID_SLOT0, "crash0"); }
Test(snapshot, crash_mid_slot1_leaves_current)  { crash_case(CRASH_MID_SLOT1, "crash1"); }
Test(snapshot, crash_in_first_publish_is_nodata) { crash_case(CRASH_FIRST_PUBLISH, "crashfirst"); }

/* Publishes forever (the parent kills it). */
struct forever { const char *inst; uint32_t size; struct ctl *c; };

static int forever_writer(void *arg)
{
	struct forever *f = arg;
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	int rc = rs_snapshot_create(&h, f->inst, KIND, f->size, SEC, &err);
	atomic_store(&f->c->create_rc, rc);
	if (rc < 0)
		return 10;
	atomic_store(&f->c->incarnation, rs_shm_header_of(&h.map)->incarnation);
	uint64_t *buf = malloc(f->size);
	if (buf == NULL)
		return 11;
	double deadline = rs_test_now() + CHILD_LIFE;
	for (uint64_t n = 1;; n++) {
		fill_payload(buf, f->size, n);
		rs_snapshot_publish(&h, buf);
		atomic_store(&f->c->published, n);
		sched_yield();
		if (rs_test_now() > deadline)
			return 12;
	}
}

Test(snapshot, random_kill_leaves_complete_snapshot)
{
	const uint32_t size = 65536;
	const int rounds = 60;
	struct forever f = { rs_test_new_instance("kill"), size, ctl_new() };
	uint64_t rng = (uint64_t)rs_mono_ns() ^ ((uint64_t)getpid() << 20);
	cr_log_info("random kill seed %#" PRIx64, rng);
	void *buf = malloc(size);
	cr_assert_not_null(buf);
	int odd_kills = 0, newer = 0;
	for (int round = 0; round < rounds; round++) {
		atomic_store(&f.c->published, 0);
		atomic_store(&f.c->create_rc, 1);
		pid_t pid = spawn(forever_writer, &f);
		uint64_t at_least = 2 + mix64(rng + 1) % 8;
		POLL_UNTIL(atomic_load(&f.c->published) >= at_least || atomic_load(&f.c->create_rc) < 0,
			   10.0);
		cr_assert_eq(atomic_load(&f.c->create_rc), 0, "round %d: create failed", round);
		cr_assert_geq(atomic_load(&f.c->published), at_least, "round %d: writer stuck", round);
		rng = mix64(rng + round);
		nap_us((long)(rng % 3000));   /* the kill lands anywhere in the publication loop */
		cr_assert_eq(kill(pid, SIGKILL), 0);
		int st = reap(pid, 10.0);
		cr_assert(signaled_with(st, SIGKILL), "round %d: wait status %#x", round, st);
		uint64_t pub = atomic_load(&f.c->published);

		struct rs_snapshot_reader r;
		memset(&r, 0, sizeof r);
		open_reader(&r, f.inst, size);
		if (ck_pr_load_uint(&r.w->sequence.sequence) & 1u)
			odd_kills++;
		uint64_t seen = 0;
		for (int i = 0; i < 2; i++) {
			struct rs_snapshot_info info;
			struct rs_error err = { 0 };
			memset(buf, 0, size);
			int rc = rs_snapshot_read(&r, buf, &info, &err);
			cr_assert_eq(rc, 0, "round %d: read returned %d (%s)", round, rc, err.msg);
			uint64_t counter = assert_intact(buf, size);
			cr_assert_eq(info.generation, counter, "round %d", round);
			/* The last completed publication, or the one whose slot 0 was complete. */
			cr_assert(counter == pub || counter == pub + 1, "round %d: counter %" PRIu64
				  " after the writer completed %" PRIu64, round, counter, pub);
			cr_assert_eq(info.status, RS_SNAPSHOT_DEAD, "round %d: %s", round,
				     rs_snapshot_status_name(info.status));
			cr_assert_eq(info.incarnation, atomic_load(&f.c->incarnation),
				     "round %d: not this round's object", round);
			if (i == 0)
				seen = counter;
			else
				cr_assert_eq(counter, seen, "round %d: a dead writer's snapshot changed", round);
		}
		if (seen == pub + 1)
			newer++;
		rs_snapshot_close_reader(&r);
	}
	free(buf);
	cr_log_info("random kill: %d rounds, %d kills with the sequence odd, %d left a newer slot 0",
		    rounds, odd_kills, newer);
}

/* ---- 3. dead and stalled writers ---------------------------------------- */

Test(snapshot, dead_writer_reported_quickly)
{
	const uint32_t size = 4096;
	struct life l = { rs_test_new_instance("dead"), size, ctl_new(), 7, SEC, END_EXIT };
	pid_t pid = start_life(&l);
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	open_reader(&r, l.inst, size);
	void *buf = malloc(size);
	cr_assert_not_null(buf);
	struct rs_snapshot_info info;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_FRESH, "live writer: %s", rs_snapshot_status_name(info.status));
	cr_assert(info.writer_alive);

	end_life(&l, pid);   /* _exit without closing, and reaped: the pid is gone */
	rs_error_clear(&err);
	double t0 = rs_test_now();
	int rc = rs_snapshot_read(&r, buf, &info, &err);
	double dt = rs_test_now() - t0;
	cr_assert_eq(rc, 0, "read returned %d (%s)", rc, err.msg);
	cr_assert_lt(dt, 0.1, "read of a dead writer took %.3f s", dt);
	cr_assert_eq(info.status, RS_SNAPSHOT_DEAD, "status %s", rs_snapshot_status_name(info.status));
	cr_assert_not(info.writer_alive);
	cr_assert_eq(info.writer_pid, (uint32_t)pid);
	cr_assert_lt(info.heartbeat_age_ns, 20 * SEC, "DEAD must come from the pid, not the heartbeat");
	cr_assert_eq(assert_intact(buf, size), 7);
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(err.code, 0);
	char want[64];
	snprintf(want, sizeof want, "heartbeat %.1f s old", (double)info.heartbeat_age_ns / 1e9);
	cr_assert(strstr(err.msg, want) != NULL, "message '%s' lacks '%s'", err.msg, want);
	cr_assert(strstr(err.msg, "dead") != NULL && strstr(err.msg, "gone") != NULL, "%s", err.msg);
	free(buf);
	rs_snapshot_close_reader(&r);
}

/* Publishes every 2 ms with a 10 ms promised interval until told to stall, then stays alive. */
struct stall { const char *inst; uint32_t size; struct ctl *c; };

static int stalling_writer(void *arg)
{
	struct stall *s = arg;
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	if (rs_snapshot_create(&h, s->inst, KIND, s->size, 10 * MS, &err) < 0)
		return 10;
	uint64_t *buf = malloc(s->size);
	if (buf == NULL)
		return 11;
	double deadline = rs_test_now() + CHILD_LIFE;
	for (uint64_t n = 1; !atomic_load(&s->c->stop); n++) {
		fill_payload(buf, s->size, n);
		rs_snapshot_publish(&h, buf);
		atomic_store(&s->c->published, n);
		atomic_store(&s->c->ready, 1);
		nap_us(2000);   /* the writer's tick */
		if (rs_test_now() > deadline)
			return 12;
	}
	atomic_store(&s->c->stalled, 1);
	if (!child_wait(&s->c->release, CHILD_LIFE))
		return 13;
	rs_snapshot_close_writer(&h, true);
	free(buf);
	return 0;
}

static void stall_case(uint64_t stale_set, uint64_t dead_set, const char *tag)
{
	const uint32_t size = 4096;
	const uint64_t stale = stale_set ? stale_set : 3 * 10 * MS;
	const uint64_t dead = dead_set ? dead_set : 20 * 10 * MS;
	struct stall s = { rs_test_new_instance(tag), size, ctl_new() };
	pid_t pid = spawn(stalling_writer, &s);
	POLL_UNTIL(atomic_load(&s.c->ready), 10.0);
	cr_assert(atomic_load(&s.c->ready), "writer never published");

	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	r.stale_after_ns = stale_set;
	r.dead_after_ns = dead_set;
	open_reader(&r, s.inst, size);
	cr_assert_eq(r.stale_after_ns, stale_set, "open dropped stale_after_ns");
	cr_assert_eq(r.dead_after_ns, dead_set, "open dropped dead_after_ns");

	void *buf = malloc(size);
	cr_assert_not_null(buf);
	struct rs_snapshot_info info;
	struct rs_error err = { 0 };
	bool fresh = false;
	double deadline = rs_test_now() + 5.0;
	while (!fresh && rs_test_now() < deadline) {
		cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
		fresh = info.status == RS_SNAPSHOT_FRESH;
		if (!fresh)
			nap_us(500);
	}
	cr_assert(fresh, "never FRESH while the writer publishes every 2 ms");

	atomic_store(&s.c->stop, 1);
	POLL_UNTIL(atomic_load(&s.c->stalled), 5.0);
	cr_assert(atomic_load(&s.c->stalled));
	uint64_t last = atomic_load(&s.c->published);
	double t_stall = rs_test_now();
	enum rs_snapshot_status prev = RS_SNAPSHOT_FRESH;
	int reads = 0, n_stale = 0;
	bool seen_dead = false;
	while (!seen_dead && rs_test_now() < t_stall + 5.0) {
		rs_error_clear(&err);
		int rc = rs_snapshot_read(&r, buf, &info, &err);
		cr_assert_eq(rc, 0, "read returned %d (%s)", rc, err.msg);
		reads++;
		cr_assert(info.writer_alive, "the stalled writer is alive");
		cr_assert_eq(assert_intact(buf, size), last);
		enum rs_snapshot_status want = info.heartbeat_age_ns > dead ? RS_SNAPSHOT_DEAD
					     : info.heartbeat_age_ns > stale ? RS_SNAPSHOT_STALE
					     : RS_SNAPSHOT_FRESH;
		cr_assert_eq(info.status, want, "heartbeat %" PRIu64 " ns old (stale after %" PRIu64
			     ", dead after %" PRIu64 "): %s", info.heartbeat_age_ns, stale, dead,
			     rs_snapshot_status_name(info.status));
		cr_assert_geq(info.status, prev, "status went back from %s to %s",
			      rs_snapshot_status_name(prev), rs_snapshot_status_name(info.status));
		prev = info.status;
		n_stale += info.status == RS_SNAPSHOT_STALE;
		seen_dead = info.status == RS_SNAPSHOT_DEAD;
		if (!seen_dead)
			nap_us(1000);
	}
	double t_dead = rs_test_now() - t_stall;
	cr_assert(seen_dead, "still not DEAD %.2f s after the stall", t_dead);
	cr_assert_gt(n_stale, 0, "never STALE between FRESH and DEAD");
	cr_assert_eq(err.code, 0);
	cr_assert(strstr(err.msg, "alive") != NULL && strstr(err.msg, "heartbeat") != NULL,
		  "message: %s", err.msg);
	cr_log_info("%s: %d reads after the stall, %d STALE, DEAD after %.3f s", tag, reads, n_stale,
		    t_dead);
	free(buf);
	rs_snapshot_close_reader(&r);
	atomic_store(&s.c->release, 1);
	int st = reap(pid, 10.0);
	cr_assert(rs_test_exited_ok(st), "writer: wait status %#x", st);
}

/* Thresholds unlike the defaults (30 / 200 ms) so that ignoring them fails. */
Test(snapshot, stalled_writer_explicit_thresholds) { stall_case(40 * MS, 120 * MS, "stallx"); }
Test(snapshot, stalled_writer_default_thresholds)  { stall_case(0, 0, "stalld"); }

/* ---- 4. restart ---------------------------------------------------------- */

static void restart_case(enum writer_end a_end, const char *tag)
{
	const uint32_t size = 4096;
	struct life a = { rs_test_new_instance(tag), size, ctl_new(), 100, SEC, a_end };
	pid_t pa = start_life(&a);
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	open_reader(&r, a.inst, size);
	void *buf = malloc(size);
	cr_assert_not_null(buf);
	struct rs_snapshot_info info;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_FRESH);
	cr_assert_eq(assert_intact(buf, size), 100);
	uint64_t inc_a = info.incarnation;
	cr_assert_eq(inc_a, atomic_load(&a.c->incarnation));

	end_life(&a, pa);
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_DEAD, "A gone, no B yet: %s",
		     rs_snapshot_status_name(info.status));
	cr_assert_eq(info.incarnation, inc_a);
	cr_assert_eq(assert_intact(buf, size), 100);

	struct life b = { a.inst, size, ctl_new(), 200, SEC, END_CLOSE_REMOVE };
	pid_t pb = start_life(&b);   /* asserts that B's create replaced A's leftover */
	uint64_t inc_b = atomic_load(&b.c->incarnation);
	cr_assert_neq(inc_b, inc_a);

	rs_error_clear(&err);
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_RESTARTED, "first read after B: %s",
		     rs_snapshot_status_name(info.status));
	cr_assert_eq(assert_intact(buf, size), 200);
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(info.incarnation, inc_b);
	cr_assert_eq(info.writer_pid, (uint32_t)pb);
	cr_assert(info.writer_alive);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
		cr_assert_eq(info.status, RS_SNAPSHOT_FRESH, "read %d after the restart: %s", i,
			     rs_snapshot_status_name(info.status));
		cr_assert_eq(info.incarnation, inc_b);
		cr_assert_eq(assert_intact(buf, size), 200);
	}
	free(buf);
	rs_snapshot_close_reader(&r);
	end_life(&b, pb);
}

Test(snapshot, restart_after_crash_detected)       { restart_case(END_EXIT, "restartx"); }
Test(snapshot, restart_after_clean_close_detected) { restart_case(END_CLOSE_REMOVE, "restartc"); }

/* ---- 5. one writer per instance ----------------------------------------- */

struct try_create { const char *inst; };

/* A third process's attempt: 0 when refused with -EBUSY. */
static int try_create(void *arg)
{
	struct try_create *t = arg;
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	int rc = rs_snapshot_create(&h, t->inst, KIND, 4096, SEC, &err);
	if (rc == 0)
		return 1;
	return rc == -EBUSY ? 0 : 2;
}

Test(snapshot, second_live_writer_refused)
{
	const uint32_t size = 4096;
	struct life a = { rs_test_new_instance("busy"), size, ctl_new(), 42, SEC, END_EXIT };
	pid_t pa = start_life(&a);
	uint64_t inc_a = atomic_load(&a.c->incarnation);

	const uint32_t sizes[] = { size, 512 };   /* whatever the second writer's layout */
	for (int i = 0; i < 2; i++) {
		struct rs_snapshot_writer_handle h;
		struct rs_error err = { 0 };
		int rc = rs_snapshot_create(&h, a.inst, KIND, sizes[i], SEC, &err);
		cr_assert_eq(rc, -EBUSY, "second writer (%u bytes): %d %s", sizes[i], rc, err.msg);
		cr_assert_eq(err.code, -EBUSY);
		cr_assert_null(h.map.base);
		char pidstr[32];
		snprintf(pidstr, sizeof pidstr, "pid %d", (int)pa);
		cr_assert(strstr(err.msg, pidstr) != NULL, "message '%s' lacks '%s'", err.msg, pidstr);
	}
	struct try_create t = { a.inst };
	int st = reap(spawn(try_create, &t), 10.0);
	cr_assert(rs_test_exited_ok(st), "another process was not refused: status %#x", st);

	/* The live writer's object is untouched. */
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	open_reader(&r, a.inst, size);
	void *buf = malloc(size);
	cr_assert_not_null(buf);
	struct rs_snapshot_info info;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_FRESH);
	cr_assert_eq(info.incarnation, inc_a);
	cr_assert_eq(info.writer_pid, (uint32_t)pa);
	cr_assert_eq(assert_intact(buf, size), 42);
	rs_snapshot_close_reader(&r);
	free(buf);

	/* Once it is dead, the same create succeeds with a new incarnation. */
	end_life(&a, pa);
	struct rs_snapshot_writer_handle h;
	rs_error_clear(&err);
	cr_assert_eq(rs_snapshot_create(&h, a.inst, KIND, size, SEC, &err), 0, "%s", err.msg);
	cr_assert_neq(rs_shm_header_of(&h.map)->incarnation, inc_a);
	rs_snapshot_close_writer(&h, true);
}

/*
 * A writer between rs_shm_create() (the name exists, header filled, state
 * CREATING) and its pid store is alive, so a second create must not replace
 * its object: clear_leftover() (common/snapshot.c) takes the creator's pid
 * from the header while the state is CREATING.  Emulated deterministically:
 * a child makes the object exactly as rs_snapshot_create has at that moment
 * and stays alive.
 */
static int half_created_writer(void *arg)
{
	struct life *l = arg;
	char name[RS_SHM_NAME_MAX];
	struct rs_shm_map m;
	if (rs_shm_name(name, l->inst, "snapshot", NULL) < 0)
		return 10;
	int rc = rs_shm_create(&m, name, RS_SHM_SNAPSHOT, sizeof(struct rs_snapshot_layout),
			       RS_SNAP_SLOTS_OFF + 2u * ((64u + l->size + 127u) & ~127u), NULL);
	atomic_store(&l->c->create_rc, rc);
	atomic_store(&l->c->ready, 1);
	if (rc < 0)
		return 11;
	atomic_store(&l->c->incarnation, rs_shm_header_of(&m)->incarnation);
	return child_wait(&l->c->release, CHILD_LIFE) ? 0 : 12;
}

Test(snapshot, creating_writer_not_replaced)
{
	struct life l = { rs_test_new_instance("halfmade"), 4096, ctl_new(), 0, SEC, END_EXIT };
	pid_t pid = spawn(half_created_writer, &l);
	POLL_UNTIL(atomic_load(&l.c->ready), 10.0);
	cr_assert(atomic_load(&l.c->ready) && atomic_load(&l.c->create_rc) == 0, "creating child failed");
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	int rc = rs_snapshot_create(&h, l.inst, KIND, 4096, SEC, &err);
	if (rc == 0)
		rs_snapshot_close_writer(&h, false);
	atomic_store(&l.c->release, 1);
	int st = reap(pid, 10.0);
	cr_assert(rs_test_exited_ok(st), "creating child: status %#x", st);
	cr_assert_neq(rc, 0, "replaced the object of a live writer (pid %d) that was still creating it",
		      (int)pid);
}

/*
 * Earlier still, inside rs_shm_create, the object has its size but no header
 * (magic 0): only the creator's flock tells a creation in progress from a
 * dead creator's debris.  Emulated with the lock held here (flock conflicts
 * between open file descriptions, even in one process); once it is dropped
 * the same bytes are debris and a create replaces them.
 */
Test(snapshot, headerless_object_being_created_not_replaced)
{
	const char *inst = rs_test_new_instance("nohdr");
	char name[RS_SHM_NAME_MAX];
	cr_assert_eq(rs_shm_name(name, inst, "snapshot", NULL), 0);
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0660);
	cr_assert_geq(fd, 0, "shm_open %s: %s", name, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	cr_assert_eq(ftruncate(fd, 65536), 0);

	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	int rc = rs_snapshot_create(&h, inst, KIND, 4096, SEC, &err);
	if (rc == 0)
		rs_snapshot_close_writer(&h, false);
	cr_assert_eq(rc, -EBUSY, "replaced an object being created: %d %s", rc, err.msg);
	cr_assert(strstr(err.msg, "another process is creating it") != NULL, "message: %s", err.msg);

	close(fd);   /* the creator is gone: what it left is debris */
	rc = rs_snapshot_create(&h, inst, KIND, 4096, SEC, &err);
	cr_assert_eq(rc, 0, "debris not replaced: %d %s", rc, err.msg);
	cr_assert_eq(rs_shm_header_of(&h.map)->magic, RS_SHM_MAGIC);
	rs_snapshot_close_writer(&h, true);
}

/* ---- 6. readers never write --------------------------------------------- */

struct poke { const struct rs_snapshot_reader *r; size_t off; };

static int poke_reader_map(void *arg)
{
	struct poke *p = arg;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;   /* die of the fault even under a sanitizer's handler */
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	volatile char *byte = (volatile char *)p->r->map.base + p->off;
	*byte = (char)(*byte + 1);
	return 0;   /* the write went through: the test fails */
}

/* The permissions /proc/self/maps shows for the mapping at base, or "" if not found. */
static void map_perms(const void *base, char perms[5])
{
	perms[0] = '\0';
	FILE *f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	char line[512];
	uintptr_t want = (uintptr_t)base;
	while (fgets(line, sizeof line, f) != NULL) {
		uintptr_t lo, hi;
		char p[5];
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &lo, &hi, p) == 3 && lo == want) {
			memcpy(perms, p, 5);
			break;
		}
	}
	fclose(f);
}

Test(snapshot, reader_mapping_is_read_only)
{
	const uint32_t size = 4096;
	const char *inst = rs_test_new_instance("rdonly");
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_create(&h, inst, KIND, size, SEC, &err), 0, "%s", err.msg);
	void *payload = malloc(size);
	cr_assert_not_null(payload);
	fill_payload(payload, size, 5);
	rs_snapshot_publish(&h, payload);

	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	open_reader(&r, inst, size);
	cr_assert_not(r.map.writable);
	char perms[5];
	map_perms(r.map.base, perms);
	cr_assert_str_eq(perms, "r--s", "reader mapping permissions '%s'", perms);
	map_perms(h.map.base, perms);
	cr_assert_str_eq(perms, "rw-s", "writer mapping permissions '%s'", perms);

	void *before = malloc(h.map.size);
	cr_assert_not_null(before);
	memcpy(before, h.map.base, h.map.size);

	/* Reads change no byte of the object. */
	void *buf = malloc(size);
	cr_assert_not_null(buf);
	struct rs_snapshot_info info;
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
		cr_assert_eq(assert_intact(buf, size), 5);
	}
	cr_assert_eq(memcmp(before, h.map.base, h.map.size), 0, "a read modified the object");

	/* Writes through the reader's mapping fault: sequence word, slot header, payload. */
	const size_t offs[] = { RS_SNAP_WRITER_OFF, RS_SNAP_SLOTS_OFF,
				RS_SNAP_SLOTS_OFF + sizeof(struct rs_snapshot_slot) + 100 };
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		struct poke p = { &r, offs[i] };
		int st = reap(spawn(poke_reader_map, &p), 10.0);
		cr_assert(signaled_with(st, SIGSEGV), "write at offset %zu: wait status %#x", offs[i], st);
	}
	cr_assert_eq(memcmp(before, h.map.base, h.map.size), 0, "the object changed");
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.status, RS_SNAPSHOT_FRESH);
	cr_assert_eq(assert_intact(buf, size), 5);

	free(before);
	free(buf);
	free(payload);
	rs_snapshot_close_reader(&r);
	rs_snapshot_close_writer(&h, true);
}

/* ---- 7. open and read errors -------------------------------------------- */

Test(snapshot, no_object_is_enoent)
{
	const char *inst = rs_test_new_instance("noobj");
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	struct rs_error err = { 0 };
	int rc = rs_snapshot_open_reader(&r, inst, KIND, 4096, &err);
	cr_assert_eq(rc, -ENOENT, "open: %d %s", rc, err.msg);
	cr_assert_null(r.map.base);
	cr_assert(strstr(err.msg, inst) != NULL, "message names the object: %s", err.msg);
}

Test(snapshot, read_before_publish_is_enodata)
{
	const uint32_t size = 4096;
	const char *inst = rs_test_new_instance("nodata");
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_create(&h, inst, KIND, size, SEC, &err), 0, "%s", err.msg);
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	open_reader(&r, inst, size);
	void *buf = malloc(size);
	cr_assert_not_null(buf);
	struct rs_snapshot_info info;
	for (int i = 0; i < 2; i++) {
		rs_error_clear(&err);
		int rc = rs_snapshot_read(&r, buf, &info, &err);
		cr_assert_eq(rc, -ENODATA, "read before publish: %d %s", rc, err.msg);
		cr_assert_eq(err.code, -ENODATA);
		cr_assert(strstr(err.msg, "nothing published") != NULL, "message: %s", err.msg);
		cr_assert_eq(info.generation, 0);
	}
	fill_payload(buf, size, 9);
	rs_snapshot_publish(&h, buf);
	memset(buf, 0, size);
	cr_assert_eq(rs_snapshot_read(&r, buf, &info, &err), 0, "%s", err.msg);
	cr_assert_eq(info.generation, 1);
	cr_assert_eq(assert_intact(buf, size), 9);
	free(buf);
	rs_snapshot_close_reader(&r);
	rs_snapshot_close_writer(&h, true);
}

Test(snapshot, wrong_size_or_kind_is_eproto)
{
	const uint32_t size = 4096;
	const char *inst = rs_test_new_instance("eproto");
	struct rs_snapshot_writer_handle h;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_create(&h, inst, KIND, size, SEC, &err), 0, "%s", err.msg);

	const struct { uint32_t kind, size; const char *a, *b; } bad[] = {
		{ KIND, 4000, "4096", "4000" },          /* smaller, same stride */
		{ KIND, 8192, "4096", "8192" },          /* larger */
		{ KIND + 1, size, "32343", "32344" },    /* 0x7e57 = 32343 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rs_snapshot_reader r;
		memset(&r, 0, sizeof r);
		rs_error_clear(&err);
		int rc = rs_snapshot_open_reader(&r, inst, bad[i].kind, bad[i].size, &err);
		cr_assert_eq(rc, -EPROTO, "kind %u size %u: %d %s", bad[i].kind, bad[i].size, rc, err.msg);
		cr_assert_eq(err.code, -EPROTO);
		cr_assert_null(r.map.base, "a refused reader keeps no mapping");
		cr_assert(strstr(err.msg, bad[i].a) != NULL && strstr(err.msg, bad[i].b) != NULL,
			  "message '%s' should name %s and %s", err.msg, bad[i].a, bad[i].b);
		cr_assert(strstr(err.msg, bad[i].kind != KIND ? "kind" : "bytes") != NULL, "%s", err.msg);
	}
	rs_snapshot_close_writer(&h, true);
}

/* A poller faster than the writer copies each generation once (skip_unchanged). */
Test(snapshot, skip_unchanged_copies_each_generation_once)
{
	const char *inst = rs_test_new_instance("skipunch");
	struct rs_snapshot_writer_handle w;
	struct rs_error err = { 0 };
	cr_assert_eq(rs_snapshot_create(&w, inst, 7, 4096, 100 * 1000 * 1000, &err), 0, "%s", err.msg);
	static unsigned char src[4096], dst[4096];
	memset(src, 0xA1, sizeof src);
	rs_snapshot_publish(&w, src);
	struct rs_snapshot_reader r;
	memset(&r, 0, sizeof r);
	cr_assert_eq(rs_snapshot_open_reader(&r, inst, 7, 4096, &err), 0, "%s", err.msg);
	r.skip_unchanged = true;
	struct rs_snapshot_info info;
	cr_assert_eq(rs_snapshot_read(&r, dst, &info, &err), 0, "%s", err.msg);
	cr_expect(!info.unchanged);
	cr_expect_eq(info.generation, 1);
	cr_expect_eq(dst[100], 0xA1);
	/* Nothing new: dst is left alone (the sentinel survives), the info still says generation 1. */
	memset(dst, 0x00, sizeof dst);
	cr_assert_eq(rs_snapshot_read(&r, dst, &info, &err), 0, "%s", err.msg);
	cr_expect(info.unchanged);
	cr_expect_eq(info.generation, 1);
	cr_expect_eq(info.status, RS_SNAPSHOT_FRESH);
	cr_expect_eq(dst[100], 0x00, "an unchanged generation was copied again");
	/* A new generation is copied. */
	memset(src, 0xB2, sizeof src);
	rs_snapshot_publish(&w, src);
	cr_assert_eq(rs_snapshot_read(&r, dst, &info, &err), 0, "%s", err.msg);
	cr_expect(!info.unchanged);
	cr_expect_eq(info.generation, 2);
	cr_expect_eq(dst[100], 0xB2);
	/* Without the option every read copies. */
	r.skip_unchanged = false;
	memset(dst, 0x00, sizeof dst);
	cr_assert_eq(rs_snapshot_read(&r, dst, &info, &err), 0, "%s", err.msg);
	cr_expect(!info.unchanged);
	cr_expect_eq(dst[100], 0xB2);
	rs_snapshot_close_reader(&r);
	rs_snapshot_close_writer(&w, true);
}
