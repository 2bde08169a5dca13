/*
 * fuzz_json_diff.c - differential libFuzzer target: json_tok.c against jansson.
 *
 * jsmn is a lax tokenizer; json_tok.c adds the checks that make it strict.
 * This target holds it to a strict, independent parser: for every input,
 * json_tok must accept exactly the lines that jansson parses to an object,
 * and agree on each member's type and string value.  Differences that are
 * on purpose are skipped: more than RS_JSON_MAX_TOKENS tokens (json_tok
 * refuses, jansson nests to 2048) and numbers beyond 64-bit / double range
 * (jansson refuses them; json_tok only checks the grammar, the decision
 * parser checks the ranges of the fields it reads).  Inputs holding a NUL
 * byte are only checked to be refused: jansson 2.14 accepts some of them
 * ("16\0," in a number), which routestat never did.
 * Run: scripts/fuzz.sh SECONDS json_diff.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_tok.h"

#define CHECK(cond)                                                                 \
	do {                                                                            \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_json_diff: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                                   \
			abort();                                                                \
		}                                                                           \
	} while (0)

static int jansson_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return RS_JSON_OBJECT;
	case JSON_ARRAY:   return RS_JSON_ARRAY;
	case JSON_STRING:  return RS_JSON_STRING;
	case JSON_INTEGER: return RS_JSON_INTEGER;
	case JSON_REAL:    return RS_JSON_REAL;
	case JSON_TRUE:    return RS_JSON_TRUE;
	case JSON_FALSE:   return RS_JSON_FALSE;
	case JSON_NULL:    return RS_JSON_NULL;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rs_json_object obj;
	static char kbuf[70000], vbuf[70000];
	const char *s = (const char *)data;
	if (size > 65536)
		return 0;
	struct rs_json_error err;
	enum rs_json_status st = rs_json_parse_object(s, size, &obj, &err);
	if (memchr(s, '\0', size) != NULL) {
		CHECK(st == RS_JSON_NUL || st == RS_JSON_BAD_UTF8 || st == RS_JSON_SYNTAX);
		return 0;
	}
	if (st == RS_JSON_TOO_MANY)
		return 0;
	json_error_t je;
	json_t *root = json_loadb(s, size, JSON_DECODE_ANY, &je);
	if (root == NULL && json_error_code(&je) == json_error_numeric_overflow)
		return 0;
	bool theirs = root != NULL && json_is_object(root);
	bool ours = st == RS_JSON_OK;
	if (ours != theirs)
		fprintf(stderr, "fuzz_json_diff: json_tok %s (%s at %zu), jansson %s (%s)\n",
			ours ? "accepts" : "refuses", err.what, err.offset, theirs ? "accepts" : "refuses",
			root == NULL ? je.text : "not an object");
	CHECK(ours == theirs);
	if (ours) {
		for (unsigned i = 0; i < obj.count; i++) {
			const struct rs_json_member *m = &obj.member[i];
			bool unique = true;
			for (unsigned j = 0; j < obj.count && unique; j++)
				unique = j == i || !rs_json_string_equal(s, &obj.member[j].key, &m->key);
			if (!unique)
				continue;               /* jansson keeps the last copy */
			size_t klen, vlen;
			CHECK(rs_json_string_decode(s, &m->key, kbuf, sizeof kbuf - 1, &klen) == RS_JSON_STR_OK);
			json_t *v = json_object_getn(root, kbuf, klen);
			CHECK(v != NULL);
			CHECK(jansson_type(v) == m->value.type);
			if (m->value.type == RS_JSON_STRING) {
				CHECK(rs_json_string_decode(s, &m->value, vbuf, sizeof vbuf - 1, &vlen) == RS_JSON_STR_OK);
				CHECK(vlen == json_string_length(v) && memcmp(vbuf, json_string_value(v), vlen) == 0);
			} else if (m->value.type == RS_JSON_INTEGER) {
				int64_t x;
				CHECK(rs_json_int64(s, &m->value, &x) == 0);
				CHECK(x == json_integer_value(v));
			}
		}
	}
	json_decref(root);
	return 0;
}
