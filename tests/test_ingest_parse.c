/*
 * Criterion tests for ingest/decision_parse: valid decision, circuit and block
 * lines, and one rejection per reason.  Hostile input, duplicate keys, the ts
 * window and the name limits: test_ingest_validation.c.
 *
 * Every parse runs with a fixed clock, NOW_MS, so "ts" values near it are in
 * the default one-day window whatever the date of the run.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision_parse.h"

#define NOW_MS 1735689600000LL   /* 2025-01-01T00:00:00Z: the parser's "now" in these tests */
#define TS(ms) "1735689600" #ms   /* a ts NOW_MS + ms (ms: three digits) */

/* A complete decision; DECISION_WITH replaces fields of it (duplicate keys are refused). */
#define DECISION_FIELDS                                                             \
	"\"ts\":1735689600123,\"request_id\":\"0123456789abcdeffedcba9876543210\","  \
	"\"profile\":\"tenant-a\",\"source_node_id\":\"us-west-2\",\"chain\":\"base\","  \
	"\"method\":\"eth_call\",\"strategy\":\"latency_weighted\","                    \
	"\"provider_id\":\"alchemy\",\"transport\":\"ws\",\"duration_ms\":42,"          \
	"\"result\":\"error\",\"request_origin\":\"system\",\"failover_count\":2"
#define DECISION "{" DECISION_FIELDS "}"
/* The decision with the fields of `extra` ("\"k\":v,...") replacing or added to its own. */
#define DECISION_WITH(extra) decision_with(extra)

static struct rs_parsed p;
static struct rs_parse_error e;
static const struct rs_parse_opts opts = { .now_unix_ms = NOW_MS };

/* The key of the member starting at s ("\"key\":..."), as its length; 0 when none. */
static size_t key_len(const char *s)
{
	const char *q = s[0] == '"' ? strchr(s + 1, '"') : NULL;
	return q != NULL ? (size_t)(q - s + 1) : 0;
}

/* Splits a member list at top-level commas: the length of the first member. */
static size_t member_len(const char *s)
{
	int depth = 0;
	bool str = false;
	size_t i = 0;
	for (; s[i] != '\0'; i++) {
		char c = s[i];
		if (str) {
			if (c == '\\' && s[i + 1] != '\0')
				i++;
			else if (c == '"')
				str = false;
		} else if (c == '"') {
			str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',' && depth == 0) {
			break;
		}
	}
	return i;
}

static const char *decision_with(const char *extra)
{
	static char out[4096];
	static const char base[] = DECISION_FIELDS;
	size_t o = 0;
	out[o++] = '{';
	for (const char *m = base; *m != '\0';) {
		size_t n = member_len(m), k = key_len(m);
		bool replaced = false;
		for (const char *x = extra; *x != '\0' && !replaced;) {
			size_t xn = member_len(x);
			replaced = key_len(x) == k && memcmp(x, m, k) == 0;
			x += xn + (x[xn] == ',');
		}
		if (!replaced) {
			memcpy(out + o, m, n);
			o += n;
			out[o++] = ',';
		}
		m += n + (m[n] == ',');
	}
	size_t xl = strlen(extra);
	cr_assert(o + xl + 2 < sizeof out);
	memcpy(out + o, extra, xl);
	o += xl;
	out[o++] = '}';
	out[o] = '\0';
	return out;
}

static int parse(const char *line)
{
	return rs_decision_parse_opts(line, strlen(line), &opts, &p, &e);
}

static void assert_name(enum rs_name_slot slot, const char *want)
{
	cr_assert_eq(p.name[slot].len, strlen(want), "%s: length %u", want, p.name[slot].len);
	cr_assert_str_eq(p.name[slot].s, want);
}

/* Asserts a rejection with reason; when field is set, e.field is it and the message starts "field: ". */
static void assert_rejected_n(const char *line, size_t len, enum rs_reject_reason reason,
			      const char *field)
{
	int rc = rs_decision_parse_opts(line, len, &opts, &p, &e);
	cr_assert_eq(rc, -EINVAL, "accepted: %.80s", line);
	cr_assert_eq(e.reason, reason, "reason %s, want %s: %s", rs_reject_reason_name(e.reason),
		     rs_reject_reason_name(reason), e.msg);
	if (field != NULL) {
		cr_assert(e.field != NULL && strcmp(e.field, field) == 0, "field %s, want %s (%s)",
			  e.field ? e.field : "(none)", field, e.msg);
		size_t n = strlen(field);
		cr_assert(strncmp(e.msg, field, n) == 0 && e.msg[n] == ':', "message: %s", e.msg);
	}
	cr_assert_eq(p.rec.kind, 0, "a rejected line leaves no record");
}

