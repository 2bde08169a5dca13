/*
 * End-to-end tests of the supervisor scripts tools/routestat-up and
 * tools/routestat-down with the real binaries: an instance from a config
 * file, its status, a SIGKILLed ingest restarted by its supervisor loop, a
 * complete stop (no process, no shared-memory object left), and config
 * errors that name their line.
 *
 * The scripts leave their supervisor loops running in the background after
 * routestat-up exits; this process becomes a child subreaper so that those
 * orphans are re-parented to it (and reaped by e2e_wait) rather than to
 * whatever init the machine has.  Each test has its own instance and its own
 * run directory (ROUTESTAT_RUN_DIR under the test's temporary directory);
 * .fini SIGKILLs every pid found in the run directory and the whole process
 * group of every script it started, then removes the instance's objects.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "e2e_support.h"

#ifndef RS_SOURCE_DIR
#error "RS_SOURCE_DIR must name the source tree (tests/CMakeLists.txt)"
#endif
#ifndef RS_BINARY_DIR
#error "RS_BINARY_DIR must name the build tree (tests/CMakeLists.txt)"
#endif

#define UP_SCRIPT   RS_SOURCE_DIR "/tools/routestat-up"
#define DOWN_SCRIPT RS_SOURCE_DIR "/tools/routestat-down"
#define WAIT_S      12.0

static char run_base[PATH_MAX + 8];  /* ROUTESTAT_RUN_DIR */
static char env_run[PATH_MAX + 48];
static char env_bin[PATH_MAX + 32];

/* ---- pids written by the scripts -------------------------------------------------- */

/* The pid in a file of the instance's run directory, 0 when absent or not a number. */
static pid_t read_pid(const char *inst, const char *file)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s/%s", run_base, inst, file);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	long v = 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return (pid_t)v;
}

/* SIGKILLs every pid named by a *.pid or *.supervisor file of every run directory. */
static void kill_pid_files(void)
{
	if (run_base[0] == '\0')
		return;
	DIR *base = opendir(run_base);
	if (base == NULL)
		return;
	struct dirent *inst;
	while ((inst = readdir(base)) != NULL) {
		if (inst->d_name[0] == '.')
			continue;
		char dir[PATH_MAX * 2];
		snprintf(dir, sizeof dir, "%s/%s", run_base, inst->d_name);
		DIR *d = opendir(dir);
		if (d == NULL)
			continue;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);
			bool pidfile = (n > 4 && strcmp(e->d_name + n - 4, ".pid") == 0) ||
				       (n > 11 && strcmp(e->d_name + n - 11, ".supervisor") == 0);
			pid_t pid = pidfile ? read_pid(inst->d_name, e->d_name) : 0;
			if (pid > 1 && rs_pid_alive(pid))
				kill(pid, SIGKILL);
		}
		closedir(d);
	}
	closedir(base);
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	e2e_setup();
	/* The scripts' background loops outlive routestat-up: adopt them. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "prctl: %s", strerror(errno));
	snprintf(run_base, sizeof run_base, "%s/run", e2e_dir);
	snprintf(env_run, sizeof env_run, "ROUTESTAT_RUN_DIR=%s", run_base);
	snprintf(env_bin, sizeof env_bin, "ROUTESTAT_BIN_DIR=%s", RS_BINARY_DIR);
}

static void teardown(void)
{
	e2e_kill_all();      /* the scripts' process groups: loops and components at once */
	kill_pid_files();    /* anything that left the group */
	e2e_teardown();
	run_base[0] = '\0';
}

TestSuite(e2e_supervisor, .init = setup, .fini = teardown, .timeout = 60);

/* ---- running the scripts ----------------------------------------------------------- */

static struct e2e_run script(const char *const *argv)
{
	const char *env[] = { env_run, env_bin, NULL };
	return e2e_run_env(argv, env);
}

static char *write_config(const char *text)
{
	char *path = e2e_path("routestat.conf");
	e2e_write_file(path, text, strlen(text));
	return path;
}

struct component {
	char name[64];
	long pid;
	char state[16];
	long restarts;
};

