/* Criterion tests of the live dashboard in a real terminal: routestat-view runs inside tmux against a running aggregator and ingest nodes, is driven with send-keys and read with capture-pane: figures match --json, node tabs filter (the methods panel too), s sorts, ? helps, 80x24 stays usable, a dead aggregator shows, a restart and a late aggregator are picked up, q quits. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "test_support.h"

#if !defined(RS_VIEW_BIN) || !defined(RS_AGGREGATOR_BIN) || !defined(RS_INGEST_BIN)
#error "RS_VIEW_BIN, RS_AGGREGATOR_BIN and RS_INGEST_BIN must name the built programs (tests/CMakeLists.txt)"
#endif

#define SCREEN_WAIT_S 15.0   /* deadline for something to appear on screen */
#define DEAD_WAIT_S   12.0   /* a killed aggregator must show as dead by then */
#define POLL_NS       50000000L
#define CMD_MAX       1024
#define MAX_CHILDREN  8
#define NODE_A        "alpha"
#define NODE_B        "beta"

/* ---- processes and cleanup -------------------------------------------------------- */

static pid_t children[MAX_CHILDREN];
static size_t n_children;
static char tmux_socket[64];
static char rc_file[128];

static pid_t spawn(const char *const *argv)
{
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);        /* never outlive the test, whatever happens */
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert(n_children < MAX_CHILDREN);
	children[n_children++] = pid;
	return pid;
}