static void assert_rejected(const char *line, enum rs_reject_reason reason, const char *field)
{
	assert_rejected_n(line, strlen(line), reason, field);
}

/* ---- accepted lines -------------------------------------------------------- */

Test(ingest_parse, valid_decision_all_fields)
{
	cr_assert_eq(parse(DECISION), 0, "%s", e.msg);
	const struct rs_record *r = &p.rec;
	const struct rs_decision *d = &r->u.decision;
	cr_assert_eq(r->kind, RS_REC_DECISION);
	cr_assert_eq(r->flags, 0);
	cr_assert_eq(r->emit_unix_ms, 1735689600123ull);
	cr_assert_eq(r->arrival_unix_ns, 0);
	cr_assert_eq(d->id_hi, 0x0123456789abcdefull);
	cr_assert_eq(d->id_lo, 0xfedcba9876543210ull);
	cr_assert_eq(d->duration_us, 42000u);
	cr_assert_eq(d->strategy, RS_STRATEGY_LATENCY_WEIGHTED);
	cr_assert_eq(d->transport, RS_TRANSPORT_WS);
	cr_assert_eq(d->result, RS_RESULT_ERROR);
	cr_assert_eq(d->origin, RS_ORIGIN_SYSTEM);
	cr_assert_eq(d->failover_count, 2);
	assert_name(RS_NAME_PROVIDER, "alchemy");
	assert_name(RS_NAME_CHAIN, "base");
	assert_name(RS_NAME_METHOD, "eth_call");
	assert_name(RS_NAME_PROFILE, "tenant-a");
	cr_assert_eq(p.name[RS_NAME_REASON].len, 0);
	/* ids are the caller's: all unset until interned */
	cr_assert_eq(r->provider, RS_DICT_NONE);
	cr_assert_eq(r->chain, RS_DICT_NONE);
	cr_assert_eq(r->method, RS_DICT_NONE);
	cr_assert_eq(d->profile, RS_DICT_NONE);
	rs_record_set_name(&p.rec, RS_NAME_PROFILE, 7);
	cr_assert_eq(d->profile, 7);
}

Test(ingest_parse, optional_fields_take_defaults)
{
	const char *line = "{\"ts\":" TS(005) ",\"request_id\":\"r-1\",\"chain\":\"ethereum\",\"method\":\"eth_chainId\","
			   "\"strategy\":\"fastest\",\"provider_id\":\"infura\",\"transport\":\"http\","
			   "\"duration_ms\":0,\"result\":\"success\",\"request_origin\":null}\r\n";
	cr_assert_eq(parse(line), 0, "%s", e.msg);
	cr_assert_eq(p.rec.u.decision.origin, RS_ORIGIN_CLIENT);
	cr_assert_eq(p.rec.u.decision.failover_count, 0);
	cr_assert_eq(p.rec.u.decision.duration_us, 0);
	cr_assert_eq(p.rec.flags, RS_RECF_ID_HASHED, "a non-hex id is hashed");
	assert_name(RS_NAME_PROFILE, "default");
}

Test(ingest_parse, explicit_decision_type)
{
	cr_assert_eq(parse(DECISION_WITH("\"type\":\"decision\"")), 0, "%s", e.msg);
	cr_assert_eq(p.rec.kind, RS_REC_DECISION);
}

