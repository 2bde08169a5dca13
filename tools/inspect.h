/*
 * inspect.h - routestat-inspect's model: the facts about every shared-memory
 * object, gathered into plain structs, and the functions that fill and
 * render them.
 *
 *   inspect_options.c  the option table: getopt_long, --help, bounds
 *   inspect_collect.c  the only file that maps objects (read-only, through
 *                      the validating reader functions of common/)
 *   inspect_text.c     the model as aligned "key value" lines
 *   inspect_json.c     the model as one JSON document (jansson)
 *   inspect_format.c   times, ages and sizes, shared by both renderers
 *   inspect_main.c     the loop, exit codes and error lines
 *
 * Renderers never touch shared memory: every age is computed once, at
 * collection time, so text and JSON of one report always agree.
 */
#ifndef RS_INSPECT_H
#define RS_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ring.h"
#include "rs_error.h"
#include "shm_abi.h"
#include "snapshot.h"

#define INSPECT_PROG      "routestat-inspect"
#define INSPECT_DICT_SHOW 16u     /* dictionary entries listed with --dict */

/* Exit statuses. */
enum {
	INSPECT_EXIT_OK = 0,          /* every object listed is healthy */
	INSPECT_EXIT_DAMAGED = 1,     /* some object is damaged or unreadable */
	INSPECT_EXIT_NO_OBJECTS = 2,  /* --instance NAME has no objects */
	INSPECT_EXIT_USAGE = 64,      /* EX_USAGE */
};

struct inspect_options {
	const char *instance;         /* NULL: every instance */
	bool        json;
	bool        dict;
	double      watch_s;          /* 0: once */
};

/* Parses argv: 0 to run, 1 when --help was printed, -1 after a usage error was printed. */
int inspect_options_parse(int argc, char **argv, struct inspect_options *o);

/* One side of a ring: the producer or the consumer. */
struct inspect_side {
	uint32_t pid;                 /* 0: detached */
	bool     alive;
	uint32_t attaches;
	bool     heartbeat_seen;      /* false: never beat (heartbeat_ns == 0) */
	uint64_t heartbeat_age_ns;
};

struct inspect_ring {
	char                 node[RS_NAME_MAX + 1];
	struct rs_ring_stats st;
	struct inspect_side  producer, consumer;
	uint32_t             dict_shown;                  /* entries copied below */
	char                 dict[INSPECT_DICT_SHOW][RS_DICT_STR_MAX + 1]; /* "" = damaged entry */
};

struct inspect_metrics {
	uint32_t schema;
	uint32_t n_nodes, n_provider_chains, n_routes;
	uint64_t computed_unix_ms;
};

struct inspect_snapshot {
	uint32_t payload_kind, payload_size;
	uint64_t interval_ns;         /* the writer's promised publish interval */
	uint64_t writer_generation;   /* the writer's own counter */
	int      read_rc;             /* rs_snapshot_read: 0, -ENODATA, -EAGAIN */
	struct rs_snapshot_info info; /* status, slot generation, writer pid/alive, ages */
	char     note[RS_ERROR_MSG_MAX]; /* the reader's remark (dead writer, nothing yet) */
	bool     has_metrics;         /* payload is a valid metrics snapshot */
	struct inspect_metrics metrics;
};

struct inspect_object {
	char     name[RS_SHM_NAME_MAX];  /* "/routestat.<instance>.<part>" */
	char     instance[RS_SHM_NAME_MAX];
	char     part[RS_SHM_NAME_MAX];
	uint32_t kind;                 /* from the name: RS_SHM_RING, RS_SHM_SNAPSHOT, 0 unknown */
	bool     damaged;              /* damaged or unreadable: error says why */
	int      error_code;           /* negative errno behind error, when it came from common/ */
	bool     vanished;             /* removed between listing and attach: dropped */
	char     error[RS_ERROR_MSG_MAX];
	bool     have_header;          /* the object is at least a header long */
	bool     header_valid;         /* header and layout passed the reader's checks */
	struct rs_shm_header header;   /* a copy; untrusted unless header_valid */
	uint64_t mapped_size;          /* the object's real size (fstat) */
	bool     creator_alive;
	uint64_t created_age_ns;
	bool     have_ring, have_snapshot;
	struct inspect_ring     ring;
	struct inspect_snapshot snap;
};

struct inspect_report {
	const char            *filter;     /* --instance, or NULL */
	uint64_t               unix_ns;    /* when collected */
	struct inspect_object *objects;    /* sorted by name, so grouped by instance */
	size_t                 n;
	size_t                 n_damaged;
};

/* Lists and inspects the objects of one instance (or all); 0 or -errno (listing failed). */
int  inspect_collect(struct inspect_report *rep, const char *instance, bool want_dict);
void inspect_report_free(struct inspect_report *rep);

void inspect_render_text(FILE *f, const struct inspect_report *rep, bool show_dict);
/* 0, or -1 when jansson could not build or write the document. */
int  inspect_render_json(FILE *f, const struct inspect_report *rep, bool show_dict, bool one_line);

/* "2025-11-27T12:34:56.789Z", or "invalid" for a time gmtime cannot express. */
#define INSPECT_TIME_MAX 40
void inspect_format_time(char out[INSPECT_TIME_MAX], uint64_t unix_ns);
/* "0.021 s", "12.3 s", "4m05s", "2h03m", "3d04h". */
#define INSPECT_AGE_MAX 32
void inspect_format_age(char out[INSPECT_AGE_MAX], uint64_t ns);
/* "4.2 MiB". */
void inspect_format_size(char out[INSPECT_AGE_MAX], uint64_t bytes);

#endif