static void forget_child(pid_t pid)
{
	for (size_t i = 0; i < n_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void kill_child(pid_t pid, int sig)
{
	kill(pid, sig);
	rs_test_wait(pid, 10.0);   /* reaped: a zombie would still look alive */
	forget_child(pid);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[CMD_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole stdout of a shell command (malloc'd), or NULL. */
static char *run_capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run_capture(const char *fmt, ...)
{
	char cmd[CMD_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return NULL;
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 4096)
			buf = realloc(buf, cap *= 2);
	}
	pclose(p);
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void cleanup(void)
{
	if (tmux_socket[0])
		run("tmux -L %s kill-server >/dev/null 2>&1", tmux_socket);
	for (size_t i = 0; i < n_children; i++)
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	n_children = 0;
	if (rc_file[0])
		unlink(rc_file);
	rs_test_cleanup();
}

/* tmux needs pseudo-terminals: a chroot without /dev/pts has none. */
static bool have_pty(void)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void setup(void)
{
	if (run("tmux -V >/dev/null 2>&1") != 0)
		cr_skip_test("tmux is not installed: the real-terminal tests need it (apt-get install tmux)");
	if (!have_pty())
		cr_skip_test("no pseudo-terminal can be opened (is /dev/pts mounted?): the real-terminal tests need one");
	snprintf(tmux_socket, sizeof tmux_socket, "rs_tui_%d", (int)getpid());
	snprintf(rc_file, sizeof rc_file, "/tmp/rs_tui_%d.rc", (int)getpid());
}

/* ---- the instance ------------------------------------------------------------------- */

static const char *instance;
static pid_t aggregator, ingest[2];

static pid_t start_aggregator(void)
{
	const char *argv[] = { RS_AGGREGATOR_BIN, "--instance", instance, "--tick-ms", "200",
			       "--quiet", NULL };
	return aggregator = spawn(argv);
}

/* Two synthetic nodes with fixed seeds; count 0 = no end. */
static void start_nodes(const char *rate, const char *count)
{
	const char *nodes[2] = { NODE_A, NODE_B }, *seeds[2] = { "7", "8" };
	for (int i = 0; i < 2; i++) {
		const char *argv[] = { RS_INGEST_BIN, "--instance", instance, "--node", nodes[i],
				       "--source", "synthetic", "--rate", rate, "--seed", seeds[i],
				       "--count", count, NULL };
		ingest[i] = spawn(argv);
	}
}

/* ---- the terminal ------------------------------------------------------------------- */

static const char *viewer_term;   /* TERM for the viewer; NULL: tmux's own */

/* Starts the viewer in a detached tmux session "main" of cols x rows, ASCII locale. */
static void start_viewer(int cols, int rows, const char *extra)
{
	char term[64] = "";
	if (viewer_term)
		snprintf(term, sizeof term, "TERM=%s", viewer_term);
	int rc = run("tmux -L %s -f /dev/null new-session -d -s main -x %d -y %d "
		     "\"env LANG=C LC_ALL=C %s %s --instance %s --refresh-ms 200 %s; echo \\$? > %s\"",
		     tmux_socket, cols, rows, term, RS_VIEW_BIN, instance, extra ? extra : "", rc_file);
	cr_assert_eq(rc, 0, "tmux new-session failed");
}

static void keys(const char *k)
{
	cr_assert_eq(run("tmux -L %s send-keys -t main %s", tmux_socket, k), 0, "send-keys %s", k);
}

static char *capture(void)
{
	return run_capture("tmux -L %s capture-pane -p -t main 2>/dev/null", tmux_socket);
}

/* The screen with its attributes as escape sequences. */
static char *capture_attrs(void)
{
	return run_capture("tmux -L %s capture-pane -e -p -t main 2>/dev/null", tmux_socket);
}

static bool session_alive(void)
{
	return run("tmux -L %s has-session -t main >/dev/null 2>&1", tmux_socket) == 0;
}

/* Presses q and checks the viewer ended with status 0 (a sanitizer report would not be 0). */
static void quit_ok(void)
{
	cr_assert_eq(run("tmux -L %s send-keys -t main q", tmux_socket), 0);
	double deadline = rs_test_now() + SCREEN_WAIT_S;
	while (run("tmux -L %s has-session -t main >/dev/null 2>&1", tmux_socket) == 0) {
		cr_assert(rs_test_now() < deadline, "q did not end the session");
		struct timespec ts = { 0, POLL_NS };
		nanosleep(&ts, NULL);
	}
	FILE *f = fopen(rc_file, "r");
	cr_assert_not_null(f, "the viewer's exit status was not recorded");
	int rc = -1;
	cr_expect_eq(fscanf(f, "%d", &rc), 1);
	fclose(f);
	cr_expect_eq(rc, 0, "routestat-view exits 0 on q");
}

typedef bool (*screen_pred)(const char *screen, const void *arg);

static void pause_poll(void)
{
	struct timespec ts = { 0, POLL_NS };
	nanosleep(&ts, NULL);
}

/* Polls the screen until pred holds; fails with the last screen after timeout_s. */
static char *wait_screen(screen_pred pred, const void *arg, double timeout_s, const char *what)
{
	double deadline = rs_test_now() + timeout_s;
	char *last = NULL;
	for (;;) {
		free(last);
		last = capture();
		if (last != NULL && pred(last, arg))
			return last;
		if (rs_test_now() > deadline)
			cr_assert_fail("%s: not on screen within %.0f s; the screen:\n%s", what, timeout_s,
				       last ? last : "(no capture)");
		pause_poll();
	}
}

static bool has_text(const char *screen, const void *arg)
{
	return strstr(screen, (const char *)arg) != NULL;
}

static char *wait_text(const char *text)
{
	return wait_screen(has_text, text, SCREEN_WAIT_S, text);
}

/* Line i of a screen (0-based) into buf; false past the end. */
static bool line_at(const char *screen, int i, char *buf, size_t n)
{
	const char *p = screen;
	for (; i > 0 && p; i--) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (p == NULL || *p == '\0')
		return false;
	size_t len = strcspn(p, "\n");
	snprintf(buf, n, "%.*s", (int)(len < n - 1 ? len : n - 1), p);
	return true;
}

/* Index of the first line containing text, or -1. */
static int find_line(const char *screen, const char *text)
{
	char buf[512];
	for (int i = 0; line_at(screen, i, buf, sizeof buf); i++)
		if (strstr(buf, text))
			return i;
	return -1;
}

/* ---- reading the leaderboard --------------------------------------------------------- */

struct board_row {
	char provider[64], chain[64];
	unsigned long long calls;
	double col;          /* the value under the column asked for */
};

/* Splits a line into whitespace tokens (in place); returns how many. */
static int tokens(char *line, char **tok, int max)
{
	int n = 0;
	for (char *s = strtok(line, " "); s && n < max; s = strtok(NULL, " "))
		tok[n++] = s;
	return n;
}

/*
 * The rows under the leaderboard header: rank, provider, chain, calls and,
 * when title is given, the value in the column whose header token starts
 * with title.  Returns the number of rows.
 */
static int board_rows(const char *screen, struct board_row *rows, int max, const char *title)
{
	int h = find_line(screen, " PROVIDER");
	if (h < 0)
		return 0;
	char buf[512], *tok[32];
	line_at(screen, h, buf, sizeof buf);
	int nt = tokens(buf, tok, 32), col = -1;
	for (int i = 0; title && i < nt; i++)
		if (strncmp(tok[i], title, strlen(title)) == 0 && col < 0)
			col = i;
	int n = 0;
	for (int i = h + 1; n < max && line_at(screen, i, buf, sizeof buf); i++) {
		int k = tokens(buf, tok, 32);
		char *end;
		if (k < 4 || strtoul(tok[0], &end, 10) == 0 || *end != '\0')
			break;                                /* past the last row */
		struct board_row *r = &rows[n++];
		snprintf(r->provider, sizeof r->provider, "%s", tok[1]);
		size_t pl = strlen(r->provider);
		if (pl && r->provider[pl - 1] == '*')
			r->provider[pl - 1] = '\0';           /* cold-start mark */
		snprintf(r->chain, sizeof r->chain, "%s", tok[2]);
		r->calls = strtoull(tok[3], NULL, 10);
		r->col = col >= 0 && col < k ? strtod(tok[col], NULL) : NAN;
	}
	return n;
}

/* Lines of the activity feed (they start with a time "HH:MM:SS.mmm"). */
static int feed_lines(const char *screen, char lines[][256], int max)
{
	char buf[512];
	int n = 0;
	for (int i = 0; n < max && line_at(screen, i, buf, sizeof buf); i++) {
		unsigned h, m, s, ms;
		char sp;
		if (sscanf(buf, " %2u:%2u:%2u.%3u%c", &h, &m, &s, &ms, &sp) == 5 && sp == ' ')
			snprintf(lines[n++], 256, "%.255s", buf);
	}
	return n;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static json_t *view_json(void)
{
	char *out = run_capture("%s --instance %s --json 2>/dev/null", RS_VIEW_BIN, instance);
	cr_assert_not_null(out);
	json_error_t e;
	json_t *root = json_loads(out, 0, &e);
	cr_assert_not_null(root, "--json output does not parse: %s\n%s", e.text, out);
	free(out);
	return root;
}

static json_t *json_provider(json_t *root, const char *provider, const char *chain)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(root, "providers"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "provider")), provider) == 0
		    && strcmp(json_string_value(json_object_get(p, "chain")), chain) == 0)
			return p;
	return NULL;
}

static int json_nodes_alive(json_t *root, size_t *total)
{
	json_t *nodes = json_object_get(root, "nodes"), *n;
	size_t i;
	int alive = 0;
	json_array_foreach(nodes, i, n)
		alive += json_is_true(json_object_get(n, "producer_alive"));
	*total = json_array_size(nodes);
	return alive;
}

static double jnum(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* "key value" in a screen line: the number after the first "key ". */
static double screen_number(const char *screen, const char *key)
{
	const char *p = strstr(screen, key);
	cr_assert_not_null(p, "'%s' not on screen:\n%s", key, screen);
	return strtod(p + strlen(key), NULL);
}

static bool nodes_both_reporting(const char *screen, const void *arg)
{
	(void)arg;
	struct board_row rows[4];
	return strstr(screen, "nodes 2/2") && board_rows(screen, rows, 4, NULL) >= 3;
}

/* ---- the tests ------------------------------------------------------------------------ */

TestSuite(tui_tmux, .init = setup, .fini = cleanup, .timeout = 120);

Test(tui_tmux, live_headline_and_providers_match_json)
{
	instance = rs_test_new_instance("live");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, NULL);
	char *scr = wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "nodes 2/2 and providers");
	json_t *j = view_json();
	size_t total;
	cr_expect_eq(json_nodes_alive(j, &total), 2, "--json: both producers alive");
	cr_expect_eq(total, 2);
	cr_expect(strstr(scr, "routestat ") && strstr(scr, instance), "top bar names the instance");
	cr_expect(strstr(scr, "fresh"), "aggregator fresh:\n%s", scr);
	cr_expect(strstr(scr, "RPS ") && strstr(scr, "success ") && strstr(scr, "avg ")
		  && strstr(scr, "failovers/min "), "headline strip:\n%s", scr);
	cr_expect(strstr(scr, "rps 60s"), "sparkline label");
	cr_expect(strstr(scr, "Recent activity") && strstr(scr, "Top methods"), "feed and methods");
	struct board_row rows[64];
	int n = board_rows(scr, rows, 64, NULL);
	cr_assert_geq(n, 3, "leaderboard rows:\n%s", scr);
	for (int i = 0; i < n; i++)
		cr_expect_not_null(json_provider(j, rows[i].provider, rows[i].chain),
				   "%s/%s on screen but not in --json", rows[i].provider, rows[i].chain);
	json_decref(j);
	free(scr);
}

/* 400 decisions from each node, then none: the --json document once the aggregator drained them all. */
static json_t *frozen_json(void)
{
	start_nodes("400", "400");
	for (int i = 0; i < 2; i++) {
		cr_assert(rs_test_exited_ok(rs_test_wait(ingest[i], 20.0)), "ingest %d finished", i);
		forget_child(ingest[i]);
	}
	/* Wait until the aggregator has drained everything: calls stop changing. */
	json_t *j = NULL;
	double deadline = rs_test_now() + SCREEN_WAIT_S, last = -1;
	for (;;) {
		json_decref(j);
		j = view_json();
		double calls = jnum(json_object_get(j, "totals"), "calls");
		if (calls > 0 && calls == last)
			return j;
		cr_assert(rs_test_now() < deadline, "totals never settled (%g)", calls);
		last = calls;
		struct timespec ts = { 0, 600000000L };    /* three aggregator ticks */
		nanosleep(&ts, NULL);
	}
}

Test(tui_tmux, frozen_figures_equal_json_exactly)
{
	instance = rs_test_new_instance("frozen");
	start_aggregator();
	json_t *j = frozen_json();
	json_t *t = json_object_get(j, "totals");
	char want[64];
	snprintf(want, sizeof want, "calls %.0f", jnum(t, "calls"));
	start_viewer(120, 40, NULL);
	char *scr = wait_text(want);
	cr_expect_float_eq(screen_number(scr, "RPS "), jnum(t, "rps"), 0.051);
	cr_expect_float_eq(screen_number(scr, "success "), jnum(t, "success_rate"), 0.051);
	cr_expect_float_eq(screen_number(scr, "avg "), jnum(t, "avg_ms"), 0.051);
	cr_expect_float_eq(screen_number(scr, "failovers/min "), jnum(t, "failovers_per_min"), 0.051);
	size_t total;
	char nodes[32];
	int alive = json_nodes_alive(j, &total);
	snprintf(nodes, sizeof nodes, "nodes %d/%zu", alive, total);
	cr_expect(strstr(scr, nodes), "top bar says %s like --json:\n%s", nodes, scr);

	struct board_row rows[64];
	int n = board_rows(scr, rows, 64, "SUCC%");
	cr_assert_geq(n, 5, "leaderboard:\n%s", scr);
	for (int i = 0; i < n; i++) {
		json_t *p = json_provider(j, rows[i].provider, rows[i].chain);
		cr_assert_not_null(p, "%s/%s not in --json", rows[i].provider, rows[i].chain);
		cr_expect_eq(rows[i].calls, (unsigned long long)jnum(p, "calls"), "%s/%s calls",
			     rows[i].provider, rows[i].chain);
		cr_expect_float_eq(rows[i].col, jnum(p, "success_rate"), 0.051, "%s/%s success",
				   rows[i].provider, rows[i].chain);
		/* The leaderboard is in --json's order by default (most calls first). */
		json_t *jp = json_array_get(json_object_get(j, "providers"), (size_t)i);
		cr_expect_eq(rows[i].calls, (unsigned long long)jnum(jp, "calls"), "rank %d", i + 1);
	}
	json_decref(j);
	free(scr);
}

/*
 * The methods panel shows exactly the list, entry by entry (name and calls), as
 * far as it has rows (at least three, or the whole list when shorter).
 */
static bool methods_panel_shows(const char *screen, const void *arg)
{
	json_t *list = (json_t *)arg;
	int h = find_line(screen, " METHOD ");
	if (h < 0)
		return false;
	char buf[512], *tok[16];
	size_t shown = 0;
	for (int i = h + 1; shown < json_array_size(list) && line_at(screen, i, buf, sizeof buf); i++) {
		char *end;
		if (tokens(buf, tok, 16) < 4)
			break;
		unsigned long long calls = strtoull(tok[1], &end, 10);
		if (*end != '\0')
			break;                                /* past the panel */
		json_t *want = json_array_get(list, shown++);
		if (strcmp(tok[0], json_string_value(json_object_get(want, "method"))) != 0
		    || calls != (unsigned long long)jnum(want, "calls"))
			return false;
	}
	return shown >= (json_array_size(list) < 3 ? json_array_size(list) : 3);
}

Test(tui_tmux, the_methods_panel_follows_the_node_tab)
{
	instance = rs_test_new_instance("methods");
	start_aggregator();
	json_t *j = frozen_json();
	json_t *nodes = json_object_get(j, "nodes");
	cr_assert_eq(json_array_size(nodes), 2);
	json_t *all = json_object_get(j, "methods");
	json_t *per_node[2] = { json_object_get(json_array_get(nodes, 0), "methods"),
				json_object_get(json_array_get(nodes, 1), "methods") };
	cr_assert(!json_equal(per_node[0], per_node[1]) && !json_equal(per_node[0], all),
		  "the nodes' method figures differ (else this test proves nothing)");
	start_viewer(120, 40, NULL);
	free(wait_screen(methods_panel_shows, all, SCREEN_WAIT_S, "the cluster-wide methods"));
	for (int i = 0; i < 2; i++) {
		char key[2] = { (char)('1' + i), '\0' }, title[96];
		keys(key);
		snprintf(title, sizeof title, "Top methods on %s",
			 json_string_value(json_object_get(json_array_get(nodes, (size_t)i), "node")));
		free(wait_text(title));
		free(wait_screen(methods_panel_shows, per_node[i], SCREEN_WAIT_S, title));
	}
	keys("0");
	free(wait_text("Top methods (all nodes)"));
	free(wait_screen(methods_panel_shows, all, SCREEN_WAIT_S, "the cluster-wide methods again"));
	json_decref(j);
	quit_ok();
}

/* Every feed line names node (and no other of the two). */
static bool feed_only(const char *screen, const void *arg)
{
	const char *node = arg, *other = strcmp(node, NODE_A) == 0 ? NODE_B : NODE_A;
	char lines[100][256];
	int n = feed_lines(screen, lines, 100);
	if (n == 0)
		return false;
	for (int i = 0; i < n; i++)
		if (!strstr(lines[i], node) || strstr(lines[i], other))
			return false;
	return true;
}

static bool feed_has_both(const char *screen, const void *arg)
{
	(void)arg;
	char lines[100][256];
	int n = feed_lines(screen, lines, 100), a = 0, b = 0;
	for (int i = 0; i < n; i++) {
		a += strstr(lines[i], NODE_A) != NULL;
		b += strstr(lines[i], NODE_B) != NULL;
	}
	return a > 0 && b > 0;
}

Test(tui_tmux, node_tabs_filter_to_one_node)
{
	instance = rs_test_new_instance("tabs");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, NULL);
	free(wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "both nodes"));
	free(wait_screen(feed_has_both, NULL, SCREEN_WAIT_S, "decisions of both nodes in the feed"));

	json_t *j = view_json();
	const char *second = json_string_value(json_object_get(
		json_array_get(json_object_get(j, "nodes"), 1), "node"));
	cr_assert_not_null(second);
	char node2[32], title[64];
	snprintf(node2, sizeof node2, "%s", second);
	json_decref(j);
	const char *node1 = strcmp(node2, NODE_A) == 0 ? NODE_B : NODE_A;

	keys("2");
	snprintf(title, sizeof title, "Providers on %s", node2);
	free(wait_text(title));
	char *scr = wait_screen(feed_only, node2, SCREEN_WAIT_S, "only the second node in the feed");
	snprintf(title, sizeof title, "%s: RPS", node2);
	cr_expect(strstr(scr, title), "headline scoped to the node:\n%s", scr);
	snprintf(title, sizeof title, "Top methods on %s", node2);
	cr_expect(strstr(scr, title), "methods scoped to the node:\n%s", scr);
	cr_expect_not(strstr(scr, "cluster-wide"), "no cluster-wide methods on a node tab:\n%s", scr);
	free(scr);

	keys("1");
	snprintf(title, sizeof title, "Providers on %s", node1);
	free(wait_text(title));
	free(wait_screen(feed_only, node1, SCREEN_WAIT_S, "only the first node in the feed"));

	keys("0");
	free(wait_text("Providers (all nodes)"));
	free(wait_screen(feed_has_both, NULL, SCREEN_WAIT_S, "both nodes again on the all tab"));
	quit_ok();
}

