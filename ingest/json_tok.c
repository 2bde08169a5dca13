/*
 * json_tok.c - jsmn plus the checks that make it strict (see json_tok.h).
 *
 * Three passes over a line, each linear and bounded:
 *   1. bytes: NUL, UTF-8 and control characters, 8 bytes at a time while
 *      the text is plain ASCII;
 *   2. jsmn: tokens (start, end, size, parent) into a fixed array;
 *   3. walk: the tokens in order with an explicit stack (no recursion), each
 *      gap between two tokens checked against what JSON allows there, each
 *      primitive checked against the number / literal grammar, each string
 *      holding an escape decoded once (no \u0000, no lone surrogate).
 */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <jsmn.h>
#pragma GCC diagnostic pop

#include "json_tok.h"

#include <errno.h>
#include <string.h>

/* ---- pass 1: bytes --------------------------------------------------------- */

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t load64(const char *p)
{
	uint64_t x;
	memcpy(&x, p, sizeof x);
	return x;
}

/* Length of the well-formed UTF-8 sequence at s[i] (lead byte >= 0x80), or 0 (Unicode table 3-7). */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len)
{
	unsigned char c = s[i];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0) lo = 0xa0;          /* no overlong forms */
		if (c == 0xed) hi = 0x9f;          /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0) lo = 0x90;          /* no overlong forms */
		if (c == 0xf4) hi = 0x8f;          /* nothing over U+10FFFF */
	} else {
		return 0;
	}
	if (len - i < n)
		return 0;
	if (s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (s[i + k] < 0x80 || s[i + k] > 0xbf)
			return 0;
	return n;
}

/* The byte checks, also telling whether a backslash occurs (no string then needs unescaping). */
static enum rs_json_status check_bytes(const char *str, size_t len, size_t *offset, bool *has_ws_ctl,
				       bool *has_backslash)
{
	const unsigned char *s = (const unsigned char *)str;
	bool ws = false;
	uint64_t bs = 0;
	size_t i = 0;
	while (i < len) {
		if (len - i >= 8) {
			uint64_t x = load64(str + i);
			uint64_t ctl = (x - ONES * 0x20) & ~x & HIGHS;  /* a byte < 0x20 (exact as a test) */
			uint64_t y = x ^ (ONES * '\\');
			bs |= (y - ONES) & ~y & HIGHS;                   /* a backslash */
			if (((x & HIGHS) | ctl) == 0) {
				i += 8;
				continue;
			}
		}
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x80) {
			bs |= c == '\\';
			i++;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			ws = true;
			i++;
		} else if (c >= 0x80) {
			size_t n = utf8_seq(s, i, len);
			if (n == 0) {
				*offset = i;
				return RS_JSON_BAD_UTF8;
			}
			i += n;
		} else {
			*offset = i;
			return c == 0 ? RS_JSON_NUL : RS_JSON_SYNTAX;
		}
	}
	*offset = len;
	*has_ws_ctl = ws;
	*has_backslash = bs != 0;
	return RS_JSON_OK;
}

enum rs_json_status rs_json_check_bytes(const char *str, size_t len, size_t *offset, bool *has_ws_ctl)
{
	bool bs;
	return check_bytes(str, len, offset, has_ws_ctl, &bs);
}

/* ---- strings --------------------------------------------------------------- */

