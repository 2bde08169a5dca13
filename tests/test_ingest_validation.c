/*
 * Criterion tests for hostile input to ingest/decision_parse, json_tok and
 * name_limits: one test per rejection reason, one per class of hostile input
 * (numbers as strings, duplicate keys, nested garbage, invalid UTF-8 in keys,
 * values and unknown fields, NUL bytes, 10,000-deep nesting, a 10 MB line,
 * strict JSON syntax), the ts window, id lengths, the per-kind name limits,
 * and valid lines surrounded by garbage (every valid one arrives).
 *
 * Every parse runs with a fixed clock (NOW_MS) unless a test says otherwise.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decision_parse.h"
#include "json_tok.h"
#include "name_limits.h"
#include "ring.h"
#include "test_support.h"

#define NOW_MS 1735689600000LL       /* 2025-01-01T00:00:00Z */
#define NOW_S  "1735689600"          /* NOW_S "123": a ts 123 ms after NOW_MS */

/* A valid decision; with(...) replaces or adds members. */
static const char *const base_fields[] = {
	"\"ts\":" NOW_S "123", "\"request_id\":\"0123456789abcdeffedcba9876543210\"",
	"\"profile\":\"tenant-a\"", "\"source_node_id\":\"us-west-2\"", "\"chain\":\"base\"",
	"\"method\":\"eth_call\"", "\"strategy\":\"latency_weighted\"", "\"provider_id\":\"alchemy\"",
	"\"transport\":\"ws\"", "\"duration_ms\":42", "\"result\":\"error\"",
	"\"request_origin\":\"system\"", "\"failover_count\":2",
};
#define N_BASE (sizeof base_fields / sizeof base_fields[0])

static struct rs_parsed p;
static struct rs_parse_error e;
static const struct rs_parse_opts opts = { .now_unix_ms = NOW_MS };

static char *line_buf;   /* with() builds here; 1 MiB */

static void setup(void)
{
	line_buf = malloc(1u << 20);
	cr_assert_not_null(line_buf);
}

static void teardown(void)
{
	free(line_buf);
	rs_test_cleanup();
}

TestSuite(ingest_validation, .init = setup, .fini = teardown);

/* The key of a member "\"k\":v" (its first quoted string, quotes included). */
static size_t key_len(const char *m)
{
	const char *q = m[0] == '"' ? strchr(m + 1, '"') : NULL;
	return q != NULL ? (size_t)(q - m + 1) : 0;
}

/*
 * The base decision with members replaced: each argument is one member
 * "\"key\":value" replacing the base member of that key (dropped when value
 * is absent: "\"key\"" alone), or added at the end; NULL ends the list.
 */
static const char *with_v(const char *first, va_list ap)
{
	const char *over[32];
	size_t n = 0;
	for (const char *m = first; m != NULL && n < 32; m = va_arg(ap, const char *))
		over[n++] = m;
	size_t o = 0;
	line_buf[o++] = '{';
	bool used[32] = { false };
	for (size_t i = 0; i < N_BASE; i++) {
		const char *b = base_fields[i];
		size_t k = key_len(b);
		const char *rep = NULL;
		for (size_t j = 0; j < n && rep == NULL; j++)
			if (key_len(over[j]) == k && memcmp(over[j], b, k) == 0) {
				rep = over[j];
				used[j] = true;
			}
		const char *m = rep != NULL ? rep : b;
		if (strlen(m) == key_len(m))          /* "\"key\"" alone: drop */
			continue;
		o += (size_t)sprintf(line_buf + o, "%s%s", o > 1 ? "," : "", m);
	}
	for (size_t j = 0; j < n; j++)
		if (!used[j] && strlen(over[j]) != key_len(over[j]))
			o += (size_t)sprintf(line_buf + o, "%s%s", o > 1 ? "," : "", over[j]);
	line_buf[o++] = '}';
	line_buf[o] = '\0';
	return line_buf;
}

static const char *with(const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	const char *s = with_v(first, ap);
	va_end(ap);
	return s;
}

#define BASE with(NULL)

static int parse_n(const char *line, size_t len)
{
	return rs_decision_parse_opts(line, len, &opts, &p, &e);
}

static int parse(const char *line)
{
	return parse_n(line, strlen(line));
}

static void accepted_n(const char *line, size_t len)
{
	int rc = parse_n(line, len);
	cr_assert_eq(rc, 0, "rejected (%s): %s\n  line: %.200s", rs_reject_reason_name(e.reason), e.msg,
		     line);
}

static void accepted(const char *line)
{
	accepted_n(line, strlen(line));
}

/* Asserts a rejection for reason (and field, when not NULL), and that msg contains `contains`. */
static void rejected_n(const char *line, size_t len, enum rs_reject_reason reason, const char *field,
		       const char *contains)
{
	int rc = parse_n(line, len);
	cr_assert_eq(rc, -EINVAL, "accepted: %.200s", line);
	cr_assert_eq(e.reason, reason, "reason %s, want %s: %s\n  line: %.200s",
		     rs_reject_reason_name(e.reason), rs_reject_reason_name(reason), e.msg, line);
	if (field != NULL) {
		cr_assert(e.field != NULL && strcmp(e.field, field) == 0, "field %s, want %s (%s)",
			  e.field ? e.field : "(none)", field, e.msg);
		cr_assert(strncmp(e.msg, field, strlen(field)) == 0, "message: %s", e.msg);
	}
	if (contains != NULL)
		cr_assert(strstr(e.msg, contains) != NULL, "want '%s' in: %s", contains, e.msg);
	cr_assert_eq(p.rec.kind, 0);
	for (const char *c = e.msg; *c != '\0'; c++)
		cr_assert(*c >= 0x20 && *c < 0x7f, "message not printable ASCII: %s", e.msg);
}

