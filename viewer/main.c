/*
 * main.c - routestat-view: shows the aggregator's metrics snapshot of one
 * instance: on a terminal as a live full-screen dashboard, otherwise (or
 * with --once / --json) once, as aligned text or as one JSON document.
 *
 *   routestat-view --instance NAME [--once | --json] [--node NODE] [--stale-ms N]
 *                  [--refresh-ms N]
 *
 * This file only parses options, picks the mode and maps outcomes to exit
 * codes; reading is view_source.c, formatting view_text.c / view_json.c,
 * the dashboard tui_loop.c (with tui_model, tui_layout, tui_keys, tui_draw).
 * Every option is one row of view_options[], from which getopt_long's
 * table, the synopsis, --help and the range checks are all generated.
 *
 * Exit codes: 0 ok; 1 error (damaged snapshot, I/O); 2 no such instance;
 * 3 aggregator stale or dead, or nothing published (the last snapshot is
 * still printed when there is one); 64 usage.  The dashboard exits 0 on q
 * (it waits for a missing instance instead of exiting 2), 1 when the
 * terminal cannot be driven.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics_snapshot.h"
#include "rs_error.h"
#include "shm_object.h"
#include "tui_loop.h"
#include "tui_model.h"
#include "view_json.h"
#include "view_model.h"
#include "view_source.h"
#include "view_text.h"

#define PROG "routestat-view"

enum view_exit {
	VIEW_EXIT_OK          = 0,
	VIEW_EXIT_ERROR       = 1,
	VIEW_EXIT_NO_INSTANCE = 2,
	VIEW_EXIT_STALE       = 3,
	VIEW_EXIT_USAGE       = 64,    /* EX_USAGE */
};

/* How long a snapshot object that has published nothing yet is waited for. */
#define VIEW_FIRST_SNAPSHOT_MS 2000u

/* ---- the option table ----------------------------------------------------- */

enum view_opt_id {
	OPT_INSTANCE, OPT_ONCE, OPT_JSON, OPT_NODE, OPT_STALE_MS, OPT_REFRESH_MS,
	OPT_READ_DURING_TICKS, OPT_HELP, OPT_COUNT
};

enum view_opt_kind {
	KIND_FLAG,      /* no argument */
	KIND_INSTANCE,  /* an instance name (rs_name_check) */
	KIND_NODE,      /* a node name: the same, '.' allowed too */
	KIND_COUNT,     /* an integer within [min, max] */
};

#define OPTF_REQUIRED 0x1u   /* synopsis: must be given */
#define OPTF_MODE     0x2u   /* synopsis: one of the "[a | b]" output modes */

struct view_option {
	const char        *name;
	char               short_name;  /* 0: long only */
	enum view_opt_kind kind;
	const char        *metavar;
	uint64_t           min, max;    /* KIND_COUNT bounds */
	unsigned           flags;
	const char        *help;
};

static const struct view_option view_options[OPT_COUNT] = {
	[OPT_INSTANCE] = { "instance", 0, KIND_INSTANCE, "NAME", 0, 0, OPTF_REQUIRED,
		"the instance whose aggregator snapshot to read" },
	[OPT_ONCE] = { "once", 0, KIND_FLAG, NULL, 0, 0, OPTF_MODE,
		"print the snapshot once as aligned text tables (the\n"
		"default when stdin or stdout is not a terminal; on a\n"
		"terminal the default is the live dashboard: press ?\n"
		"in it for its keys)" },
	[OPT_JSON] = { "json", 0, KIND_FLAG, NULL, 0, 0, OPTF_MODE,
		"print the snapshot once as one JSON document\n"
		"(described in docs/json-schema.md)" },
	[OPT_NODE] = { "node", 0, KIND_NODE, "NODE", 0, 0, 0,
		"show one ingest node: its routes in the provider table,\n"
		"its ring, its top methods, its recent decisions (the\n"
		"headline totals stay cluster-wide); the dashboard opens\n"
		"on that node's tab" },
	[OPT_STALE_MS] = { "stale-ms", 0, KIND_COUNT, "N", 1, 86400000, 0,
		"call the aggregator stale (exit 3) when its heartbeat is\n"
		"older than N ms (default 3 publish intervals; a gone\n"
		"process, or 20 intervals, is 'dead')" },
	[OPT_REFRESH_MS] = { "refresh-ms", 0, KIND_COUNT, "N", RS_TUI_REFRESH_MIN_MS,
		RS_TUI_REFRESH_MAX_MS, 0,
		"dashboard: re-read the snapshot every N ms (default\n"
		"1000; + and - change it while running)" },
	[OPT_READ_DURING_TICKS] = { "read-during-ticks", 0, KIND_FLAG, NULL, 0, 0, 0,
		"dashboard: wake exactly on the refresh interval even\n"
		"while the aggregator is in its tick (by default such a\n"
		"wake-up waits for that tick's publication, a few ms, so\n"
		"dashboards never compete with the aggregator for CPU)" },
	[OPT_HELP] = { "help", 'h', KIND_FLAG, NULL, 0, 0, 0, "print this text" },
};

