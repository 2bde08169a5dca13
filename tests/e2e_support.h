/*
 * e2e_support.h - what the end-to-end tests share: spawning the real
 * binaries (fork/exec, stdin from a file or a pipe, stdout/stderr into files
 * of a per-test temporary directory), bounded waits, running
 * routestat-view --json and polling it until a predicate holds, and the
 * cleanup that runs from a Criterion .fini even after a failed assertion:
 * every child (and its process group, so grandchildren such as the
 * supervisor loops of routestat-up go too) is SIGKILLed and reaped, then the
 * instance's shared-memory objects and the temporary directory are removed.
 *
 * Children are kept in a static table; each is started in its own process
 * group.  e2e_wait() reaps with waitpid(-1) so that, when the test process is
 * a child subreaper (the supervisor tests), orphaned grandchildren do not
 * linger as zombies; statuses of tracked children reaped that way are kept.
 *
 * Nothing sleeps to synchronise: waits poll a condition (a child's exit, a
 * JSON predicate, a file's content) every few milliseconds up to a deadline.
 */
#ifndef RS_E2E_SUPPORT_H
#define RS_E2E_SUPPORT_H

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "test_support.h"

#ifndef RS_VIEW_BIN
#error "RS_VIEW_BIN must name the built routestat-view (tests/CMakeLists.txt)"
#endif

#define E2E_MAX_CHILDREN 64
#define E2E_RUN_LIMIT_S  15.0     /* a one-shot command (view, up, down) must finish by then */
#define E2E_POLL_NS      (20 * 1000 * 1000L)

struct e2e_child {
	pid_t pid;
	bool  reaped;
	int   status;
};

static struct e2e_child e2e_children[E2E_MAX_CHILDREN];
static int  e2e_nchildren;
static char e2e_dir[PATH_MAX];     /* per-test temporary directory */
static unsigned e2e_file_seq;

/* ---- small helpers ---------------------------------------------------------- */

static inline void e2e_nap(void)
{
	struct timespec ts = { 0, E2E_POLL_NS };
	nanosleep(&ts, NULL);
}

static inline int64_t e2e_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new path in the test's temporary directory: "<dir>/<n>-<tag>". */
static inline char *e2e_path(const char *tag)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/%u-%s", e2e_dir, e2e_file_seq++, tag) > 0);
	return p;
}

static inline char *e2e_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return strdup("");
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static inline void e2e_write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "create %s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* ---- setup and cleanup -------------------------------------------------------- */

static inline void e2e_setup(void)
{
	e2e_nchildren = 0;
	e2e_file_seq = 0;
	snprintf(e2e_dir, sizeof e2e_dir, "/tmp/rs_e2e_%d_XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(e2e_dir), "mkdtemp: %s", strerror(errno));
}

static inline int e2e_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

/*
 * Reads /proc/PID/stat into buf and parses state, ppid and pgrp (they follow
 * "pid (comm)", whose comm may hold spaces).  Returns the ')' closing comm,
 * or NULL when the process is gone or the line is not understood.
 */
static inline char *e2e_proc_stat(long pid, char *buf, size_t n, char *state, long *ppid, long *pgrp)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t len = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[len] = '\0';
	char *rp = strrchr(buf, ')');
	if (rp == NULL || sscanf(rp + 1, " %c %ld %ld", state, ppid, pgrp) != 3)
		return NULL;
	return rp;
}

/*
 * Whether process group pgid holds a live process adopted by this process
 * (we are the subreaper of the scripts' background loops): then the group is
 * still ours, and its id cannot have been reused by a stranger.
 */