static void rejected(const char *line, enum rs_reject_reason reason, const char *field,
		     const char *contains)
{
	rejected_n(line, strlen(line), reason, field, contains);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one test per rejection reason ------------------------------------------ */

Test(ingest_validation, reason_parse)
{
	rejected("{\"ts\":1,", RS_REJECT_PARSE, NULL, "invalid JSON");
	rejected("[1,2]", RS_REJECT_PARSE, NULL, "not a JSON object (got an array)");
	rejected("42 ", RS_REJECT_PARSE, NULL, "not a JSON object (got an integer)");
	rejected("", RS_REJECT_PARSE, NULL, NULL);
	rejected("   ", RS_REJECT_PARSE, NULL, NULL);
}

Test(ingest_validation, reason_missing)
{
	static const char *const required[] = { "\"request_id\"", "\"chain\"", "\"method\"",
		"\"strategy\"", "\"provider_id\"", "\"transport\"", "\"duration_ms\"", "\"result\"" };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		char field[32];
		snprintf(field, sizeof field, "%.*s", (int)strlen(required[i]) - 2, required[i] + 1);
		rejected(with(required[i], NULL), RS_REJECT_MISSING, field, "missing");
	}
	rejected(with("\"request_id\":\"\"", NULL), RS_REJECT_MISSING, "request_id", "empty");
	rejected(with("\"method\":null", NULL), RS_REJECT_MISSING, "method", NULL);
	/* optional ones are not missing */
	accepted(with("\"profile\"", "\"request_origin\"", "\"failover_count\"", "\"ts\"", NULL));
}

Test(ingest_validation, reason_type)
{
	rejected(with("\"provider_id\":true", NULL), RS_REJECT_TYPE, "provider_id", "got true");
	rejected(with("\"failover_count\":2.0", NULL), RS_REJECT_TYPE, "failover_count", "a real number");
	rejected(with("\"result\":0", NULL), RS_REJECT_TYPE, "result", "an integer");
	rejected(with("\"request_id\":12345", NULL), RS_REJECT_TYPE, "request_id", NULL);
}

Test(ingest_validation, reason_range)
{
	rejected(with("\"duration_ms\":-1", NULL), RS_REJECT_RANGE, "duration_ms", NULL);
	rejected(with("\"duration_ms\":3600000.0001", NULL), RS_REJECT_RANGE, "duration_ms", NULL);
	rejected(with("\"duration_ms\":1e10", NULL), RS_REJECT_RANGE, "duration_ms", NULL);
	rejected(with("\"duration_ms\":1e999999999", NULL), RS_REJECT_RANGE, "duration_ms", NULL);
	rejected(with("\"failover_count\":-1", NULL), RS_REJECT_RANGE, "failover_count", NULL);
	rejected(with("\"failover_count\":17", NULL), RS_REJECT_RANGE, "failover_count", NULL);
	rejected(with("\"chain\"", "\"chain_id\":0", NULL), RS_REJECT_RANGE, "chain_id", NULL);
	rejected(with("\"chain\"", "\"chain_id\":9223372036854775808", NULL), RS_REJECT_RANGE, "chain_id", NULL);
	/* the edges are in */
	accepted(with("\"duration_ms\":3600000", "\"failover_count\":16", NULL));
	cr_assert_eq(p.rec.u.decision.duration_us, 3600000000u);
	accepted(with("\"duration_ms\":3600000.0000", "\"failover_count\":0", NULL));
	accepted(with("\"duration_ms\":36e5", NULL));
	cr_assert_eq(p.rec.u.decision.duration_us, 3600000000u);
	accepted(with("\"duration_ms\":1E-9", NULL));
	cr_assert_eq(p.rec.u.decision.duration_us, 0);
}

Test(ingest_validation, reason_enum)
{
	rejected(with("\"strategy\":\"FASTEST\"", NULL), RS_REJECT_ENUM, "strategy", "\"FASTEST\"");
	rejected(with("\"transport\":\"http \"", NULL), RS_REJECT_ENUM, "transport", NULL);
	rejected(with("\"result\":\"\"", NULL), RS_REJECT_ENUM, "result", NULL);
	rejected(with("\"request_origin\":\"a very long value that is not an origin at all\"", NULL),
		 RS_REJECT_ENUM, "request_origin", "...");
	rejected(with("\"type\":\"decision\\u0000\"", NULL), RS_REJECT_ENCODING, NULL, "\\u0000");
	/* enums may be escaped */
	accepted(with("\"result\":\"\\u0073uccess\"", NULL));
	cr_assert_eq(p.rec.u.decision.result, RS_RESULT_SUCCESS);
}

Test(ingest_validation, reason_too_long)
{
	char *big = malloc(RS_PARSE_LINE_MAX + 2);
	cr_assert_not_null(big);
	memset(big, ' ', RS_PARSE_LINE_MAX + 1);
	memcpy(big, BASE, strlen(BASE));
	rejected_n(big, RS_PARSE_LINE_MAX + 1, RS_REJECT_TOO_LONG, NULL, "65536");
	accepted_n(big, RS_PARSE_LINE_MAX);
	free(big);
	char name[80];
	memset(name, 'p', 63);
	name[63] = '\0';
	char m[128];
	snprintf(m, sizeof m, "\"provider_id\":\"%s\"", name);
	rejected(with(m, NULL), RS_REJECT_TOO_LONG, "provider_id", "62");
}

