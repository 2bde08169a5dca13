/*
 * bench_ingest.c - `routestat-bench ingest`: JSON decisions parsed, validated
 * and written to the ring per second by one real routestat-ingest process.
 *
 * A file of realistic decisions (default 2,000,000: 6 providers, 5 chains,
 * 12 methods, every strategy, log-normal latencies, 2% errors, 2% system
 * traffic, some failovers, random 128-bit ids) is generated once.  Then,
 * interleaved run by run, the built routestat-ingest (its path is compiled
 * in, RS_INGEST_BIN) reads it:
 *   stdin            --source jsonl -, stdin redirected from the file;
 *   unix multishot   --source unix, one sender process sending each line as
 *                    one datagram as fast as the socket takes it (a unix
 *                    sender blocks while the queue is full, so nothing is
 *                    lost), io_uring multishot receive;
 *   unix single      the same with --recv-mode single (64 receives in flight);
 *   unix x16         multishot again, the sender putting 16 lines in each
 *                    datagram (what a busy proxy can do to save syscalls).
 * The ring holds 2^24 records so nothing is dropped, and no consumer runs.
 * The figure is the ingest's own: lines read / time from its first line to
 * the flush after its last (the summary line), so process start-up and ring
 * creation are not counted.  Median over --runs.  A run that does not
 * accept every decision fails the benchmark (exit status 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_ingest.h"
#include "shm_object.h"

#ifndef RS_INGEST_BIN
#error "RS_INGEST_BIN must name the built routestat-ingest (tools/CMakeLists.txt)"
#endif

#define DEFAULT_DECISIONS 2000000ull
#define MAX_RUNS          50
#define CAPACITY          "16777216"

enum source { SRC_STDIN, SRC_UNIX_MULTISHOT, SRC_UNIX_SINGLE, SRC_UNIX_BATCHED, SRC_COUNT };
static const char *const source_names[SRC_COUNT] = { "stdin", "unix multishot", "unix single",
						     "unix x16" };
#define BATCH_LINES 16   /* SRC_UNIX_BATCHED: lines per datagram */

/* ---- the input file ------------------------------------------------------------- */

static const char *const providers[] = { "alchemy", "infura", "quicknode", "ankr", "llamarpc", "publicnode" };
static const char *const chains[] = { "ethereum", "base", "arbitrum", "polygon", "optimism" };
static const char *const methods[] = { "eth_call", "eth_getBalance", "eth_blockNumber", "eth_getLogs",
	"eth_getTransactionReceipt", "eth_chainId", "eth_getBlockByNumber", "eth_estimateGas",
	"eth_sendRawTransaction", "eth_gasPrice", "net_version", "eth_getCode" };
static const char *const strategies[] = { "fastest", "cheapest", "priority", "round_robin", "latency_weighted" };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng = 0x1e57da7a5eedull;