/* Parses `routestat-up --status`: the row of component name, false when absent. */
static bool status_row(const char *text, const char *name, struct component *c)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char pid[32];
		if (sscanf(line, "%63s %31s %15s %ld", c->name, pid, c->state, &c->restarts) == 4 &&
		    strcmp(c->name, name) == 0) {
			c->pid = strtol(pid, NULL, 10);
			return true;
		}
	}
	return false;
}

/* Processes of process group pgid that are still alive (zombies excluded); their pids in buf. */
static int group_alive(pid_t pgid, char *buf, size_t n)
{
	int count = 0;
	size_t off = 0;
	buf[0] = '\0';
	DIR *d = opendir("/proc");
	cr_assert_not_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		char stat[512], st;
		long ppid, pgrp;
		char *rp = e2e_proc_stat(pid, stat, sizeof stat, &st, &ppid, &pgrp);
		if (rp == NULL)
			continue;
		if (pgrp == pgid && st != 'Z') {
			count++;
			int k = snprintf(buf + off, n - off, " %ld(%.*s)", pid, (int)(rp - strchr(stat, '(') - 1),
					 strchr(stat, '(') + 1);
			if (k > 0 && (size_t)k < n - off)
				off += (size_t)k;
		}
	}
	closedir(d);
	return count;
}

static void count_one(const char *name, void *arg)
{
	(void)name;
	++*(int *)arg;
}

/* Shared-memory objects of the instance (/dev/shm/routestat.<inst>.*). */
static int count_objects(const char *inst)
{
	int n = 0;
	cr_assert(rs_shm_list(inst, count_one, &n) >= 0);
	return n;
}

/* ---- predicates ----------------------------------------------------------------- */

struct node_state {
	const char *node;
	pid_t       pid;        /* producer_pid wanted, 0: any live one */
	long long   restarts;   /* producer_restarts wanted */
	long long   above;      /* produced must exceed this */
};

static bool pred_nodes(const struct e2e_view *v, void *ctx)
{
	const struct node_state *ns = ctx;
	if (!e2e_pred_fresh(v, NULL))
		return false;
	for (; ns->node != NULL; ns++) {
		json_t *n = e2e_node(v->doc, ns->node);
		if (n == NULL || !json_is_true(json_object_get(n, "producer_alive")))
			return false;
		if (ns->pid != 0 && e2e_node_int(v->doc, ns->node, "producer_pid") != ns->pid)
			return false;
		if (e2e_node_int(v->doc, ns->node, "producer_restarts") != ns->restarts ||
		    e2e_node_int(v->doc, ns->node, "produced") <= ns->above)
			return false;
	}
	return true;
}

/* ---- 1. up, status, a restarted ingest, down ----------------------------------- */

/* Runs routestat-up on conf to its exit (0 asserted); its pid, and its stdout in *out. */
static pid_t up_config(const char *inst, const char *conf, char **out_text)
{
	const char *up[] = { UP_SCRIPT, "--config", conf, "--instance", inst, NULL };
	const char *env[] = { env_run, env_bin, NULL };
	char *out = e2e_path("up.out"), *err = e2e_path("up.err");
	pid_t pid = e2e_spawn(up, -1, out, err, env);
	int st = e2e_wait(pid, WAIT_S);
	char *o = e2e_read_file(out), *e = e2e_read_file(err), buf[32];
	cr_assert(rs_test_exited_ok(st), "routestat-up: %s\n%s%s", e2e_status_str(st, buf, sizeof buf), o, e);
	free(e); free(out); free(err);
	*out_text = o;
	return pid;
}