static int hex4(const char *p, const char *end, unsigned *v)
{
	if (end - p < 4)
		return -1;
	unsigned x = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		unsigned d;
		if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
		else return -1;
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

/*
 * Decodes the escape at *pp (pointing at the backslash) into out[0..4);
 * returns the byte count, or a negative RS_JSON_STR_* result.
 */
static int decode_escape(const char **pp, const char *end, unsigned char out[4])
{
	const char *p = *pp + 1;
	if (p >= end)
		return RS_JSON_STR_BAD;
	char c = *p++;
	unsigned cp;
	switch (c) {
	case '"':  out[0] = '"'; break;
	case '\\': out[0] = '\\'; break;
	case '/':  out[0] = '/'; break;
	case 'b':  out[0] = '\b'; break;
	case 'f':  out[0] = '\f'; break;
	case 'n':  out[0] = '\n'; break;
	case 'r':  out[0] = '\r'; break;
	case 't':  out[0] = '\t'; break;
	case 'u':
		if (hex4(p, end, &cp) < 0)
			return RS_JSON_STR_BAD;
		p += 4;
		if (cp == 0)
			return RS_JSON_STR_NUL;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return RS_JSON_STR_SURROGATE;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			unsigned lo;
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, &lo) < 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return RS_JSON_STR_SURROGATE;
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		*pp = p;
		if (cp < 0x80) {
			out[0] = (unsigned char)cp;
			return 1;
		}
		if (cp < 0x800) {
			out[0] = (unsigned char)(0xc0 | cp >> 6);
			out[1] = (unsigned char)(0x80 | (cp & 0x3f));
			return 2;
		}
		if (cp < 0x10000) {
			out[0] = (unsigned char)(0xe0 | cp >> 12);
			out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
			out[2] = (unsigned char)(0x80 | (cp & 0x3f));
			return 3;
		}
		out[0] = (unsigned char)(0xf0 | cp >> 18);
		out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (unsigned char)(0x80 | (cp & 0x3f));
		return 4;
	default:
		return RS_JSON_STR_BAD;
	}
	*pp = p;
	return 1;
}

int rs_json_string_decode(const char *s, const struct rs_json_span *sp, char *dst, size_t cap,
			  size_t *len)
{
	const char *p = s + sp->start, *end = p + sp->len;
	size_t o = 0;
	if (!sp->escaped) {
		*len = sp->len;
		if (sp->len > cap)
			return RS_JSON_STR_TOO_LONG;
		memcpy(dst, p, sp->len);
		dst[sp->len] = '\0';
		return RS_JSON_STR_OK;
	}
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		size_t run = (size_t)((bs != NULL ? bs : end) - p);
		if (o + run <= cap)
			memcpy(dst + o, p, run);
		o += run;
		p += run;
		if (bs == NULL)
			break;
		unsigned char u[4];
		int n = decode_escape(&p, end, u);
		if (n < 0)
			return n;
		if (o + (size_t)n <= cap)
			memcpy(dst + o, u, (size_t)n);
		o += (size_t)n;
	}
	*len = o;
	if (o > cap)
		return RS_JSON_STR_TOO_LONG;
	dst[o] = '\0';
	return RS_JSON_STR_OK;
}

/* Byte-wise reader of a string's unescaped text, for comparisons. */
struct str_reader {
	const char   *p, *end;
	unsigned char buf[4];
	int           have, next;
};

/* Next unescaped byte, or -1 at the end (or on a bad escape, which cannot match anything). */
static int reader_next(struct str_reader *r)
{
	if (r->next < r->have)
		return r->buf[r->next++];
	if (r->p >= r->end)
		return -1;
	if (*r->p != '\\')
		return (unsigned char)*r->p++;
	int n = decode_escape(&r->p, r->end, r->buf);
	if (n <= 0) {
		r->p = r->end;
		return -1;
	}
	r->have = n;
	r->next = 1;
	return r->buf[0];
}

bool rs_json_string_equal(const char *s, const struct rs_json_span *a, const struct rs_json_span *b)
{
	if (!a->escaped && !b->escaped)
		return a->len == b->len && memcmp(s + a->start, s + b->start, a->len) == 0;
	struct str_reader ra = { s + a->start, s + a->start + a->len, { 0 }, 0, 0 };
	struct str_reader rb = { s + b->start, s + b->start + b->len, { 0 }, 0, 0 };
	for (;;) {
		int x = reader_next(&ra), y = reader_next(&rb);
		if (x != y)
			return false;
		if (x < 0)
			return true;
	}
}