static uint64_t next_random(void)   /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double lognormal_ms(double median_ms, double sigma)
{
	double u1 = (double)(next_random() >> 11) / 9007199254740992.0 + 1e-12;
	double u2 = (double)(next_random() >> 11) / 9007199254740992.0;
	double v = median_ms * exp(sigma * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
	return v > 3600000.0 ? 3600000.0 : v;
}

/* Writes n decision lines to a new temporary file; returns its fd (the name is already unlinked). */
static int make_input(uint64_t n, size_t *bytes)
{
	char path[] = "/tmp/routestat-bench-ingest-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("routestat-bench: mkstemp");
		return -1;
	}
	unlink(path);
	FILE *f = fdopen(dup(fd), "w");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long long ts = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = next_random(), hi = next_random(), lo = next_random();
		unsigned odd = (unsigned)(r >> 40) % 100;
		fprintf(f, "{\"ts\":%lld,\"request_id\":\"%016llx%016llx\",\"profile\":\"tenant-%u\","
			"\"source_node_id\":\"bench\",\"chain\":\"%s\",\"method\":\"%s\",\"strategy\":\"%s\","
			"\"provider_id\":\"%s\",\"transport\":\"%s\",\"duration_ms\":%.1f,\"result\":\"%s\","
			"\"request_origin\":\"%s\",\"failover_count\":%u}\n",
			ts + (long long)(i / 1000), (unsigned long long)hi, (unsigned long long)lo,
			(unsigned)(r % 4), chains[(r >> 4) % COUNT(chains)], methods[(r >> 8) % COUNT(methods)],
			strategies[(r >> 16) % COUNT(strategies)], providers[(r >> 24) % COUNT(providers)],
			(r >> 32) % 4 == 0 ? "ws" : "http", lognormal_ms(45.0, 0.8),
			odd < 2 ? "error" : "success", odd >= 2 && odd < 4 ? "system" : "client",
			odd < 2 ? 1 + (unsigned)(r >> 50) % 2 : 0);
	}
	if (fclose(f) != 0) {
		perror("routestat-bench: write the input file");
		close(fd);
		return -1;
	}
	struct stat st;
	fstat(fd, &st);
	*bytes = (size_t)st.st_size;
	return fd;
}

/* ---- one run --------------------------------------------------------------------- */

static pid_t spawn(const char *const *argv, int in_fd, int err_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY), STDIN_FILENO);
		dup2(err_fd, STDERR_FILENO);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Sends the lines of the mapped file, per at a time in each datagram, to path (blocking when full). */
static void send_lines(const char *path, const char *data, size_t bytes, unsigned per)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	for (int i = 0; i < 1000 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };   /* the ingest is still binding */
		nanosleep(&ts, NULL);
	}
	const char *p = data, *end = data + bytes;
	while (p < end) {
		const char *stop = p;
		for (unsigned k = 0; k < per && stop < end; k++) {
			const char *nl = memchr(stop, '\n', (size_t)(end - stop));
			stop = nl ? nl + 1 : end;
		}
		size_t len = (size_t)(stop - p);   /* whole lines, the last "\n" included */
		if (send(fd, p, len, 0) < 0 && errno != EINTR)
			_exit(1);
		p = stop;
	}
	_exit(0);
}

struct result {
	double   rate;       /* lines / s, by the ingest's own clock */
	double   span_s;
	uint64_t accepted;
	bool     ok;
};