Test(e2e_supervisor, up_restart_down)
{
	const char *inst = rs_test_new_instance("sup");
	char *conf = write_config("# an aggregator and two synthetic nodes\n"
				  "aggregator --tick-ms 100\n"
				  "node node-a --source synthetic --rate 500\n"
				  "\n"
				  "node node-b --source synthetic --rate 500\n");
	char *o;
	pid_t up_pid = up_config(inst, conf, &o);
	cr_expect(strstr(o, "ingest-node-a") && strstr(o, "ingest-node-b") && strstr(o, "aggregator"),
		  "routestat-up lists its components:\n%s", o);
	free(o);

	/* The view shows both nodes producing, with the pids of the run directory. */
	struct node_state want[] = { { "node-a", 0, 0, 0 }, { "node-b", 0, 0, 0 }, { NULL, 0, 0, 0 } };
	struct e2e_view v = e2e_poll_view(inst, WAIT_S, pred_nodes, want, "both nodes producing");
	pid_t agg = read_pid(inst, "aggregator.pid");
	pid_t pa = read_pid(inst, "ingest-node-a.pid"), pb = read_pid(inst, "ingest-node-b.pid");
	cr_assert(agg > 0 && pa > 0 && pb > 0, "pid files: aggregator %d, node-a %d, node-b %d", agg, pa, pb);
	cr_expect_eq(e2e_int(v.doc, "aggregator.pid"), agg);
	cr_expect_eq(e2e_node_int(v.doc, "node-a", "producer_pid"), pa);
	cr_expect_eq(e2e_node_int(v.doc, "node-b", "producer_pid"), pb);
	cr_expect_eq(e2e_int(v.doc, "tick_ms"), 100, "the config's --tick-ms reached the aggregator");
	e2e_view_free(&v);

	const char *status[] = { UP_SCRIPT, "--status", "--instance", inst, NULL };
	struct e2e_run r = script(status);
	cr_expect_eq(r.code, 0, "--status: exit %d\n%s%s", r.code, r.out, r.err);
	struct { const char *name; pid_t pid; } comps[] = {
		{ "aggregator", agg }, { "ingest-node-a", pa }, { "ingest-node-b", pb },
	};
	for (size_t i = 0; i < 3; i++) {
		struct component c;
		cr_assert(status_row(r.out, comps[i].name, &c), "--status lacks %s:\n%s", comps[i].name, r.out);
		cr_expect_eq(c.pid, comps[i].pid, "%s pid", comps[i].name);
		cr_expect_str_eq(c.state, "running", "%s state", comps[i].name);
		cr_expect_eq(c.restarts, 0, "%s restarts", comps[i].name);
	}
	e2e_run_free(&r);

	/* SIGKILL node-a's ingest: its supervisor starts a new one, which takes over the ring. */
	v = e2e_view(inst);
	long long produced = e2e_node_int(v.doc, "node-a", "produced");
	e2e_view_free(&v);
	cr_assert_eq(kill(pa, SIGKILL), 0);
	double deadline = rs_test_now() + WAIT_S;
	pid_t pa2;
	while ((pa2 = read_pid(inst, "ingest-node-a.pid")) == pa || pa2 == 0 ||
	       read_pid(inst, "ingest-node-a.restarts") != 1) {
		cr_assert(rs_test_now() < deadline, "no restart of node-a: pid file %d, restarts %d",
			  pa2, read_pid(inst, "ingest-node-a.restarts"));
		e2e_nap();
	}
	struct node_state after[] = { { "node-a", pa2, 1, produced }, { "node-b", pb, 0, 0 }, { NULL, 0, 0, 0 } };
	v = e2e_poll_view(inst, WAIT_S, pred_nodes, after,
			  "node-a producing again from the new pid with producer_restarts 1");
	cr_expect(!rs_pid_alive(pa), "the killed ingest is gone");
	e2e_view_free(&v);
	r = script(status);
	struct component c;
	cr_assert(status_row(r.out, "ingest-node-a", &c), "--status lacks ingest-node-a:\n%s", r.out);
	cr_expect_eq(c.pid, pa2);
	cr_expect_str_eq(c.state, "running");
	cr_expect_eq(c.restarts, 1, "--status counts the restart:\n%s", r.out);
	e2e_run_free(&r);

	/* SIGKILL the aggregator too: its supervisor restarts it, and it drains both rings again. */
	v = e2e_view(inst);
	long long produced_b = e2e_node_int(v.doc, "node-b", "produced");
	e2e_view_free(&v);
	cr_assert_eq(kill(agg, SIGKILL), 0);
	deadline = rs_test_now() + WAIT_S;
	pid_t agg2;
	while ((agg2 = read_pid(inst, "aggregator.pid")) == agg || agg2 == 0 ||
	       read_pid(inst, "aggregator.restarts") != 1) {
		cr_assert(rs_test_now() < deadline, "no restart of the aggregator: pid file %d", agg2);
		e2e_nap();
	}
	v = e2e_poll_view(inst, WAIT_S, e2e_pred_aggregator_pid, &agg2, "the restarted aggregator, fresh");
	e2e_view_free(&v);
	struct node_state again[] = { { "node-a", pa2, 1, 0 }, { "node-b", pb, 0, produced_b }, { NULL, 0, 0, 0 } };
	v = e2e_poll_view(inst, WAIT_S, pred_nodes, again, "both nodes under the restarted aggregator");
	cr_expect(e2e_int(v.doc, "totals.calls") > 0, "the restarted aggregator counts: %s", e2e_brief(v.doc));
	for (int i = 0; i < 2; i++) {
		const char *node = i ? "node-b" : "node-a";
		cr_expect(e2e_node_int(v.doc, node, "consumed") + e2e_node_int(v.doc, node, "in_ring") ==
			  e2e_node_int(v.doc, node, "produced"), "%s: %s", node, e2e_brief(v.doc));
	}
	e2e_view_free(&v);
	agg = agg2;

	/* Everything the instance runs, before stopping it. */
	pid_t all[] = { agg, pa2, pb, read_pid(inst, "aggregator.supervisor"),
			read_pid(inst, "ingest-node-a.supervisor"), read_pid(inst, "ingest-node-b.supervisor") };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		cr_assert(all[i] > 0 && rs_pid_alive(all[i]), "process %zu (pid %d) should be running", i, all[i]);
	cr_assert_eq(count_objects(inst), 3, "two rings and a snapshot before routestat-down");

	const char *down[] = { DOWN_SCRIPT, "--instance", inst, NULL };
	r = script(down);
	cr_expect_eq(r.code, 0, "routestat-down: exit %d\n%s%s", r.code, r.out, r.err);
	cr_expect(strstr(r.out, "3 components") != NULL && strstr(r.out, "3 shared-memory objects removed"),
		  "routestat-down's summary:\n%s", r.out);
	e2e_run_free(&r);
	e2e_reap(0);   /* collect the adopted supervisors that just exited */
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		cr_expect(!rs_pid_alive(all[i]), "pid %d still runs after routestat-down", all[i]);
	char left[1024];
	cr_expect_eq(group_alive(up_pid, left, sizeof left), 0, "processes of routestat-up left:%s", left);
	cr_expect_eq(count_objects(inst), 0, "shared-memory objects of %s left after routestat-down", inst);
	cr_expect_eq(read_pid(inst, "aggregator.pid") + read_pid(inst, "ingest-node-a.pid") +
		     read_pid(inst, "ingest-node-b.pid"), 0, "pid files left after routestat-down");

	struct e2e_view gone = e2e_view(inst);
	cr_expect_eq(gone.code, 2, "the view after routestat-down: exit %d (%s)", gone.code, gone.err);
	e2e_view_free(&gone);
	free(conf);
}

