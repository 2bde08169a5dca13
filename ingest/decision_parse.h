/*
 * decision_parse.h - turns one JSON line into a ring record, or says why not.
 *
 * Purpose: the validation half of every JSON source (file, stdin, sockets).
 * One line holds one JSON object with the field names of the proxy's
 * dashboard events (dashboard-model.md): a routing decision (no "type", or
 * "type":"decision"), a circuit-breaker transition ("type":"circuit") or a
 * block height ("type":"block").  The result is a struct rs_record with every
 * field set except the dictionary ids and the arrival time, plus the names
 * the caller must intern (provider, chain, method, profile, circuit reason),
 * copied into the struct so that nothing points into the input.
 *
 * Who links it: routestat-ingest's sources, the tests and the libFuzzer
 * target (fuzz/).  No I/O, no globals, no allocation, no recursion: the
 * syntax is checked by json_tok.c (jsmn plus strictness checks) into a
 * fixed token array on the stack.  Given the same options (with a fixed
 * now_unix_ms) the same input always gives the same output or the same
 * error, and no input may crash it or take more than one linear pass.
 *
 * What is checked (the first problem found is the one reported):
 *   - the line: at most opts->line_max bytes, by default RS_PARSE_LINE_MAX
 *     (too_long, refused before reading it); no NUL byte,
 *     well-formed UTF-8 everywhere, no raw control characters (bad_encoding,
 *     or parse for a control character, which JSON forbids);
 *   - JSON syntax, strictly (RFC 8259): one object, nothing after it (parse);
 *     at most RS_JSON_MAX_TOKENS tokens, whatever the nesting (too_long);
 *     no \u0000 and no unpaired surrogate escape anywhere (bad_encoding);
 *   - keys: no key twice in the top-level object, known or not, compared
 *     after unescaping (parse: "provider_id: duplicate key");
 *   - each known field: its JSON type (bad_type: numbers as strings, objects
 *     or arrays where a scalar belongs), its range (out_of_range), its enum
 *     (bad_enum), its length (too_long), control characters in names
 *     (bad_encoding); required fields present (missing_field; null and "" count
 *     as absent).  Unknown fields are ignored, whatever their value.
 *   - ts: an integer within opts->ts_skew_ms of now; absent or null means
 *     "now" (the ingest's clock), so a shell one-liner needs no clock; 0 and
 *     any other far-off value are out_of_range.
 *
 * Failure: a rejected line gives -EINVAL and an rs_parse_error whose reason
 * is the counter to bump (enum rs_reject_reason) and whose message starts
 * with the field name when one field is at fault ("duration_ms: must be a
 * number in 0..3600000 (got \"12\", a string)").  Text copied from the input into
 * a message is limited to printable ASCII, so messages are safe on a terminal.
 */
#ifndef RS_DECISION_PARSE_H
#define RS_DECISION_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "record_names.h"
#include "shm_abi.h"

#define RS_PARSE_LINE_MAX        65536u            /* bytes, without the newline */
#define RS_PARSE_REQUEST_ID_MAX  128u              /* bytes */
#define RS_PARSE_DURATION_MAX_MS 3600000           /* one hour */
#define RS_PARSE_TS_MAX_MS       253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define RS_PARSE_MSG_MAX         256u
#define RS_PARSE_TS_SKEW_DEFAULT_MS (24LL * 3600 * 1000)  /* ts within a day of now */

/* Parse options; all-zero gives the defaults. */
struct rs_parse_opts {
	int64_t now_unix_ms;   /* "now" for ts: 0 reads CLOCK_REALTIME (once per line) */
	int64_t ts_skew_ms;    /* |ts - now| allowed: 0 = RS_PARSE_TS_SKEW_DEFAULT_MS,
				  negative = no check (any ts in 1..RS_PARSE_TS_MAX_MS) */
	size_t  line_max;      /* longest input in bytes: 0 = RS_PARSE_LINE_MAX; at most 1 GiB */
};

struct rs_parsed_str {
	uint8_t len;                        /* 0: absent, the id stays RS_DICT_NONE */
	char    s[RS_DICT_STR_MAX + 1];     /* NUL-terminated, no control characters */
};

struct rs_parsed {
	struct rs_record     rec;           /* ids RS_DICT_NONE, arrival_unix_ns 0 */
	struct rs_parsed_str name[RS_NAME_COUNT];  /* intern each, then rs_record_set_name */
};

struct rs_parse_error {
	enum rs_reject_reason reason;
	const char *field;                  /* static; NULL when no single field is at fault */
	char        msg[RS_PARSE_MSG_MAX];  /* one line, no trailing newline */
};

/*
 * Parses line[0..len) (no newline needed; white space around the object is
 * allowed) with opts (NULL: the defaults).  Returns 0 with *out filled, or
 * -EINVAL with *err filled.  out and err are written in both cases (out is
 * zeroed on failure).
 */
int rs_decision_parse_opts(const char *line, size_t len, const struct rs_parse_opts *opts,
			   struct rs_parsed *out, struct rs_parse_error *err);

/* rs_decision_parse_opts with the default options. */
int rs_decision_parse(const char *line, size_t len, struct rs_parsed *out,
		      struct rs_parse_error *err);

/*
 * Copies up to limit bytes of s into dst (size bytes, NUL-terminated) for a
 * log line: printable ASCII kept, other bytes as \xHH, "..." when cut.
 */
void rs_parse_excerpt(char *dst, size_t size, const char *s, size_t len, size_t limit);

#endif
