/*
 * bench_ring.c - `routestat-bench ring`: how many 64-byte records per second
 * cross from one process to another through
 *   1. the routestat ring (common/ring.h) on a real POSIX shm object,
 *      rs_ring_push + rs_ring_flush on one side, rs_ring_consume(256) on the other;
 *   2. plain ck_ring, the typed SPSC API (one op per record), with the ck_ring_t
 *      and its buffer in a MAP_SHARED|MAP_ANONYMOUS mapping made before fork;
 *   3. a Unix SOCK_SEQPACKET socketpair, one record per send()/recv().
 *
 * Run: routestat-bench ring [--records N] [--socket-records N] [--runs R] [--pin] [--verbose]
 *
 * Method.  The producer is always the forked child, the consumer the parent.
 * Each side attaches, then they meet on a pipe; the clock (CLOCK_MONOTONIC)
 * starts when both are ready and stops when the consumer has the last record.
 * Runs are interleaved (round r: ring, ck_ring, socketpair) because this
 * machine's two vCPUs move between near and far placements (3-5x apart) every
 * few seconds: only ratios within one run mean anything.  Nobody busy-waits:
 * a producer facing a full ring and a consumer facing an empty one call
 * sched_yield(); the socketpair simply blocks.  Nothing may be dropped, so the
 * consumer checks every record's sequence number and a checksum, and a run
 * that lost, duplicated or damaged a record is reported loudly as FAIL and
 * makes the exit status 1.
 *
 * Reading it: with other load on the machine an unpinned pair often shares
 * one vCPU, where no cache line crosses cores and both rings tie (~160 M/s);
 * the load average lines and the per-round ring / ck_ring ratios show that.
 */
#include "bench_ring.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <ck_ring.h>

#include "record.h"
#include "ring.h"
#include "rs_clock.h"

/* ck_ring's typed SPSC interface for our record; ck names it by struct tag. */
CK_RING_PROTOTYPE(rsrec, rs_record)

#define BENCH_CAPACITY   RS_RING_DEFAULT_CAPACITY  /* both rings: 65,536 slots */
#define BENCH_BATCH      256u                      /* routestat consumer batch */
#define BENCH_NODE       "bench"
#define BENCH_SUM_MULT   0x9e3779b97f4a7c15ull     /* spreads the checksum word */
#define BENCH_REAP_EVERY 1024u                     /* empty polls between peer checks */

/* ---- per-run state -------------------------------------------------------- */

/* What the producer (child) reports back; read by the parent after waitpid. */
struct bench_shared {
	uint64_t producer_yields;   /* times the producer found the ring full */
	uint64_t ring_dropped;      /* routestat ring's own count of refused pushes */
};

/* The consumer's verification: sequence, count and checksum of what arrived. */
struct bench_check {
	uint64_t count;             /* records received */
	uint64_t sum;               /* sum of the checksum words */
	uint64_t out_of_sequence;   /* records whose sequence was not the next one */
	uint64_t first_expected, first_got;
};

struct bench_ctx {
	const struct bench_opts *opts;
	uint64_t n;                 /* records this run */
	struct bench_shared *shared;
	pid_t    peer;              /* the producer child */
	bool     peer_exited;
	int      peer_status;
	uint64_t consumer_yields;
	/* routestat ring */
	char     instance[RS_NAME_MAX + 1];
	struct rs_ring ring;        /* this process's side */
	/* ck_ring */
	ck_ring_t        *ck;
	struct rs_record *ck_buf;
	size_t            ck_map_size;
	/* socketpair */
	int      sock[2];
	/* the routestat consumer's batch; aligned so no record straddles two lines */
	_Alignas(64) struct rs_record batch[BENCH_BATCH];
};

/* A transport is a few functions; the runner does fork, sync, timing and checks. */
struct bench_transport {
	const char *name;
	bool slow;                                   /* uses --socket-records */
	int  (*setup)(struct bench_ctx *c);          /* parent, before fork */
	int  (*attach)(struct bench_ctx *c, bool producer); /* each side after fork; may be NULL */
	int  (*produce)(struct bench_ctx *c);        /* child: sends c->n records */
	int  (*consume)(struct bench_ctx *c, struct bench_check *v); /* parent */
	void (*teardown)(struct bench_ctx *c);       /* parent, after the child is gone */
};

