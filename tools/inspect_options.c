/*
 * inspect_options.c - routestat-inspect's command line: one table row per
 * option (name, short key, argument, bounds, apply hook, help) from which the
 * getopt_long array, the short-option string and --help are all generated,
 * so an option is described in exactly one place.
 */
#include "inspect.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shm_object.h"

struct opt_row;
typedef int (*opt_apply)(struct inspect_options *o, const struct opt_row *row, const char *arg);

struct opt_row {
	const char *name;
	char        key;        /* short option */
	const char *metavar;    /* NULL: a flag without argument */
	double      min, max;   /* bounds of a numeric argument */
	opt_apply   apply;
	const char *help;
};

static int apply_instance(struct inspect_options *o, const struct opt_row *row, const char *arg)
{
	(void)row;
	struct rs_error err;
	if (rs_name_check("instance", arg, false, &err) < 0) {
		fprintf(stderr, INSPECT_PROG ": --instance: %s\n", err.msg);
		return -1;
	}
	o->instance = arg;
	return 0;
}

static int apply_json(struct inspect_options *o, const struct opt_row *row, const char *arg)
{
	(void)row, (void)arg;
	o->json = true;
	return 0;
}

static int apply_dict(struct inspect_options *o, const struct opt_row *row, const char *arg)
{
	(void)row, (void)arg;
	o->dict = true;
	return 0;
}

/* A decimal number within the row's bounds; rejects junk, signs out of range, nan. */
static int parse_bounded(const struct opt_row *row, const char *arg, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || isnan(v) || v < row->min || v > row->max) {
		fprintf(stderr, INSPECT_PROG ": --%s wants a number in %g..%g, not '%s'\n",
			row->name, row->min, row->max, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int apply_watch(struct inspect_options *o, const struct opt_row *row, const char *arg)
{
	return parse_bounded(row, arg, &o->watch_s);
}

static int apply_help(struct inspect_options *o, const struct opt_row *row, const char *arg)
{
	(void)o, (void)row, (void)arg;
	return 1;
}

static const struct opt_row opt_table[] = {
	{ "instance", 'i', "NAME", 0, 0, apply_instance,
	  "only this instance's objects (exit 2 when it has none)" },
	{ "json", 'j', NULL, 0, 0, apply_json,
	  "one JSON document instead of text (one line per report with --watch)" },
	{ "dict", 'd', NULL, 0, 0, apply_dict,
	  "list each ring's first dictionary entries" },
	{ "watch", 'w', "SECONDS", 0.1, 86400, apply_watch,
	  "repeat every SECONDS until interrupted" },
	{ "help", 'h', NULL, 0, 0, apply_help,
	  "this text" },
};

#define OPT_COUNT (sizeof opt_table / sizeof opt_table[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: " INSPECT_PROG " [options]\n\n"
		"Lists routestat's shared-memory objects (/routestat.<instance>.<part>):\n"
		"header, ring counters, snapshot freshness.  Maps every object read-only.\n\n"
		"options:\n");
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt_row *r = &opt_table[i];
		char left[48];
		snprintf(left, sizeof left, "-%c, --%s%s%s", r->key, r->name,
			 r->metavar ? " " : "", r->metavar ? r->metavar : "");
		fprintf(f, "  %-24s %s", left, r->help);
		if (r->metavar && r->max > r->min)
			fprintf(f, " (%g..%g)", r->min, r->max);
		fputc('\n', f);
	}
	fprintf(f, "\nexit status: %d all healthy, %d some object damaged or unreadable,\n"
		"%d the named instance has no objects, %d usage error.\n"
		"A dead writer is reported, not counted as damage.\n",
		INSPECT_EXIT_OK, INSPECT_EXIT_DAMAGED, INSPECT_EXIT_NO_OBJECTS, INSPECT_EXIT_USAGE);
}

/* Builds getopt_long's inputs from the table. */
static void build_getopt(struct option longopts[OPT_COUNT + 1], char shortopts[2 * OPT_COUNT + 2])
{
	char *s = shortopts;
	*s++ = ':';   /* report a missing argument as ':' rather than '?' */
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt_row *r = &opt_table[i];
		longopts[i] = (struct option){ r->name, r->metavar ? required_argument : no_argument,
					       NULL, r->key };
		*s++ = r->key;
		if (r->metavar)
			*s++ = ':';
	}
	*s = '\0';
	longopts[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
}

static const struct opt_row *find_row(int key)
{
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (opt_table[i].key == key)
			return &opt_table[i];
	return NULL;
}

static int bad_option(char **argv, int c)
{
	/* getopt has consumed the offending word, except inside a cluster like -jx. */
	if (c == ':')
		fprintf(stderr, INSPECT_PROG ": %s needs an argument\n", argv[optind - 1]);
	else if (optopt != 0)
		fprintf(stderr, INSPECT_PROG ": unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, INSPECT_PROG ": unknown option '%s'\n", argv[optind - 1]);
	fprintf(stderr, "Try '" INSPECT_PROG " --help'.\n");
	return -1;
}

int inspect_options_parse(int argc, char **argv, struct inspect_options *o)
{
	struct option longopts[OPT_COUNT + 1];
	char shortopts[2 * OPT_COUNT + 2];
	build_getopt(longopts, shortopts);
	*o = (struct inspect_options){ 0 };
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct opt_row *row = find_row(c);
		if (row == NULL)
			return bad_option(argv, c);
		int rc = row->apply(o, row, optarg);
		if (rc > 0) {
			usage(stdout);
			return 1;
		}
		if (rc < 0)
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, INSPECT_PROG ": unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}
