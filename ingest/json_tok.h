/*
 * json_tok.h - strict, allocation-free reading of one JSON object per line.
 *
 * Purpose: the syntax half of decision_parse.c.  The tokenizer is jsmn
 * (Debian's libjsmn-dev, header-only): it scans the line iteratively into a
 * fixed array of RS_JSON_MAX_TOKENS tokens, never allocates and never
 * recurses, so deep nesting and huge lines cost one bounded pass.  jsmn is
 * lax, even in its strict mode: it accepts "{\"a\":1,}", "{\"a\"::1}",
 * "[1 2]", "tru", "01", raw control characters inside strings, and several
 * values in a row.
 * This layer therefore checks, after jsmn, that every byte of the line is
 * either inside a token or exactly the punctuation and white space JSON
 * requires between tokens, that every primitive is a JSON number or
 * true/false/null, and that the tree has the sizes it must have.  A line
 * accepted here is RFC 8259 JSON whose top-level value is an object.
 *
 * Before any of that the whole line is checked byte by byte: no NUL byte,
 * well-formed UTF-8 everywhere (not only inside strings: no overlong forms,
 * no surrogates, nothing over U+10FFFF), no control character other than
 * tab, CR and LF (which JSON allows between tokens only).
 *
 * The result describes the top-level members only (key and value spans
 * into the line); nested objects and arrays are reported as such, and their
 * contents are checked for syntax but not described.  Strings stay escaped
 * in the line: rs_json_string_decode unescapes one when the caller needs it.
 *
 * Pure functions: no globals, no I/O, no allocation; the same input gives
 * the same output.  Positions are byte offsets into the line.
 */
#ifndef RS_JSON_TOK_H
#define RS_JSON_TOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_JSON_MAX_TOKENS  256u   /* keys, values and containers of one line */
#define RS_JSON_MAX_MEMBERS (RS_JSON_MAX_TOKENS / 2u)
#define RS_JSON_MAX_LEN     (1u << 30)  /* jsmn counts in int; callers cap far lower */

enum rs_json_type {
	RS_JSON_OBJECT, RS_JSON_ARRAY, RS_JSON_STRING, RS_JSON_INTEGER, RS_JSON_REAL,
	RS_JSON_TRUE, RS_JSON_FALSE, RS_JSON_NULL,
};

/* A value or key in the line.  Strings: the bytes between the quotes, still escaped. */
struct rs_json_span {
	uint32_t start, len;
	uint8_t  type;          /* enum rs_json_type */
	bool     escaped;       /* a string holding at least one backslash */
};

struct rs_json_member {
	struct rs_json_span key, value;
};

/* The top-level object of a line: its members in input order. */
struct rs_json_object {
	unsigned              count;
	struct rs_json_member member[RS_JSON_MAX_MEMBERS];
};

enum rs_json_status {
	RS_JSON_OK,
	RS_JSON_NUL,            /* a NUL byte */
	RS_JSON_BAD_UTF8,       /* ill-formed UTF-8 */
	RS_JSON_SYNTAX,         /* not JSON (message says what) */
	RS_JSON_TOO_MANY,       /* more than RS_JSON_MAX_TOKENS tokens (deep or wide) */
	RS_JSON_NOT_OBJECT,     /* valid JSON, but the top-level value is not an object */
};

struct rs_json_error {
	enum rs_json_status status;
	size_t      offset;     /* byte where the problem was found (approximate for jsmn's errors) */
	const char *what;       /* static text: "expected ',' or '}'", ... */
	uint8_t     got_type;   /* RS_JSON_NOT_OBJECT: the type of the top-level value */
};

/*
 * Checks and tokenizes s[0..len) as one JSON object (white space around it
 * allowed).  Returns RS_JSON_OK with *obj filled, or another status with
 * *err filled.
 */
enum rs_json_status rs_json_parse_object(const char *s, size_t len, struct rs_json_object *obj,
					 struct rs_json_error *err);

/*
 * The byte checks alone: RS_JSON_OK, RS_JSON_NUL, RS_JSON_BAD_UTF8 or
 * RS_JSON_SYNTAX (a control character), with *offset at the first bad byte.
 * *has_ws_ctl tells whether tab, CR or LF occur at all.
 */
enum rs_json_status rs_json_check_bytes(const char *s, size_t len, size_t *offset, bool *has_ws_ctl);

/* Results of rs_json_string_decode. */
#define RS_JSON_STR_OK        0
#define RS_JSON_STR_TOO_LONG  (-1)  /* more than cap bytes; *len is the full decoded length */
#define RS_JSON_STR_NUL       (-2)  /* \u0000 */
#define RS_JSON_STR_SURROGATE (-3)  /* a \uD800..\uDFFF escape not forming a valid pair */
#define RS_JSON_STR_BAD       (-4)  /* a malformed escape (cannot happen after rs_json_parse_object) */

/*
 * Unescapes the string span sp of s into dst (cap bytes, NUL-terminated
 * when the result fits: dst needs cap + 1 bytes).  \uXXXX escapes become
 * UTF-8, surrogate pairs one 4-byte sequence.  Returns RS_JSON_STR_OK with
 * *len set, or one of the negative results above.
 */
int rs_json_string_decode(const char *s, const struct rs_json_span *sp, char *dst, size_t cap,
			  size_t *len);

/* True when the two string spans hold the same text once unescaped. */
bool rs_json_string_equal(const char *s, const struct rs_json_span *a, const struct rs_json_span *b);

/*
 * An RS_JSON_INTEGER span as int64: 0, or -ERANGE when it does not fit
 * (*v is then INT64_MAX or INT64_MIN, by sign).
 */
int rs_json_int64(const char *s, const struct rs_json_span *sp, int64_t *v);

/* "an object", "a string", "an integer", ... for messages. */
const char *rs_json_type_name(unsigned type);

#endif