/* For the signal handler: the shm object to remove and the child to kill. */
static char bench_shm_name[RS_SHM_NAME_MAX];
/* CPUs this process may use, counted before --pin narrows them (what nproc says). */
static int bench_nproc = -1;
static volatile sig_atomic_t bench_child_pid;

/* ---- records and their verification --------------------------------------- */

static const struct rs_record bench_template = {
	.kind = RS_REC_BLOCK, .provider = 1, .chain = 2, .method = RS_DICT_NONE,
	.arrival_unix_ns = 1700000000000000000ull,
};

/* Record i carries its sequence at offset 8 and a checksum word at offset 24. */
static inline void bench_fill(struct rs_record *r, uint64_t i)
{
	r->emit_unix_ms = i;
	r->u.block.height = i * BENCH_SUM_MULT;
}

static inline void bench_check_one(struct bench_check *v, const struct rs_record *r)
{
	if (r->emit_unix_ms != v->count && v->out_of_sequence++ == 0) {
		v->first_expected = v->count;
		v->first_got = r->emit_unix_ms;
	}
	v->sum += r->u.block.height;
	v->count++;
}

/* The checksum of records 0..n-1 in closed form (mod 2^64): MULT * n(n-1)/2. */
static uint64_t bench_expected_sum(uint64_t n)
{
	uint64_t tri = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
	return tri * BENCH_SUM_MULT;
}

/*
 * A consumer that found nothing yields.  Every so often it checks whether the
 * producer has exited; once it has, one more empty poll means nothing more
 * will ever come (it published everything before exiting), so stop.
 */
static bool bench_consumer_idle(struct bench_ctx *c)
{
	if (c->peer_exited)
		return true;
	if (++c->consumer_yields % BENCH_REAP_EVERY == 0 &&
	    waitpid(c->peer, &c->peer_status, WNOHANG) == c->peer) {
		c->peer_exited = true;
		return false;  /* poll once more: its last records may have landed */
	}
	sched_yield();
	return false;
}

/* ---- 1. routestat ring ---------------------------------------------------- */

/* Creates the ring object (as a producer that leaves at once) so both sides can attach. */
static int bench_rs_setup(struct bench_ctx *c)
{
	struct rs_error err = { 0 };
	struct rs_ring_params p = { .capacity = BENCH_CAPACITY };
	int rc = rs_ring_open_producer(&c->ring, c->instance, BENCH_NODE, &p, &err);
	if (rc < 0) {
		fprintf(stderr, "routestat-bench: create ring: %s\n", err.msg);
		return rc;
	}
	/* Touch every slot now so page allocation is not part of the timing. */
	memset(c->ring.records, 0, (size_t)c->ring.layout->capacity * sizeof(struct rs_record));
	rs_ring_close(&c->ring);
	return 0;
}

static int bench_rs_attach(struct bench_ctx *c, bool producer)
{
	struct rs_error err = { 0 };
	int rc = producer
		? rs_ring_open_producer(&c->ring, c->instance, BENCH_NODE, NULL, &err)
		: rs_ring_open_consumer(&c->ring, c->instance, BENCH_NODE, &err);
	if (rc < 0)
		fprintf(stderr, "routestat-bench: attach %s: %s\n",
			producer ? "producer" : "consumer", err.msg);
	return rc;
}

static int bench_rs_produce(struct bench_ctx *c)
{
	struct rs_record rec = bench_template;
	uint64_t yields = 0;
	for (uint64_t i = 0; i < c->n; i++) {
		bench_fill(&rec, i);
		while (!rs_ring_push(&c->ring, &rec)) {
			/* Full: publish the partial batch so the consumer can drain it, then let it run. */
			rs_ring_flush(&c->ring);
			yields++;
			sched_yield();
		}
	}
	rs_ring_flush(&c->ring);
	c->shared->producer_yields = yields;
	c->shared->ring_dropped = ck_pr_load_64(&c->ring.prod->dropped);
	rs_ring_close(&c->ring);
	return 0;
}

static int bench_rs_consume(struct bench_ctx *c, struct bench_check *v)
{
	while (v->count < c->n) {
		long got = rs_ring_consume(&c->ring, c->batch, BENCH_BATCH);
		if (got < 0)
			return (int)got;
		if (got == 0 && bench_consumer_idle(c))
			break;
		for (long i = 0; i < got; i++)
			bench_check_one(v, &c->batch[i]);
	}
	return 0;
}

static void bench_rs_teardown(struct bench_ctx *c)
{
	rs_ring_close(&c->ring);
	rs_shm_remove(bench_shm_name);  /* the instance's only object; a fresh one per run */
}