/*
 * Config words are split like a shell's and never expanded: a quoted path
 * holding a space and a '*' reaches the ingest as it is written.
 */
Test(e2e_supervisor, config_quoted_path_reaches_the_ingest)
{
	const char *inst = rs_test_new_instance("quoted");
	char *dir = e2e_path("dir with space");
	cr_assert_eq(mkdir(dir, 0700), 0, "mkdir %s: %s", dir, strerror(errno));
	char file[PATH_MAX], text[2048], conf_text[PATH_MAX + 128];
	snprintf(file, sizeof file, "%s/decisions *.jsonl", dir);
	size_t n = 0;
	long long now_ms = (long long)time(NULL) * 1000;
	for (int i = 0; i < 3; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
			"{\"ts\":%lld,\"request_id\":\"quoted-%d\",\"provider_id\":\"alchemy\",\"chain\":\"base\","
			"\"method\":\"eth_call\",\"strategy\":\"fastest\",\"transport\":\"http\",\"duration_ms\":12.5,"
			"\"result\":\"success\",\"request_origin\":\"client\",\"failover_count\":0}\n", now_ms, i);
	e2e_write_file(file, text, n);
	snprintf(conf_text, sizeof conf_text,
		 "aggregator --tick-ms 100\n"
		 "# a comment with an apostrophe: it's not a word\n"
		 "node node-q --source jsonl \"%s\" --follow\n", file);
	char *conf = write_config(conf_text), *o;
	up_config(inst, conf, &o);
	free(o);
	struct node_state want[] = { { "node-q", 0, 0, 2 }, { NULL, 0, 0, 0 } };
	struct e2e_view v = e2e_poll_view(inst, WAIT_S, pred_nodes, want, "node-q read its quoted path");
	cr_expect_eq(e2e_node_int(v.doc, "node-q", "produced"), 3, "%s", e2e_brief(v.doc));
	e2e_view_free(&v);
	free(conf);
	free(dir);
}

