/*
 * bench_viewers.c - `routestat-bench viewers`: does attaching many live
 * dashboards change the aggregator?  The goal: no measurable
 * difference between 0 and 200 viewers at a 100 ms refresh.
 *
 * Setup: the worst scenario of dashboard-model.md with the real binaries,
 * under a private instance: routestat-aggregator (default 500 ms tick) and
 * seven routestat-ingest --source synthetic --rate 3000 (21,000 events/s).
 * Viewers are real routestat-view processes in dashboard mode, each on its
 * own pseudo-terminal (forkpty, 120x40, TERM=xterm-256color, --refresh-ms
 * 100), so the measured code is the real terminal UI: snapshot read,
 * validation, model, layout, curses diffing and output.  This process plays
 * their terminals: it reads and discards what they draw.
 *
 * Method: after a warm-up that fills the aggregator's 60 s window (its tick
 * cost grows until then; ROUTESTAT_BENCH_WARMUP_S, default 65), phases go
 * 0, N, N, 0, 0, N, N, 0, ... viewers (--runs R pairs; the ABBA order
 * cancels a slow drift; N from ROUTESTAT_BENCH_VIEWERS, default 200; phase
 * length ROUTESTAT_BENCH_PHASE_S, default 10 s).  Viewers start before a
 * phase and stop after it, outside the measured time.  During a phase the
 * aggregator's own figures are sampled from its snapshot at 20 Hz (the
 * same read a viewer does, in both kinds of phase): last_tick_us of every
 * tick (drain + compute + publish), drained_total over the publication
 * times (throughput), missed_ticks, the rings' dropped counts; CPU times
 * come from /proc/<pid>/stat.  Per phase: median, p95 and max tick; over
 * the phases of each kind: the median of those, and the ratio N / 0.  The
 * two vCPUs of the project's machine move (machine-notes.md): only the
 * interleaved comparison means anything, and the spread between phases of
 * the same kind is the noise.
 *
 * ROUTESTAT_BENCH_NICE=n starts the viewers niced, to tell CPU contention
 * (the machine has two vCPUs) from any effect through the snapshot.
 * ROUTESTAT_BENCH_VIEW_ARGS adds options to every viewer's command line
 * (words split on spaces), e.g. "--read-during-ticks" to measure dashboards
 * that do not keep out of the aggregator's ticks.
 *
 * Binaries come from ROUTESTAT_BIN_DIR (like tools/routestat-up) or, by
 * default, the build tree this routestat-bench belongs to.  Every child
 * gets PR_SET_PDEATHSIG, so nothing outlives the benchmark.
 */
#include "bench_viewers.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics_snapshot.h"
#include "rs_clock.h"
#include "shm_object.h"
#include "snapshot.h"

#define NODES            7
#define NODE_RATE        "3000"
#define DEFAULT_VIEWERS  200u
#define MAX_VIEWERS      1000u
#define DEFAULT_PHASE_S  10u
#define REFRESH_MS       "100"
#define DEFAULT_WARMUP_S 65u   /* the aggregator's 60 s window full: its tick cost settles */
#define SETTLE_S         1.0
#define START_WAIT_S     20.0
#define SAMPLE_NS        50000000ull    /* 20 Hz */
#define MAX_TICKS        4096u
#define PTY_COLS         120
#define PTY_ROWS         40
#define MAX_VIEW_ARGS    8

static const char *const node_names[NODES] = { "us-west-2", "us-east-1", "eu-central-1",
	"ap-southeast-1", "sa-east-1", "eu-west-1", "ap-northeast-1" };

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct viewer {
	pid_t    pid;
	int      master;       /* -1: closed */
	uint64_t bytes;        /* drawn so far */
	uint64_t cpu_start;    /* run ns at the phase start */
	bool     measured;     /* cpu_start is valid */
};