Test(tui_tmux, s_changes_the_sort_column_and_order)
{
	instance = rs_test_new_instance("sort");
	start_aggregator();
	start_nodes("200", "0");
	start_viewer(120, 40, NULL);
	char *before = wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "providers");
	cr_expect(strstr(before, "sort: calls") && strstr(before, "CALLSv"),
		  "sorted by calls at first:\n%s", before);
	keys("p");                                      /* freeze, so both orders are of one snapshot */
	free(wait_text("PAUSED"));
	struct board_row by_calls[64], by_p99[64];
	char *paused = capture();
	int n1 = board_rows(paused, by_calls, 64, NULL);
	for (int i = 0; i < 5; i++)
		keys("s");                              /* calls -> success -> avg -> p50 -> p95 -> p99 */
	char *scr = wait_text("sort: p99");
	cr_expect(strstr(scr, "P99v") && !strstr(scr, "CALLSv"), "the indicator moved:\n%s", scr);
	int n2 = board_rows(scr, by_p99, 64, "P99v");
	cr_assert_eq(n1, n2);
	cr_assert_geq(n2, 5);
	bool differs = false;
	for (int i = 0; i < n2; i++) {
		differs |= strcmp(by_calls[i].provider, by_p99[i].provider) != 0
			|| strcmp(by_calls[i].chain, by_p99[i].chain) != 0;
		if (i > 0)
			cr_expect_geq(by_p99[i - 1].col, by_p99[i].col, "p99 descending at row %d:\n%s",
				      i + 1, scr);
	}
	cr_expect(differs, "the order changed:\n%s\n%s", paused, scr);
	free(before);
	free(paused);
	free(scr);
}