static inline bool e2e_group_is_ours(pid_t pgid)
{
	bool ours = false;
	DIR *d = opendir("/proc");
	if (d == NULL)
		return false;
	struct dirent *e;
	while (!ours && (e = readdir(d)) != NULL) {
		char *end, stat[512], st;
		long pid = strtol(e->d_name, &end, 10), ppid, pgrp;
		if (*end != '\0' || pid <= 0)
			continue;
		if (e2e_proc_stat(pid, stat, sizeof stat, &st, &ppid, &pgrp) != NULL)
			ours = pgrp == pgid && ppid == getpid() && st != 'Z';
	}
	closedir(d);
	return ours;
}

/* SIGKILLs every child (and its process group) still there, and reaps. */
static inline void e2e_kill_all(void)
{
	for (int i = 0; i < e2e_nchildren; i++) {
		struct e2e_child *c = &e2e_children[i];
		/* Its group (grandchildren too), while the group is known to be ours. */
		if (!c->reaped || e2e_group_is_ours(c->pid))
			kill(-c->pid, SIGKILL);
		if (!c->reaped) {
			kill(c->pid, SIGKILL);
			if (waitpid(c->pid, &c->status, 0) == c->pid)
				c->reaped = true;
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)   /* orphans adopted as a subreaper */
		;
}

/* e2e_kill_all, then removes the instance's objects and the temporary directory. */
static inline void e2e_teardown(void)
{
	e2e_kill_all();
	rs_test_cleanup();
	if (e2e_dir[0] != '\0')
		nftw(e2e_dir, e2e_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	e2e_dir[0] = '\0';
}

/* ---- children ------------------------------------------------------------------ */

static inline struct e2e_child *e2e_find(pid_t pid)
{
	for (int i = 0; i < e2e_nchildren; i++)
		if (e2e_children[i].pid == pid)
			return &e2e_children[i];
	return NULL;
}

/*
 * Starts argv[0] with argv (NULL-terminated).  stdin: in_fd (dup'd), or
 * /dev/null when in_fd < 0.  stdout / stderr into the named files (NULL:
 * /dev/null).  env: NULL-terminated "NAME=value" strings added to the
 * environment, or NULL.  Every other descriptor is closed in the child.
 */
static inline pid_t e2e_spawn(const char *const *argv, int in_fd, const char *out_path,
			      const char *err_path, const char *const *env)
{
	cr_assert(e2e_nchildren < E2E_MAX_CHILDREN, "too many children");
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		setpgid(0, 0);
		/* Should the test process die without its .fini (a Criterion timeout), so does this. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || err < 0)
			_exit(126);
		dup2(in, STDIN_FILENO);
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		long maxfd = sysconf(_SC_OPEN_MAX);
		for (int fd = 3; fd < (maxfd > 0 && maxfd < 4096 ? maxfd : 4096); fd++)
			close(fd);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid);   /* both sides, so kill(-pid) works whoever runs first */
	e2e_children[e2e_nchildren++] = (struct e2e_child){ .pid = pid };
	return pid;
}

/* Reaps whatever child has exited (tracked ones keep their status); true if pid is done. */
static inline bool e2e_reap(pid_t pid)
{
	struct e2e_child *c = e2e_find(pid);
	if (c != NULL && c->reaped)
		return true;
	for (;;) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);
		if (r <= 0)
			break;
		struct e2e_child *o = e2e_find(r);
		if (o != NULL) {
			o->reaped = true;
			o->status = st;
		}
	}
	return c != NULL && c->reaped;
}

static inline bool e2e_running(pid_t pid)
{
	return !e2e_reap(pid);
}

/* Waits for pid up to timeout_s; -1 when it overstays (it is then SIGKILLed). */
static inline int e2e_wait(pid_t pid, double timeout_s)
{
	struct e2e_child *c = e2e_find(pid);
	cr_assert_not_null(c, "pid %d is not a child of this test", (int)pid);
	double deadline = rs_test_now() + timeout_s;
	while (!e2e_reap(pid)) {
		if (rs_test_now() > deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &c->status, 0);
			c->reaped = true;
			return -1;
		}
		e2e_nap();
	}
	return c->status;
}

