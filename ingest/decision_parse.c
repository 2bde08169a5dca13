/*
 * decision_parse.c - JSON line -> struct rs_parsed, with one reason per
 * rejection (see decision_parse.h for the contract).
 *
 * Order of checks: line length, NUL bytes, JSON syntax and UTF-8 (jansson),
 * "is an object", "type", then each field in the order of dashboard-model.md.
 * The first problem found is the one reported, so the same line always gets
 * the same reason.  A JSON null counts as an absent field.  Unknown fields are
 * ignored (newer proxies may add some).
 */
#include "decision_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* One parse in progress: the object and where results and errors go. */
struct ctx {
	json_t                *obj;
	struct rs_parsed      *out;
	struct rs_parse_error *err;
};

/* EIP-155 chain ids of the chains the proxy names; others become their decimal string. */
static const struct { long long id; const char *name; } chain_ids[] = {
	{ 1, "ethereum" }, { 10, "optimism" }, { 137, "polygon" },
	{ 8453, "base" }, { 42161, "arbitrum" },
};

/* ---- error messages ------------------------------------------------------ */

/* Records a rejection: "field: problem", or just "problem" when field is NULL. */
__attribute__((format(printf, 4, 5)))
static int fail(struct rs_parse_error *err, enum rs_reject_reason reason, const char *field,
		const char *fmt, ...)
{
	err->reason = reason;
	err->field = field;
	size_t off = 0;
	if (field != NULL) {
		int n = snprintf(err->msg, sizeof err->msg, "%s: ", field);
		off = n > 0 && (size_t)n < sizeof err->msg ? (size_t)n : 0;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg + off, sizeof err->msg - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copies at most `limit` bytes of input into a message, printable ASCII only. */
static void sanitize(char *dst, size_t size, const char *s, size_t len, size_t limit)
{
	size_t o = 0, max = len < limit ? len : limit;
	for (size_t i = 0; i < max && o + 2 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		dst[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (len > max && o + 4 < size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* Input quoted in a message: 32 bytes at most. */
static void quote_input(char *dst, size_t size, const char *s, size_t len)
{
	sanitize(dst, size, s, len, 32);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "an object";
	case JSON_ARRAY:   return "an array";
	case JSON_STRING:  return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL:    return "a real number";
	case JSON_TRUE:    return "true";
	case JSON_FALSE:   return "false";
	case JSON_NULL:    return "null";
	}
	return "an unknown type";
}

/* "fastest, cheapest, ..." from an enum's name function. */
static void enum_list(char *dst, size_t size, const char *(*name)(unsigned), unsigned count)
{
	size_t o = 0;
	dst[0] = '\0';
	for (unsigned i = 0; i < count && o < size; i++) {
		int n = snprintf(dst + o, size - o, "%s%s", i ? ", " : "", name(i));
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static int missing(const struct ctx *c, const char *field)
{
	return fail(c->err, RS_REJECT_MISSING, field, "required field is missing");
}

/* ---- field getters: 0 (or 1 = present) on success, -EINVAL on rejection ---- */

/* The field's value, or NULL when absent or null. */
static json_t *field_get(const struct ctx *c, const char *field)
{
	json_t *v = json_object_get(c->obj, field);
	return v != NULL && !json_is_null(v) ? v : NULL;
}

/*
 * Names end up in the dictionary and on viewers' terminals: C0 controls,
 * DEL and C1 controls (U+0080..U+009F, bytes C2 80..C2 9F) are refused.
 */
static bool has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return true;
		if (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
			return true;
	}
	return false;
}

/* A dictionary name; an empty string counts as absent. Returns 1 when stored. */
static int get_name(const struct ctx *c, const char *field, bool required, struct rs_parsed_str *dst)
{
	json_t *v = field_get(c, field);
	if (v == NULL)
		return required ? missing(c, field) : 0;
	if (!json_is_string(v))
		return fail(c->err, RS_REJECT_TYPE, field, "must be a string (got %s)", type_name(v));
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len == 0)
		return required ? fail(c->err, RS_REJECT_MISSING, field, "must not be empty") : 0;
	if (len > RS_DICT_STR_MAX)
		return fail(c->err, RS_REJECT_TOO_LONG, field, "must be at most %u bytes (got %zu)",
			    RS_DICT_STR_MAX, len);
	if (has_control(s, len))
		return fail(c->err, RS_REJECT_ENCODING, field, "must not contain control characters");
	memcpy(dst->s, s, len);
	dst->s[len] = '\0';
	dst->len = (uint8_t)len;
	return 1;
}

/* An enum given by name; def when absent and not required. */
static int get_enum(const struct ctx *c, const char *field, bool required, int def,
		    int (*parse)(const char *), const char *(*name)(unsigned), unsigned count,
		    uint8_t *dst)
{
	json_t *v = field_get(c, field);
	if (v == NULL) {
		*dst = (uint8_t)def;
		return required ? missing(c, field) : 0;
	}
	char names[128], got[40];
	enum_list(names, sizeof names, name, count);
	if (!json_is_string(v))
		return fail(c->err, RS_REJECT_TYPE, field, "must be one of %s (got %s)", names,
			    type_name(v));
	int e = parse(json_string_value(v));
	if (e < 0) {
		quote_input(got, sizeof got, json_string_value(v), json_string_length(v));
		return fail(c->err, RS_REJECT_ENUM, field, "must be one of %s (got \"%s\")", names, got);
	}
	*dst = (uint8_t)e;
	return 0;
}

/* An integer in min..max; def when absent and not required. */
static int get_int(const struct ctx *c, const char *field, bool required, long long def,
		   long long min, long long max, long long *dst)
{
	json_t *v = field_get(c, field);
	if (v == NULL) {
		*dst = def;
		return required ? missing(c, field) : 0;
	}
	if (!json_is_integer(v))
		return fail(c->err, RS_REJECT_TYPE, field, "must be an integer in %lld..%lld (got %s)",
			    min, max, type_name(v));
	long long x = json_integer_value(v);
	if (x < min || x > max)
		return fail(c->err, RS_REJECT_RANGE, field, "must be an integer in %lld..%lld (got %lld)",
			    min, max, x);
	*dst = x;
	return 0;
}

static int get_ts(const struct ctx *c)
{
	long long ts;
	int rc = get_int(c, "ts", true, 0, 1, RS_PARSE_TS_MAX_MS, &ts);
	c->out->rec.emit_unix_ms = (uint64_t)ts;
	return rc;
}

/* duration_ms: integer or fractional milliseconds, stored as rounded microseconds. */
static int get_duration(const struct ctx *c)
{
	static const char field[] = "duration_ms";
	json_t *v = field_get(c, field);
	if (v == NULL)
		return missing(c, field);
	if (!json_is_number(v))
		return fail(c->err, RS_REJECT_TYPE, field, "must be a number in 0..%d (got %s)",
			    RS_PARSE_DURATION_MAX_MS, type_name(v));
	if (json_is_integer(v)) {
		long long ms = json_integer_value(v);
		if (ms < 0 || ms > RS_PARSE_DURATION_MAX_MS)
			return fail(c->err, RS_REJECT_RANGE, field, "must be a number in 0..%d (got %lld)",
				    RS_PARSE_DURATION_MAX_MS, ms);
		c->out->rec.u.decision.duration_us = (uint32_t)(ms * 1000);
		return 0;
	}
	double ms = json_real_value(v);
	if (!(ms >= 0.0 && ms <= RS_PARSE_DURATION_MAX_MS)) /* also refuses NaN */
		return fail(c->err, RS_REJECT_RANGE, field, "must be a number in 0..%d (got %g)",
			    RS_PARSE_DURATION_MAX_MS, ms);
	c->out->rec.u.decision.duration_us = (uint32_t)llround(ms * 1000.0);
	return 0;
}

/* request_id: any non-empty string up to 128 bytes; 32 hex digits pack losslessly. */
static int get_request_id(const struct ctx *c)
{
	static const char field[] = "request_id";
	json_t *v = field_get(c, field);
	if (v == NULL)
		return missing(c, field);
	if (!json_is_string(v))
		return fail(c->err, RS_REJECT_TYPE, field, "must be a string (got %s)", type_name(v));
	size_t len = json_string_length(v);
	if (len == 0)
		return fail(c->err, RS_REJECT_MISSING, field, "must not be empty");
	if (len > RS_PARSE_REQUEST_ID_MAX)
		return fail(c->err, RS_REJECT_TOO_LONG, field, "must be at most %u bytes (got %zu)",
			    RS_PARSE_REQUEST_ID_MAX, len);
	struct rs_record *r = &c->out->rec;
	r->flags |= rs_request_id_pack(json_string_value(v), len, &r->u.decision.id_hi,
				       &r->u.decision.id_lo);
	return 0;
}

/* chain (a name) or, failing that, chain_id (an EIP-155 integer). */
static int get_chain(const struct ctx *c)
{
	struct rs_parsed_str *dst = &c->out->name[RS_NAME_CHAIN];
	if (field_get(c, "chain") != NULL)
		return get_name(c, "chain", true, dst);
	json_t *v = field_get(c, "chain_id");
	if (v == NULL)
		return fail(c->err, RS_REJECT_MISSING, "chain",
			    "required field is missing (neither chain nor chain_id)");
	if (!json_is_integer(v))
		return fail(c->err, RS_REJECT_TYPE, "chain_id", "must be an integer (got %s)",
			    type_name(v));
	long long id = json_integer_value(v);
	if (id <= 0)
		return fail(c->err, RS_REJECT_RANGE, "chain_id", "must be a positive integer (got %lld)", id);
	for (size_t i = 0; i < sizeof chain_ids / sizeof chain_ids[0]; i++)
		if (chain_ids[i].id == id) {
			size_t n = strlen(chain_ids[i].name);
			memcpy(dst->s, chain_ids[i].name, n + 1);
			dst->len = (uint8_t)n;
			return 1;
		}
	dst->len = (uint8_t)snprintf(dst->s, sizeof dst->s, "%lld", id); /* at most 19 digits */
	return 1;
}

static int get_transport(const struct ctx *c, uint8_t *dst)
{
	return get_enum(c, "transport", true, 0, rs_transport_parse, rs_transport_name,
			RS_TRANSPORT_COUNT, dst);
}

static int get_circuit_state(const struct ctx *c, const char *field, uint8_t *dst)
{
	return get_enum(c, field, true, 0, rs_circuit_parse, rs_circuit_name, RS_CIRCUIT_COUNT, dst);
}

/* ---- the three kinds ----------------------------------------------------- */

static int parse_decision(const struct ctx *c)
{
	struct rs_record *r = &c->out->rec;
	struct rs_decision *d = &r->u.decision;
	struct rs_parsed_str *names = c->out->name;
	long long failovers = 0;
	r->kind = RS_REC_DECISION;
	rs_record_clear_names(r);
	int rc = get_ts(c);
	if (rc >= 0) rc = get_request_id(c);
	if (rc >= 0) rc = get_name(c, "profile", false, &names[RS_NAME_PROFILE]);
	if (rc >= 0) rc = get_chain(c);
	if (rc >= 0) rc = get_name(c, "method", true, &names[RS_NAME_METHOD]);
	if (rc >= 0) rc = get_enum(c, "strategy", true, 0, rs_strategy_parse, rs_strategy_name,
				   RS_STRATEGY_COUNT, &d->strategy);
	if (rc >= 0) rc = get_name(c, "provider_id", true, &names[RS_NAME_PROVIDER]);
	if (rc >= 0) rc = get_transport(c, &d->transport);
	if (rc >= 0) rc = get_duration(c);
	if (rc >= 0) rc = get_enum(c, "result", true, 0, rs_result_parse, rs_result_name,
				   RS_RESULT_COUNT, &d->result);
	if (rc >= 0) rc = get_enum(c, "request_origin", false, RS_ORIGIN_CLIENT, rs_origin_parse,
				   rs_origin_name, RS_ORIGIN_COUNT, &d->origin);
	if (rc >= 0) rc = get_int(c, "failover_count", false, 0, 0, RS_FAILOVER_MAX, &failovers);
	if (rc < 0)
		return rc;
	d->failover_count = (uint8_t)failovers;
	if (names[RS_NAME_PROFILE].len == 0) {
		memcpy(names[RS_NAME_PROFILE].s, "default", sizeof "default");
		names[RS_NAME_PROFILE].len = sizeof "default" - 1;
	}
	return 0;
}

static int parse_circuit(const struct ctx *c)
{
	struct rs_circuit_change *cc = &c->out->rec.u.circuit;
	c->out->rec.kind = RS_REC_CIRCUIT;
	rs_record_clear_names(&c->out->rec);
	int rc = get_ts(c);
	if (rc >= 0) rc = get_name(c, "provider_id", true, &c->out->name[RS_NAME_PROVIDER]);
	if (rc >= 0) rc = get_transport(c, &cc->transport);
	if (rc >= 0) rc = get_circuit_state(c, "from", &cc->from_state);
	if (rc >= 0) rc = get_circuit_state(c, "to", &cc->to_state);
	if (rc >= 0) rc = get_name(c, "reason", false, &c->out->name[RS_NAME_REASON]);
	return rc < 0 ? rc : 0;
}

static int parse_block(const struct ctx *c)
{
	long long height = 0;
	c->out->rec.kind = RS_REC_BLOCK;
	int rc = get_ts(c);
	if (rc >= 0) rc = get_name(c, "provider_id", true, &c->out->name[RS_NAME_PROVIDER]);
	if (rc >= 0) rc = get_chain(c);
	if (rc >= 0) rc = get_int(c, "height", true, 0, 0, INT64_MAX, &height);
	if (rc < 0)
		return rc;
	c->out->rec.u.block.height = (uint64_t)height;
	return 0;
}

static int parse_object(const struct ctx *c)
{
	json_t *v = field_get(c, "type");
	if (v == NULL)
		return parse_decision(c);
	static const char kinds[] = "decision, circuit, block";
	if (!json_is_string(v))
		return fail(c->err, RS_REJECT_TYPE, "type", "must be one of %s (got %s)", kinds,
			    type_name(v));
	const char *t = json_string_value(v);
	if (strcmp(t, "decision") == 0)
		return parse_decision(c);
	if (strcmp(t, "circuit") == 0)
		return parse_circuit(c);
	if (strcmp(t, "block") == 0)
		return parse_block(c);
	char got[40];
	quote_input(got, sizeof got, t, json_string_length(v));
	return fail(c->err, RS_REJECT_ENUM, "type", "must be one of %s (got \"%s\")", kinds, got);
}

/* ---- entry ---------------------------------------------------------------- */

/* Maps a jansson load error to a reason: encoding problems apart from syntax. */
static int load_failed(const json_error_t *je, struct rs_parse_error *err)
{
	char text[JSON_ERROR_TEXT_LENGTH];
	size_t n = strnlen(je->text, sizeof je->text - 1);
	sanitize(text, sizeof text, je->text, n, n);
	switch (json_error_code(je)) {
	case json_error_invalid_utf8:
		return fail(err, RS_REJECT_ENCODING, NULL, "invalid UTF-8 near byte %d", je->position);
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return fail(err, RS_REJECT_ENCODING, NULL, "\\u0000 is not allowed (near byte %d)",
			    je->position);
	case json_error_numeric_overflow:
		return fail(err, RS_REJECT_RANGE, NULL, "number out of range near byte %d: %s",
			    je->position, text);
	default:
		return fail(err, RS_REJECT_PARSE, NULL, "invalid JSON near byte %d: %s",
			    je->position, text);
	}
}

static void reset(struct rs_parsed *out, struct rs_parse_error *err)
{
	memset(out, 0, sizeof *out);
	rs_record_clear_names(&out->rec);
	err->reason = RS_REJECT_PARSE;
	err->field = NULL;
	err->msg[0] = '\0';
}

int rs_decision_parse(const char *line, size_t len, struct rs_parsed *out,
		      struct rs_parse_error *err)
{
	reset(out, err);
	if (line == NULL)
		return fail(err, RS_REJECT_PARSE, NULL, "no line");
	if (len > RS_PARSE_LINE_MAX)
		return fail(err, RS_REJECT_TOO_LONG, NULL, "line is %zu bytes, over the %u-byte limit",
			    len, RS_PARSE_LINE_MAX);
	const char *nul = memchr(line, '\0', len);
	if (nul != NULL)
		return fail(err, RS_REJECT_ENCODING, NULL, "NUL byte at byte %zu", (size_t)(nul - line));
	json_error_t je;
	json_t *root = json_loadb(line, len, JSON_DECODE_ANY, &je);
	if (root == NULL)
		return load_failed(&je, err);
	int rc;
	if (!json_is_object(root)) {
		rc = fail(err, RS_REJECT_PARSE, NULL, "not a JSON object (got %s)", type_name(root));
	} else {
		struct ctx c = { .obj = root, .out = out, .err = err };
		rc = parse_object(&c);
	}
	json_decref(root);
	if (rc < 0) {
		struct rs_parse_error keep = *err;
		reset(out, err);
		*err = keep;
	}
	return rc < 0 ? -EINVAL : 0;
}