/* Checks every escape of a string token: the status to report, or RS_JSON_OK. */
static enum rs_json_status check_escapes(const char *s, const struct rs_json_span *sp, size_t *at)
{
	const char *p = s + sp->start, *end = p + sp->len;
	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		const char *esc = p;
		unsigned char u[4];
		int n = decode_escape(&p, end, u);
		if (n < 0) {
			*at = (size_t)(esc - s);
			return n == RS_JSON_STR_NUL ? RS_JSON_NUL
			     : n == RS_JSON_STR_SURROGATE ? RS_JSON_BAD_UTF8 : RS_JSON_SYNTAX;
		}
	}
	return RS_JSON_OK;
}

/* ---- numbers and literals -------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Skips one or more digits from i; returns the index after them, 0 when there is none. */
static size_t skip_digits(const char *p, size_t n, size_t i)
{
	if (i >= n || !is_digit(p[i]))
		return 0;
	while (i < n && is_digit(p[i]))
		i++;
	return i;
}

/* The type of a primitive token, or -1 when it is not a JSON number or literal. */
static int primitive_type(const char *p, size_t n)
{
	if (n == 4 && memcmp(p, "true", 4) == 0)
		return RS_JSON_TRUE;
	if (n == 4 && memcmp(p, "null", 4) == 0)
		return RS_JSON_NULL;
	if (n == 5 && memcmp(p, "false", 5) == 0)
		return RS_JSON_FALSE;
	size_t i = 0;
	bool real = false;
	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return -1;
	if (p[i] == '0') {
		i++;
	} else if (p[i] >= '1' && p[i] <= '9') {
		while (i < n && is_digit(p[i]))
			i++;
	} else {
		return -1;
	}
	if (i < n && p[i] == '.') {
		if ((i = skip_digits(p, n, i + 1)) == 0)
			return -1;
		real = true;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if ((i = skip_digits(p, n, i)) == 0)
			return -1;
		real = true;
	}
	if (i != n)
		return -1;
	return real ? RS_JSON_REAL : RS_JSON_INTEGER;
}

int rs_json_int64(const char *s, const struct rs_json_span *sp, int64_t *v)
{
	const char *p = s + sp->start, *end = p + sp->len;
	bool neg = p < end && *p == '-';
	p += neg;
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX, x = 0;
	for (; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d > 9 || x > (limit - d) / 10) {
			*v = neg ? INT64_MIN : INT64_MAX;
			return d > 9 ? -EINVAL : -ERANGE;
		}
		x = x * 10 + d;
	}
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

const char *rs_json_type_name(unsigned type)
{
	switch (type) {
	case RS_JSON_OBJECT:  return "an object";
	case RS_JSON_ARRAY:   return "an array";
	case RS_JSON_STRING:  return "a string";
	case RS_JSON_INTEGER: return "an integer";
	case RS_JSON_REAL:    return "a real number";
	case RS_JSON_TRUE:    return "true";
	case RS_JSON_FALSE:   return "false";
	case RS_JSON_NULL:    return "null";
	}
	return "an unknown type";
}

/* ---- pass 3: the walk ------------------------------------------------------ */

struct frame {
	int  tok;          /* the container's token */
	int  remaining;    /* members (objects) or elements (arrays) still to come */
	bool is_obj;
	bool expect_key;   /* objects: the next token is a key */
	bool first;        /* nothing seen yet: no ',' before the next one */
};