Test(tui_tmux, help_overlay_lists_the_keys)
{
	instance = rs_test_new_instance("help");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, NULL);
	free(wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "providers"));
	keys("?");
	char *scr = wait_text("Help: routestat-view keys");
	const char *want[] = { "quit", "next sort column", "detail view", "pause", "refresh faster",
			       "1..9", "Tab" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(scr, want[i]), "help lists '%s':\n%s", want[i], scr);
	free(scr);
	keys("x");                                      /* any key closes it */
	double deadline = rs_test_now() + SCREEN_WAIT_S;
	for (;;) {
		scr = capture();
		bool gone = scr && !strstr(scr, "Help: routestat-view keys");
		free(scr);
		if (gone)
			break;
		cr_assert(rs_test_now() < deadline, "the help overlay did not close");
		pause_poll();
	}
	cr_expect(session_alive(), "closing the help does not quit");
	quit_ok();
}

static bool usable_80x24(const char *screen, const void *arg)
{
	(void)arg;
	char buf[512];
	int lines = 0;
	for (; line_at(screen, lines, buf, sizeof buf); lines++)
		if (strlen(buf) > 80)
			return false;
	return lines <= 24 && strncmp(screen, " routestat ", 11) == 0 && strstr(screen, " PROVIDER")
		&& strstr(screen, "q quit");
}

