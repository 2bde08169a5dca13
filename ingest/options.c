/*
 * options.c - the option table of routestat-ingest and everything generated
 * from it: getopt_long's array, defaults, range checks, usage errors, --help.
 *
 * Each row is one option (Varnish's VOPT / Redis's static_configs idea):
 * a value is always parsed and checked by its row's type, for defaults as
 * for the command line, so bounds and messages exist once.
 */
#include "options.h"

#include "name_limits.h"
#include "shm_object.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "routestat-ingest"

enum opt_type {
	T_STRING,     /* const char * */
	T_CHOICE,     /* unsigned: index into choices */
	T_U64,        /* uint64_t in min..max */
	T_POW2,       /* uint64_t power of two in min..max */
	T_SECONDS,    /* double in 0..max */
	T_FLAG,       /* bool, no argument */
};

/* Which sources a row applies to: a mask of (1 << enum rs_ingest_source). */
#define FOR_SYNTHETIC (1u << RS_SOURCE_SYNTHETIC)
#define FOR_JSONL     (1u << RS_SOURCE_JSONL)
#define FOR_UNIX      (1u << RS_SOURCE_UNIX)
#define FOR_UDP       (1u << RS_SOURCE_UDP)
#define FOR_DGRAM     (FOR_UNIX | FOR_UDP)
#define FOR_ALL       (FOR_SYNTHETIC | FOR_JSONL | FOR_DGRAM)

struct opt_row {
	const char   *name;
	int           short_name;   /* 0: long form only */
	const char   *arg;          /* argument name in --help; NULL for flags */
	enum opt_type type;
	size_t        offset;       /* of the field in struct rs_ingest_config */
	uint64_t      min, max;
	const char *const *choices; /* T_CHOICE: NULL-terminated */
	const char   *def;          /* default, parsed like an argument; NULL: none */
	bool          required;
	unsigned      scope;        /* FOR_* mask */
	const char   *help;
};

static const char *const sources[] = { "synthetic", "jsonl", "unix", "udp", NULL };
static const char *const recv_modes[] = { "auto", "multishot", "single", NULL };
static const char *const scenarios[] = { "easy", "medium", "worst", NULL };
static const uint64_t scenario_rates[] = { 50, 400, 3000 };

#define OFF(f) offsetof(struct rs_ingest_config, f)

_Static_assert(RS_OPT_N <= 32, "given is a 32-bit mask");

