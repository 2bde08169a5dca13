/*
 * decision_parse.c - JSON line -> struct rs_parsed, with one reason per
 * rejection (see decision_parse.h for the contract).
 *
 * Order of checks: line length; bytes, syntax and token count (json_tok.c);
 * "is an object"; keys (known fields located, duplicates refused); "type";
 * then each field in the order of dashboard-model.md.  The first problem
 * found is the one reported, so the same line always gets the same reason.
 * A JSON null counts as an absent field.  Unknown fields are ignored (newer
 * proxies may add some).
 *
 * Nothing here allocates: the tokens, the member table and every decoded
 * string live on the stack or in *out.
 */
#include "decision_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json_tok.h"

/* The fields this parser knows; any other key is ignored. */
enum field {
	F_TYPE, F_TS, F_REQUEST_ID, F_PROFILE, F_CHAIN, F_CHAIN_ID, F_METHOD, F_STRATEGY,
	F_PROVIDER_ID, F_TRANSPORT, F_DURATION_MS, F_RESULT, F_REQUEST_ORIGIN, F_FAILOVER_COUNT,
	F_FROM, F_TO, F_REASON, F_HEIGHT, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_TYPE] = "type", [F_TS] = "ts", [F_REQUEST_ID] = "request_id", [F_PROFILE] = "profile",
	[F_CHAIN] = "chain", [F_CHAIN_ID] = "chain_id", [F_METHOD] = "method",
	[F_STRATEGY] = "strategy", [F_PROVIDER_ID] = "provider_id", [F_TRANSPORT] = "transport",
	[F_DURATION_MS] = "duration_ms", [F_RESULT] = "result", [F_REQUEST_ORIGIN] = "request_origin",
	[F_FAILOVER_COUNT] = "failover_count", [F_FROM] = "from", [F_TO] = "to",
	[F_REASON] = "reason", [F_HEIGHT] = "height",
};