struct view_opts {
	const char *instance;
	const char *node;
	uint64_t    stale_ms;
	uint64_t    refresh_ms;
	bool        once, json, read_during_ticks;
};

/* "usage: ..." from the table: required options bare, the modes as "[a | b]", others "[...]". */
static void synopsis(FILE *f)
{
	fputs("usage: " PROG, f);
	bool modes_done = false;
	for (unsigned i = 0; i < OPT_COUNT; i++) {
		const struct view_option *v = &view_options[i];
		if (i == OPT_HELP)
			continue;
		if (v->flags & OPTF_MODE) {
			if (modes_done)
				continue;
			modes_done = true;
			const char *sep = " [";
			for (unsigned j = i; j < OPT_COUNT; j++)
				if (view_options[j].flags & OPTF_MODE) {
					fprintf(f, "%s--%s", sep, view_options[j].name);
					sep = " | ";
				}
			fputc(']', f);
			continue;
		}
		bool req = v->flags & OPTF_REQUIRED;
		fprintf(f, " %s--%s%s%s%s", req ? "" : "[", v->name, v->metavar ? " " : "",
			v->metavar ? v->metavar : "", req ? "" : "]");
	}
	fputs("\n       " PROG " --help\n", f);
}

static void usage(FILE *f)
{
	synopsis(f);
	fprintf(f, "\nShows the metrics that routestat-aggregator publishes for an instance, read\n"
		   "from its shared-memory snapshot (read-only; any number of viewers may run):\n"
		   "on a terminal as a live dashboard, otherwise printed once.\n"
		   "\noptions:\n");
	for (unsigned i = 0; i < OPT_COUNT; i++) {
		const struct view_option *v = &view_options[i];
		char left[48];
		if (v->short_name)
			snprintf(left, sizeof left, "-%c, --%s", v->short_name, v->name);
		else
			snprintf(left, sizeof left, "--%s%s%s", v->name, v->metavar ? " " : "",
				 v->metavar ? v->metavar : "");
		if (strlen(left) > 16)   /* too wide for the column: the text starts below */
			fprintf(f, "  %s\n  %-16s ", left, "");
		else
			fprintf(f, "  %-16s ", left);
		for (const char *p = v->help; *p; p++) {
			fputc(*p, f);
			if (*p == '\n')
				fprintf(f, "  %-16s ", "");
		}
		if (v->kind == KIND_COUNT)
			fprintf(f, "\n  %-16s (%s: %" PRIu64 "..%" PRIu64 ")", "", v->metavar, v->min, v->max);
		fputc('\n', f);
	}
	fprintf(f, "\nexit status: 0 ok; 1 error (e.g. a damaged snapshot); 2 no such instance;\n"
		   "3 aggregator stale or dead, or nothing published within %.0f s (the last\n"
		   "snapshot is still printed); 64 usage error.  The dashboard waits for a\n"
		   "missing aggregator and exits 0 when you quit it.\n",
		(double)VIEW_FIRST_SNAPSHOT_MS / 1000.0);
}

static int parse_count(const struct view_option *v, const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || n < v->min || n > v->max) {
		fprintf(stderr, PROG ": --%s wants a number in %" PRIu64 "..%" PRIu64 ", not '%s'\n",
			v->name, v->min, v->max, s);
		return -1;
	}
	*out = n;
	return 0;
}