static int fake_next_id;
static int fake_intern(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	(void)s;
	(void)len;
	return fake_next_id < 100 ? fake_next_id++ : -ENOSPC;
}

Test(ingest_validation, reason_dict_full)
{
	/* a kind at its limit */
	static const uint32_t max[RS_NAME_COUNT] = { 1, 64, 256, 16, 64 };
	struct rs_name_limits nl;
	cr_assert_eq(rs_name_limits_init(&nl, max), 0);
	fake_next_id = 0;
	accepted(BASE);
	cr_assert_eq(rs_name_limits_intern(&nl, &p, fake_intern, NULL, &e), 0, "%s", e.msg);
	accepted(with("\"provider_id\":\"infura\"", NULL));
	cr_assert_eq(rs_name_limits_intern(&nl, &p, fake_intern, NULL, &e), -1);
	cr_assert_eq(e.reason, RS_REJECT_DICT_FULL);
	cr_assert_str_eq(e.field, "provider_id");
	cr_assert(strstr(e.msg, "limit of 1 distinct providers") != NULL, "%s", e.msg);
	/* the dictionary itself full */
	fake_next_id = 100;
	accepted(with("\"method\":\"eth_new\"", NULL));
	cr_assert_eq(rs_name_limits_intern(&nl, &p, fake_intern, NULL, &e), -1);
	cr_assert_eq(e.reason, RS_REJECT_DICT_FULL);
	cr_assert_str_eq(e.field, "method");
	cr_assert(strstr(e.msg, "dictionary is full") != NULL, "%s", e.msg);
	rs_name_limits_free(&nl);
}

Test(ingest_validation, reason_encoding)
{
	rejected(with("\"method\":\"eth_\xff\"", NULL), RS_REJECT_ENCODING, NULL, "invalid UTF-8");
	rejected(with("\"method\":\"a\\u0000\"", NULL), RS_REJECT_ENCODING, NULL, "\\u0000");
	rejected(with("\"method\":\"a\\u007f\"", NULL), RS_REJECT_ENCODING, "method", "control");
}

/* ---- hostile input classes ----------------------------------------------------- */

Test(ingest_validation, numbers_as_strings)
{
	rejected(with("\"duration_ms\":\"12\"", NULL), RS_REJECT_TYPE, "duration_ms", "a string \"12\"");
	rejected(with("\"ts\":\"" NOW_S "000\"", NULL), RS_REJECT_TYPE, "ts", "a string");
	rejected(with("\"failover_count\":\"2\"", NULL), RS_REJECT_TYPE, "failover_count", NULL);
	rejected(with("\"chain\"", "\"chain_id\":\"1\"", NULL), RS_REJECT_TYPE, "chain_id", NULL);
	rejected("{\"type\":\"block\",\"provider_id\":\"x\",\"chain\":\"base\",\"height\":\"5\"}",
		 RS_REJECT_TYPE, "height", NULL);
	/* and strings as numbers are not enums either */
	rejected(with("\"transport\":1", NULL), RS_REJECT_TYPE, "transport", NULL);
}

Test(ingest_validation, duplicate_keys)
{
	/* the same key twice, whatever the values */
	char line[1024];
	snprintf(line, sizeof line, "{%s,\"provider_id\":\"infura\"}", BASE + 1);
	line[strlen(line) - 1] = '}';
	snprintf(line, sizeof line, "%.*s,\"provider_id\":\"alchemy\"}", (int)strlen(BASE) - 1, BASE);
	rejected(line, RS_REJECT_PARSE, "provider_id", "duplicate key");
	/* spelled differently, equal once unescaped */
	snprintf(line, sizeof line, "%.*s,\"provider\\u005fid\":\"x\"}", (int)strlen(BASE) - 1, BASE);
	rejected(line, RS_REJECT_PARSE, "provider_id", "duplicate key");
	/* unknown keys too */
	rejected(with("\"x\":1", "\"y\":2", "\"x\\u0020\":3", "\"\\u0078\":4", NULL), RS_REJECT_PARSE, NULL,
		 "duplicate key \"\\u0078\"");
	/* a duplicate is refused even when its value is null */
	snprintf(line, sizeof line, "%.*s,\"ts\":null}", (int)strlen(BASE) - 1, BASE);
	rejected(line, RS_REJECT_PARSE, "ts", "duplicate key");
	/* keys that only look alike are different keys */
	accepted(with("\"Provider_id\":1", "\"provider_id \":2", "\"x\":1", "\"x \":1", NULL));
	/* nested objects may repeat the top level's keys (they are not read) */
	accepted(with("\"extra\":{\"provider_id\":1,\"ts\":2}", NULL));
}

Test(ingest_validation, nested_garbage)
{
	static const char *const fields[] = { "ts", "request_id", "profile", "chain", "method",
		"strategy", "provider_id", "transport", "duration_ms", "result", "request_origin",
		"failover_count", "type" };
	static const char *const values[] = { "{}", "[]", "{\"a\":{\"b\":[1,2,3]}}", "[\"alchemy\"]",
		"[[[[[[[[]]]]]]]]" };
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			char m[128];
			snprintf(m, sizeof m, "\"%s\":%s", fields[f], values[v]);
			rejected(with(m, NULL), RS_REJECT_TYPE, fields[f], NULL);
			cr_assert(strstr(e.msg, "an object") || strstr(e.msg, "an array"), "%s", e.msg);
		}
	/* as the value of an unknown field: ignored */
	accepted(with("\"meta\":{\"a\":[1,{\"b\":null,\"c\":[true,false,-1.5e3]}],\"d\":\"\"}", NULL));
}