static const struct opt_row table[RS_OPT_N] = {
	[RS_OPT_INSTANCE] = { "instance", 'i', "NAME", T_STRING, OFF(instance), 0, 0, NULL, NULL,
			      true, FOR_ALL, "instance name, the prefix of its shared-memory objects" },
	[RS_OPT_NODE] = { "node", 'n', "NODE", T_STRING, OFF(node), 0, 0, NULL, NULL,
			  true, FOR_ALL, "proxy node this process feeds (selects its ring)" },
	[RS_OPT_SOURCE] = { "source", 's', "SOURCE", T_CHOICE, OFF(source), 0, 0, sources, NULL,
			    true, FOR_ALL, "synthetic; jsonl FILE ('-' = stdin); unix PATH; udp [HOST:]PORT" },
	[RS_OPT_SCENARIO] = { "scenario", 0, "NAME", T_CHOICE, OFF(scenario), 0, 0, scenarios, "medium",
			      false, FOR_SYNTHETIC, "rate preset: easy 50, medium 400, worst 3000 events/s" },
	[RS_OPT_RATE] = { "rate", 'r', "N", T_U64, OFF(rate), 0, 100000000, NULL, NULL,
			  false, FOR_SYNTHETIC, "events per second, overrides --scenario; 0 = as fast as possible" },
	[RS_OPT_SEED] = { "seed", 0, "N", T_U64, OFF(seed), 0, UINT64_MAX, NULL, NULL,
			  false, FOR_SYNTHETIC, "same seed and node, same events (default: random)" },
	[RS_OPT_FOLLOW] = { "follow", 'f', NULL, T_FLAG, OFF(follow), 0, 0, NULL, NULL,
			    false, FOR_JSONL, "keep reading as FILE grows, across rotation and truncation (tail -F)" },
	[RS_OPT_MAX_LINE] = { "max-line", 0, "BYTES", T_U64, OFF(max_line), 256, 1u << 20, NULL, "65536",
			      false, FOR_JSONL | FOR_DGRAM, "longest line or datagram; longer ones are rejected "
			      "(too_long)" },
	[RS_OPT_ALLOW_REMOTE] = { "allow-remote", 0, NULL, T_FLAG, OFF(allow_remote), 0, 0, NULL, NULL,
				  false, FOR_UDP, "bind a non-loopback address (whoever reaches it "
				  "can feed the ring)" },
	[RS_OPT_RCVBUF] = { "rcvbuf", 0, "BYTES", T_U64, OFF(rcvbuf), 0, 1u << 30, NULL, "4194304",
			    false, FOR_DGRAM, "socket receive buffer, room for bursts; 0 = system "
			    "default" },
	[RS_OPT_RECV_MODE] = { "recv-mode", 0, "MODE", T_CHOICE, OFF(recv_mode), 0, 0, recv_modes, "auto",
			       false, FOR_DGRAM, "io_uring receive: multishot (kernel 6.0+), single "
			       "(64 in flight), auto" },
	[RS_OPT_COUNT] = { "count", 'c', "N", T_U64, OFF(count), 0, UINT64_MAX, NULL, "0",
			   false, FOR_ALL, "stop after N events or lines, 0 = no limit" },
	[RS_OPT_DURATION] = { "duration", 'd', "S", T_SECONDS, OFF(duration_s), 0, 1000000000, NULL, "0",
			      false, FOR_ALL, "stop after S seconds (fractions allowed), 0 = no limit" },
	[RS_OPT_CAPACITY] = { "capacity", 0, "N", T_POW2, OFF(capacity), 64, 1u << 24, NULL, "65536",
			      false, FOR_ALL, "ring size in records, a power of two (used when the ring is created)" },
	[RS_OPT_DICT_CAPACITY] = { "dict-capacity", 0, "N", T_U64, OFF(dict_capacity), 1, 65535, NULL, "1024",
				   false, FOR_ALL, "dictionary entries (used when the ring is created)" },
	[RS_OPT_NAME_LIMITS] = { "name-limits", 0, "SPEC", T_STRING, OFF(name_limits), 0, 0, NULL, NULL,
				 false, FOR_JSONL | FOR_DGRAM, "distinct names admitted per kind, e.g. "
				 "providers=64,chains=64,methods=256,profiles=16,reasons=64 (the defaults); a line "
				 "bringing a new name past its kind's limit is rejected (dictionary_full)" },
	[RS_OPT_MAX_CLOCK_SKEW] = { "max-clock-skew", 0, "S", T_SECONDS, OFF(max_clock_skew_s), 0,
				    1000000000, NULL, "86400", false, FOR_JSONL | FOR_DGRAM,
				    "reject events whose ts is more than S seconds from this host's clock "
				    "(out_of_range), 0 = no check" },
	[RS_OPT_HELP] = { "help", 'h', NULL, T_FLAG, OFF(help), 0, 0, NULL, NULL,
			  false, FOR_ALL, "print this help and exit" },
};

uint64_t rs_ingest_scenario_rate(unsigned scenario)
{
	return scenario < sizeof scenario_rates / sizeof scenario_rates[0] ? scenario_rates[scenario] : 0;
}

/* ---- values ---------------------------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs(PROG ": usage: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see --help)\n", stderr);
	va_end(ap);
	return RS_OPTIONS_USAGE;
}

static void choice_list(char *dst, size_t size, const char *const *choices)
{
	size_t o = 0;
	dst[0] = '\0';
	for (unsigned i = 0; choices[i] != NULL && o < size; i++) {
		int n = snprintf(dst + o, size - o, "%s%s", i ? ", " : "", choices[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static bool parse_u64(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')     /* no sign, no space */
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

static int set_number(const struct opt_row *o, void *field, const char *v)
{
	uint64_t x;
	bool pow2 = o->type == T_POW2;
	if (!parse_u64(v, &x) || x < o->min || x > o->max || (pow2 && (x & (x - 1)) != 0))
		return usage_error("--%s: must be %s in %llu..%llu (got \"%s\")", o->name,
				   pow2 ? "a power of two" : "an integer",
				   (unsigned long long)o->min, (unsigned long long)o->max, v);
	*(uint64_t *)field = x;
	return 0;
}

static int set_seconds(const struct opt_row *o, void *field, const char *v)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !(x >= 0.0 && x <= (double)o->max))
		return usage_error("--%s: must be a number of seconds in 0..%llu (got \"%s\")", o->name,
				   (unsigned long long)o->max, v);
	*(double *)field = x;
	return 0;
}