static int parse_value(const struct view_option *v, const char *arg, const char **name_out,
		       uint64_t *count_out)
{
	struct rs_error err;
	switch (v->kind) {
	case KIND_FLAG:
		return 0;
	case KIND_INSTANCE:
	case KIND_NODE:
		if (rs_name_check(v->name, arg, v->kind == KIND_NODE, &err) < 0) {
			fprintf(stderr, PROG ": --%s: %s\n", v->name, err.msg);
			return -1;
		}
		*name_out = arg;
		return 0;
	case KIND_COUNT:
		return parse_count(v, arg, count_out);
	}
	return -1;
}

/* Returns 0, 1 for --help, -1 for a usage error (already reported). */
static int parse(int argc, char **argv, struct view_opts *o)
{
	struct option longopts[OPT_COUNT + 1];
	char shortopts[2 * OPT_COUNT + 2] = ":";
	size_t ns = 1;
	for (unsigned i = 0; i < OPT_COUNT; i++) {
		const struct view_option *v = &view_options[i];
		longopts[i] = (struct option){ v->name, v->kind == KIND_FLAG ? no_argument
					       : required_argument, NULL, 256 + (int)i };
		if (v->short_name) {
			shortopts[ns++] = v->short_name;
			if (v->kind != KIND_FLAG)
				shortopts[ns++] = ':';
		}
	}
	longopts[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[ns] = '\0';

	*o = (struct view_opts){ 0 };
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int id = -1;
		if (c >= 256 && c < 256 + OPT_COUNT)
			id = c - 256;
		for (unsigned i = 0; id < 0 && i < OPT_COUNT; i++)
			if (view_options[i].short_name && view_options[i].short_name == c)
				id = (int)i;
		if (id < 0) {
			if (c == ':')
				fprintf(stderr, PROG ": %s needs an argument\n", argv[optind - 1]);
			else
				fprintf(stderr, PROG ": unknown option '%s'\n", argv[optind - 1]);
			return -1;
		}
		const char *name = NULL;
		uint64_t count = 0;
		if (parse_value(&view_options[id], optarg, &name, &count) < 0)
			return -1;
		switch ((enum view_opt_id)id) {
		case OPT_INSTANCE: o->instance = name; break;
		case OPT_ONCE:     o->once = true; break;
		case OPT_JSON:     o->json = true; break;
		case OPT_NODE:     o->node = name; break;
		case OPT_STALE_MS: o->stale_ms = count; break;
		case OPT_REFRESH_MS: o->refresh_ms = count; break;
		case OPT_READ_DURING_TICKS: o->read_during_ticks = true; break;
		case OPT_HELP:     return 1;
		case OPT_COUNT:    break;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->instance == NULL) {
		fprintf(stderr, PROG ": --instance NAME is required\n");
		return -1;
	}
	if (o->once && o->json) {
		fprintf(stderr, PROG ": --once and --json exclude each other\n");
		return -1;
	}
	return 0;
}

/* ---- running ---------------------------------------------------------------- */

static void no_such_node(const struct rs_metrics_snapshot *s, const struct view_opts *o)
{
	fprintf(stderr, PROG ": instance '%s' has no node '%s' (nodes:", o->instance, o->node);
	for (uint32_t i = 0; i < s->n_nodes; i++)
		fprintf(stderr, "%s %s", i ? "," : "", s->nodes[i].name);
	fprintf(stderr, "%s)\n", s->n_nodes ? "" : " none");
}

static void report_status(const struct view_opts *o, const struct rs_view_info *info)
{
	char hb[32], age[32];
	rs_view_fmt_age(hb, sizeof hb, info->heartbeat_age_ms);
	rs_view_fmt_age(age, sizeof age, info->age_ms);
	if (info->stopped)
		fprintf(stderr, PROG ": instance '%s': aggregator stopped %s ago; the snapshot shown is "
			"its last, %s old\n", o->instance, hb, age);
	else if (info->status == RS_SNAPSHOT_DEAD)
		fprintf(stderr, PROG ": instance '%s': aggregator dead (pid %u %s): last heartbeat "
			"%s ago; the snapshot shown is %s old\n", o->instance, info->writer_pid,
			info->writer_alive ? "alive but silent" : "gone", hb, age);
	else
		fprintf(stderr, PROG ": instance '%s': aggregator stale (pid %u): last heartbeat "
			"%s ago; the snapshot shown is %s old\n", o->instance, info->writer_pid, hb, age);
}

static int read_snapshot(const struct view_opts *o, struct rs_view_source *src,
			 struct rs_metrics_snapshot *snap, struct rs_view_info *info)
{
	struct rs_error err;
	rs_error_clear(&err);
	int rc = rs_view_source_open(src, &err);
	if (rc == -ENOENT) {
		fprintf(stderr, PROG ": instance '%s' has no aggregator snapshot "
			"(is routestat-aggregator running?)\n", o->instance);
		return VIEW_EXIT_NO_INSTANCE;
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": open snapshot of instance '%s': %s\n", o->instance, err.msg);
		return VIEW_EXIT_ERROR;
	}
	rc = rs_view_source_wait(src, snap, info, VIEW_FIRST_SNAPSHOT_MS, &err);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, PROG ": instance '%s': the aggregator (pid %u, %s) published no "
			"snapshot within %.1f s\n", o->instance, info->writer_pid,
			info->writer_alive ? "alive" : "gone", (double)VIEW_FIRST_SNAPSHOT_MS / 1000.0);
		return VIEW_EXIT_STALE;
	}
	if (rc == -EPROTO) {
		fprintf(stderr, PROG ": instance '%s': refusing a damaged snapshot: %s\n",
			o->instance, err.msg);
		return VIEW_EXIT_ERROR;
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": read snapshot of instance '%s': %s\n", o->instance, err.msg);
		return VIEW_EXIT_ERROR;
	}
	return VIEW_EXIT_OK;
}