struct walk {
	const char           *s;
	size_t                len;
	const jsmntok_t      *tok;
	struct rs_json_error *err;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static enum rs_json_status syntax(struct rs_json_error *err, size_t at, const char *what)
{
	err->status = RS_JSON_SYNTAX;
	err->offset = at;
	err->what = what;
	return RS_JSON_SYNTAX;
}

/* s[from, to) must be white space, the separator sep (unless 0), white space. */
static bool gap_ok(const char *s, size_t from, size_t to, char sep, size_t *bad)
{
	size_t i = from;
	while (i < to && is_ws(s[i]))
		i++;
	if (sep != 0) {
		if (i >= to || s[i] != sep) {
			*bad = i;
			return false;
		}
		i++;
		while (i < to && is_ws(s[i]))
			i++;
	}
	*bad = i;
	return i == to;
}

/* What a gap failure means, by what was expected there. */
static const char *gap_what(const struct frame *f, char sep)
{
	if (f == NULL)
		return "unexpected text around the value";
	if (sep == ':')
		return "expected ':' after an object key";
	if (f->is_obj)
		return f->first && f->expect_key ? "expected a string key after '{'"
						 : "expected ',' or '}' after an object member";
	return f->first ? "expected a value after '['" : "expected ',' or ']' after an array element";
}

/* One value done (or, in an object, one key): the parent frame moves on. */
static void advance(struct frame *f, bool was_key)
{
	if (f->is_obj && was_key) {
		f->expect_key = false;
		return;
	}
	f->expect_key = true;
	f->first = false;
	f->remaining--;
}

static enum rs_json_status walk(const struct walk *w, int n, bool ws_ctl, bool any_bs,
				struct rs_json_object *obj)
{
	struct frame st[RS_JSON_MAX_TOKENS];
	int depth = 0;
	size_t cur = 0, bad;
	const char *s = w->s;
	obj->count = 0;
	for (int i = 0; i < n; i++) {
		const jsmntok_t *t = &w->tok[i];
		struct frame *f = depth > 0 ? &st[depth - 1] : NULL;
		char sep = 0;
		bool is_key = false;
		if (f == NULL && i > 0)
			return syntax(w->err, (size_t)t->start, "more than one JSON value on the line");
		if (f != NULL) {
			if (f->remaining <= 0)
				return syntax(w->err, (size_t)t->start, "malformed container");
			if (f->is_obj && f->expect_key)
				sep = f->first ? 0 : ',', is_key = true;
			else if (f->is_obj)
				sep = ':';
			else
				sep = f->first ? 0 : ',';
		}
		if (t->start < 0 || t->end < t->start || (size_t)t->end > w->len)
			return syntax(w->err, cur, "unterminated value");
		bool str = t->type == JSMN_STRING;
		size_t open = (size_t)t->start - (str ? 1u : 0u);
		size_t close = (size_t)t->end + (str ? 1u : 0u);
		if (open < cur || close > w->len)
			return syntax(w->err, cur, "malformed value");
		if (!gap_ok(s, cur, open, sep, &bad))
			return syntax(w->err, bad, gap_what(f, sep));
		if (is_key && !str)
			return syntax(w->err, open, "object keys must be strings");
		struct rs_json_span sp = { (uint32_t)t->start, (uint32_t)(t->end - t->start), 0, false };
		switch (t->type) {
		case JSMN_STRING:
			if (t->size != (is_key ? 1 : 0))
				return syntax(w->err, close, is_key ? "expected ':' after an object key"
								    : "malformed string");
			sp.type = RS_JSON_STRING;
			sp.escaped = any_bs && memchr(s + sp.start, '\\', sp.len) != NULL;
			if (ws_ctl)
				for (size_t k = sp.start; k < sp.start + sp.len; k++)
					if ((unsigned char)s[k] < 0x20)
						return syntax(w->err, k, "control character in a string (must be escaped)");
			if (sp.escaped) {
				enum rs_json_status es = check_escapes(s, &sp, &bad);
				if (es != RS_JSON_OK) {
					w->err->status = es;
					w->err->offset = bad;
					w->err->what = es == RS_JSON_NUL ? "\\u0000 is not allowed"
						     : es == RS_JSON_BAD_UTF8 ? "unpaired surrogate in a \\u escape"
						     : "malformed escape";
					return es;
				}
			}
			break;
		case JSMN_PRIMITIVE: {
			int type = primitive_type(s + sp.start, sp.len);
			if (type < 0 || t->size != 0)
				return syntax(w->err, open, "not a number, string, true, false or null");
			sp.type = (uint8_t)type;
			break;
		}
		case JSMN_OBJECT:
		case JSMN_ARRAY:
			sp.type = t->type == JSMN_OBJECT ? RS_JSON_OBJECT : RS_JSON_ARRAY;
			if (s[open] != (t->type == JSMN_OBJECT ? '{' : '[') || close < open + 2)
				return syntax(w->err, open, "malformed container");
			break;
		default:
			return syntax(w->err, open, "malformed token");
		}
		/* A member of the top-level object: remember its spans. */
		if (depth == 1 && st[0].is_obj) {
			if (is_key) {
				if (obj->count >= RS_JSON_MAX_MEMBERS)
					return syntax(w->err, open, "too many members");
				obj->member[obj->count].key = sp;
			} else {
				obj->member[obj->count++].value = sp;
			}
		}
		if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
			st[depth++] = (struct frame){ i, t->size, t->type == JSMN_OBJECT, true, true };
			cur = open + 1;
		} else {
			cur = close;
			if (f != NULL)
				advance(f, is_key);
		}
		/* Close every container that is complete, innermost first. */
		while (depth > 0 && st[depth - 1].remaining == 0 && st[depth - 1].expect_key) {
			const struct frame *c = &st[depth - 1];
			size_t end = (size_t)w->tok[c->tok].end;
			char want = c->is_obj ? '}' : ']';
			if (end <= cur || !gap_ok(s, cur, end - 1, 0, &bad) || s[end - 1] != want)
				return syntax(w->err, end <= cur ? cur : bad,
					      c->is_obj ? "expected ',' or '}' after an object member"
							: "expected ',' or ']' after an array element");
			cur = end;
			depth--;
			if (depth > 0)
				advance(&st[depth - 1], false);
		}
	}
	if (depth != 0)
		return syntax(w->err, cur, "unterminated object or array");
	if (!gap_ok(s, cur, w->len, 0, &bad))
		return syntax(w->err, bad, "unexpected text after the JSON value");
	return RS_JSON_OK;
}

