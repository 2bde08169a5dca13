/*
 * options.h - routestat-ingest's command line.
 *
 * One table in options.c describes every option (name, argument, type,
 * bounds, default, which source it applies to, help text); getopt_long's
 * option array, the range and usage checks and --help are all generated
 * from it, so an option is described in one place only.
 */
#ifndef RS_INGEST_OPTIONS_H
#define RS_INGEST_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum rs_ingest_source   { RS_SOURCE_SYNTHETIC, RS_SOURCE_JSONL, RS_SOURCE_UNIX, RS_SOURCE_UDP };
/* How the datagram sources receive (dgram_rx.h): auto tries multishot first. */
enum rs_ingest_recv_mode { RS_RECV_AUTO, RS_RECV_MULTISHOT, RS_RECV_SINGLE };
enum rs_ingest_scenario { RS_SCENARIO_EASY, RS_SCENARIO_MEDIUM, RS_SCENARIO_WORST };

/* One per row of the option table. */
enum rs_ingest_opt {
	RS_OPT_INSTANCE, RS_OPT_NODE, RS_OPT_SOURCE,
	RS_OPT_SCENARIO, RS_OPT_RATE, RS_OPT_SEED,
	RS_OPT_FOLLOW, RS_OPT_MAX_LINE,
	RS_OPT_ALLOW_REMOTE, RS_OPT_RCVBUF, RS_OPT_RECV_MODE,
	RS_OPT_COUNT, RS_OPT_DURATION,
	RS_OPT_CAPACITY, RS_OPT_DICT_CAPACITY,
	RS_OPT_NAME_LIMITS, RS_OPT_MAX_CLOCK_SKEW,
	RS_OPT_HELP,
	RS_OPT_N
};

struct rs_ingest_config {
	const char *instance;
	const char *node;
	unsigned    source;         /* enum rs_ingest_source */
	const char *file;           /* the operand: jsonl FILE ("-" = stdin), unix PATH, udp HOST:PORT */
	unsigned    scenario;       /* enum rs_ingest_scenario */
	uint64_t    rate;           /* events/s; meaningful when --rate was given */
	uint64_t    seed;           /* meaningful when --seed was given */
	bool        follow;
	uint64_t    max_line;       /* bytes per line or datagram, longer ones are rejected */
	bool        allow_remote;   /* udp: may bind a non-loopback address */
	uint64_t    rcvbuf;         /* unix, udp: socket receive buffer in bytes, 0 = system default */
	unsigned    recv_mode;      /* enum rs_ingest_recv_mode */
	uint64_t    count;          /* 0: no limit */
	double      duration_s;     /* 0: no limit */
	uint64_t    capacity;       /* ring records, used when the ring is created */
	uint64_t    dict_capacity;
	const char *name_limits;    /* "providers=64,methods=256,..." (name_limits.h); NULL: defaults */
	double      max_clock_skew_s; /* accepted |ts - now| in seconds; 0: no check */
	bool        help;
	uint32_t    given;          /* bit (1 << enum rs_ingest_opt) per option on the command line */
};

#define RS_OPTIONS_RUN    0
#define RS_OPTIONS_HELP   1     /* --help printed: exit 0 */
#define RS_OPTIONS_USAGE  (-1)  /* a usage error was printed: exit 2 */

/* Fills cfg from argv (defaults first); prints --help or a usage error itself. */
int rs_ingest_options_parse(struct rs_ingest_config *cfg, int argc, char **argv);

static inline bool rs_ingest_option_given(const struct rs_ingest_config *cfg, enum rs_ingest_opt o)
{
	return (cfg->given >> o) & 1u;
}

/* Events per second per node of a scenario (dashboard-model.md: 50, 400, 3000). */
uint64_t rs_ingest_scenario_rate(unsigned scenario);

#endif