/* ---- 2. plain ck_ring ----------------------------------------------------- */

/* The ck_ring_t gets the first page; the buffer starts page-aligned after it. */
static int bench_ck_setup(struct bench_ctx *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	c->ck_map_size = page + (size_t)BENCH_CAPACITY * sizeof(struct rs_record);
	void *m = mmap(NULL, c->ck_map_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fprintf(stderr, "routestat-bench: mmap ck_ring: %s\n", strerror(errno));
		return -errno;
	}
	c->ck = m;
	c->ck_buf = (struct rs_record *)((char *)m + page);
	/* Same prefault as the routestat ring, for the same reason. */
	memset(c->ck_buf, 0, (size_t)BENCH_CAPACITY * sizeof(struct rs_record));
	ck_ring_init(c->ck, BENCH_CAPACITY);  /* usable capacity is BENCH_CAPACITY - 1 */
	return 0;
}

static int bench_ck_produce(struct bench_ctx *c)
{
	struct rs_record rec = bench_template;
	uint64_t yields = 0;
	for (uint64_t i = 0; i < c->n; i++) {
		bench_fill(&rec, i);
		while (!ck_ring_enqueue_spsc_rsrec(c->ck, c->ck_buf, &rec)) {
			yields++;
			sched_yield();
		}
	}
	c->shared->producer_yields = yields;
	return 0;
}

static int bench_ck_consume(struct bench_ctx *c, struct bench_check *v)
{
	struct rs_record rec;
	while (v->count < c->n) {
		if (ck_ring_dequeue_spsc_rsrec(c->ck, c->ck_buf, &rec))
			bench_check_one(v, &rec);
		else if (bench_consumer_idle(c))
			break;
	}
	return 0;
}

static void bench_ck_teardown(struct bench_ctx *c)
{
	munmap(c->ck, c->ck_map_size);
	c->ck = NULL;
}

/* ---- 3. socketpair -------------------------------------------------------- */

/* SEQPACKET keeps record boundaries and, unlike DGRAM, reports EOF when the peer exits. */
static int bench_sock_setup(struct bench_ctx *c)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->sock) < 0) {
		fprintf(stderr, "routestat-bench: socketpair: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Each side closes the other's end, so the consumer sees EOF if the producer dies. */
static int bench_sock_attach(struct bench_ctx *c, bool producer)
{
	close(c->sock[producer ? 0 : 1]);
	return 0;
}

static int bench_sock_produce(struct bench_ctx *c)
{
	struct rs_record rec = bench_template;
	for (uint64_t i = 0; i < c->n; i++) {
		bench_fill(&rec, i);
		ssize_t s;
		do
			s = send(c->sock[1], &rec, sizeof rec, 0);  /* blocks when full */
		while (s < 0 && errno == EINTR);
		if (s != (ssize_t)sizeof rec) {
			fprintf(stderr, "routestat-bench: send: %s\n", s < 0 ? strerror(errno) : "short");
			return -1;
		}
	}
	close(c->sock[1]);
	return 0;
}

static int bench_sock_consume(struct bench_ctx *c, struct bench_check *v)
{
	struct rs_record rec;
	while (v->count < c->n) {
		ssize_t r = recv(c->sock[0], &rec, sizeof rec, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			break;  /* producer gone: the count check reports what is missing */
		if (r != (ssize_t)sizeof rec)
			return r < 0 ? -errno : -EPROTO;
		bench_check_one(v, &rec);
	}
	return 0;
}

static void bench_sock_teardown(struct bench_ctx *c)
{
	close(c->sock[0]);
}

static const struct bench_transport bench_transports[] = {
	{ "routestat ring", false, bench_rs_setup, bench_rs_attach,
	  bench_rs_produce, bench_rs_consume, bench_rs_teardown },
	{ "ck_ring", false, bench_ck_setup, NULL,
	  bench_ck_produce, bench_ck_consume, bench_ck_teardown },
	{ "socketpair", true, bench_sock_setup, bench_sock_attach,
	  bench_sock_produce, bench_sock_consume, bench_sock_teardown },
};

#define BENCH_NTRANSPORTS (sizeof bench_transports / sizeof bench_transports[0])
#define BENCH_BASELINE    (BENCH_NTRANSPORTS - 1)  /* ratios are to the socketpair */

/* ---- CPUs and signals ----------------------------------------------------- */

/* The first two CPUs this process may run on: consumer on cpu[0], producer on cpu[1]. */
static int bench_pick_cpus(int cpu[2])
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) < 0)
		return -errno;
	int found = 0;
	for (int i = 0; i < CPU_SETSIZE && found < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[found++] = i;
	return found == 2 ? 0 : -ENODEV;
}

static int bench_pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set) < 0 ? -errno : 0;
}