/* Reads "R read, A accepted, J rejected, D dropped ..., S s from first to last line". */
static struct result parse_summary(int err_fd, uint64_t want)
{
	struct result res = { 0 };
	char text[8192];
	ssize_t n = pread(err_fd, text, sizeof text - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	const char *at = strstr(text, "node n: ");
	unsigned long long read = 0, acc = 0, rej = 0, drop = 0;
	const char *span = at ? strstr(at, " s from first to last line") : NULL;
	if (at == NULL || sscanf(at, "node n: %llu read, %llu accepted, %llu rejected, %llu dropped",
				 &read, &acc, &rej, &drop) != 4 || span == NULL) {
		fprintf(stderr, "routestat-bench: no ingest summary in:\n%s", text);
		return res;
	}
	while (span > at && span[-1] != ' ')
		span--;
	res.span_s = atof(span);
	res.accepted = acc;
	res.rate = res.span_s > 0 ? (double)read / res.span_s : 0;
	res.ok = read == want && acc == want && rej == 0 && drop == 0;
	if (!res.ok)
		fprintf(stderr, "routestat-bench: ingest read %llu, accepted %llu, rejected %llu, dropped %llu of %llu\n",
			read, acc, rej, drop, (unsigned long long)want);
	return res;
}

static void remove_object(const char *name, void *arg)
{
	(void)arg;
	rs_shm_remove(name);
}

static struct result run_one(enum source src, int run, int in_fd, const char *data, size_t bytes,
			     uint64_t n)
{
	char instance[40], sock[64], count[24];
	snprintf(instance, sizeof instance, "benching%d_%d_%d", (int)getpid(), run, (int)src);
	snprintf(sock, sizeof sock, "/tmp/routestat-bench-%d.sock", (int)getpid());
	snprintf(count, sizeof count, "%llu", (unsigned long long)n);
	char err_path[] = "/tmp/routestat-bench-ingest-err-XXXXXX";
	int err_fd = mkstemp(err_path);
	unlink(err_path);
	const char *argv[16] = { RS_INGEST_BIN, "--instance", instance, "--node", "n", "--capacity", CAPACITY };
	size_t a = 7;
	pid_t sender = -1;
	if (src == SRC_STDIN) {
		argv[a++] = "--source", argv[a++] = "jsonl", argv[a++] = "-";
		lseek(in_fd, 0, SEEK_SET);
	} else {
		argv[a++] = "--source", argv[a++] = "unix", argv[a++] = sock;
		argv[a++] = "--count", argv[a++] = count;
		argv[a++] = "--recv-mode", argv[a++] = src == SRC_UNIX_SINGLE ? "single" : "multishot";
	}
	argv[a] = NULL;
	pid_t ingest = spawn(argv, src == SRC_STDIN ? in_fd : -1, err_fd);
	if (src != SRC_STDIN) {
		sender = fork();
		if (sender == 0)
			send_lines(sock, data, bytes, src == SRC_UNIX_BATCHED ? BATCH_LINES : 1);
	}
	int st = 0, sst = 0;
	waitpid(ingest, &st, 0);
	if (sender > 0) {
		kill(sender, SIGTERM);   /* it has sent all by now; a stuck one must not hang the bench */
		waitpid(sender, &sst, 0);
	}
	struct result res = parse_summary(err_fd, n);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		res.ok = false;
	close(err_fd);
	rs_shm_list(instance, remove_object, NULL);
	return res;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int bench_ingest_run(const struct bench_opts *o)
{
	int runs = (int)(o->runs < MAX_RUNS ? o->runs : MAX_RUNS);
	uint64_t n = o->records_given ? o->records : DEFAULT_DECISIONS;
	size_t bytes = 0;
	int fd = make_input(n, &bytes);
	if (fd < 0)
		return 1;
	const char *data = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED) {
		perror("routestat-bench: mmap");
		return 1;
	}
	printf("routestat-bench ingest: %llu decisions (%.0f bytes each on average), %d runs interleaved, "
	       "ring of 2^24 records, no consumer\n", (unsigned long long)n, (double)bytes / (double)n, runs);
	double rate[SRC_COUNT][MAX_RUNS];
	bool ok = true;
	for (int r = 0; r < runs; r++) {
		printf("  run %d:", r + 1);
		for (int s = 0; s < SRC_COUNT; s++) {
			struct result res = run_one((enum source)s, r, fd, data, bytes, n);
			rate[s][r] = res.rate;
			ok = ok && res.ok;
			printf("  %s %.0f k/s (%.2f s)%s", source_names[s], res.rate / 1e3, res.span_s,
			       res.ok ? "" : " FAILED");
			fflush(stdout);
		}
		printf("\n");
	}
	double median[SRC_COUNT];
	for (int s = 0; s < SRC_COUNT; s++) {
		qsort(rate[s], (size_t)runs, sizeof rate[s][0], compare_double);
		median[s] = rate[s][runs / 2];
	}
	printf("median decisions/s per ingest process (goal: 1 M/s):\n");
	for (int s = 0; s < SRC_COUNT; s++)
		printf("  %-15s %.3f M/s  %6.0f ns each  %.2f x the goal  %.2f x stdin\n", source_names[s],
		       median[s] / 1e6, median[s] > 0 ? 1e9 / median[s] : 0.0, median[s] / 1e6,
		       median[SRC_STDIN] > 0 ? median[s] / median[SRC_STDIN] : 0.0);
	munmap((void *)data, bytes);
	close(fd);
	return ok ? 0 : 1;
}