Test(ingest_parse, chain_id_mapping)
{
	static const struct { const char *id, *name; } cases[] = {
		{ "1", "ethereum" }, { "10", "optimism" }, { "137", "polygon" },
		{ "8453", "base" }, { "42161", "arbitrum" }, { "56", "56" },
		{ "9223372036854775807", "9223372036854775807" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[512];
		snprintf(line, sizeof line,
			 "{\"ts\":" TS(001) ",\"request_id\":\"x\",\"chain_id\":%s,\"method\":\"m\",\"strategy\":\"priority\","
			 "\"provider_id\":\"ankr\",\"transport\":\"http\",\"duration_ms\":1,\"result\":\"success\"}",
			 cases[i].id);
		cr_assert_eq(parse(line), 0, "chain_id %s: %s", cases[i].id, e.msg);
		assert_name(RS_NAME_CHAIN, cases[i].name);
	}
}

Test(ingest_parse, chain_name_wins_over_chain_id)
{
	cr_assert_eq(parse(DECISION_WITH("\"chain_id\":1")), 0, "%s", e.msg);
	assert_name(RS_NAME_CHAIN, "base");
}

Test(ingest_parse, fractional_duration_rounds_to_microseconds)
{
	static const struct { const char *ms; uint32_t us; } cases[] = {
		{ "12.3456", 12346 }, { "12.3454", 12345 }, { "0.0004", 0 }, { "0.0006", 1 },
		{ "250", 250000 }, { "1e2", 100000 }, { "3599999.9999", 3600000000u },
		{ "3600000", 3600000000u }, { "-0.0", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[1024];
		snprintf(line, sizeof line, "\"duration_ms\":%s", cases[i].ms);
		cr_assert_eq(parse(DECISION_WITH(line)), 0, "duration %s: %s", cases[i].ms, e.msg);
		cr_assert_eq(p.rec.u.decision.duration_us, cases[i].us, "duration %s -> %u us",
			     cases[i].ms, p.rec.u.decision.duration_us);
	}
}

Test(ingest_parse, circuit_line)
{
	const char *line = "{\"type\":\"circuit\",\"provider_id\":\"quicknode\",\"transport\":\"ws\","
			   "\"from\":\"closed\",\"to\":\"open\",\"reason\":\"failure_threshold\",\"ts\":" TS(099) "}";
	cr_assert_eq(parse(line), 0, "%s", e.msg);
	const struct rs_circuit_change *c = &p.rec.u.circuit;
	cr_assert_eq(p.rec.kind, RS_REC_CIRCUIT);
	cr_assert_eq(p.rec.emit_unix_ms, NOW_MS + 99);
	cr_assert_eq(c->transport, RS_TRANSPORT_WS);
	cr_assert_eq(c->from_state, RS_CIRCUIT_CLOSED);
	cr_assert_eq(c->to_state, RS_CIRCUIT_OPEN);
	cr_assert_eq(c->reason, RS_DICT_NONE);
	assert_name(RS_NAME_PROVIDER, "quicknode");
	assert_name(RS_NAME_REASON, "failure_threshold");
	cr_assert_eq(p.name[RS_NAME_CHAIN].len, 0);
	cr_assert_eq(p.name[RS_NAME_METHOD].len, 0);
	cr_assert_eq(p.rec.chain, RS_DICT_NONE);
	cr_assert_eq(p.rec.method, RS_DICT_NONE);
}

Test(ingest_parse, circuit_reason_is_optional)
{
	const char *line = "{\"type\":\"circuit\",\"provider_id\":\"ankr\",\"transport\":\"http\","
			   "\"from\":\"open\",\"to\":\"half_open\",\"ts\":" TS(001) "}";
	cr_assert_eq(parse(line), 0, "%s", e.msg);
	cr_assert_eq(p.rec.u.circuit.from_state, RS_CIRCUIT_OPEN);
	cr_assert_eq(p.rec.u.circuit.to_state, RS_CIRCUIT_HALF_OPEN);
	cr_assert_eq(p.rec.u.circuit.reason, RS_DICT_NONE);
	cr_assert_eq(p.name[RS_NAME_REASON].len, 0);
}

Test(ingest_parse, block_lines)
{
	cr_assert_eq(parse("{\"type\":\"block\",\"provider_id\":\"publicnode\",\"chain\":\"polygon\","
			   "\"height\":66200123,\"ts\":" TS(007) "}"), 0, "%s", e.msg);
	cr_assert_eq(p.rec.kind, RS_REC_BLOCK);
	cr_assert_eq(p.rec.u.block.height, 66200123u);
	cr_assert_eq(p.rec.emit_unix_ms, NOW_MS + 7);
	assert_name(RS_NAME_PROVIDER, "publicnode");
	assert_name(RS_NAME_CHAIN, "polygon");

	cr_assert_eq(parse("{\"type\":\"block\",\"provider_id\":\"x\",\"chain_id\":42161,\"height\":0,\"ts\":" TS(007) "}"),
		     0, "%s", e.msg);
	cr_assert_eq(p.rec.u.block.height, 0);
	assert_name(RS_NAME_CHAIN, "arbitrum");
}

/* ---- one rejection per reason ---------------------------------------------- */

Test(ingest_parse, missing_field)
{
	assert_rejected("{\"ts\":" TS(001) ",\"request_id\":\"x\",\"chain\":\"base\",\"method\":\"m\",\"strategy\":\"fastest\","
			"\"transport\":\"http\",\"duration_ms\":1,\"result\":\"success\"}",
			RS_REJECT_MISSING, "provider_id");
	assert_rejected(DECISION_WITH("\"provider_id\":null"), RS_REJECT_MISSING, "provider_id");
	assert_rejected(DECISION_WITH("\"method\":\"\""), RS_REJECT_MISSING, "method");
	assert_rejected("{\"type\":\"block\",\"provider_id\":\"x\",\"height\":1,\"ts\":" TS(007) "}",
			RS_REJECT_MISSING, "chain");
	assert_rejected("{\"type\":\"circuit\",\"provider_id\":\"x\",\"transport\":\"ws\",\"from\":\"open\",\"ts\":" TS(001) "}",
			RS_REJECT_MISSING, "to");
}

Test(ingest_parse, wrong_type)
{
	assert_rejected(DECISION_WITH("\"duration_ms\":\"12\""), RS_REJECT_TYPE, "duration_ms");
	assert_rejected(DECISION_WITH("\"failover_count\":1.5"), RS_REJECT_TYPE, "failover_count");
	assert_rejected(DECISION_WITH("\"ts\":true"), RS_REJECT_TYPE, "ts");
	assert_rejected(DECISION_WITH("\"provider_id\":7"), RS_REJECT_TYPE, "provider_id");
	assert_rejected(DECISION_WITH("\"strategy\":[\"fastest\"]"), RS_REJECT_TYPE, "strategy");
	assert_rejected(DECISION_WITH("\"type\":1"), RS_REJECT_TYPE, "type");
	cr_assert(strstr(e.msg, "got an integer") != NULL, "%s", e.msg);
}

Test(ingest_parse, out_of_range)
{
	assert_rejected(DECISION_WITH("\"duration_ms\":3600001"), RS_REJECT_RANGE, "duration_ms");
	cr_assert_str_eq(e.msg, "duration_ms: must be a number in 0..3600000 (got 3600001)");
	assert_rejected(DECISION_WITH("\"duration_ms\":-0.5"), RS_REJECT_RANGE, "duration_ms");
	assert_rejected(DECISION_WITH("\"duration_ms\":3600000.001"), RS_REJECT_RANGE, "duration_ms");
	assert_rejected(DECISION_WITH("\"failover_count\":17"), RS_REJECT_RANGE, "failover_count");
	assert_rejected(DECISION_WITH("\"ts\":0"), RS_REJECT_RANGE, "ts");
	assert_rejected(DECISION_WITH("\"chain\":null,\"chain_id\":-1"), RS_REJECT_RANGE, "chain_id");
	assert_rejected("{\"type\":\"block\",\"provider_id\":\"x\",\"chain\":\"base\",\"height\":-1,\"ts\":" TS(007) "}",
			RS_REJECT_RANGE, "height");
	/* beyond 64-bit integers */
	assert_rejected(DECISION_WITH("\"ts\":99999999999999999999"), RS_REJECT_RANGE, "ts");
	/* a day and a millisecond away from now, either way */
	assert_rejected(DECISION_WITH("\"ts\":1735603199999"), RS_REJECT_RANGE, "ts");
	assert_rejected(DECISION_WITH("\"ts\":1735776000001"), RS_REJECT_RANGE, "ts");
}

Test(ingest_parse, bad_enum)
{
	assert_rejected(DECISION_WITH("\"strategy\":\"fastets\""), RS_REJECT_ENUM, "strategy");
	cr_assert(strstr(e.msg, "\"fastets\"") != NULL, "%s", e.msg);
	assert_rejected(DECISION_WITH("\"transport\":\"grpc\""), RS_REJECT_ENUM, "transport");
	assert_rejected(DECISION_WITH("\"result\":\"ok\""), RS_REJECT_ENUM, "result");
	assert_rejected(DECISION_WITH("\"request_origin\":\"robot\""), RS_REJECT_ENUM, "request_origin");
	assert_rejected(DECISION_WITH("\"type\":\"heartbeat\""), RS_REJECT_ENUM, "type");
	assert_rejected("{\"type\":\"circuit\",\"provider_id\":\"x\",\"transport\":\"ws\",\"from\":\"open\","
			"\"to\":\"ajar\",\"ts\":" TS(001) "}", RS_REJECT_ENUM, "to");
}

Test(ingest_parse, too_long)
{
	char name[RS_DICT_STR_MAX + 2];
	memset(name, 'm', sizeof name - 1);
	name[sizeof name - 1] = '\0';                        /* 63 bytes: one over */
	char line[1024];
	snprintf(line, sizeof line, "\"method\":\"%s\"", name);
	assert_rejected(DECISION_WITH(line), RS_REJECT_TOO_LONG, "method");
	name[RS_DICT_STR_MAX] = '\0';                        /* 62 bytes: fits */
	snprintf(line, sizeof line, "\"method\":\"%s\"", name);
	cr_assert_eq(parse(DECISION_WITH(line)), 0, "%s", e.msg);

	char id[RS_PARSE_REQUEST_ID_MAX + 2];
	memset(id, 'a', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	snprintf(line, sizeof line, "\"request_id\":\"%s\"", id);
	assert_rejected(DECISION_WITH(line), RS_REJECT_TOO_LONG, "request_id");

	size_t big = RS_PARSE_LINE_MAX + 1;
	char *huge = malloc(big);
	cr_assert_not_null(huge);
	memset(huge, ' ', big);
	memcpy(huge, DECISION, sizeof DECISION - 1);        /* valid JSON padded with spaces */
	assert_rejected_n(huge, big, RS_REJECT_TOO_LONG, NULL);
	cr_assert(strstr(e.msg, "line") != NULL, "%s", e.msg);
	cr_assert_eq(rs_decision_parse_opts(huge, big - 1, &opts, &p, &e), 0, "64 KiB exactly is fine: %s",
		     e.msg);
	free(huge);
}

Test(ingest_parse, invalid_json)
{
	assert_rejected("{\"ts\":" TS(001) ",", RS_REJECT_PARSE, NULL);
	cr_assert(strstr(e.msg, "invalid JSON") != NULL, "%s", e.msg);
	assert_rejected("not json", RS_REJECT_PARSE, NULL);
	assert_rejected("[1,2]", RS_REJECT_PARSE, NULL);
	cr_assert(strstr(e.msg, "not a JSON object") != NULL, "%s", e.msg);
	assert_rejected("\"text\"", RS_REJECT_PARSE, NULL);
	assert_rejected("", RS_REJECT_PARSE, NULL);
	assert_rejected(DECISION " {}", RS_REJECT_PARSE, NULL);
}

Test(ingest_parse, invalid_utf8)
{
	assert_rejected("{" DECISION_FIELDS ",\"method\":\"eth_\xff\xfe\"}", RS_REJECT_ENCODING, NULL);
	cr_assert(strstr(e.msg, "UTF-8") != NULL, "%s", e.msg);
	assert_rejected("{" DECISION_FIELDS ",\"method\":\"\xc3\"}", RS_REJECT_ENCODING, NULL);  /* truncated */
	assert_rejected("{" DECISION_FIELDS ",\"method\":\"\xc0\xaf\"}", RS_REJECT_ENCODING, NULL); /* overlong */
	/* valid multi-byte UTF-8 passes */
	cr_assert_eq(parse(DECISION_WITH("\"profile\":\"caf\xc3\xa9\"")), 0, "%s", e.msg);
	assert_name(RS_NAME_PROFILE, "caf\xc3\xa9");
}

Test(ingest_parse, nul_byte)
{
	static const char line[] = "{\"ts\":1,\"request_id\":\"a\0b\"}";
	assert_rejected_n(line, sizeof line - 1, RS_REJECT_ENCODING, NULL);
	cr_assert(strstr(e.msg, "NUL byte at byte 23") != NULL, "%s", e.msg);
	assert_rejected(DECISION_WITH("\"method\":\"a\\u0000b\""), RS_REJECT_ENCODING, NULL);
	cr_assert(strstr(e.msg, "\\u0000") != NULL, "%s", e.msg);
}

Test(ingest_parse, control_characters_in_names)
{
	assert_rejected(DECISION_WITH("\"provider_id\":\"al\\u001b[2Jchemy\""), RS_REJECT_ENCODING,
			"provider_id");
	assert_rejected(DECISION_WITH("\"method\":\"a\\u009bb\""), RS_REJECT_ENCODING, "method");
}

/* ---- robustness ------------------------------------------------------------ */

Test(ingest_parse, every_prefix_and_corruption_is_handled)
{
	static const char line[] = DECISION;
	size_t n = sizeof line - 1;
	char buf[sizeof line];
	for (size_t len = 0; len < n; len++) {
		int rc = rs_decision_parse_opts(line, len, &opts, &p, &e);
		cr_assert_eq(rc, -EINVAL, "prefix %zu accepted", len);
		cr_assert(e.msg[0] != '\0');
	}
	uint64_t x = 88172645463325252ull;   /* xorshift64: fixed corruptions */
	for (int i = 0; i < 20000; i++) {
		memcpy(buf, line, n);
		for (int k = 0; k < 3; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			buf[(x >> 8) % n] = (char)(x & 0xff);
		}
		int rc = rs_decision_parse_opts(buf, n, &opts, &p, &e);
		cr_assert(rc == 0 || (rc == -EINVAL && (unsigned)e.reason < RS_REJECT_COUNT &&
				      memchr(e.msg, '\0', sizeof e.msg) != NULL));
	}
}
