/* Criterion tests for tools/routestat-inspect: the real binary against real objects (ring, snapshot, damaged, truncated), text and JSON figures, dead writers, exit codes, read-only. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "metrics_snapshot.h"
#include "ring.h"
#include "snapshot.h"
#include "test_support.h"

#ifndef RS_INSPECT_BIN
#error "RS_INSPECT_BIN must name the built routestat-inspect (tests/CMakeLists.txt)"
#endif

#define RING_CAP      64u
#define PUSHES        70u    /* RING_CAP produced, the rest dropped */
#define CONSUMED      10u
#define REJECT_PARSE  2u
#define REJECT_TYPE   1u
#define RUN_LIMIT_S   20.0
#define BAD_MAGIC     UINT64_C(0xdeadbeef)

/* ---- running the binary ---------------------------------------------------- */

struct run {
	int   status;   /* exit status, or -1 if it did not exit normally */
	char *out;
	char *err;
};

struct sink {
	int    fd;
	char  *buf;
	size_t len, cap;
};

static void sink_init(struct sink *s, int fd)
{
	*s = (struct sink){ .fd = fd, .cap = 65536 };
	s->buf = calloc(1, s->cap);
	cr_assert_not_null(s->buf);
}

/* Reads what is available; false at end of file. */
static bool sink_read(struct sink *s)
{
	if (s->cap - s->len < 4096) {
		s->cap *= 2;
		s->buf = realloc(s->buf, s->cap);
		cr_assert_not_null(s->buf);
	}
	ssize_t n = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
	if (n < 0 && errno == EINTR)
		return true;
	cr_assert(n >= 0, "read from the child: %s", strerror(errno));
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	return n > 0;
}

static size_t count_lines(const struct sink *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->len; i++)
		n += s->buf[i] == '\n';
	return n;
}

/*
 * Reads both pipes (so a full stderr cannot deadlock the child) until the
 * child closes them, or until stdout holds `lines` lines when lines > 0.
 */
static void drain(struct sink *out, struct sink *err, size_t lines)
{
	struct pollfd p[2] = { { out->fd, POLLIN, 0 }, { err->fd, POLLIN, 0 } };
	double deadline = rs_test_now() + RUN_LIMIT_S;
	while ((p[0].fd >= 0 || p[1].fd >= 0) && (lines == 0 || count_lines(out) < lines)) {
		cr_assert(rs_test_now() < deadline, "routestat-inspect did not finish");
		if (poll(p, 2, 1000) < 0)
			continue;
		struct sink *s[2] = { out, err };
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && p[i].revents && !sink_read(s[i])) {
				close(s[i]->fd);
				s[i]->fd = p[i].fd = -1;
			}
	}
}

/* Starts routestat-inspect with args (NULL-terminated), its stdout and stderr into sinks. */
static pid_t spawn_inspect(const char *const *args, struct sink *out, struct sink *err)
{
	const char *argv[16] = { RS_INSPECT_BIN };
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert(i + 2 < sizeof argv / sizeof argv[0]);
		argv[i + 1] = args[i];
	}
	int po[2], pe[2];
	cr_assert(pipe(po) == 0 && pipe(pe) == 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		execv(RS_INSPECT_BIN, (char *const *)argv);
		_exit(127);
	}
	close(po[1]), close(pe[1]);
	sink_init(out, po[0]);
	sink_init(err, pe[0]);
	return pid;
}