Test(ingest_validation, invalid_utf8_everywhere)
{
	static const char *const bad[] = {
		"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xf8\x88\x80\x80\x80", "\x80", "\xe2\x82",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char m[128];
		snprintf(m, sizeof m, "\"method\":\"eth_%s\"", bad[i]);              /* a known value */
		rejected(with(m, NULL), RS_REJECT_ENCODING, NULL, "invalid UTF-8");
		snprintf(m, sizeof m, "\"note_%s\":1", bad[i]);                      /* a key */
		rejected(with(m, NULL), RS_REJECT_ENCODING, NULL, "invalid UTF-8");
		snprintf(m, sizeof m, "\"note\":\"%s\"", bad[i]);                    /* an unknown field */
		rejected(with(m, NULL), RS_REJECT_ENCODING, NULL, "invalid UTF-8");
		snprintf(m, sizeof m, "\"note\":[\"x\",{\"y\":\"%s\"}]", bad[i]);   /* nested */
		rejected(with(m, NULL), RS_REJECT_ENCODING, NULL, "invalid UTF-8");
		char line[1024];                                                    /* outside strings */
		snprintf(line, sizeof line, "%s %s", BASE, bad[i]);
		rejected(line, RS_REJECT_ENCODING, NULL, "invalid UTF-8");
	}
	/* escapes: lone surrogates refused anywhere, pairs decoded */
	rejected(with("\"note\":\"\\ud800\"", NULL), RS_REJECT_ENCODING, NULL, "surrogate");
	rejected(with("\"note\":\"\\udc00\\ud800\"", NULL), RS_REJECT_ENCODING, NULL, "surrogate");
	rejected(with("\"method\":\"\\ud83d x\"", NULL), RS_REJECT_ENCODING, NULL, "surrogate");
	accepted(with("\"method\":\"eth_\\ud83d\\ude00\"", "\"profile\":\"\\u00e9\\u4e2d\"", NULL));
	cr_assert_str_eq(p.name[RS_NAME_METHOD].s, "eth_\xf0\x9f\x98\x80");
	cr_assert_str_eq(p.name[RS_NAME_PROFILE].s, "\xc3\xa9\xe4\xb8\xad");
	/* the largest code points are fine */
	accepted(with("\"note\":\"\xf4\x8f\xbf\xbf \xef\xbf\xbf\"", NULL));
}

Test(ingest_validation, nul_bytes)
{
	char line[1024];
	const char *b = BASE;
	size_t n = strlen(b);
	memcpy(line, b, n);
	static const size_t at[] = { 0, 1, 10, 40 };
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		memcpy(line, b, n);
		line[at[i]] = '\0';
		rejected_n(line, n, RS_REJECT_ENCODING, NULL, "NUL byte");
	}
	memcpy(line, b, n);
	line[n] = '\0';
	rejected_n(line, n + 1, RS_REJECT_ENCODING, NULL, "NUL byte");          /* trailing */
	rejected(with("\"n\\u0000\":1", NULL), RS_REJECT_ENCODING, NULL, "\\u0000");   /* key */
	rejected(with("\"note\":[\"\\u0000\"]", NULL), RS_REJECT_ENCODING, NULL, "\\u0000");
}

Test(ingest_validation, deep_nesting_10000_levels)
{
	const size_t depth = 10000;
	char base[1024];
	snprintf(base, sizeof base, "%s", BASE);
	char *s = malloc(1u << 20);
	cr_assert_not_null(s);
	/* {"deep":{"k":[{"k":[ ... 1 ... ]}]},<the base fields>} */
	size_t o;
	o = (size_t)sprintf(s, "{\"deep\":");
	for (size_t i = 0; i < depth; i++)
		o += (size_t)sprintf(s + o, "%s", i % 2 ? "[" : "{\"k\":");
	o += (size_t)sprintf(s + o, "1");
	for (size_t i = depth; i-- > 0;)
		s[o++] = i % 2 ? ']' : '}';
	o += (size_t)sprintf(s + o, ",%s", base + 1);
	double t0 = now_s();
	rejected_n(s, o, RS_REJECT_TOO_LONG, NULL, "tokens");
	double dt = now_s() - t0;
	cr_assert(dt < 0.05, "took %.3f s", dt);
	/* plain brackets, as the whole line */
	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	rejected_n(s, 2 * depth, RS_REJECT_TOO_LONG, NULL, "tokens");
	/* unclosed */
	rejected_n(s, depth, RS_REJECT_TOO_LONG, NULL, NULL);
	memset(s, '{', depth);
	rejected_n(s, depth, RS_REJECT_PARSE, NULL, NULL);     /* "{{": a key must be a string */
	/* 100 levels: fine, as the value of an unknown field */
	o = (size_t)sprintf(s, "{\"deep\":");
	for (int i = 0; i < 100; i++)
		s[o++] = '[';
	for (int i = 0; i < 100; i++)
		s[o++] = ']';
	o += (size_t)sprintf(s + o, ",%s", base + 1);
	accepted_n(s, o);
	free(s);
}