/* ---- 2. config errors ------------------------------------------------------------ */

/* routestat-up on a config: exits 1 with a message naming the line; starts nothing. */
static void expect_config_error(const char *inst, const char *config, const char *want1, const char *want2)
{
	char *conf = write_config(config);
	const char *up[] = { UP_SCRIPT, "--config", conf, "--instance", inst, NULL };
	struct e2e_run r = script(up);
	cr_expect_eq(r.code, 1, "routestat-up on a bad config: exit %d\n%s%s", r.code, r.out, r.err);
	cr_expect(strstr(r.err, want1) != NULL && strstr(r.err, want2) != NULL,
		  "stderr should name the line ('%s', '%s'):\n%s", want1, want2, r.err);
	e2e_run_free(&r);

	/* Nothing may be left running by a refused config. */
	pid_t sup = read_pid(inst, "aggregator.supervisor"), agg = read_pid(inst, "aggregator.pid");
	cr_expect(!(sup > 0 && rs_pid_alive(sup)) && !(agg > 0 && rs_pid_alive(agg)),
		  "a refused config left the aggregator running (supervisor pid %d, aggregator pid %d)",
		  sup, agg);
	/* routestat-up refuses to start the instance again while one is left running. */
	const char *good = "aggregator --tick-ms 100\n";
	char *conf2 = write_config(good);
	const char *up2[] = { UP_SCRIPT, "--config", conf2, "--instance", inst, NULL };
	r = script(up2);
	cr_expect_eq(r.code, 0, "a good config after a refused one: exit %d\n%s%s", r.code, r.out, r.err);
	e2e_run_free(&r);
	const char *down[] = { DOWN_SCRIPT, "--instance", inst, NULL };
	r = script(down);
	cr_expect_eq(r.code, 0);
	e2e_run_free(&r);
	free(conf);
	free(conf2);
}

Test(e2e_supervisor, bad_config_kind_names_line)
{
	const char *inst = rs_test_new_instance("badkind");
	expect_config_error(inst,
			    "# comment\n"
			    "aggregator --tick-ms 100\n"
			    "\n"
			    "frobnicate --fast\n"
			    "node n1 --source synthetic --rate 10\n",
			    "config line 4", "'frobnicate'");
}

Test(e2e_supervisor, bad_config_node_without_name)
{
	const char *inst = rs_test_new_instance("noname");
	expect_config_error(inst,
			    "aggregator --tick-ms 100\n"
			    "node\n",
			    "config line 2", "node needs a name");
}

Test(e2e_supervisor, bad_config_node_name)
{
	/* routestat-ingest refuses such a name (rs_name_check): the config line should be refused first. */
	const char *inst = rs_test_new_instance("badnode");
	expect_config_error(inst,
			    "aggregator --tick-ms 100\n"
			    "node bad/name --source synthetic --rate 10\n",
			    "config line 2", "bad/name");
}

Test(e2e_supervisor, bad_config_unclosed_quote)
{
	const char *inst = rs_test_new_instance("badquote");
	expect_config_error(inst,
			    "aggregator\n"
			    "node n1 --source jsonl \"/tmp/never closed\n",
			    "config line 2", "quote is not closed");
}

Test(e2e_supervisor, unreadable_config)
{
	const char *inst = rs_test_new_instance("noconf");
	char *missing = e2e_path("missing.conf");
	const char *up[] = { UP_SCRIPT, "--config", missing, "--instance", inst, NULL };
	struct e2e_run r = script(up);
	cr_expect_eq(r.code, 1, "exit %d\n%s", r.code, r.err);
	cr_expect(strstr(r.err, "cannot read config") != NULL && strstr(r.err, missing) != NULL,
		  "stderr: %s", r.err);
	cr_expect_eq(count_objects(inst), 0);
	e2e_run_free(&r);
	free(missing);
}