/* SIGINT/SIGTERM: leave no shm object and no child behind, then die of the signal. */
static void bench_on_signal(int sig)
{
	if (bench_shm_name[0] != '\0')
		shm_unlink(bench_shm_name);
	if (bench_child_pid > 0)
		kill((pid_t)bench_child_pid, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- one run -------------------------------------------------------------- */

/* Child: attach, say ready, wait for go, produce, exit.  Never returns. */
static void bench_child(struct bench_ctx *c, const struct bench_transport *t,
			int ready_fd, int go_fd, int cpu)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlive an interrupted parent */
	if (cpu >= 0 && bench_pin(cpu) < 0)
		_exit(3);
	if (t->attach && t->attach(c, true) < 0)
		_exit(4);
	char b = 'r';
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 1)
		_exit(5);
	_exit(t->produce(c) < 0 ? 6 : 0);
}

struct bench_result {
	double   seconds;
	bool     ok;
	uint64_t consumer_yields, producer_yields, ring_dropped;
};

/* Says loudly what went wrong with a run; returns whether the run is valid. */
static bool bench_verify(const struct bench_transport *t, unsigned run, const struct bench_ctx *c,
			 const struct bench_check *v, int consume_rc)
{
	bool ok = true;
	const char *who = t->name;
	if (consume_rc < 0) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: consumer error: %s\n",
			who, run, strerror(-consume_rc));
		ok = false;
	}
	if (!WIFEXITED(c->peer_status) || WEXITSTATUS(c->peer_status) != 0) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: producer %s %d\n", who, run,
			WIFSIGNALED(c->peer_status) ? "killed by signal" : "exited with status",
			WIFSIGNALED(c->peer_status) ? WTERMSIG(c->peer_status)
						    : WEXITSTATUS(c->peer_status));
		ok = false;
	}
	if (v->count != c->n) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: received %" PRIu64 " of %" PRIu64
			" records\n", who, run, v->count, c->n);
		ok = false;
	}
	if (v->out_of_sequence != 0) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: %" PRIu64 " records out of sequence"
			" (first: expected %" PRIu64 ", got %" PRIu64 ")\n", who, run,
			v->out_of_sequence, v->first_expected, v->first_got);
		ok = false;
	}
	if (v->count == c->n && v->sum != bench_expected_sum(c->n)) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: checksum mismatch\n", who, run);
		ok = false;
	}
	return ok;
}

/* Parent side once the child exists: attach, meet, time the consume, reap. */
static int bench_parent(struct bench_ctx *c, const struct bench_transport *t, int ready_fd,
			int go_fd, struct bench_check *v, double *seconds)
{
	int rc = t->attach ? t->attach(c, false) : 0;
	char b;
	if (rc == 0 && read(ready_fd, &b, 1) != 1)
		rc = -EPIPE;  /* the child died before it was ready; its status says why */
	if (rc == 0) {
		uint64_t t0 = rs_mono_ns();
		if (write(go_fd, &b, 1) != 1)
			rc = -EPIPE;
		else
			rc = t->consume(c, v);
		*seconds = (double)(rs_mono_ns() - t0) / 1e9;
	}
	if (rc < 0)
		kill(c->peer, SIGKILL);  /* a producer facing a dead consumer would wait forever */
	if (!c->peer_exited)
		waitpid(c->peer, &c->peer_status, 0);
	return rc;
}

static void bench_close_pipes(int a[2], int b[2])
{
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
}