Test(ingest_validation, ten_megabyte_line_refused_quickly)
{
	size_t big = 10u << 20;
	char *s = malloc(big);
	cr_assert_not_null(s);
	memset(s, 'x', big);
	memcpy(s, "{\"note\":\"", 9);
	s[big - 2] = '"';
	s[big - 1] = '}';
	double t0 = now_s();
	rejected_n(s, big, RS_REJECT_TOO_LONG, NULL, "over the 65536-byte limit");
	cr_assert(now_s() - t0 < 0.01, "took %.3f s", now_s() - t0);
	/* a higher limit lets it through to the tokenizer: one linear pass */
	struct rs_parse_opts big_ok = { .now_unix_ms = NOW_MS, .line_max = 16u << 20 };
	t0 = now_s();
	cr_assert_eq(rs_decision_parse_opts(s, big, &big_ok, &p, &e), -EINVAL);
	cr_assert_eq(e.reason, RS_REJECT_MISSING, "%s", e.msg);    /* valid JSON, no decision fields */
	cr_assert(now_s() - t0 < 1.0, "took %.3f s", now_s() - t0);
	struct rs_parse_opts small = { .now_unix_ms = NOW_MS, .line_max = 100 };
	const char *b = BASE;
	cr_assert_eq(rs_decision_parse_opts(b, strlen(b), &small, &p, &e), -EINVAL);
	cr_assert_eq(e.reason, RS_REJECT_TOO_LONG);
	cr_assert(strstr(e.msg, "100-byte limit") != NULL, "%s", e.msg);
	/* the tokenizer alone, without the length cap, is one linear pass */
	struct rs_json_object *obj = malloc(sizeof *obj);
	struct rs_json_error je;
	t0 = now_s();
	cr_assert_eq(rs_json_parse_object(s, big, obj, &je), RS_JSON_OK, "%s", je.what);
	double dt = now_s() - t0;
	cr_assert(dt < 1.0, "10 MB tokenized in %.3f s", dt);
	cr_assert_eq(obj->count, 1);
	cr_assert_eq(obj->member[0].value.len, big - 11);
	free(obj);
	free(s);
}

Test(ingest_validation, unknown_fields_ignored)
{
	accepted(BASE);
	struct rs_record want = p.rec;
	accepted(with("\"future\":\"x\"", "\"n\":1.5e300", "\"big\":123456789012345678901234567890",
		      "\"neg\":-0", "\"b\":false", "\"z\":null", "\"arr\":[1,\"a\",[],{}]",
		      "\"o\":{\"provider_id\":7}", "\"\":\"empty key\"", "\"caf\xc3\xa9\":\"\\u00e9\"", NULL));
	cr_assert(memcmp(&want, &p.rec, sizeof want) == 0);
	/* many of them, up to the token limit */
	char base[1024], many[4096];
	snprintf(base, sizeof base, "%s", BASE);
	size_t o = (size_t)sprintf(many, "{");
	for (int i = 0; i < 100; i++)
		o += (size_t)sprintf(many + o, "\"u%d\":%d,", i, i);
	sprintf(many + o, "%s", base + 1);
	accepted(many);
	cr_assert(memcmp(&want, &p.rec, sizeof want) == 0);
}

Test(ingest_validation, ts_window)
{
	/* default: one day either way */
	accepted(with("\"ts\":1735603200000", NULL));                 /* now - 1 day */
	accepted(with("\"ts\":1735776000000", NULL));                 /* now + 1 day */
	rejected(with("\"ts\":1735603199999", NULL), RS_REJECT_RANGE, "ts", "86400 s");
	rejected(with("\"ts\":1735776000001", NULL), RS_REJECT_RANGE, "ts", NULL);
	rejected(with("\"ts\":0", NULL), RS_REJECT_RANGE, "ts", NULL);
	rejected(with("\"ts\":-1", NULL), RS_REJECT_RANGE, "ts", NULL);
	rejected(with("\"ts\":1735689600000.5", NULL), RS_REJECT_TYPE, "ts", NULL);
	rejected(with("\"ts\":1.7356896e12", NULL), RS_REJECT_TYPE, "ts", NULL);
	/* absent or null: now */
	accepted(with("\"ts\"", NULL));
	cr_assert_eq(p.rec.emit_unix_ms, (uint64_t)NOW_MS);
	accepted(with("\"ts\":null", NULL));
	cr_assert_eq(p.rec.emit_unix_ms, (uint64_t)NOW_MS);
	/* a narrower window */
	struct rs_parse_opts narrow = { .now_unix_ms = NOW_MS, .ts_skew_ms = 1000 };
	const char *l = with("\"ts\":1735689601001", NULL);
	cr_assert_eq(rs_decision_parse_opts(l, strlen(l), &narrow, &p, &e), -EINVAL);
	cr_assert_eq(e.reason, RS_REJECT_RANGE);
	l = with("\"ts\":1735689601000", NULL);
	cr_assert_eq(rs_decision_parse_opts(l, strlen(l), &narrow, &p, &e), 0, "%s", e.msg);
	/* no window: any ts from 1 ms to year 9999 */
	struct rs_parse_opts any = { .now_unix_ms = NOW_MS, .ts_skew_ms = -1 };
	l = with("\"ts\":1", NULL);
	cr_assert_eq(rs_decision_parse_opts(l, strlen(l), &any, &p, &e), 0, "%s", e.msg);
	l = with("\"ts\":0", NULL);
	cr_assert_eq(rs_decision_parse_opts(l, strlen(l), &any, &p, &e), -EINVAL);
	l = with("\"ts\":253402300800000", NULL);
	cr_assert_eq(rs_decision_parse_opts(l, strlen(l), &any, &p, &e), -EINVAL);
	/* the real clock by default: a ts of now passes, one of 2025-01-01 no longer does */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char m[64];
	snprintf(m, sizeof m, "\"ts\":%lld", (long long)ts.tv_sec * 1000);
	l = with(m, NULL);
	cr_assert_eq(rs_decision_parse(l, strlen(l), &p, &e), 0, "%s", e.msg);
	if (ts.tv_sec > 1735776000 + 10) {
		l = BASE;
		cr_assert_eq(rs_decision_parse(l, strlen(l), &p, &e), -EINVAL);
	}
	/* circuit and block lines have the same window */
	rejected("{\"type\":\"circuit\",\"provider_id\":\"x\",\"transport\":\"ws\",\"from\":\"open\","
		 "\"to\":\"closed\",\"ts\":5}", RS_REJECT_RANGE, "ts", NULL);
	rejected("{\"type\":\"block\",\"provider_id\":\"x\",\"chain\":\"base\",\"height\":1,\"ts\":5}",
		 RS_REJECT_RANGE, "ts", NULL);
}

