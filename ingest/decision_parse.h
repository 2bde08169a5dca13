/*
 * decision_parse.h - turns one JSON line into a ring record, or says why not.
 *
 * Purpose: the validation half of the jsonl source.  One line holds one JSON
 * object with the field names of the proxy's dashboard events
 * (dashboard-model.md): a routing decision (no "type", or "type":"decision"),
 * a circuit-breaker transition ("type":"circuit") or a block height
 * ("type":"block").  The result is a struct rs_record with every field set
 * except the dictionary ids and the arrival time, plus the names the caller
 * must intern (provider, chain, method, profile, circuit reason), copied into
 * the struct so that nothing points into the input or into jansson's memory.
 *
 * Who links it: routestat-ingest (source_jsonl.c) and the tests; later a
 * libFuzzer target.  No I/O, no globals of its own, no printing: the same
 * input always gives the same output or the same error, and no input may
 * crash it.  jansson allocates while parsing (freed before returning) and
 * seeds its hash function once per process; neither affects the result.
 *
 * Failure: a rejected line gives -EINVAL and an rs_parse_error whose reason
 * is the counter to bump (enum rs_reject_reason) and whose message starts
 * with the field name when one field is at fault ("duration_ms: must be a
 * number in 0..3600000 (got a string)").  Text copied from the input into a
 * message is limited to printable ASCII, so messages are safe on a terminal.
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
 * Parses line[0..len) (no newline needed; trailing whitespace is allowed).
 * Returns 0 with *out filled, or -EINVAL with *err filled.  out and err are
 * written in both cases (out is zeroed on failure).
 */
int rs_decision_parse(const char *line, size_t len, struct rs_parsed *out,
		      struct rs_parse_error *err);

#endif