Test(tui_tmux, resize_to_80x24_keeps_it_usable)
{
	instance = rs_test_new_instance("resize");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, NULL);
	free(wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "providers"));
	cr_assert_eq(run("tmux -L %s resize-window -t main -x 80 -y 24", tmux_socket), 0);
	char *scr = wait_screen(usable_80x24, NULL, SCREEN_WAIT_S, "an 80x24 screen");
	/* Key panels present, once each, where a person expects them. */
	char top[256];
	line_at(scr, 0, top, sizeof top);
	cr_expect(strstr(top, instance) && strstr(top, "nodes 2/2") && strstr(top, "fresh"),
		  "top bar: '%s'", top);
	cr_expect_eq(find_line(scr, "RPS "), 1, "headline on row 2:\n%s", scr);
	const char *hdr = strstr(scr, " PROVIDER");
	cr_expect(find_line(scr, " PROVIDER") > 0 && hdr && !strstr(hdr + 1, " PROVIDER"),
		  "one leaderboard header:\n%s", scr);
	struct board_row rows[32];
	cr_expect_geq(board_rows(scr, rows, 32, NULL), 5, "at least five providers:\n%s", scr);
	cr_expect(strstr(scr, "Recent activity") && strstr(scr, "Top methods"),
		  "feed open, methods folded to a line:\n%s", scr);
	char last[256];
	cr_expect(line_at(scr, 23, last, sizeof last) && strstr(last, "q quit"), "footer on row 24");
	free(scr);

	/* And back: the large layout returns (the methods table with its header). */
	cr_assert_eq(run("tmux -L %s resize-window -t main -x 120 -y 40", tmux_socket), 0);
	free(wait_text(" METHOD "));
	quit_ok();
}