Test(ingest_validation, request_id_lengths)
{
	char id[300], m[400];
	memset(id, 'a', 128);
	id[128] = '\0';
	snprintf(m, sizeof m, "\"request_id\":\"%s\"", id);
	accepted(with(m, NULL));
	cr_assert_eq(p.rec.flags, RS_RECF_ID_HASHED);
	id[128] = 'a';
	id[129] = '\0';
	snprintf(m, sizeof m, "\"request_id\":\"%s\"", id);
	rejected(with(m, NULL), RS_REJECT_TOO_LONG, "request_id", "128");
	/* the length counts decoded bytes: 43 escapes of 3 bytes each = 129 */
	size_t o = (size_t)sprintf(m, "\"request_id\":\"");
	for (int i = 0; i < 43; i++)
		o += (size_t)sprintf(m + o, "\\u4e2d");
	sprintf(m + o, "\"");
	rejected(with(m, NULL), RS_REJECT_TOO_LONG, "request_id", "129");
	rejected(with("\"request_id\":\"\"", NULL), RS_REJECT_MISSING, "request_id", NULL);
	accepted(with("\"request_id\":\"x\"", NULL));
	/* an escaped hex id packs like the plain one */
	accepted(BASE);
	uint64_t hi = p.rec.u.decision.id_hi, lo = p.rec.u.decision.id_lo;
	accepted(with("\"request_id\":\"\\u0030123456789abcdeffedcba9876543210\"", NULL));
	cr_assert_eq(p.rec.flags, 0);
	cr_assert(p.rec.u.decision.id_hi == hi && p.rec.u.decision.id_lo == lo);
}

Test(ingest_validation, strict_json_syntax)
{
	static const char *const bad[] = {
		"{\"a\":1,}", "{,\"a\":1}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\"::1}", "{\"a\":1:2}",
		"{'a':1}", "{a:1}", "{\"a\":01}", "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":1e}",
		"{\"a\":0x10}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-}", "{\"a\":tru}",
		"{\"a\":nulll}", "{\"a\":True}", "{\"a\":[1 2]}", "{\"a\":[1,]}", "{\"a\":[,1]}",
		"{\"a\":{\"b\"}}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12g4\"}",
		"{\"a\":\"x\ty\"}", "{\"a\":\"x\ny\"}", "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":1} // c",
		"/* c */ {\"a\":1}", "\xef\xbb\xbf{\"a\":1}", "{\"a\":1", "{\"a\":\"x}", "}", "{]",
		"{\"a\":[}", "{\"a\":]", "{1:2}", "{[]:1}", "{{}:1}", "{\"a\":1}\x0b", "\x0c{\"a\":1}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rs_json_object obj;
		struct rs_json_error je;
		enum rs_json_status st = rs_json_parse_object(bad[i], strlen(bad[i]), &obj, &je);
		cr_assert(st == RS_JSON_SYNTAX, "accepted or misread (%d): %s", st, bad[i]);
		rejected(bad[i], RS_REJECT_PARSE, NULL, "invalid JSON");
	}
	static const char *const good[] = {
		"{}", " {} ", "{\"a\":1}", "{\"a\":-0}", "{\"a\":-0.0e+0}", "{\"a\":1E5}", "{\"a\":[]}",
		"{\"a\":[1,[2,[3]],{\"b\":{}}]}", "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
		"\t{\r\n\"a\" : [ 1 , 2 ] }\n", "{\"\":\"\"}", "{\"a\":true,\"b\":false,\"c\":null}",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct rs_json_object obj;
		struct rs_json_error je;
		cr_assert_eq(rs_json_parse_object(good[i], strlen(good[i]), &obj, &je), RS_JSON_OK,
			     "refused: %s (%s at %zu)", good[i], je.what, je.offset);
	}
}

Test(ingest_validation, duration_rounding_is_exact)
{
	static const struct { const char *ms; uint32_t us; } cases[] = {
		{ "0.0005", 1 }, { "0.00049999999", 0 }, { "0.0015", 2 }, { "12.3455", 12346 },
		{ "1.0004999", 1000 }, { "0.001", 1 }, { "5e-4", 1 }, { "4.9999e-4", 0 },
		{ "0.1e1", 1000 }, { "100000000000000000000e-17", 1000000 },
		{ "0.000000000000000000000000000000000000000000001", 0 }, { "3599999.9995", 3600000000u },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char m[128];
		snprintf(m, sizeof m, "\"duration_ms\":%s", cases[i].ms);
		accepted(with(m, NULL));
		cr_assert_eq(p.rec.u.decision.duration_us, cases[i].us, "%s ms -> %u us, want %u", cases[i].ms,
			     p.rec.u.decision.duration_us, cases[i].us);
	}
}

/* ---- name limits --------------------------------------------------------------- */