/* ---- entry ----------------------------------------------------------------- */

enum rs_json_status rs_json_parse_object(const char *s, size_t len, struct rs_json_object *obj,
					 struct rs_json_error *err)
{
	err->status = RS_JSON_OK;
	err->offset = 0;
	err->what = "";
	err->got_type = RS_JSON_OBJECT;
	obj->count = 0;
	if (len > RS_JSON_MAX_LEN)
		return syntax(err, 0, "line too long");
	bool ws_ctl = false, any_bs = false;
	size_t at;
	enum rs_json_status st = check_bytes(s, len, &at, &ws_ctl, &any_bs);
	if (st != RS_JSON_OK) {
		err->status = st;
		err->offset = at;
		err->what = st == RS_JSON_NUL ? "NUL byte" : st == RS_JSON_BAD_UTF8 ? "invalid UTF-8"
			  : "control character";
		return st;
	}
	jsmntok_t tok[RS_JSON_MAX_TOKENS];
	jsmn_parser p;
	jsmn_init(&p);
	int n = jsmn_parse(&p, s, len, tok, RS_JSON_MAX_TOKENS);
	if (n == JSMN_ERROR_NOMEM) {
		err->status = RS_JSON_TOO_MANY;
		err->offset = p.pos;
		err->what = "too many JSON tokens (nested too deep or too many fields)";
		return RS_JSON_TOO_MANY;
	}
	if (n < 0)
		return syntax(err, p.pos, n == JSMN_ERROR_PART ? "incomplete JSON" : "invalid character");
	if (n == 0)
		return syntax(err, 0, "empty line");
	struct walk w = { s, len, tok, err };
	st = walk(&w, n, ws_ctl, any_bs, obj);
	if (st != RS_JSON_OK)
		return st;
	if (tok[0].type != JSMN_OBJECT) {
		obj->count = 0;
		err->status = RS_JSON_NOT_OBJECT;
		err->offset = (size_t)tok[0].start;
		err->what = "not a JSON object";
		err->got_type = tok[0].type == JSMN_ARRAY ? RS_JSON_ARRAY : tok[0].type == JSMN_STRING
			      ? RS_JSON_STRING : (uint8_t)primitive_type(s + tok[0].start,
									 (size_t)(tok[0].end - tok[0].start));
		return RS_JSON_NOT_OBJECT;
	}
	return RS_JSON_OK;
}