/* SIGKILLs a child and reaps it at once (a zombie would still look alive to kill(pid, 0)). */
static inline void e2e_kill9(pid_t pid)
{
	struct e2e_child *c = e2e_find(pid);
	cr_assert_not_null(c);
	cr_assert(!c->reaped, "pid %d already exited (status 0x%x)", (int)pid, c->status);
	cr_assert_eq(kill(pid, SIGKILL), 0, "kill: %s", strerror(errno));
	cr_assert_eq(waitpid(pid, &c->status, 0), pid);
	c->reaped = true;
}

static inline int e2e_exit_code(int status)
{
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "exit 3", "signal 9", "timeout" for messages. */
static inline const char *e2e_status_str(int status, char *buf, size_t n)
{
	if (status == -1)
		snprintf(buf, n, "timeout");
	else if (WIFEXITED(status))
		snprintf(buf, n, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "status 0x%x", status);
	return buf;
}

struct e2e_run {
	int   code;      /* exit code, -1 if killed or timed out */
	char *out;
	char *err;
};

static inline void e2e_run_free(struct e2e_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Runs a command to completion (at most E2E_RUN_LIMIT_S) and captures its output. */
static inline struct e2e_run e2e_run_env(const char *const *argv, const char *const *env)
{
	char *out = e2e_path("out"), *err = e2e_path("err");
	pid_t pid = e2e_spawn(argv, -1, out, err, env);
	int st = e2e_wait(pid, E2E_RUN_LIMIT_S);
	struct e2e_run r = { e2e_exit_code(st), e2e_read_file(out), e2e_read_file(err) };
	unlink(out);
	unlink(err);
	free(out);
	free(err);
	return r;
}

static inline struct e2e_run e2e_run(const char *const *argv)
{
	return e2e_run_env(argv, NULL);
}

/* ---- routestat-view --json ------------------------------------------------------- */

struct e2e_view {
	int     code;     /* routestat-view's exit code */
	json_t *doc;      /* the document, or NULL when nothing (parseable) was printed */
	char   *err;      /* its stderr */
};

static inline void e2e_view_free(struct e2e_view *v)
{
	json_decref(v->doc);
	free(v->err);
	v->doc = NULL;
	v->err = NULL;
}

static inline struct e2e_view e2e_view(const char *instance)
{
	const char *argv[] = { RS_VIEW_BIN, "--instance", instance, "--json", NULL };
	struct e2e_run r = e2e_run(argv);
	struct e2e_view v = { .code = r.code, .doc = NULL, .err = r.err };
	if (r.out[0] != '\0') {
		json_error_t je;
		v.doc = json_loads(r.out, 0, &je);
		cr_assert_not_null(v.doc, "routestat-view printed invalid JSON: %s (line %d)\n%.2000s",
				   je.text, je.line, r.out);
	}
	free(r.out);
	return v;
}

/* A compact dump of the interesting parts of a document, for failure messages (static buffer). */
static inline const char *e2e_brief(json_t *doc)
{
	static char buf[4096];
	if (doc == NULL)
		return "(no document)";
	json_t *b = json_object();
	const char *keys[] = { "generation", "status", "aggregator_stopped", "totals", "nodes", NULL };
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(doc, keys[i]);
		if (v != NULL)
			json_object_set(b, keys[i], v);
	}
	json_t *t = json_object_get(b, "totals");
	if (t != NULL) {    /* rps_history is noise in a message */
		json_t *c = json_deep_copy(t);
		json_object_del(c, "rps_history");
		json_object_set_new(b, "totals", c);
	}
	json_t *n = json_object_get(b, "nodes");
	if (n != NULL) {
		json_t *c = json_array();
		size_t i;
		json_t *node;
		json_array_foreach(n, i, node) {
			json_t *s = json_object();
			const char *k[] = { "node", "attached", "produced", "consumed", "in_ring", "dropped",
					    "rejected", "calls", "producer_pid", "producer_alive",
					    "producer_restarts", NULL };
			for (size_t j = 0; k[j]; j++)
				if (json_object_get(node, k[j]))
					json_object_set(s, k[j], json_object_get(node, k[j]));
			json_array_append_new(c, s);
		}
		json_object_set_new(b, "nodes", c);
	}
	char *s = json_dumps(b, JSON_COMPACT);
	snprintf(buf, sizeof buf, "%s", s ? s : "?");
	free(s);
	json_decref(b);
	return buf;
}

/* The value at a dotted path ("totals.calls"), NULL when absent. */
static inline json_t *e2e_at(json_t *obj, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *v = obj;
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

/* An integer at a path; fails the test when absent or not an integer. */
static inline json_int_t e2e_int(json_t *obj, const char *path)
{
	json_t *v = e2e_at(obj, path);
	cr_assert(json_is_integer(v), "%s: not an integer (%s)", path, v ? "wrong type" : "absent");
	return json_integer_value(v);
}

/* A number (integer or real) at a path. */
static inline double e2e_num(json_t *obj, const char *path)
{
	json_t *v = e2e_at(obj, path);
	cr_assert(json_is_number(v), "%s: not a number (%s)", path, v ? "wrong type" : "absent");
	return json_number_value(v);
}

static inline const char *e2e_str(json_t *obj, const char *path)
{
	json_t *v = e2e_at(obj, path);
	cr_assert(json_is_string(v), "%s: not a string", path);
	return json_string_value(v);
}

/* The element of array arr whose string field key equals val, or NULL. */
static inline json_t *e2e_find_by(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		json_t *k = json_object_get(e, key);
		if (json_is_string(k) && strcmp(json_string_value(k), val) == 0)
			return e;
	}
	return NULL;
}

static inline json_t *e2e_node(json_t *doc, const char *node)
{
	return e2e_find_by(json_object_get(doc, "nodes"), "node", node);
}

/* An integer field of a node entry; -1 when the node or the field is absent. */
static inline json_int_t e2e_node_int(json_t *doc, const char *node, const char *field)
{
	json_t *n = e2e_node(doc, node);
	json_t *v = n ? json_object_get(n, field) : NULL;
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

typedef bool (*e2e_pred)(const struct e2e_view *v, void *ctx);

/*
 * Runs routestat-view --json until pred holds (returned, the caller frees it)
 * or timeout_s passes (the test fails, naming what was awaited and showing the
 * last document).  pred sees every result, including failures (v->doc NULL).
 */
static inline struct e2e_view e2e_poll_view(const char *instance, double timeout_s, e2e_pred pred,
					    void *ctx, const char *what)
{
	double deadline = rs_test_now() + timeout_s;
	for (;;) {
		struct e2e_view v = e2e_view(instance);
		if (pred(&v, ctx))
			return v;
		if (rs_test_now() > deadline) {
			cr_assert_fail("timed out after %.1f s waiting for %s; last view: exit %d, "
				       "stderr '%s'\n%s", timeout_s, what, v.code, v.err, e2e_brief(v.doc));
		}
		e2e_view_free(&v);
		e2e_nap();
	}
}

/* Predicates used by both programs. */
static inline bool e2e_pred_fresh(const struct e2e_view *v, void *ctx)
{
	(void)ctx;
	json_t *s = v->doc ? json_object_get(v->doc, "status") : NULL;
	return v->code == 0 && json_is_string(s) && strcmp(json_string_value(s), "fresh") == 0;
}

/* The view shows the aggregator of pid *(pid_t *)ctx, fresh. */
static inline bool e2e_pred_aggregator_pid(const struct e2e_view *v, void *ctx)
{
	json_t *p = v->doc ? e2e_at(v->doc, "aggregator.pid") : NULL;
	return e2e_pred_fresh(v, NULL) && json_is_integer(p) &&
	       json_integer_value(p) == *(pid_t *)ctx;
}

#endif