Test(ingest_validation, name_limits_65th_provider_on_a_real_ring)
{
	const char *inst = rs_test_new_instance("limits");
	struct rs_ring ring;
	struct rs_error err;
	struct rs_ring_params params = { .capacity = 1024, .dict_capacity = 1024 };
	cr_assert_eq(rs_ring_open_producer(&ring, inst, "n1", &params, &err), 0, "%s", err.msg);
	struct rs_name_limits nl;
	cr_assert_eq(rs_name_limits_init(&nl, NULL), 0);
	char m[64];
	uint16_t first_id = RS_DICT_NONE;
	for (int i = 0; i < 64; i++) {
		snprintf(m, sizeof m, "\"provider_id\":\"prov-%d\"", i);
		accepted(with(m, NULL));
		cr_assert_eq(rs_name_limits_intern_ring(&nl, &ring, &p, &e), 0, "provider %d: %s", i, e.msg);
		if (i == 0)
			first_id = p.rec.provider;
	}
	uint32_t dict_before = rs_ring_dict_count(&ring);
	/* the 65th is refused, and nothing of its line is interned */
	snprintf(m, sizeof m, "\"provider_id\":\"prov-64\"");
	accepted(with(m, "\"method\":\"eth_brand_new\"", NULL));
	cr_assert_eq(rs_name_limits_intern_ring(&nl, &ring, &p, &e), -1);
	cr_assert_eq(e.reason, RS_REJECT_DICT_FULL);
	cr_assert_str_eq(e.field, "provider_id");
	cr_assert_eq(rs_ring_dict_count(&ring), dict_before);
	/* ... a flood of them changes nothing ... */
	for (int i = 65; i < 5000; i++) {
		snprintf(m, sizeof m, "\"provider_id\":\"rnd-%d\"", i);
		accepted(with(m, NULL));
		cr_assert_eq(rs_name_limits_intern_ring(&nl, &ring, &p, &e), -1);
	}
	cr_assert_eq(rs_ring_dict_count(&ring), dict_before);
	cr_assert_eq(nl.kind[RS_NAME_PROVIDER].refused, 4936u);
	/* ... existing providers keep working, with their ids ... */
	accepted(with("\"provider_id\":\"prov-0\"", NULL));
	cr_assert_eq(rs_name_limits_intern_ring(&nl, &ring, &p, &e), 0, "%s", e.msg);
	cr_assert_eq(p.rec.provider, first_id);
	cr_assert_str_eq(rs_ring_dict_lookup(&ring, p.rec.provider), "prov-0");
	/* ... and other kinds still have their room */
	accepted(with("\"provider_id\":\"prov-63\"", "\"method\":\"eth_brand_new\"", "\"chain\":\"zksync\"", NULL));
	cr_assert_eq(rs_name_limits_intern_ring(&nl, &ring, &p, &e), 0, "%s", e.msg);
	cr_assert_str_eq(rs_ring_dict_lookup(&ring, p.rec.method), "eth_brand_new");
	cr_assert_str_eq(rs_ring_dict_lookup(&ring, p.rec.chain), "zksync");
	cr_assert_str_eq(rs_ring_dict_lookup(&ring, p.rec.u.decision.profile), "tenant-a");
	rs_name_limits_free(&nl);
	rs_ring_close(&ring);
}

Test(ingest_validation, name_limits_per_kind_and_spec)
{
	uint32_t max[RS_NAME_COUNT];
	char why[160];
	rs_name_limits_defaults(max);
	cr_assert(max[RS_NAME_PROVIDER] == 64 && max[RS_NAME_CHAIN] == 64 && max[RS_NAME_METHOD] == 256 &&
		  max[RS_NAME_PROFILE] == 16 && max[RS_NAME_REASON] == 64);
	cr_assert_eq(rs_name_limits_parse("providers=8,method=1000,profile_id=3", max, why, sizeof why),
		     -EINVAL);
	cr_assert(strstr(why, "profile_id") != NULL, "%s", why);
	cr_assert_eq(max[RS_NAME_PROVIDER], 64, "a bad spec changes nothing");
	cr_assert_eq(rs_name_limits_parse("providers=8,method=1000,provider_id=9,reasons=2", max, why,
					  sizeof why), 0, "%s", why);
	cr_assert(max[RS_NAME_PROVIDER] == 9 && max[RS_NAME_METHOD] == 1000 && max[RS_NAME_REASON] == 2 &&
		  max[RS_NAME_CHAIN] == 64);
	static const char *const bad[] = { "providers", "providers=", "providers=0", "providers=65536",
		"providers=-1", "providers=1x", "=5", "chains=5,", "chains=99999999999999999999" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t m2[RS_NAME_COUNT];
		rs_name_limits_defaults(m2);
		int rc = rs_name_limits_parse(bad[i], m2, why, sizeof why);
		if (strcmp(bad[i], "chains=5,") == 0)
			cr_assert_eq(rc, 0, "%s: %s", bad[i], why);   /* a trailing comma is harmless */
		else
			cr_assert_eq(rc, -EINVAL, "accepted: %s", bad[i]);
	}
	/* profiles: 2 allowed; a third is refused while the first two work */
	static const uint32_t small[RS_NAME_COUNT] = { 64, 64, 256, 2, 64 };
	struct rs_name_limits nl;
	cr_assert_eq(rs_name_limits_init(&nl, small), 0);
	fake_next_id = 0;
	const char *profiles[] = { "\"profile\":\"a\"", "\"profile\":\"b\"", "\"profile\":\"c\"" };
	for (int i = 0; i < 3; i++) {
		accepted(with(profiles[i], NULL));
		cr_assert_eq(rs_name_limits_intern(&nl, &p, fake_intern, NULL, &e), i < 2 ? 0 : -1, "%d", i);
	}
	cr_assert_str_eq(e.field, "profile");
	accepted(with(profiles[1], NULL));
	cr_assert_eq(rs_name_limits_intern(&nl, &p, fake_intern, NULL, &e), 0);
	/* circuit reasons count apart from the rest */
	accepted("{\"type\":\"circuit\",\"provider_id\":\"alchemy\",\"transport\":\"ws\",\"from\":\"open\","
		 "\"to\":\"closed\",\"reason\":\"tenant-a\"}");
	cr_assert_eq(rs_name_limits_intern(&nl, &p, fake_intern, NULL, &e), 0, "%s", e.msg);
	cr_assert_neq(p.rec.u.circuit.reason, RS_DICT_NONE);
	rs_name_limits_free(&nl);
}