/* The live dashboard: no --once/--json and a terminal on both stdin (keys) and stdout. */
static bool want_dashboard(const struct view_opts *o)
{
	return !o->once && !o->json && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static int run_dashboard(const struct view_opts *o)
{
	struct rs_tui_options to = {
		.instance = o->instance, .node = o->node, .stale_ms = o->stale_ms,
		.refresh_ms = o->refresh_ms ? (uint32_t)o->refresh_ms : RS_TUI_REFRESH_DEFAULT_MS,
		.read_during_ticks = o->read_during_ticks,
	};
	struct rs_error err;
	rs_error_clear(&err);
	if (rs_tui_run(&to, &err) < 0) {
		fprintf(stderr, PROG ": dashboard: %s (--once and --json print without a terminal)\n",
			err.msg);
		return VIEW_EXIT_ERROR;
	}
	return VIEW_EXIT_OK;
}

static int run(const struct view_opts *o, struct rs_metrics_snapshot *snap)
{
	struct rs_view_source src;
	struct rs_view_info info;
	rs_view_source_init(&src, o->instance, o->stale_ms);
	int code = read_snapshot(o, &src, snap, &info);
	rs_view_source_close(&src);
	if (code != VIEW_EXIT_OK)
		return code;

	struct rs_view_options vo = { .node = o->node };
	errno = 0;
	int rc = o->json ? rs_view_json_write(stdout, snap, &info, &vo)
			 : rs_view_text_write(stdout, snap, &info, &vo);
	if (rc == -ENOENT) {
		no_such_node(snap, o);
		return VIEW_EXIT_ERROR;
	}
	if (rc == -EIO && errno != 0)
		rc = -errno;              /* what the failed write said */
	if (rc == 0 && fflush(stdout) != 0)
		rc = -errno;
	if (rc < 0) {
		fprintf(stderr, PROG ": write %s output: %s\n", o->json ? "JSON" : "text",
			strerror(-rc));
		return VIEW_EXIT_ERROR;
	}
	if (!rs_view_status_ok(info.status)) {
		report_status(o, &info);
		return VIEW_EXIT_STALE;
	}
	return VIEW_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct view_opts o;
	int rc = parse(argc, argv, &o);
	if (rc > 0) {
		usage(stdout);
		return VIEW_EXIT_OK;
	}
	if (rc < 0) {
		fprintf(stderr, "Try '" PROG " --help'.\n");
		return VIEW_EXIT_USAGE;
	}
	if (want_dashboard(&o))
		return run_dashboard(&o);
	struct rs_metrics_snapshot *snap = malloc(sizeof *snap);
	if (snap == NULL) {
		fprintf(stderr, PROG ": allocate %zu bytes for a snapshot: %s\n", sizeof *snap,
			strerror(errno));
		return VIEW_EXIT_ERROR;
	}
	int code = run(&o, snap);
	free(snap);
	return code;
}