static int set_choice(const struct opt_row *o, void *field, const char *v)
{
	for (unsigned i = 0; o->choices[i] != NULL; i++)
		if (strcmp(o->choices[i], v) == 0) {
			*(unsigned *)field = i;
			return 0;
		}
	char list[128];
	choice_list(list, sizeof list, o->choices);
	return usage_error("--%s: must be one of %s (got \"%s\")", o->name, list, v);
}

/* Stores v (NULL for a flag) in the field of row o. */
static int apply(struct rs_ingest_config *cfg, const struct opt_row *o, const char *v)
{
	void *field = (char *)cfg + o->offset;
	switch (o->type) {
	case T_STRING:
		*(const char **)field = v;
		return 0;
	case T_CHOICE:
		return set_choice(o, field, v);
	case T_U64:
	case T_POW2:
		return set_number(o, field, v);
	case T_SECONDS:
		return set_seconds(o, field, v);
	case T_FLAG:
		*(bool *)field = true;
		return 0;
	}
	return 0;
}

/* "jsonl", "unix or udp", "jsonl, unix or udp": the sources of a scope mask. */
static void scope_list(char *dst, size_t size, unsigned scope)
{
	unsigned n = 0, total = (unsigned)__builtin_popcount(scope);
	size_t o = 0;
	dst[0] = '\0';
	for (unsigned i = 0; sources[i] != NULL && o < size; i++) {
		if (!(scope & (1u << i)))
			continue;
		n++;
		const char *sep = n == 1 ? "" : n == total ? " or " : ", ";
		int w = snprintf(dst + o, size - o, "%s%s", sep, sources[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/* ---- --help --------------------------------------------------------------- */

/* Appends ", text" (or "text" first) to a help detail line. */
static void detail(char *dst, size_t size, const char *text)
{
	size_t n = strlen(dst);
	if (n + 2 < size)
		snprintf(dst + n, size - n, "%s%s", n ? "; " : "", text);
}

/* "  -r, --rate N   help" and, indented below, range, default, scope. */
static void help_row(FILE *f, const struct opt_row *o)
{
	char left[48], shortf[8] = "    ", more[160] = "", part[120];
	if (o->short_name)
		snprintf(shortf, sizeof shortf, "-%c, ", o->short_name);
	snprintf(left, sizeof left, "  %s--%s%s%s", shortf, o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
	if (o->required)
		detail(more, sizeof more, "required");
	if (o->type == T_CHOICE) {
		char list[100];
		choice_list(list, sizeof list, o->choices);
		snprintf(part, sizeof part, "one of %s", list);
		detail(more, sizeof more, part);
	} else if ((o->type == T_U64 || o->type == T_POW2) && !(o->min == 0 && o->max == UINT64_MAX)) {
		snprintf(part, sizeof part, "%llu..%llu", (unsigned long long)o->min,
			 (unsigned long long)o->max);
		detail(more, sizeof more, part);
	}
	if (o->def != NULL) {
		snprintf(part, sizeof part, "default %s", o->def);
		detail(more, sizeof more, part);
	}
	if (o->scope != FOR_ALL) {
		char list[64];
		scope_list(list, sizeof list, o->scope);
		snprintf(part, sizeof part, "%s only", list);
		detail(more, sizeof more, part);
	}
	fprintf(f, "%-28s %s\n", left, o->help);
	if (more[0] != '\0')
		fprintf(f, "%-28s (%s)\n", "", more);
}

static void print_help(FILE *f)
{
	fputs("Usage: " PROG " --instance NAME --node NODE --source synthetic [options]\n"
	      "       " PROG " --instance NAME --node NODE --source jsonl FILE [options]\n"
	      "       " PROG " --instance NAME --node NODE --source unix PATH [options]\n"
	      "       " PROG " --instance NAME --node NODE --source udp [HOST:]PORT [options]\n"
	      "Feeds one proxy node's shared-memory ring with routing decisions, circuit-breaker\n"
	      "transitions and block heights; never waits for the consumer (a full ring drops and\n"
	      "counts).  unix binds a datagram socket at PATH (mode 0660, removed at exit); udp\n"
	      "binds 127.0.0.1 (or [::1]) unless --allow-remote; each datagram holds one JSON\n"
	      "decision or several separated by newlines.  Ends at end of input, --count,\n"
	      "--duration, SIGINT or SIGTERM, printing a summary on stderr.\n"
	      "Exit status: 0 done, 1 error, 2 usage error.\n\nOptions:\n", f);
	for (unsigned i = 0; i < RS_OPT_N; i++)
		help_row(f, &table[i]);
}

/* ---- command line ---------------------------------------------------------- */

static void build_getopt(struct option *longopts, char *shortopts)
{
	size_t s = 0;
	shortopts[s++] = ':';   /* report a missing argument as ':' */
	for (unsigned i = 0; i < RS_OPT_N; i++) {
		const struct opt_row *o = &table[i];
		longopts[i] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					       NULL, o->short_name ? o->short_name : 256 + (int)i };
		if (o->short_name) {
			shortopts[s++] = (char)o->short_name;
			if (o->arg)
				shortopts[s++] = ':';
		}
	}
	longopts[RS_OPT_N] = (struct option){ 0 };
	shortopts[s] = '\0';
}

static int row_of(int key)
{
	if (key >= 256 && key < 256 + RS_OPT_N)
		return key - 256;
	for (unsigned i = 0; i < RS_OPT_N; i++)
		if (table[i].short_name == key)
			return (int)i;
	return -1;
}

static int bad_option(int key, char **argv)
{
	const char *arg = argv[optind - 1];
	if (key == ':')
		return usage_error("%s: needs an argument", arg);
	return usage_error("unknown option %s", arg);
}

static int parse_argv(struct rs_ingest_config *cfg, int argc, char **argv)
{
	struct option longopts[RS_OPT_N + 1];
	char shortopts[2 * RS_OPT_N + 2];
	build_getopt(longopts, shortopts);
	opterr = 0;
	optind = 1;
	int key;
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int row = row_of(key);
		if (row < 0)
			return bad_option(key, argv);
		if (apply(cfg, &table[row], optarg) < 0)
			return RS_OPTIONS_USAGE;
		cfg->given |= 1u << row;
	}
	return 0;
}

/* Checks what single rows cannot: required options, scopes, the FILE operand. */
static int check_combination(struct rs_ingest_config *cfg, int argc, char **argv)
{
	for (unsigned i = 0; i < RS_OPT_N; i++) {
		const struct opt_row *o = &table[i];
		bool given = rs_ingest_option_given(cfg, (enum rs_ingest_opt)i);
		if (o->required && !given)
			return usage_error("--%s is required", o->name);
		if (given && !(o->scope & (1u << cfg->source))) {
			char list[64];
			scope_list(list, sizeof list, o->scope);
			return usage_error("--%s applies to --source %s only", o->name, list);
		}
	}
	if (cfg->name_limits != NULL) {
		uint32_t max[RS_NAME_COUNT];
		char why[160];
		rs_name_limits_defaults(max);
		if (rs_name_limits_parse(cfg->name_limits, max, why, sizeof why) < 0)
			return usage_error("--name-limits: %s", why);
	}
	struct rs_error err;
	if (rs_name_check("instance", cfg->instance, false, &err) < 0 ||
	    rs_name_check("node", cfg->node, true, &err) < 0)
		return usage_error("%s", err.msg);
	static const char *const operand_of[] = {
		[RS_SOURCE_JSONL] = "FILE ('-' for stdin)", [RS_SOURCE_UNIX] = "socket PATH",
		[RS_SOURCE_UDP] = "[HOST:]PORT",
	};
	int operands = argc - optind;
	bool wants = cfg->source != RS_SOURCE_SYNTHETIC;
	if (wants && operands != 1)
		return usage_error("--source %s needs exactly one %s", sources[cfg->source],
				   operand_of[cfg->source]);
	if (!wants && operands != 0)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	cfg->file = operands == 1 ? argv[optind] : NULL;
	return RS_OPTIONS_RUN;
}

int rs_ingest_options_parse(struct rs_ingest_config *cfg, int argc, char **argv)
{
	memset(cfg, 0, sizeof *cfg);
	for (unsigned i = 0; i < RS_OPT_N; i++)
		if (table[i].def != NULL && apply(cfg, &table[i], table[i].def) < 0)
			return RS_OPTIONS_USAGE; /* a bad default: caught by the first run */
	if (parse_argv(cfg, argc, argv) < 0)
		return RS_OPTIONS_USAGE;
	if (cfg->help) {
		print_help(stdout);
		return RS_OPTIONS_HELP;
	}
	int rc = check_combination(cfg, argc, argv);
	if (rc == RS_OPTIONS_RUN && !rs_ingest_option_given(cfg, RS_OPT_RATE))
		cfg->rate = rs_ingest_scenario_rate(cfg->scenario);
	return rc;
}