Test(tui_tmux, killed_aggregator_shows_dead_then_restart_is_picked_up)
{
	instance = rs_test_new_instance("dead");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, NULL);
	free(wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "providers"));
	kill_child(aggregator, SIGKILL);
	char *scr = wait_screen(has_text, "aggregator dead", DEAD_WAIT_S, "aggregator dead");
	struct board_row rows[8];
	cr_expect_geq(board_rows(scr, rows, 8, NULL), 3, "the last snapshot stays on screen:\n%s", scr);
	cr_expect(strstr(scr, "age "), "with its age");
	free(scr);
	cr_expect(session_alive());

	start_aggregator();                           /* a new incarnation, same viewer */
	free(wait_text("aggregator restarted"));
	free(wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "figures of the new aggregator"));
	free(wait_text("aggregator fresh"));
	quit_ok();
}

Test(tui_tmux, waits_for_an_aggregator_that_does_not_exist_yet)
{
	instance = rs_test_new_instance("late");
	start_viewer(120, 40, NULL);
	char want[96];
	snprintf(want, sizeof want, "waiting for /routestat.%s.snapshot", instance);
	free(wait_text(want));
	start_aggregator();
	start_nodes("100", "0");
	free(wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "figures once it runs"));
	quit_ok();
}

Test(tui_tmux, q_quits)
{
	instance = rs_test_new_instance("quit");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, "--node " NODE_B);
	free(wait_text("Providers on " NODE_B));       /* --node opens that tab */
	quit_ok();
}