struct phase_result {
	unsigned viewers;      /* asked for */
	unsigned alive;        /* still running at the end of the phase */
	size_t   ticks;
	double   tick_med, tick_p95, tick_max;  /* us */
	double   drained_per_s, offered_per_s;
	uint64_t dropped, missed;
	double   agg_cpu_pct, agg_wait_ms_per_s, viewers_cpu_pct, term_cpu_pct;
	double   pty_kb_per_s;
};

struct bench {
	char     bin_aggregator[PATH_MAX], bin_ingest[PATH_MAX], bin_view[PATH_MAX];
	char     instance[RS_NAME_MAX + 1];
	pid_t    aggregator, ingest[NODES];
	struct viewer *v;
	unsigned n_viewers, want_viewers;
	int      viewer_nice;  /* ROUTESTAT_BENCH_NICE: viewers' nice increment (0: as started) */
	char     view_args_text[256];              /* ROUTESTAT_BENCH_VIEW_ARGS */
	char    *view_args[MAX_VIEW_ARGS];
	unsigned n_view_args;
	int      epfd;
	struct rs_snapshot_reader reader;
	bool     reader_open;
	struct rs_metrics_snapshot *snap;
	uint64_t last_gen;
	uint64_t ticks_us[MAX_TICKS];
	size_t   n_ticks;
};

/* ---- small helpers ------------------------------------------------------------ */

static double now_s(void)
{
	return (double)rs_mono_ns() / 1e9;
}

static unsigned env_count(const char *name, unsigned def, unsigned lo, unsigned hi)
{
	const char *s = getenv(name);
	if (s == NULL || *s == '\0')
		return def;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "routestat-bench viewers: %s=%s: want %u..%u, using %u\n", name, s, lo,
			hi, def);
		return def;
	}
	return (unsigned)v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median_d(double *v, size_t n)
{
	if (n == 0)
		return 0.0;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/*
 * Time a process has run and has waited for a CPU (run queue), in ns, from
 * /proc/<pid>/schedstat; false when it is gone.  The wait is what other
 * processes (viewers included) cost it.
 */
static bool proc_sched(pid_t pid, uint64_t *run_ns, uint64_t *wait_ns)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	unsigned long long run = 0, wait = 0;
	int n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	*run_ns = run;
	*wait_ns = wait;
	return n == 2;
}

static uint64_t self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec
		+ (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

/* ---- processes ------------------------------------------------------------------ */

static int find_binaries(struct bench *b)
{
	char dir[PATH_MAX - 64];   /* room for the program paths below */
	const char *env = getenv("ROUTESTAT_BIN_DIR");
	if (env && *env) {
		snprintf(dir, sizeof dir, "%s", env);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0) {
			perror("routestat-bench viewers: readlink /proc/self/exe");
			return -1;
		}
		self[n] = '\0';
		snprintf(dir, sizeof dir, "%s", dirname(dirname(self)));   /* <build>/tools/x -> <build> */
	}
	snprintf(b->bin_aggregator, sizeof b->bin_aggregator, "%s/aggregator/routestat-aggregator", dir);
	snprintf(b->bin_ingest, sizeof b->bin_ingest, "%s/ingest/routestat-ingest", dir);
	snprintf(b->bin_view, sizeof b->bin_view, "%s/viewer/routestat-view", dir);
	const char *bins[3] = { b->bin_aggregator, b->bin_ingest, b->bin_view };
	for (int i = 0; i < 3; i++)
		if (access(bins[i], X_OK) != 0) {
			fprintf(stderr, "routestat-bench viewers: %s: %s (set ROUTESTAT_BIN_DIR to the "
				"build directory)\n", bins[i], strerror(errno));
			return -1;
		}
	return 0;
}