static int exit_code(int wait_status)
{
	return wait_status != -1 && WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

/* Runs routestat-inspect to completion and captures its output. */
static struct run run_inspect(const char *const *args)
{
	struct sink out, err;
	pid_t pid = spawn_inspect(args, &out, &err);
	drain(&out, &err, 0);
	int st = rs_test_wait(pid, RUN_LIMIT_S);
	return (struct run){ exit_code(st), out.buf, err.buf };
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- reading the text output ------------------------------------------------ */

/*
 * The value of `key` in the block of object `name`: blocks start with the
 * object name alone on a line and end at a blank line; entries are
 * "  key  value".  Returns a malloc'd copy, or NULL when absent.
 */
static char *text_value(const char *text, const char *name, const char *key)
{
	size_t nlen = strlen(name), klen = strlen(key);
	const char *p = text;
	while (!(strncmp(p, name, nlen) == 0 && p[nlen] == '\n')) {
		p = strchr(p, '\n');
		if (p == NULL)
			return NULL;
		p++;
	}
	for (p = strchr(p, '\n'); p && p[1] != '\n' && p[1] != '\0'; p = strchr(p + 1, '\n')) {
		const char *k = p + 1;
		while (*k == ' ')
			k++;
		if (strncmp(k, key, klen) != 0 || k[klen] != ' ')
			continue;
		const char *v = k + klen;
		while (*v == ' ')
			v++;
		return strndup(v, strcspn(v, "\n"));
	}
	return NULL;
}

static void expect_text(const char *text, const char *name, const char *key, const char *want)
{
	char *got = text_value(text, name, key);
	cr_expect(got != NULL && strcmp(got, want) == 0, "%s %s: want '%s', got '%s'\n%s",
		  name, key, want, got ? got : "(absent)", text);
	free(got);
}

static void expect_text_prefix(const char *text, const char *name, const char *key,
			       const char *want)
{
	char *got = text_value(text, name, key);
	cr_expect(got != NULL && strncmp(got, want, strlen(want)) == 0,
		  "%s %s: want '%s...', got '%s'\n%s", name, key, want, got ? got : "(absent)", text);
	free(got);
}

/* ---- reading the JSON output ------------------------------------------------ */

static json_t *parse_json(const char *text)
{
	json_error_t e;
	json_t *root = json_loads(text, 0, &e);
	cr_assert_not_null(root, "JSON does not parse: %s (line %d)\n%s", e.text, e.line, text);
	return root;
}

/* The object named name under instances[].objects[], or NULL. */
static json_t *json_find(json_t *root, const char *name)
{
	size_t i, j;
	json_t *inst, *obj;
	json_array_foreach(json_object_get(root, "instances"), i, inst)
		json_array_foreach(json_object_get(inst, "objects"), j, obj)
			if (strcmp(json_string_value(json_object_get(obj, "name")), name) == 0)
				return obj;
	return NULL;
}

/* The value at a dotted path under obj ("ring.producer.pid"); fails the test when absent. */
static json_t *json_at(json_t *obj, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *v = obj;
	for (char *save, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	cr_assert_not_null(v, "%s is absent", path);
	return v;
}

static json_int_t json_int_at(json_t *obj, const char *path)
{
	json_t *v = json_at(obj, path);
	cr_assert(json_is_integer(v), "%s is not an integer", path);
	return json_integer_value(v);
}

/* ---- fixtures: real objects made with the common API ------------------------- */

static char ring_name[RS_SHM_NAME_MAX], bad_name[RS_SHM_NAME_MAX], snap_name[RS_SHM_NAME_MAX];
static struct rs_snapshot_writer_handle snap;

/*
 * A child process produces into the ring (with drops and rejects) and exits
 * without closing it, so the ring keeps a dead producer pid.  The parent then
 * consumes CONSUMED records as a well-behaved consumer.  Returns the dead pid.
 */
static pid_t make_ring(const char *inst)
{
	struct rs_error err;
	cr_assert(rs_ring_object_name(ring_name, inst, "n1", &err) == 0, "%s", err.msg);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct rs_ring r;
		struct rs_ring_params p = { .capacity = RING_CAP, .dict_capacity = 16 };
		if (rs_ring_open_producer(&r, inst, "n1", &p, &err) < 0)
			_exit(10);
		if (rs_ring_intern(&r, "eth", 3) != 0 || rs_ring_intern(&r, "alchemy", 7) != 1)
			_exit(11);
		struct rs_record rec = { .kind = RS_REC_BLOCK };
		for (unsigned i = 0; i < PUSHES; i++)
			rs_ring_push(&r, &rec);
		for (unsigned i = 0; i < REJECT_PARSE; i++)
			rs_ring_count_reject(&r, RS_REJECT_PARSE);
		for (unsigned i = 0; i < REJECT_TYPE; i++)
			rs_ring_count_reject(&r, RS_REJECT_TYPE);
		rs_ring_flush(&r);
		_exit(0); /* no rs_ring_close: the pid stays recorded, then dies */
	}
	cr_assert(rs_test_exited_ok(rs_test_wait(pid, RUN_LIMIT_S)), "producer child failed");
	struct rs_ring c;
	cr_assert(rs_ring_open_consumer(&c, inst, "n1", &err) == 0, "%s", err.msg);
	struct rs_record out[CONSUMED];
	cr_assert_eq(rs_ring_consume(&c, out, CONSUMED), CONSUMED);
	rs_ring_close(&c);
	return pid;
}

/* Creates the snapshot and publishes one metrics payload; 0 or -errno (no asserts: children call it). */
static int publish_snapshot(const char *inst)
{
	struct rs_error err;
	struct rs_metrics_snapshot *m = calloc(1, sizeof *m);
	if (m == NULL)
		return -ENOMEM;
	m->schema = RS_METRICS_SCHEMA;
	m->n_nodes = 1;
	m->n_provider_chains = 2;
	m->n_routes = 1;
	snprintf(m->instance, sizeof m->instance, "%s", inst);
	snprintf(m->nodes[0].name, sizeof m->nodes[0].name, "n1");
	m->computed_unix_ms = 1764246896789u; /* 2025-11-27T12:34:56.789Z */
	int rc = rs_snapshot_create(&snap, inst, RS_METRICS_SCHEMA, sizeof *m, 1000000000u, &err);
	if (rc == 0)
		rs_snapshot_publish(&snap, m);
	free(m);
	return rc;
}

static void make_snapshot(const char *inst)
{
	struct rs_error err;
	cr_assert(rs_shm_name(snap_name, inst, "snapshot", &err) == 0);
	cr_assert(publish_snapshot(inst) == 0, "rs_snapshot_create failed");
}

/* A third object, a valid ring whose magic is then overwritten through a writable mapping. */
static void make_bad_ring(const char *inst)
{
	struct rs_error err;
	struct rs_ring r;
	struct rs_ring_params p = { .capacity = RING_CAP, .dict_capacity = 16 };
	cr_assert(rs_ring_open_producer(&r, inst, "bad", &p, &err) == 0, "%s", err.msg);
	snprintf(bad_name, sizeof bad_name, "%s", r.map.name);
	rs_ring_close(&r);
	int fd = shm_open(bad_name, O_RDWR, 0);
	cr_assert(fd >= 0);
	struct rs_shm_header *h = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	cr_assert(h != MAP_FAILED);
	h->magic = BAD_MAGIC;
	munmap(h, sizeof *h);
}

/* The whole object's bytes, to show the inspector writes none. */
static char *object_bytes(const char *name, size_t *size)
{
	int fd = shm_open(name, O_RDONLY, 0);
	cr_assert(fd >= 0);
	struct stat st;
	cr_assert(fstat(fd, &st) == 0);
	char *buf = malloc((size_t)st.st_size);
	cr_assert_not_null(buf);
	cr_assert_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*size = (size_t)st.st_size;
	return buf;
}

/* ---- tests ------------------------------------------------------------------ */

TestSuite(inspect, .fini = rs_test_cleanup, .timeout = 60);

Test(inspect, text_lists_ring_and_snapshot)
{
	const char *inst = rs_test_new_instance("text");
	make_ring(inst);
	make_snapshot(inst);
	struct run r = run_inspect((const char *[]){ "--instance", inst, "--dict", NULL });
	cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	expect_text(r.out, ring_name, "kind", "ring");
	expect_text(r.out, ring_name, "health", "ok");
	expect_text(r.out, ring_name, "node", "n1");
	expect_text(r.out, ring_name, "capacity", "64");
	expect_text(r.out, ring_name, "produced", "64");
	expect_text(r.out, ring_name, "consumed", "10");
	expect_text(r.out, ring_name, "in_ring", "54");
	expect_text(r.out, ring_name, "dropped", "6");
	expect_text(r.out, ring_name, "rejected", "3");
	expect_text(r.out, ring_name, "rejected.parse", "2");
	expect_text(r.out, ring_name, "rejected.bad_type", "1");
	expect_text(r.out, ring_name, "dictionary", "2/16");
	expect_text(r.out, ring_name, "dict[1]", "\"alchemy\"");
	expect_text(r.out, snap_name, "kind", "snapshot");
	expect_text(r.out, snap_name, "status", "fresh");
	expect_text(r.out, snap_name, "n_nodes", "1");
	expect_text(r.out, snap_name, "n_provider_chains", "2");
	expect_text(r.out, snap_name, "computed", "2025-11-27T12:34:56.789Z");
	cr_expect_str_empty(r.err);
	run_free(&r);
	rs_snapshot_close_writer(&snap, true);
}

Test(inspect, json_holds_the_same_numbers)
{
	const char *inst = rs_test_new_instance("json");
	make_ring(inst);
	make_snapshot(inst);
	struct run r = run_inspect((const char *[]){ "--json", "--instance", inst, NULL });
	cr_expect_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
	json_t *root = parse_json(r.out);
	cr_expect(json_is_true(json_object_get(root, "healthy")));
	cr_expect_eq(json_int_at(root, "n_objects"), 2);
	json_t *ring = json_find(root, ring_name);
	cr_assert_not_null(ring, "%s not in\n%s", ring_name, r.out);
	cr_expect_eq(json_int_at(ring, "ring.produced"), RING_CAP);
	cr_expect_eq(json_int_at(ring, "ring.consumed"), CONSUMED);
	cr_expect_eq(json_int_at(ring, "ring.dropped"), PUSHES - RING_CAP);
	cr_expect_eq(json_int_at(ring, "ring.rejected"), REJECT_PARSE + REJECT_TYPE);
	cr_expect_eq(json_int_at(ring, "ring.rejected_by_reason.parse"), REJECT_PARSE);
	cr_expect_eq(json_int_at(ring, "ring.rejected_by_reason.bad_type"), REJECT_TYPE);
	cr_expect_eq(json_int_at(ring, "ring.rejected_by_reason.too_long"), 0);
	cr_expect_eq(json_int_at(ring, "ring.dictionary.count"), 2);
	cr_expect_eq(json_int_at(ring, "header.abi_major"), RS_ABI_MAJOR);
	cr_expect_str_eq(json_string_value(json_at(ring, "header.state")), "ready");
	json_t *sn = json_find(root, snap_name);
	cr_assert_not_null(sn);
	cr_expect_str_eq(json_string_value(json_at(sn, "snapshot.status")), "fresh");
	cr_expect_eq(json_int_at(sn, "snapshot.generation"), 1);
	cr_expect_eq(json_int_at(sn, "snapshot.writer.pid"), getpid());
	cr_expect(json_is_true(json_at(sn, "snapshot.writer.alive")));
	cr_expect_eq(json_int_at(sn, "snapshot.payload_kind"), RS_METRICS_SCHEMA);
	cr_expect_eq(json_int_at(sn, "snapshot.metrics.n_nodes"), 1);
	cr_expect_eq(json_int_at(sn, "snapshot.metrics.n_routes"), 1);
	json_decref(root);
	run_free(&r);
	rs_snapshot_close_writer(&snap, true);
}

Test(inspect, damaged_object_reported_others_listed)
{
	const char *inst = rs_test_new_instance("damaged");
	make_ring(inst);
	make_snapshot(inst);
	make_bad_ring(inst);
	struct run r = run_inspect((const char *[]){ "--instance", inst, NULL });
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	char *health = text_value(r.out, bad_name, "health");
	cr_expect(health && strstr(health, "DAMAGED") && strstr(health, "magic"), "%s", r.out);
	free(health);
	expect_text(r.out, bad_name, "magic", "0x00000000deadbeef");
	cr_expect(strstr(r.err, "magic") != NULL, "stderr: %s", r.err);
	expect_text(r.out, ring_name, "health", "ok");
	expect_text(r.out, ring_name, "produced", "64");
	expect_text(r.out, snap_name, "status", "fresh");
	run_free(&r);

	r = run_inspect((const char *[]){ "--instance", inst, "--json", NULL });
	cr_expect_eq(r.status, 1);
	json_t *root = parse_json(r.out);
	json_t *bad = json_find(root, bad_name);
	cr_assert_not_null(bad);
	cr_expect(json_is_false(json_object_get(bad, "healthy")));
	cr_expect(strstr(json_string_value(json_object_get(bad, "error")), "magic") != NULL);
	cr_expect(json_is_false(json_at(bad, "header.validated")));
	cr_expect_eq(json_int_at(json_find(root, ring_name), "ring.dropped"), PUSHES - RING_CAP);
	cr_expect(json_is_false(json_object_get(root, "healthy")));
	json_decref(root);
	run_free(&r);
	rs_snapshot_close_writer(&snap, true);
}

Test(inspect, truncated_object_reported)
{
	const char *inst = rs_test_new_instance("trunc");
	char name[RS_SHM_NAME_MAX];
	struct rs_error err;
	cr_assert(rs_shm_name(name, inst, "ring.tiny", &err) == 0);
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	cr_assert(fd >= 0);
	cr_assert(ftruncate(fd, 100) == 0);
	close(fd);
	struct run r = run_inspect((const char *[]){ "--instance", inst, NULL });
	cr_expect_eq(r.status, 1);
	char *health = text_value(r.out, name, "health");
	cr_expect(health && strstr(health, "truncated"), "%s", r.out);
	free(health);
	cr_expect_null(text_value(r.out, name, "magic"), "no header fields from a short object");
	run_free(&r);
}

Test(inspect, dead_writers_reported_not_alive)
{
	const char *inst = rs_test_new_instance("dead");
	pid_t producer = make_ring(inst);
	struct rs_error err;
	cr_assert(rs_shm_name(snap_name, inst, "snapshot", &err) == 0);
	pid_t writer = fork();
	cr_assert(writer >= 0);
	if (writer == 0)
		_exit(publish_snapshot(inst) == 0 ? 0 : 1); /* the object keeps this writer's pid */
	cr_assert(rs_test_exited_ok(rs_test_wait(writer, RUN_LIMIT_S)));
	struct run r = run_inspect((const char *[]){ "--instance", inst, NULL });
	cr_expect_eq(r.status, 0, "a dead writer is not damage\n%s%s", r.out, r.err);
	char want[64];
	snprintf(want, sizeof want, "pid %d dead,", (int)producer);
	expect_text_prefix(r.out, ring_name, "producer", want);
	expect_text_prefix(r.out, ring_name, "consumer", "detached, attaches 1, heartbeat ");
	snprintf(want, sizeof want, "pid %d dead", (int)producer);
	expect_text(r.out, ring_name, "creator", want);
	expect_text(r.out, snap_name, "status", "dead");
	run_free(&r);

	r = run_inspect((const char *[]){ "--json", "--instance", inst, NULL });
	json_t *root = parse_json(r.out);
	json_t *ring = json_find(root, ring_name);
	cr_assert_not_null(ring);
	cr_expect_eq(json_int_at(ring, "ring.producer.pid"), producer);
	cr_expect(json_is_false(json_at(ring, "ring.producer.alive")));
	cr_expect_eq(json_int_at(ring, "ring.consumer.pid"), 0);
	json_t *sn = json_find(root, snap_name);
	cr_expect_eq(json_int_at(sn, "snapshot.writer.pid"), writer);
	cr_expect(json_is_false(json_at(sn, "snapshot.writer.alive")));
	json_decref(root);
	run_free(&r);
}

Test(inspect, never_writes)
{
	const char *inst = rs_test_new_instance("ro");
	make_ring(inst);
	make_bad_ring(inst);
	size_t n_before, n_after, b_before, b_after;
	char *ring_before = object_bytes(ring_name, &n_before);
	char *bad_before = object_bytes(bad_name, &b_before);
	struct run r = run_inspect((const char *[]){ "--instance", inst, "--dict", NULL });
	cr_expect_eq(r.status, 1);
	run_free(&r);
	char *ring_after = object_bytes(ring_name, &n_after);
	char *bad_after = object_bytes(bad_name, &b_after);
	cr_expect(n_before == n_after && memcmp(ring_before, ring_after, n_after) == 0);
	cr_expect(b_before == b_after && memcmp(bad_before, bad_after, b_after) == 0);
	free(ring_before), free(ring_after), free(bad_before), free(bad_after);
}

Test(inspect, foreign_payload_listed_without_metrics)
{
	const char *inst = rs_test_new_instance("foreign");
	struct rs_error err;
	cr_assert(rs_shm_name(snap_name, inst, "snapshot", &err) == 0);
	cr_assert(rs_snapshot_create(&snap, inst, 99, 100, 1000000000u, &err) == 0, "%s", err.msg);
	char payload[100] = { 0 };
	rs_snapshot_publish(&snap, payload);
	struct run r = run_inspect((const char *[]){ "--instance", inst, NULL });
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	expect_text(r.out, snap_name, "payload", "kind 99, 100 bytes");
	cr_expect_null(text_value(r.out, snap_name, "n_nodes"));
	run_free(&r);
	rs_snapshot_close_writer(&snap, false); /* .fini removes it */
}

Test(inspect, watch_repeats_until_interrupted)
{
	const char *inst = rs_test_new_instance("watch");
	make_ring(inst);
	struct sink out, err;
	pid_t pid = spawn_inspect((const char *[]){ "--instance", inst, "--json", "--watch", "0.1",
						    NULL }, &out, &err);
	drain(&out, &err, 2); /* two reports, one JSON document per line */
	cr_assert(kill(pid, SIGINT) == 0);
	drain(&out, &err, 0);
	cr_expect_eq(exit_code(rs_test_wait(pid, RUN_LIMIT_S)), 0, "%s", err.buf);
	char *save = NULL;
	size_t docs = 0;
	for (char *line = strtok_r(out.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *root = parse_json(line);
		cr_expect_eq(json_int_at(json_find(root, ring_name), "ring.produced"), RING_CAP);
		json_decref(root);
		docs++;
	}
	cr_expect_geq(docs, 2);
	free(out.buf);
	free(err.buf);
}

Test(inspect, unknown_instance_exits_2)
{
	const char *inst = rs_test_new_instance("none");
	struct run r = run_inspect((const char *[]){ "--instance", inst, NULL });
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "routestat-inspect: ") == r.err && strstr(r.err, "no objects"),
		  "stderr: %s", r.err);
	run_free(&r);
}

Test(inspect, usage_errors_exit_64)
{
	struct run r = run_inspect((const char *[]){ "--bogus", NULL });
	cr_expect_eq(r.status, 64);
	cr_expect(strstr(r.err, "routestat-inspect: unknown option") == r.err, "%s", r.err);
	run_free(&r);
	r = run_inspect((const char *[]){ "--watch", "0", NULL });
	cr_expect_eq(r.status, 64);
	run_free(&r);
	r = run_inspect((const char *[]){ "--instance", "bad.name", NULL });
	cr_expect_eq(r.status, 64);
	run_free(&r);
}