Test(tui_tmux, enter_opens_the_provider_detail)
{
	instance = rs_test_new_instance("detail");
	start_aggregator();
	start_nodes("100", "0");
	start_viewer(120, 40, NULL);
	char *scr = wait_screen(nodes_both_reporting, NULL, SCREEN_WAIT_S, "providers");
	struct board_row rows[4];
	cr_assert_geq(board_rows(scr, rows, 4, NULL), 2);
	free(scr);
	keys("j");                                      /* the second provider */
	keys("Enter");
	char title[160];
	snprintf(title, sizeof title, "%s on %s", rows[1].provider, rows[1].chain);
	scr = wait_text("Per node: circuit state per transport, height vs consensus");
	cr_expect(strstr(scr, title), "the detail of the selected row (%s):\n%s", title, scr);
	const char *want[] = { "CONSENSUS", "HTTP", "WS", NODE_A, NODE_B,
			       "Circuit transitions (latest first)", "circuits, nodes per state" };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect(strstr(scr, want[i]), "detail shows '%s':\n%s", want[i], scr);
	free(scr);
	keys("Escape");
	free(wait_text("Providers (all nodes)"));
	cr_expect(session_alive(), "Esc goes back, it does not quit");
	quit_ok();
}

static bool has_board(const char *screen, const void *arg)
{
	(void)arg;
	return strstr(screen, " PROVIDER") && strstr(screen, "nodes 2/2");
}