/* ROUTESTAT_BENCH_VIEW_ARGS: extra viewer options, split on spaces. */
static void split_view_args(struct bench *b)
{
	const char *env = getenv("ROUTESTAT_BENCH_VIEW_ARGS");
	snprintf(b->view_args_text, sizeof b->view_args_text, "%s", env ? env : "");
	char *save = NULL;
	for (char *w = strtok_r(b->view_args_text, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save)) {
		if (b->n_view_args == MAX_VIEW_ARGS) {
			fprintf(stderr, "routestat-bench viewers: ROUTESTAT_BENCH_VIEW_ARGS: more than %d "
				"words, ignoring '%s' and after\n", MAX_VIEW_ARGS, w);
			break;
		}
		b->view_args[b->n_view_args++] = w;
	}
}

/* In a child: die with the benchmark, quiet, default signals. */
static void child_setup(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

static pid_t spawn_quiet(const char *const *argv)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	child_setup();
	int null = open("/dev/null", O_RDWR);
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static int start_pipeline(struct bench *b)
{
	const char *agg[] = { b->bin_aggregator, "--instance", b->instance, "--quiet", NULL };
	b->aggregator = spawn_quiet(agg);
	for (int i = 0; i < NODES; i++) {
		const char *argv[] = { b->bin_ingest, "--instance", b->instance, "--node", node_names[i],
				       "--source", "synthetic", "--rate", NODE_RATE, NULL };
		b->ingest[i] = spawn_quiet(argv);
	}
	if (b->aggregator < 0)
		return -1;
	for (int i = 0; i < NODES; i++)
		if (b->ingest[i] < 0)
			return -1;
	return 0;
}

static void stop_pid(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static void remove_object(const char *name, void *arg)
{
	(void)arg;
	rs_shm_remove(name);
}

/* ---- sampling the aggregator ----------------------------------------------------- */

static int read_snapshot(struct bench *b, struct rs_snapshot_info *info)
{
	struct rs_error err;
	if (!b->reader_open) {
		if (rs_snapshot_open_reader(&b->reader, b->instance, RS_METRICS_SCHEMA,
					    (uint32_t)sizeof *b->snap, &err) < 0)
			return -1;
		b->reader_open = true;
	}
	if (rs_snapshot_read(&b->reader, b->snap, info, &err) < 0)
		return -1;
	return rs_metrics_validate(b->snap, &err) < 0 ? -1 : 0;
}

/* Records the tick of every new generation. */
static void sample(struct bench *b)
{
	struct rs_snapshot_info info;
	if (read_snapshot(b, &info) < 0 || info.generation == b->last_gen)
		return;
	b->last_gen = info.generation;
	if (b->n_ticks < MAX_TICKS)
		b->ticks_us[b->n_ticks++] = b->snap->self.last_tick_us;
}

struct counters {
	uint64_t published_ns, drained, missed, dropped, produced;
	uint64_t agg_run_ns, agg_wait_ns, self_cpu_us;
	double   t;
};

static int counters(struct bench *b, struct counters *c)
{
	struct rs_snapshot_info info;
	if (read_snapshot(b, &info) < 0)
		return -1;
	const struct rs_metrics_snapshot *s = b->snap;
	*c = (struct counters){ .published_ns = info.published_unix_ns,
				.drained = s->self.drained_total, .missed = s->self.missed_ticks,
				.dropped = s->totals.dropped, .self_cpu_us = self_cpu_us(),
				.t = now_s() };
	if (!proc_sched(b->aggregator, &c->agg_run_ns, &c->agg_wait_ns))
		return -1;
	for (uint32_t i = 0; i < s->n_nodes; i++)
		c->produced += s->nodes[i].produced + s->nodes[i].dropped;
	return 0;
}

/* ---- the viewers' terminals --------------------------------------------------------- */

static void close_viewer(struct bench *b, struct viewer *v)
{
	if (v->master >= 0) {
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, v->master, NULL);
		close(v->master);
		v->master = -1;
	}
}

/* Reads what the viewers drew, for up to timeout_ms; returns bytes read. */
static uint64_t pump(struct bench *b, int timeout_ms)
{
	struct epoll_event ev[64];
	static char buf[65536];
	uint64_t total = 0;
	int n = epoll_wait(b->epfd, ev, 64, timeout_ms);
	for (int i = 0; i < n; i++) {
		struct viewer *v = ev[i].data.ptr;
		for (;;) {
			ssize_t r = read(v->master, buf, sizeof buf);
			if (r > 0) {
				v->bytes += (uint64_t)r;
				total += (uint64_t)r;
				continue;
			}
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			close_viewer(b, v);              /* EIO: the viewer's side is closed */
			break;
		}
	}
	return total;
}

static int start_viewers(struct bench *b, unsigned n)
{
	struct winsize ws = { .ws_row = PTY_ROWS, .ws_col = PTY_COLS };
	for (unsigned i = 0; i < n; i++) {
		struct viewer *v = &b->v[i];
		*v = (struct viewer){ .master = -1 };
		pid_t pid = forkpty(&v->master, NULL, NULL, &ws);
		if (pid < 0) {
			fprintf(stderr, "routestat-bench viewers: forkpty (viewer %u): %s\n", i,
				strerror(errno));
			b->n_viewers = i;
			return -1;
		}
		if (pid == 0) {
			child_setup();
			if (b->viewer_nice && nice(b->viewer_nice) < 0)
				_exit(126);
			setenv("TERM", "xterm-256color", 1);
			setenv("LANG", "C.UTF-8", 1);
			const char *argv[6 + MAX_VIEW_ARGS] = { b->bin_view, "--instance", b->instance,
							       "--refresh-ms", REFRESH_MS };
			for (unsigned a = 0; a < b->n_view_args; a++)
				argv[5 + a] = b->view_args[a];
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
		v->pid = pid;
		fcntl(v->master, F_SETFL, fcntl(v->master, F_GETFL) | O_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = v };
		epoll_ctl(b->epfd, EPOLL_CTL_ADD, v->master, &ev);
		b->n_viewers = i + 1;
		if (i % 16 == 15)
			pump(b, 0);                      /* keep early viewers from blocking on output */
	}
	/* Wait until every viewer has drawn its dashboard once. */
	double deadline = now_s() + START_WAIT_S;
	for (;;) {
		unsigned drawn = 0;
		for (unsigned i = 0; i < b->n_viewers; i++)
			drawn += b->v[i].bytes > 4096;
		if (drawn == b->n_viewers)
			return 0;
		if (now_s() > deadline || interrupted) {
			fprintf(stderr, "routestat-bench viewers: only %u of %u viewers drew a screen\n",
				drawn, b->n_viewers);
			return -1;
		}
		pump(b, 100);
	}
}

static void stop_viewers(struct bench *b)
{
	for (unsigned i = 0; i < b->n_viewers; i++)
		if (b->v[i].pid > 0)
			kill(b->v[i].pid, SIGTERM);
	double deadline = now_s() + 10.0;
	unsigned left = b->n_viewers;
	while (left > 0) {
		pump(b, 20);                             /* their last output must not block them */
		left = 0;
		for (unsigned i = 0; i < b->n_viewers; i++) {
			struct viewer *v = &b->v[i];
			if (v->pid <= 0)
				continue;
			if (waitpid(v->pid, NULL, WNOHANG) == v->pid)
				v->pid = 0;
			else if (now_s() > deadline)
				kill(v->pid, SIGKILL);
			else
				left++;
		}
	}
	for (unsigned i = 0; i < b->n_viewers; i++)
		close_viewer(b, &b->v[i]);
	b->n_viewers = 0;
}

/* ---- one phase ------------------------------------------------------------------------ */

static int run_phase(struct bench *b, unsigned viewers, double seconds, struct phase_result *r)
{
	*r = (struct phase_result){ .viewers = viewers };
	if (viewers > 0 && start_viewers(b, viewers) < 0)
		return -1;
	double settle_end = now_s() + SETTLE_S;
	while (now_s() < settle_end)
		pump(b, 50);

	struct counters c0, c1;
	uint64_t ignore;
	for (unsigned i = 0; i < b->n_viewers; i++)
		b->v[i].measured = proc_sched(b->v[i].pid, &b->v[i].cpu_start, &ignore);
	uint64_t bytes = 0;
	if (counters(b, &c0) < 0)
		return -1;
	b->n_ticks = 0;
	b->last_gen = 0;
	sample(b);
	b->n_ticks = 0;                              /* the tick before the phase does not count */
	uint64_t next = rs_mono_ns() + SAMPLE_NS, end = rs_mono_ns() + (uint64_t)(seconds * 1e9);
	while (!interrupted) {
		uint64_t now = rs_mono_ns();
		if (now >= end)
			break;
		if (now >= next) {
			sample(b);
			next += SAMPLE_NS;
			continue;
		}
		bytes += pump(b, (int)((next - now) / 1000000u) + 1);
	}
	if (counters(b, &c1) < 0)
		return -1;
	uint64_t viewers_cpu = 0;
	for (unsigned i = 0; i < b->n_viewers; i++) {
		uint64_t t;
		if (!b->v[i].measured || !proc_sched(b->v[i].pid, &t, &ignore))
			continue;
		r->alive += b->v[i].master >= 0;
		viewers_cpu += t > b->v[i].cpu_start ? t - b->v[i].cpu_start : 0;
	}
	if (viewers > 0)
		stop_viewers(b);

	double wall = c1.t - c0.t, pub_s = (double)(c1.published_ns - c0.published_ns) / 1e9;
	r->ticks = b->n_ticks;
	qsort(b->ticks_us, b->n_ticks, sizeof b->ticks_us[0], cmp_u64);
	if (b->n_ticks) {
		r->tick_med = (double)b->ticks_us[b->n_ticks / 2];
		size_t rank = (b->n_ticks * 95 + 99) / 100;    /* nearest rank, 1-based */
		r->tick_p95 = (double)b->ticks_us[rank - 1];
		r->tick_max = (double)b->ticks_us[b->n_ticks - 1];
	}
	r->drained_per_s = pub_s > 0 ? (double)(c1.drained - c0.drained) / pub_s : 0;
	r->offered_per_s = pub_s > 0 ? (double)(c1.produced - c0.produced) / pub_s : 0;
	r->dropped = c1.dropped - c0.dropped;
	r->missed = c1.missed - c0.missed;
	r->agg_cpu_pct = 100.0 * (double)(c1.agg_run_ns - c0.agg_run_ns) / 1e9 / wall;
	r->agg_wait_ms_per_s = (double)(c1.agg_wait_ns - c0.agg_wait_ns) / 1e6 / wall;
	r->viewers_cpu_pct = 100.0 * (double)viewers_cpu / 1e9 / wall;
	r->term_cpu_pct = 100.0 * (double)(c1.self_cpu_us - c0.self_cpu_us) / 1e6 / wall;
	r->pty_kb_per_s = (double)bytes / 1024.0 / wall;
	return 0;
}

static void print_phase(unsigned i, const struct phase_result *r)
{
	printf("%5u %7u %5u %6zu %8.0f %8.0f %8.0f %10.0f %10.0f %7" PRIu64 " %6" PRIu64
	       " %8.2f %8.2f %8.1f %9.1f %8.0f\n",
	       i, r->viewers, r->alive, r->ticks, r->tick_med, r->tick_p95, r->tick_max,
	       r->drained_per_s, r->offered_per_s, r->dropped, r->missed, r->agg_cpu_pct,
	       r->agg_wait_ms_per_s, r->viewers_cpu_pct, r->term_cpu_pct, r->pty_kb_per_s);
	fflush(stdout);
}

/*
 * Median over the phases of one kind, with min..max as the noise; the ratio
 * with / without, and whether the median with viewers lies within the range
 * the phases without them spread over ("within noise").
 */
static void summary_line(const char *what, const struct phase_result *res, size_t n, size_t offset,
			 int prec, bool judge)
{
	double with[64], without[64];
	size_t nw = 0, no = 0;
	for (size_t i = 0; i < n && i < 64; i++) {
		double v = *(const double *)((const char *)&res[i] + offset);
		if (res[i].viewers)
			with[nw++] = v;
		else
			without[no++] = v;
	}
	double m0 = median_d(without, no), m1 = median_d(with, nw);   /* sorts both */
	printf("  %-22s %10.*f (%.*f..%.*f)  %10.*f (%.*f..%.*f)", what, prec, m0, prec,
	       no ? without[0] : 0.0, prec, no ? without[no - 1] : 0.0, prec, m1, prec,
	       nw ? with[0] : 0.0, prec, nw ? with[nw - 1] : 0.0);
	if (m0 > 0)
		printf("  ratio %.3f", m1 / m0);
	/* The noise: how far phases without viewers differ among themselves. */
	if (judge && no >= 2 && nw > 0)
		printf("  %s", m1 >= without[0] && m1 <= without[no - 1] ? "within noise"
		       : "OUTSIDE the 0-viewer range");
	putchar('\n');
}

/* Each phase with viewers against the mean of the phases without next to it. */
static void paired_ratios(const struct phase_result *res, size_t n)
{
	double r[64];
	size_t nr = 0;
	printf("  tick median, each phase with viewers / its neighbours without:");
	for (size_t i = 0; i < n && nr < 64; i++) {
		if (res[i].viewers == 0)
			continue;
		double sum = 0;
		int k = 0;
		for (size_t j = i > 0 ? i - 1 : 0; j <= i + 1 && j < n; j++)
			if (res[j].viewers == 0 && res[j].tick_med > 0) {
				sum += res[j].tick_med;
				k++;
			}
		if (k == 0)
			continue;
		r[nr] = res[i].tick_med / (sum / k);
		printf(" %.3f", r[nr++]);
	}
	if (nr)
		printf("  (median %.3f)", median_d(r, nr));
	putchar('\n');
}

/* ---- the benchmark ------------------------------------------------------------------------ */

int bench_viewers_run(const struct bench_opts *o)
{
	struct bench *b = calloc(1, sizeof *b);
	if (b == NULL)
		return 1;
	b->want_viewers = env_count("ROUTESTAT_BENCH_VIEWERS", DEFAULT_VIEWERS, 1, MAX_VIEWERS);
	unsigned phase_s = env_count("ROUTESTAT_BENCH_PHASE_S", DEFAULT_PHASE_S, 2, 3600);
	unsigned warmup_s = env_count("ROUTESTAT_BENCH_WARMUP_S", DEFAULT_WARMUP_S, 0, 3600);
	b->viewer_nice = (int)env_count("ROUTESTAT_BENCH_NICE", 0, 0, 19);
	split_view_args(b);
	unsigned pairs = o->runs;
	b->v = calloc(b->want_viewers, sizeof *b->v);
	b->snap = malloc(sizeof *b->snap);
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	snprintf(b->instance, sizeof b->instance, "benchview%d", (int)getpid());
	int status = 1;
	struct phase_result res[64];
	size_t nres = 0;
	if (b->v == NULL || b->snap == NULL || b->epfd < 0 || find_binaries(b) < 0)
		goto out;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < b->want_viewers + 64) {
		rl.rlim_cur = rl.rlim_max < b->want_viewers + 64 ? rl.rlim_max : b->want_viewers + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	printf("routestat-bench viewers: worst scenario (%d ingest nodes x %s events/s, real "
	       "binaries) + routestat-aggregator (500 ms tick)\n"
	       "  viewers: %u routestat-view dashboards, each on its own pty (%dx%d), --refresh-ms %s%s%s,"
	       " nice +%d;\n"
	       "  %u pairs of phases (0 | %u viewers, ABBA order), %u s each, after a %u s warm-up;"
	       " instance %s\n",
	       NODES, NODE_RATE, b->want_viewers, PTY_COLS, PTY_ROWS, REFRESH_MS,
	       b->n_view_args ? " " : "", b->n_view_args ? getenv("ROUTESTAT_BENCH_VIEW_ARGS") : "",
	       b->viewer_nice, pairs,
	       b->want_viewers, phase_s, warmup_s, b->instance);
	if (start_pipeline(b) < 0) {
		perror("routestat-bench viewers: start the pipeline");
		goto out;
	}
	double deadline = now_s() + START_WAIT_S;
	struct rs_snapshot_info info;
	while (read_snapshot(b, &info) < 0) {
		if (now_s() > deadline || interrupted) {
			fprintf(stderr, "routestat-bench viewers: no snapshot from the aggregator\n");
			goto out;
		}
		struct timespec ts = { 0, 100000000L };
		nanosleep(&ts, NULL);
	}
	double warm_end = now_s() + warmup_s;
	while (now_s() < warm_end && !interrupted)
		pump(b, 100);

	printf("\n%5s %7s %5s %6s %8s %8s %8s %10s %10s %7s %6s %8s %8s %8s %9s %8s\n", "phase",
	       "viewers", "alive", "ticks", "tick_med", "tick_p95", "tick_max", "drained/s",
	       "offered/s", "dropped", "missed", "agg_cpu", "agg_wait", "viewers", "terminal",
	       "pty");
	printf("%5s %7s %5s %6s %8s %8s %8s %10s %10s %7s %6s %8s %8s %8s %9s %8s\n", "", "", "", "",
	       "us", "us", "us", "events", "events", "records", "ticks", "%", "ms/s", "cpu %",
	       "cpu %", "KB/s");
	status = 0;
	for (unsigned p = 0; p < 2 * pairs && p < 64 && !interrupted; p++) {
		unsigned viewers = ((p + 1) / 2) % 2 ? b->want_viewers : 0;   /* 0 N N 0 0 N N 0 */
		if (run_phase(b, viewers, phase_s, &res[nres]) < 0) {
			fprintf(stderr, "routestat-bench viewers: phase %u failed\n", p + 1);
			status = 1;
			break;
		}
		print_phase(p + 1, &res[nres++]);
	}
	if (nres >= 2) {
		printf("\nmedian over phases (min..max), 0 viewers vs %u viewers:\n", b->want_viewers);
		summary_line("tick median (us)", res, nres, offsetof(struct phase_result, tick_med), 0, true);
		summary_line("tick p95 (us)", res, nres, offsetof(struct phase_result, tick_p95), 0, true);
		summary_line("tick max (us)", res, nres, offsetof(struct phase_result, tick_max), 0, true);
		summary_line("throughput (events/s)", res, nres,
			     offsetof(struct phase_result, drained_per_s), 0, false);   /* = offered */
		summary_line("aggregator CPU (%)", res, nres, offsetof(struct phase_result, agg_cpu_pct),
			     2, true);
		summary_line("aggregator wait (ms/s)", res, nres,
			     offsetof(struct phase_result, agg_wait_ms_per_s), 2, true);
		summary_line("viewers' CPU (%)", res, nres,
			     offsetof(struct phase_result, viewers_cpu_pct), 1, false);
		paired_ratios(res, nres);
		uint64_t missed = 0, dropped = 0;
		for (size_t i = 0; i < nres; i++) {
			missed += res[i].missed;
			dropped += res[i].dropped;
		}
		printf("  missed ticks in all phases: %" PRIu64 "; records dropped by full rings: %"
		       PRIu64 "\n", missed, dropped);
	}
out:
	if (b->n_viewers)
		stop_viewers(b);
	for (int i = 0; i < NODES; i++)
		stop_pid(&b->ingest[i]);
	stop_pid(&b->aggregator);
	if (b->reader_open)
		rs_snapshot_close_reader(&b->reader);
	rs_shm_list(b->instance, remove_object, NULL);
	if (b->epfd >= 0)
		close(b->epfd);
	free(b->snap);
	free(b->v);
	free(b);
	return interrupted ? 1 : status;
}