/* ---- valid lines among garbage ---------------------------------------------- */

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

Test(ingest_validation, valid_lines_surrounded_by_garbage)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char good[512], junk[4096];
	unsigned sent = 0, got = 0, junk_accepted = 0;
	for (int i = 0; i < 20000; i++) {
		/* garbage: random bytes, a cut valid line, a corrupted valid line, or a hostile one */
		size_t n = 0;
		switch (rnd(&x) % 4) {
		case 0:
			n = rnd(&x) % sizeof junk;
			for (size_t k = 0; k < n; k++)
				junk[k] = (char)rnd(&x);
			break;
		case 1: {
			const char *b = BASE;
			n = rnd(&x) % strlen(b);
			memcpy(junk, b, n);
			break;
		}
		case 2: {
			const char *b = BASE;
			n = strlen(b);
			memcpy(junk, b, n);
			for (int k = 0; k < 3; k++)
				junk[rnd(&x) % n] = (char)rnd(&x);
			break;
		}
		default:
			n = (size_t)snprintf(junk, sizeof junk, "%s", with("\"duration_ms\":\"1\"", NULL));
			break;
		}
		struct rs_parsed jp;
		struct rs_parse_error je;
		junk_accepted += rs_decision_parse_opts(junk, n, &opts, &jp, &je) == 0;
		/* a valid line with its own id and duration */
		char id[64], dur[48];
		snprintf(id, sizeof id, "\"request_id\":\"%032x\"", (unsigned)i + 1);
		snprintf(dur, sizeof dur, "\"duration_ms\":%u.%03u", (unsigned)i % 5000, (unsigned)i % 1000);
		snprintf(good, sizeof good, "%s", with(id, dur, NULL));
		sent++;
		if (parse(good) == 0 && p.rec.u.decision.id_lo == (uint64_t)i + 1 &&
		    p.rec.u.decision.duration_us == (uint32_t)((i % 5000) * 1000 + i % 1000))
			got++;
		else
			cr_assert(false, "valid line %d lost: %s\n  %s", i, e.msg, good);
	}
	cr_assert_eq(got, sent);
	cr_assert_lt(junk_accepted, 20000u / 4, "most garbage must be refused (%u accepted)", junk_accepted);
}

/* ---- log excerpts ------------------------------------------------------------ */

Test(ingest_validation, excerpt_escapes_and_cuts)
{
	char out[256];
	static const char hostile[] = "{\"a\":\"\x1b[2J\\\xff\"}";
	rs_parse_excerpt(out, sizeof out, hostile, sizeof hostile - 1, 60);
	cr_assert_str_eq(out, "{\"a\":\"\\x1b[2J\\\\\\xff\"}");
	char line[200];
	memset(line, 'a', sizeof line);
	rs_parse_excerpt(out, sizeof out, line, sizeof line, 60);
	cr_assert_eq(strlen(out), 63);
	cr_assert(strcmp(out + 60, "...") == 0);
	rs_parse_excerpt(out, 10, line, sizeof line, 60);      /* a tiny buffer still ends in "..." */
	cr_assert_str_eq(out, "aaaaaa...");
	rs_parse_excerpt(out, sizeof out, "", 0, 60);
	cr_assert_str_eq(out, "");
}

/* ---- the fuzzing seed corpus ------------------------------------------------- */

#ifdef RS_FUZZ_CORPUS_DIR
/* fuzz/corpus: every valid-* file is accepted, every bad-* one rejected (same clock as the fuzzer). */
Test(ingest_validation, fuzz_seed_corpus_verdicts)
{
	DIR *d = opendir(RS_FUZZ_CORPUS_DIR);
	cr_assert_not_null(d, "%s: %s", RS_FUZZ_CORPUS_DIR, strerror(errno));
	unsigned valid = 0, bad = 0;
	struct dirent *de;
	char *buf = malloc(1u << 20);
	cr_assert_not_null(buf);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", RS_FUZZ_CORPUS_DIR, de->d_name);
		FILE *f = fopen(path, "rb");
		cr_assert_not_null(f, "%s", path);
		size_t n = fread(buf, 1, 1u << 20, f);
		fclose(f);
		bool want_ok = strncmp(de->d_name, "valid-", 6) == 0;
		cr_assert(want_ok || strncmp(de->d_name, "bad-", 4) == 0, "%s: name it valid-* or bad-*",
			  de->d_name);
		int rc = parse_n(buf, n);
		cr_assert_eq(rc == 0, want_ok, "%s: %s", de->d_name, rc == 0 ? "accepted" : e.msg);
		valid += want_ok;
		bad += !want_ok;
	}
	closedir(d);
	free(buf);
	cr_assert(valid >= 10 && bad >= 20, "%u valid, %u bad seeds", valid, bad);
}
#endif