/* An SGR colour parameter (30-37, 40-47, 38;..., 48;...) in the escape sequences of a capture. */
static bool has_colour(const char *s)
{
	for (const char *p = strstr(s, "\033["); p; p = strstr(p + 1, "\033[")) {
		const char *q = p + 2;
		while (*q && *q != 'm' && (*q == ';' || (*q >= '0' && *q <= '9'))) {
			char *end;
			long v = strtol(q, &end, 10);
			if (end == q)
				end = (char *)q + 1;
			else if ((v >= 30 && v <= 38) || (v >= 40 && v <= 48))
				return true;
			q = end;
		}
	}
	return false;
}

Test(tui_tmux, readable_without_colours)
{
	instance = rs_test_new_instance("mono");
	start_aggregator();
	start_nodes("100", "0");
	viewer_term = "vt100";                          /* no colours: bold, underline, reverse */
	start_viewer(80, 24, NULL);
	free(wait_screen(has_board, NULL, SCREEN_WAIT_S, "the dashboard on a vt100"));
	char *scr = capture_attrs();
	cr_assert_not_null(scr);
	cr_expect_not(has_colour(scr), "no colour on a vt100:\n%s", scr);
	cr_expect(strstr(scr, "\033[7m") || strstr(scr, ";7m"), "reverse video marks the selection");
	cr_expect(strstr(scr, "\033[1m") || strstr(scr, ";1m"), "bold marks titles");
	free(scr);
}