static void bench_run_one(struct bench_ctx *c, const struct bench_transport *t, unsigned run,
			  int child_cpu, struct bench_result *res)
{
	*res = (struct bench_result){ 0 };
	c->n = t->slow ? c->opts->socket_records : c->opts->records;
	c->peer_exited = false;
	c->peer_status = 0;
	c->consumer_yields = 0;
	memset(c->shared, 0, sizeof *c->shared);
	int ready[2], go[2];
	if (pipe(ready) < 0)
		ready[0] = ready[1] = -1;
	if (ready[0] < 0 || pipe(go) < 0) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: pipe: %s\n", t->name, run,
			strerror(errno));
		if (ready[0] >= 0) {
			close(ready[0]);
			close(ready[1]);
		}
		return;
	}
	if (t->setup(c) < 0) {
		fprintf(stderr, "routestat-bench: FAILED %s run %u: setup\n", t->name, run);
		bench_close_pipes(ready, go);
		return;
	}
	fflush(NULL);  /* the child must not inherit and re-emit buffered output */
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		bench_child(c, t, ready[1], go[0], child_cpu);
	}
	struct bench_check v = { 0 };
	int rc = -ECHILD;
	if (pid > 0) {
		c->peer = pid;
		bench_child_pid = pid;
		close(ready[1]);  /* so read() sees EOF if the child dies before "ready" */
		close(go[0]);
		ready[1] = go[0] = -1;
		rc = bench_parent(c, t, ready[0], go[1], &v, &res->seconds);
		bench_child_pid = 0;
	} else {
		fprintf(stderr, "routestat-bench: fork: %s\n", strerror(errno));
		c->peer_status = W_EXITCODE(127, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0) close(ready[i]);
		if (go[i] >= 0) close(go[i]);
	}
	t->teardown(c);
	res->ok = pid > 0 && bench_verify(t, run, c, &v, rc);
	res->consumer_yields = c->consumer_yields;
	res->producer_yields = c->shared->producer_yields;
	res->ring_dropped = c->shared->ring_dropped;
}