/* One parse in progress: the line, its members, where results and errors go. */
struct ctx {
	const char                  *s;
	const struct rs_json_object *obj;
	uint8_t                      at[F_COUNT];   /* member index + 1; 0: absent */
	int64_t                      now_ms, skew_ms;
	struct rs_parsed            *out;
	struct rs_parse_error       *err;
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

void rs_parse_excerpt(char *dst, size_t size, const char *s, size_t len, size_t limit)
{
	static const char hex[] = "0123456789abcdef";
	if (size == 0)
		return;
	size_t o = 0, max = len < limit ? len : limit, i = 0;
	for (; i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool plain = ch >= 0x20 && ch < 0x7f && ch != '\\';
		size_t need = plain ? 1 : ch == '\\' ? 2 : 4;
		if (o + need + 4 > size)        /* room for this, "..." and the NUL */
			break;
		if (plain) {
			dst[o++] = (char)ch;
		} else if (ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		}
	}
	if (i < len && o + 4 <= size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

/* Input quoted in a message: 32 bytes at most, printable ASCII only. */
static void quote_input(char *dst, size_t size, const char *s, size_t len)
{
	size_t o = 0, max = len < 32 ? len : 32;
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

/*
 * A value for a message: its raw text ("3600001"), or with its type first
 * when the type is the problem ("a string \"12\"", "an integer 7", "an object").
 */
static void describe(const struct ctx *c, const struct rs_json_span *v, bool with_type, char *dst,
		     size_t size)
{
	char q[40];
	if (v->type == RS_JSON_OBJECT || v->type == RS_JSON_ARRAY || v->type == RS_JSON_NULL ||
	    v->type == RS_JSON_TRUE || v->type == RS_JSON_FALSE) {
		snprintf(dst, size, "%s", rs_json_type_name(v->type));
		return;
	}
	quote_input(q, sizeof q, c->s + v->start, v->len);
	const char *quote = v->type == RS_JSON_STRING ? "\"" : "";
	if (with_type)
		snprintf(dst, size, "%s %s%s%s", rs_json_type_name(v->type), quote, q, quote);
	else
		snprintf(dst, size, "%s%s%s", quote, q, quote);
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

/* ---- keys ------------------------------------------------------------------ */

/* The known field named k[0..n), or -1. */
static int field_of(const char *k, size_t n)
{
#define IS(f) (memcmp(k, field_names[f], n) == 0 ? (f) : -1)
	switch (n) {
	case 2:  return k[0] == 't' ? (k[1] == 's' ? F_TS : IS(F_TO)) : -1;
	case 4:  return k[0] == 't' ? IS(F_TYPE) : IS(F_FROM);
	case 5:  return IS(F_CHAIN);
	case 6:
		switch (k[0]) {
		case 'm': return IS(F_METHOD);
		case 'h': return IS(F_HEIGHT);
		case 'r': return k[2] == 's' ? IS(F_RESULT) : IS(F_REASON);
		}
		return -1;
	case 7:  return IS(F_PROFILE);
	case 8:  return k[0] == 'c' ? IS(F_CHAIN_ID) : IS(F_STRATEGY);
	case 9:  return IS(F_TRANSPORT);
	case 10: return IS(F_REQUEST_ID);
	case 11: return k[0] == 'p' ? IS(F_PROVIDER_ID) : IS(F_DURATION_MS);
	case 14: return k[0] == 'r' ? IS(F_REQUEST_ORIGIN) : IS(F_FAILOVER_COUNT);
	}
	return -1;
#undef IS
}

/*
 * Locates the known fields and refuses duplicate keys.  Keys are compared
 * as text after unescaping, so "provider\u005fid" is provider_id.
 */
static int index_keys(struct ctx *c)
{
	const struct rs_json_object *o = c->obj;
	uint8_t unknown[RS_JSON_MAX_MEMBERS];
	unsigned nunknown = 0;
	for (unsigned i = 0; i < o->count; i++) {
		const struct rs_json_span *k = &o->member[i].key;
		int f;
		if (!k->escaped) {
			f = field_of(c->s + k->start, k->len);
		} else {
			char buf[24];
			size_t n;
			f = rs_json_string_decode(c->s, k, buf, sizeof buf - 1, &n) == RS_JSON_STR_OK
			  ? field_of(buf, n) : -1;
		}
		if (f >= 0) {
			if (c->at[f] != 0)
				return fail(c->err, RS_REJECT_PARSE, field_names[f], "duplicate key");
			c->at[f] = (uint8_t)(i + 1);
			continue;
		}
		for (unsigned j = 0; j < nunknown; j++)
			if (rs_json_string_equal(c->s, &o->member[unknown[j]].key, k)) {
				char q[40];
				quote_input(q, sizeof q, c->s + k->start, k->len);
				return fail(c->err, RS_REJECT_PARSE, NULL, "duplicate key \"%s\"", q);
			}
		unknown[nunknown++] = (uint8_t)i;
	}
	return 0;
}

/* ---- field getters: 0 (or 1 = present) on success, -EINVAL on rejection ---- */

/* The field's value, or NULL when absent or null. */
static const struct rs_json_span *field_get(const struct ctx *c, enum field f)
{
	if (c->at[f] == 0)
		return NULL;
	const struct rs_json_span *v = &c->obj->member[c->at[f] - 1].value;
	return v->type != RS_JSON_NULL ? v : NULL;
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

/* Decodes a string value into dst (cap bytes + NUL); the rejection when it does not fit. */
static int decode(const struct ctx *c, enum field f, const struct rs_json_span *v, char *dst,
		  size_t cap, size_t *len)
{
	int rc = rs_json_string_decode(c->s, v, dst, cap, len);
	if (rc == RS_JSON_STR_OK)
		return 0;
	if (rc == RS_JSON_STR_TOO_LONG)
		return fail(c->err, RS_REJECT_TOO_LONG, field_names[f], "must be at most %zu bytes (got %zu)",
			    cap, *len);
	return fail(c->err, RS_REJECT_ENCODING, field_names[f], "invalid escape");  /* caught earlier */
}

/* A dictionary name; an empty string counts as absent. Returns 1 when stored. */
static int get_name(const struct ctx *c, enum field f, bool required, struct rs_parsed_str *dst)
{
	const char *field = field_names[f];
	const struct rs_json_span *v = field_get(c, f);
	if (v == NULL)
		return required ? missing(c, field) : 0;
	if (v->type != RS_JSON_STRING)
		return fail(c->err, RS_REJECT_TYPE, field, "must be a string (got %s)",
			    rs_json_type_name(v->type));
	size_t len;
	if (decode(c, f, v, dst->s, RS_DICT_STR_MAX, &len) < 0)
		return -EINVAL;
	if (len == 0)
		return required ? fail(c->err, RS_REJECT_MISSING, field, "must not be empty") : 0;
	if (has_control(dst->s, len))
		return fail(c->err, RS_REJECT_ENCODING, field, "must not contain control characters");
	dst->len = (uint8_t)len;
	return 1;
}

/* An enum given by name; def when absent and not required. */
static int get_enum(const struct ctx *c, enum field f, bool required, int def,
		    int (*parse)(const char *), const char *(*name)(unsigned), unsigned count,
		    uint8_t *dst)
{
	const char *field = field_names[f];
	const struct rs_json_span *v = field_get(c, f);
	if (v == NULL) {
		*dst = (uint8_t)def;
		return required ? missing(c, field) : 0;
	}
	char buf[24];
	size_t len;
	int e = -1;
	if (v->type == RS_JSON_STRING &&
	    rs_json_string_decode(c->s, v, buf, sizeof buf - 1, &len) == RS_JSON_STR_OK)
		e = parse(buf);
	if (e >= 0) {
		*dst = (uint8_t)e;
		return 0;
	}
	char names[128], got[64];
	enum_list(names, sizeof names, name, count);
	describe(c, v, true, got, sizeof got);
	return fail(c->err, v->type == RS_JSON_STRING ? RS_REJECT_ENUM : RS_REJECT_TYPE, field,
		    "must be one of %s (got %s)", names, got);
}

/* An integer in min..max; def when absent and not required. */
static int get_int(const struct ctx *c, enum field f, bool required, int64_t def, int64_t min,
		   int64_t max, int64_t *dst)
{
	const char *field = field_names[f];
	const struct rs_json_span *v = field_get(c, f);
	*dst = def;
	if (v == NULL)
		return required ? missing(c, field) : 0;
	char got[64];
	if (v->type != RS_JSON_INTEGER) {
		describe(c, v, true, got, sizeof got);
		return fail(c->err, RS_REJECT_TYPE, field, "must be an integer in %lld..%lld (got %s)",
			    (long long)min, (long long)max, got);
	}
	int64_t x;
	int rc = rs_json_int64(c->s, v, &x);
	if (rc < 0 || x < min || x > max) {
		describe(c, v, false, got, sizeof got);
		return fail(c->err, RS_REJECT_RANGE, field, "must be an integer in %lld..%lld (got %s)",
			    (long long)min, (long long)max, got);
	}
	*dst = x;
	return 0;
}

/* ts: absent or null = now; else an integer within skew of now. */
static int get_ts(const struct ctx *c)
{
	const struct rs_json_span *v = field_get(c, F_TS);
	if (v == NULL) {
		c->out->rec.emit_unix_ms = (uint64_t)c->now_ms;
		return 0;
	}
	int64_t ts, lo = 1, hi = RS_PARSE_TS_MAX_MS;
	if (c->skew_ms >= 0) {
		lo = c->now_ms - c->skew_ms > lo ? c->now_ms - c->skew_ms : lo;
		hi = c->now_ms + c->skew_ms < hi ? c->now_ms + c->skew_ms : hi;
	}
	if (v->type != RS_JSON_INTEGER || rs_json_int64(c->s, v, &ts) < 0 || ts < lo || ts > hi) {
		char got[64];
		describe(c, v, v->type != RS_JSON_INTEGER, got, sizeof got);
		if (v->type != RS_JSON_INTEGER)
			return fail(c->err, RS_REJECT_TYPE, "ts", "must be an integer, ms since the epoch "
				    "(got %s)", got);
		if (c->skew_ms < 0)
			return fail(c->err, RS_REJECT_RANGE, "ts", "must be an integer in %lld..%lld (got %s)",
				    (long long)lo, (long long)hi, got);
		return fail(c->err, RS_REJECT_RANGE, "ts",
			    "must be within %lld s of the ingest clock, %lld (got %s)",
			    (long long)(c->skew_ms / 1000), (long long)c->now_ms, got);
	}
	c->out->rec.emit_unix_ms = (uint64_t)ts;
	return 0;
}

/*
 * A JSON number's decimal text as rounded microseconds (value * 1000,
 * rounded half up, computed exactly from the digits).  Returns 0, or -ERANGE
 * when the value is negative (other than -0) or over max_ms milliseconds.
 */
static int ms_text_to_us(const char *p, size_t n, uint64_t max_ms, uint64_t *us)
{
	const char *end = p + n;
	bool neg = p < end && *p == '-';
	p += neg;
	char digits[24];                /* significant digits, leading zeros dropped */
	int nd = 0, dropped = 0, exp10 = 0;
	bool nonzero_tail = false, in_frac = false;
	for (; p < end && (*p == '.' || (*p >= '0' && *p <= '9')); p++) {
		if (*p == '.') {
			in_frac = true;
			continue;
		}
		if (in_frac)
			exp10--;
		if (nd == 0 && *p == '0')
			continue;
		if (nd < (int)sizeof digits)
			digits[nd++] = *p;
		else {
			dropped++;               /* beyond 24 digits: only "is it non-zero" matters */
			nonzero_tail |= *p != '0';
		}
	}
	exp10 += dropped;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		bool eneg = p < end && *p == '-';
		p += p < end && (*p == '-' || *p == '+');
		long e = 0;
		for (; p < end; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		exp10 += (int)(eneg ? -e : e);
	}
	if (nd == 0) {                  /* zero, however written */
		*us = 0;
		return 0;
	}
	if (neg)
		return -ERANGE;
	/* value * 1000 = digits * 10^(exp10 + 3): `keep` digits before its decimal point */
	int keep = nd + exp10 + 3;
	if (keep > 11)                  /* >= 10^10 us: far over any limit */
		return -ERANGE;
	uint64_t whole = 0;
	for (int i = 0; i < keep; i++)
		whole = whole * 10 + (uint64_t)(i < nd ? digits[i] - '0' : 0);
	bool frac = nonzero_tail;       /* any non-zero digit after the point */
	for (int i = keep < 0 ? 0 : keep; i < nd; i++)
		frac |= digits[i] != '0';
	bool round_up = keep >= 0 && keep < nd && digits[keep] >= '5';
	if (whole > max_ms * 1000u || (whole == max_ms * 1000u && frac))
		return -ERANGE;
	*us = whole + round_up;
	return 0;
}

/* duration_ms: integer or fractional milliseconds, stored as rounded microseconds. */
static int get_duration(const struct ctx *c)
{
	static const char field[] = "duration_ms";
	const struct rs_json_span *v = field_get(c, F_DURATION_MS);
	if (v == NULL)
		return missing(c, field);
	char got[64];
	if (v->type != RS_JSON_INTEGER && v->type != RS_JSON_REAL) {
		describe(c, v, true, got, sizeof got);
		return fail(c->err, RS_REJECT_TYPE, field, "must be a number in 0..%d (got %s)",
			    RS_PARSE_DURATION_MAX_MS, got);
	}
	uint64_t us;
	if (ms_text_to_us(c->s + v->start, v->len, RS_PARSE_DURATION_MAX_MS, &us) < 0) {
		describe(c, v, false, got, sizeof got);
		return fail(c->err, RS_REJECT_RANGE, field, "must be a number in 0..%d (got %s)",
			    RS_PARSE_DURATION_MAX_MS, got);
	}
	c->out->rec.u.decision.duration_us = (uint32_t)us;
	return 0;
}

/* request_id: any non-empty string up to 128 bytes; 32 hex digits pack losslessly. */
static int get_request_id(const struct ctx *c)
{
	static const char field[] = "request_id";
	const struct rs_json_span *v = field_get(c, F_REQUEST_ID);
	if (v == NULL)
		return missing(c, field);
	if (v->type != RS_JSON_STRING)
		return fail(c->err, RS_REJECT_TYPE, field, "must be a string (got %s)",
			    rs_json_type_name(v->type));
	char id[RS_PARSE_REQUEST_ID_MAX + 1];
	size_t len;
	if (decode(c, F_REQUEST_ID, v, id, RS_PARSE_REQUEST_ID_MAX, &len) < 0)
		return -EINVAL;
	if (len == 0)
		return fail(c->err, RS_REJECT_MISSING, field, "must not be empty");
	struct rs_record *r = &c->out->rec;
	r->flags |= rs_request_id_pack(id, len, &r->u.decision.id_hi, &r->u.decision.id_lo);
	return 0;
}

/* chain (a name) or, failing that, chain_id (an EIP-155 integer). */
static int get_chain(const struct ctx *c)
{
	struct rs_parsed_str *dst = &c->out->name[RS_NAME_CHAIN];
	if (field_get(c, F_CHAIN) != NULL)
		return get_name(c, F_CHAIN, true, dst);
	if (field_get(c, F_CHAIN_ID) == NULL)
		return fail(c->err, RS_REJECT_MISSING, "chain",
			    "required field is missing (neither chain nor chain_id)");
	int64_t id;
	if (get_int(c, F_CHAIN_ID, true, 0, 1, INT64_MAX, &id) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof chain_ids / sizeof chain_ids[0]; i++)
		if (chain_ids[i].id == id) {
			size_t n = strlen(chain_ids[i].name);
			memcpy(dst->s, chain_ids[i].name, n + 1);
			dst->len = (uint8_t)n;
			return 1;
		}
	dst->len = (uint8_t)snprintf(dst->s, sizeof dst->s, "%lld", (long long)id); /* <= 19 digits */
	return 1;
}

static int get_transport(const struct ctx *c, uint8_t *dst)
{
	return get_enum(c, F_TRANSPORT, true, 0, rs_transport_parse, rs_transport_name,
			RS_TRANSPORT_COUNT, dst);
}

static int get_circuit_state(const struct ctx *c, enum field f, uint8_t *dst)
{
	return get_enum(c, f, true, 0, rs_circuit_parse, rs_circuit_name, RS_CIRCUIT_COUNT, dst);
}

/* ---- the three kinds ----------------------------------------------------- */

static int parse_decision(const struct ctx *c)
{
	struct rs_record *r = &c->out->rec;
	struct rs_decision *d = &r->u.decision;
	struct rs_parsed_str *names = c->out->name;
	int64_t failovers = 0;
	r->kind = RS_REC_DECISION;
	rs_record_clear_names(r);
	int rc = get_ts(c);
	if (rc >= 0) rc = get_request_id(c);
	if (rc >= 0) rc = get_name(c, F_PROFILE, false, &names[RS_NAME_PROFILE]);
	if (rc >= 0) rc = get_chain(c);
	if (rc >= 0) rc = get_name(c, F_METHOD, true, &names[RS_NAME_METHOD]);
	if (rc >= 0) rc = get_enum(c, F_STRATEGY, true, 0, rs_strategy_parse, rs_strategy_name,
				   RS_STRATEGY_COUNT, &d->strategy);
	if (rc >= 0) rc = get_name(c, F_PROVIDER_ID, true, &names[RS_NAME_PROVIDER]);
	if (rc >= 0) rc = get_transport(c, &d->transport);
	if (rc >= 0) rc = get_duration(c);
	if (rc >= 0) rc = get_enum(c, F_RESULT, true, 0, rs_result_parse, rs_result_name,
				   RS_RESULT_COUNT, &d->result);
	if (rc >= 0) rc = get_enum(c, F_REQUEST_ORIGIN, false, RS_ORIGIN_CLIENT, rs_origin_parse,
				   rs_origin_name, RS_ORIGIN_COUNT, &d->origin);
	if (rc >= 0) rc = get_int(c, F_FAILOVER_COUNT, false, 0, 0, RS_FAILOVER_MAX, &failovers);
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
	if (rc >= 0) rc = get_name(c, F_PROVIDER_ID, true, &c->out->name[RS_NAME_PROVIDER]);
	if (rc >= 0) rc = get_transport(c, &cc->transport);
	if (rc >= 0) rc = get_circuit_state(c, F_FROM, &cc->from_state);
	if (rc >= 0) rc = get_circuit_state(c, F_TO, &cc->to_state);
	if (rc >= 0) rc = get_name(c, F_REASON, false, &c->out->name[RS_NAME_REASON]);
	return rc < 0 ? rc : 0;
}

static int parse_block(const struct ctx *c)
{
	int64_t height = 0;
	c->out->rec.kind = RS_REC_BLOCK;
	int rc = get_ts(c);
	if (rc >= 0) rc = get_name(c, F_PROVIDER_ID, true, &c->out->name[RS_NAME_PROVIDER]);
	if (rc >= 0) rc = get_chain(c);
	if (rc >= 0) rc = get_int(c, F_HEIGHT, true, 0, 0, INT64_MAX, &height);
	if (rc < 0)
		return rc;
	c->out->rec.u.block.height = (uint64_t)height;
	return 0;
}

static int parse_object(const struct ctx *c)
{
	static const char kinds[] = "decision, circuit, block";
	const struct rs_json_span *v = field_get(c, F_TYPE);
	if (v == NULL)
		return parse_decision(c);
	char t[16], got[64];
	size_t len;
	if (v->type == RS_JSON_STRING &&
	    rs_json_string_decode(c->s, v, t, sizeof t - 1, &len) == RS_JSON_STR_OK) {
		if (strcmp(t, "decision") == 0)
			return parse_decision(c);
		if (strcmp(t, "circuit") == 0)
			return parse_circuit(c);
		if (strcmp(t, "block") == 0)
			return parse_block(c);
	}
	describe(c, v, true, got, sizeof got);
	return fail(c->err, v->type == RS_JSON_STRING ? RS_REJECT_ENUM : RS_REJECT_TYPE, "type",
		    "must be one of %s (got %s)", kinds, got);
}

/* ---- entry ---------------------------------------------------------------- */

/* Maps a syntax-layer failure to a reason and a message. */
static int syntax_failed(const struct rs_json_error *je, struct rs_parse_error *err)
{
	switch (je->status) {
	case RS_JSON_NUL:
	case RS_JSON_BAD_UTF8:
		return fail(err, RS_REJECT_ENCODING, NULL, "%s at byte %zu", je->what, je->offset);
	case RS_JSON_TOO_MANY:
		return fail(err, RS_REJECT_TOO_LONG, NULL,
			    "more than %u JSON tokens (nested too deep or too many fields) at byte %zu",
			    RS_JSON_MAX_TOKENS, je->offset);
	case RS_JSON_NOT_OBJECT:
		return fail(err, RS_REJECT_PARSE, NULL, "not a JSON object (got %s)",
			    rs_json_type_name(je->got_type));
	default:
		return fail(err, RS_REJECT_PARSE, NULL, "invalid JSON near byte %zu: %s", je->offset,
			    je->what);
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

static int64_t clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rs_decision_parse_opts(const char *line, size_t len, const struct rs_parse_opts *opts,
			   struct rs_parsed *out, struct rs_parse_error *err)
{
	reset(out, err);
	if (line == NULL)
		return fail(err, RS_REJECT_PARSE, NULL, "no line");
	size_t max = opts != NULL && opts->line_max != 0 ? opts->line_max : RS_PARSE_LINE_MAX;
	if (max > RS_JSON_MAX_LEN)
		max = RS_JSON_MAX_LEN;
	if (len > max)
		return fail(err, RS_REJECT_TOO_LONG, NULL, "line is %zu bytes, over the %zu-byte limit",
			    len, max);
	struct rs_json_object obj;
	struct rs_json_error je;
	if (rs_json_parse_object(line, len, &obj, &je) != RS_JSON_OK)
		return syntax_failed(&je, err);
	struct ctx c = { .s = line, .obj = &obj, .out = out, .err = err };
	c.now_ms = opts != NULL && opts->now_unix_ms != 0 ? opts->now_unix_ms : clock_ms();
	c.skew_ms = opts != NULL && opts->ts_skew_ms != 0 ? opts->ts_skew_ms : RS_PARSE_TS_SKEW_DEFAULT_MS;
	if (c.now_ms < 1 || c.now_ms > RS_PARSE_TS_MAX_MS)      /* a broken clock: no window */
		c.skew_ms = -1;
	if (c.now_ms < 1)
		c.now_ms = 1;
	if (c.now_ms > RS_PARSE_TS_MAX_MS)
		c.now_ms = RS_PARSE_TS_MAX_MS;
	if (c.skew_ms > RS_PARSE_TS_MAX_MS)                     /* wider than all time: no check */
		c.skew_ms = -1;
	int rc = index_keys(&c);
	if (rc >= 0)
		rc = parse_object(&c);
	if (rc < 0) {
		struct rs_parse_error keep = *err;
		reset(out, err);
		*err = keep;
		return -EINVAL;
	}
	return 0;
}

int rs_decision_parse(const char *line, size_t len, struct rs_parsed *out,
		      struct rs_parse_error *err)
{
	return rs_decision_parse_opts(line, len, NULL, out, err);
}