/* ---- the table ------------------------------------------------------------ */

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of the valid runs (rate > 0); 0 when there is none. */
static double bench_median(const double *rates, unsigned runs)
{
	double s[runs];
	unsigned k = 0;
	for (unsigned i = 0; i < runs; i++)
		if (rates[i] > 0)
			s[k++] = rates[i];
	if (k == 0)
		return 0;
	qsort(s, k, sizeof s[0], bench_cmp_double);
	return k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

/* Three significant-ish digits: 214.3, 18.2, 0.93. */
static void bench_print_rate(double mrps)
{
	if (mrps <= 0)
		printf(" %7s", "FAIL");
	else
		printf(mrps >= 10 ? " %7.1f" : " %7.2f", mrps);
}

static void bench_cpu_model(char *out, size_t len)
{
	snprintf(out, len, "unknown cpu");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(out, len, "%s", colon + 2);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static void bench_print_header(const struct bench_opts *o, const int cpu[2])
{
	struct utsname u;
	if (uname(&u) < 0)
		snprintf(u.release, sizeof u.release, "unknown");
	char date[64], model[128];
	time_t now = time(NULL);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	bench_cpu_model(model, sizeof model);
	char pin[64] = "unpinned";
	if (o->pin)
		snprintf(pin, sizeof pin, "pinned (consumer cpu%d, producer cpu%d)", cpu[0], cpu[1]);
	printf("routestat-bench ring: 64-byte records, 2 processes, %u runs interleaved, %s, "
	       "nproc=%d, kernel %s\n", o->runs, pin, bench_nproc, u.release);
	printf("%s, %s; records per run: rings %" PRIu64 ", socketpair %" PRIu64
	       "; capacity %u, routestat consumer batch %u\n",
	       date, model, o->records, o->socket_records, BENCH_CAPACITY, BENCH_BATCH);
}

static void bench_print_table(const struct bench_opts *o, double rates[][o->runs])
{
	printf("%-16s", "transport");
	for (unsigned r = 0; r < o->runs; r++) {
		char h[16];
		snprintf(h, sizeof h, "run%u", r + 1);
		printf(" %7s", h);
	}
	printf(" %8s  %s\n", "median", "x socketpair");
	double base = bench_median(rates[BENCH_BASELINE], o->runs);
	for (size_t t = 0; t < BENCH_NTRANSPORTS; t++) {
		printf("%-16s", bench_transports[t].name);
		for (unsigned r = 0; r < o->runs; r++)
			bench_print_rate(rates[t][r]);
		double med = bench_median(rates[t], o->runs);
		printf(" ");
		bench_print_rate(med);
		if (med > 0 && base > 0)
			printf("  %11.1f\n", med / base);
		else
			printf("  %11s\n", "-");
	}
	printf("(M records/s)\n");
}

/*
 * The two rings of one round ran seconds apart, so their ratio is the figure
 * least disturbed by the vCPUs moving or by other load on the machine.
 */
static void bench_print_round_ratios(const struct bench_opts *o, double rates[][o->runs])
{
	double ratio[o->runs];
	printf("%s / %s, same round:", bench_transports[0].name, bench_transports[1].name);
	for (unsigned r = 0; r < o->runs; r++) {
		bool ok = rates[0][r] > 0 && rates[1][r] > 0;
		ratio[r] = ok ? rates[0][r] / rates[1][r] : 0;
		if (ok)
			printf(" %.2f", ratio[r]);
		else
			printf(" -");
	}
	double med = bench_median(ratio, o->runs);
	if (med > 0)
		printf("; median %.2f\n", med);
	else
		printf("; median -\n");
}

/* Other processes' load shares the 2 vCPUs with the benchmark: say how much there was. */
static void bench_print_load(const char *when)
{
	double la[1];
	if (getloadavg(la, 1) == 1)
		printf("load average %s: %.2f\n", when, la[0]);
}

static void bench_print_run(const struct bench_transport *t, unsigned run, const struct bench_ctx *c,
			    const struct bench_result *res)
{
	fprintf(stderr, "  run %u %-15s %10" PRIu64 " records %8.4f s  %s  producer yields %" PRIu64
		", consumer yields %" PRIu64 ", ring refused pushes %" PRIu64 "\n",
		run, t->name, c->n, res->seconds, res->ok ? "ok  " : "FAIL",
		res->producer_yields, res->consumer_yields, res->ring_dropped);
}

/* ---- entry point ---------------------------------------------------------- */

static void bench_install_signals(void)
{
	struct sigaction sa = { .sa_handler = bench_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Sets up what every run shares: names, the report page, pinning, signals. */
static int bench_prepare(struct bench_ctx *c, const struct bench_opts *o, int cpu[2])
{
	c->opts = o;
	snprintf(c->instance, sizeof c->instance, "bench%ld", (long)getpid());
	struct rs_error err = { 0 };
	if (rs_ring_object_name(bench_shm_name, c->instance, BENCH_NODE, &err) < 0) {
		fprintf(stderr, "routestat-bench: %s\n", err.msg);
		return -1;
	}
	c->shared = mmap(NULL, sizeof *c->shared, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->shared == MAP_FAILED) {
		fprintf(stderr, "routestat-bench: mmap: %s\n", strerror(errno));
		return -1;
	}
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		bench_nproc = CPU_COUNT(&set);
	cpu[0] = cpu[1] = -1;
	if (o->pin && (bench_pick_cpus(cpu) < 0 || bench_pin(cpu[0]) < 0)) {
		fprintf(stderr, "routestat-bench: --pin needs two CPUs this process may use\n");
		return -1;
	}
	bench_install_signals();
	return 0;
}

int bench_ring_run(const struct bench_opts *o)
{
	static struct bench_ctx ctx;  /* static: it holds a 16 KiB batch buffer */
	struct bench_ctx *c = &ctx;
	int cpu[2];
	if (bench_prepare(c, o, cpu) < 0)
		return 1;
	bench_print_header(o, cpu);
	bench_print_load("at the start");
	fflush(stdout);
	double (*rates)[o->runs] = calloc(BENCH_NTRANSPORTS, sizeof *rates);
	if (rates == NULL)
		return 1;
	unsigned failed = 0;
	for (unsigned r = 0; r < o->runs; r++) {
		for (size_t t = 0; t < BENCH_NTRANSPORTS; t++) {
			struct bench_result res;
			bench_run_one(c, &bench_transports[t], r + 1, cpu[1], &res);
			rates[t][r] = res.ok && res.seconds > 0 ? (double)c->n / res.seconds / 1e6 : 0;
			failed += !res.ok;
			if (o->verbose)
				bench_print_run(&bench_transports[t], r + 1, c, &res);
		}
	}
	bench_print_table(o, rates);
	bench_print_round_ratios(o, rates);
	if (failed)
		printf("VERIFICATION FAILED: %u of %zu runs lost, duplicated or damaged records "
		       "(details on stderr); their rates are left out\n",
		       failed, o->runs * BENCH_NTRANSPORTS);
	else
		printf("verified: every run delivered every record once, in order, checksum ok\n");
	bench_print_load("at the end (over the last minute, this benchmark included)");
	free(rates);
	munmap(c->shared, sizeof *c->shared);
	rs_shm_remove(bench_shm_name);  /* nothing left behind even after a failed run */
	return failed ? 1 : 0;
}
