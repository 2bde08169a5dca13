/*
 * fuzz_decision.c - libFuzzer target for the decision parser and the name limits.
 *
 * Each input is one line (any bytes, any length).  It is parsed with a fixed
 * clock, twice (the results must be identical: no hidden state), and with
 * the ts check off; an accepted line must satisfy every promise of
 * decision_parse.h (names short, valid UTF-8 without control characters,
 * enums and numbers in range), a rejected one must carry a known reason and
 * a printable, NUL-terminated message.  Accepted names then go through
 * rs_name_limits_intern against a small fake dictionary that also runs full,
 * twice, and must get the same ids both times.  Any violation aborts, which
 * libFuzzer reports as a crash.  Build and run: scripts/fuzz.sh, fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision_parse.h"
#include "json_tok.h"
#include "name_limits.h"

#define NOW_MS 1735689600000LL

#define CHECK(cond)                                                                 \
	do {                                                                            \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_decision: %s:%d: check failed: %s\n", __FILE__,  \
				__LINE__, #cond);                                                   \
			abort();                                                                \
		}                                                                           \
	} while (0)

/* A tiny dictionary: 4 names (one line's worth), then -ENOSPC, like a full ring. */
struct fake_dict {
	unsigned count;
	char     s[4][RS_DICT_STR_MAX + 1];
};

static int fake_intern(void *ctx, const char *s, size_t len)
{
	struct fake_dict *d = ctx;
	CHECK(len >= 1 && len <= RS_DICT_STR_MAX && memchr(s, '\0', len) == NULL);
	for (unsigned i = 0; i < d->count; i++)
		if (strlen(d->s[i]) == len && memcmp(d->s[i], s, len) == 0)
			return (int)i;
	if (d->count == sizeof d->s / sizeof d->s[0])
		return -ENOSPC;
	memcpy(d->s[d->count], s, len);
	d->s[d->count][len] = '\0';
	return (int)d->count++;
}

static void check_printable(const char *msg, size_t size)
{
	const char *end = memchr(msg, '\0', size);
	CHECK(end != NULL);
	for (const char *c = msg; c < end; c++)
		CHECK(*c >= 0x20 && *c < 0x7f);
}

static void check_accepted(const struct rs_parsed *p, int64_t skew_ms)
{
	const struct rs_record *r = &p->rec;
	CHECK(r->kind >= RS_REC_DECISION && r->kind <= RS_REC_BLOCK);
	CHECK(r->arrival_unix_ns == 0);
	CHECK(r->provider == RS_DICT_NONE && r->chain == RS_DICT_NONE && r->method == RS_DICT_NONE);
	CHECK(r->emit_unix_ms >= 1 && r->emit_unix_ms <= (uint64_t)RS_PARSE_TS_MAX_MS);
	if (skew_ms >= 0)
		CHECK(r->emit_unix_ms >= (uint64_t)(NOW_MS - skew_ms) &&
		      r->emit_unix_ms <= (uint64_t)(NOW_MS + skew_ms));
	for (unsigned k = 0; k < RS_NAME_COUNT; k++) {
		const struct rs_parsed_str *n = &p->name[k];
		CHECK(n->len <= RS_DICT_STR_MAX);
		CHECK(n->s[n->len] == '\0' || n->len == 0);
		if (n->len == 0)
			continue;
		CHECK(memchr(n->s, '\0', n->len) == NULL);
		size_t off;
		bool ws = false;
		CHECK(rs_json_check_bytes(n->s, n->len, &off, &ws) == RS_JSON_OK && !ws);
		for (size_t i = 0; i < n->len; i++)
			CHECK((unsigned char)n->s[i] >= 0x20 && n->s[i] != 0x7f);
	}
	if (r->kind == RS_REC_DECISION) {
		const struct rs_decision *d = &r->u.decision;
		CHECK(d->profile == RS_DICT_NONE);
		CHECK(d->strategy < RS_STRATEGY_COUNT && d->transport < RS_TRANSPORT_COUNT);
		CHECK(d->result < RS_RESULT_COUNT && d->origin < RS_ORIGIN_COUNT);
		CHECK(d->failover_count <= RS_FAILOVER_MAX);
		CHECK(d->duration_us <= (uint32_t)RS_PARSE_DURATION_MAX_MS * 1000u);
		CHECK(p->name[RS_NAME_PROVIDER].len > 0 && p->name[RS_NAME_CHAIN].len > 0);
		CHECK(p->name[RS_NAME_METHOD].len > 0 && p->name[RS_NAME_PROFILE].len > 0);
		CHECK(p->name[RS_NAME_REASON].len == 0);
	} else if (r->kind == RS_REC_CIRCUIT) {
		const struct rs_circuit_change *c = &r->u.circuit;
		CHECK(c->reason == RS_DICT_NONE);
		CHECK(c->transport < RS_TRANSPORT_COUNT);
		CHECK(c->from_state < RS_CIRCUIT_COUNT && c->to_state < RS_CIRCUIT_COUNT);
		CHECK(p->name[RS_NAME_PROVIDER].len > 0 && p->name[RS_NAME_CHAIN].len == 0);
	} else {
		CHECK(p->name[RS_NAME_PROVIDER].len > 0 && p->name[RS_NAME_CHAIN].len > 0);
		CHECK(r->u.block.height <= (uint64_t)INT64_MAX);
	}
}

static void check_rejected(const struct rs_parsed *p, const struct rs_parse_error *e)
{
	static const struct rs_parsed zero_names;   /* names all empty */
	CHECK((unsigned)e->reason < RS_REJECT_COUNT);
	CHECK(e->reason != RS_REJECT_DICT_FULL);
	CHECK(p->rec.kind == 0);
	CHECK(memcmp(p->name, zero_names.name, sizeof p->name) == 0);
	check_printable(e->msg, sizeof e->msg);
	CHECK(e->msg[0] != '\0');
	if (e->field != NULL)
		CHECK(strncmp(e->msg, e->field, strlen(e->field)) == 0);
}

/* Interns p's names twice into a fresh limits + dictionary: the same ids both times. */
static void intern_twice(const struct rs_parsed *parsed)
{
	static const uint32_t max[RS_NAME_COUNT] = { 3, 3, 5, 2, 2 };
	struct rs_name_limits nl;
	struct fake_dict dict = { 0 };
	CHECK(rs_name_limits_init(&nl, max) == 0);
	struct rs_parsed a = *parsed, b = *parsed;
	struct rs_parse_error e;
	int ra = rs_name_limits_intern(&nl, &a, fake_intern, &dict, &e);
	int rb = rs_name_limits_intern(&nl, &b, fake_intern, &dict, &e);
	CHECK(ra == 0 && rb == 0);      /* at most one name per kind: always within the limits */
	CHECK(memcmp(&a.rec, &b.rec, sizeof a.rec) == 0);
	CHECK(a.rec.provider != RS_DICT_NONE);
	/* Fill the provider budget with other names: new ones are refused, this one is not. */
	for (unsigned i = 0; i < 5; i++) {
		struct rs_parsed c = *parsed;
		int n = snprintf(c.name[RS_NAME_PROVIDER].s, sizeof c.name[0].s, "~fuzz-%u", i);
		c.name[RS_NAME_PROVIDER].len = (uint8_t)n;
		int rc = rs_name_limits_intern(&nl, &c, fake_intern, &dict, &e);
		if (rc < 0) {
			CHECK(e.reason == RS_REJECT_DICT_FULL);
			check_printable(e.msg, sizeof e.msg);
		}
	}
	struct rs_parsed d = *parsed;
	CHECK(rs_name_limits_intern(&nl, &d, fake_intern, &dict, &e) == 0);
	CHECK(memcmp(&a.rec, &d.rec, sizeof a.rec) == 0);
	rs_name_limits_free(&nl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	static struct rs_parsed p1, p2;
	static struct rs_parse_error e1, e2;
	const struct rs_parse_opts opts = { .now_unix_ms = NOW_MS };
	int r1 = rs_decision_parse_opts(line, size, &opts, &p1, &e1);
	int r2 = rs_decision_parse_opts(line, size, &opts, &p2, &e2);
	CHECK(r1 == r2 && memcmp(&p1, &p2, sizeof p1) == 0);
	CHECK(r1 != 0 || e1.msg[0] == '\0');
	if (r1 == 0) {
		check_accepted(&p1, RS_PARSE_TS_SKEW_DEFAULT_MS);
		intern_twice(&p1);
	} else {
		CHECK(r1 == -EINVAL);
		CHECK(e1.reason == e2.reason && strcmp(e1.msg, e2.msg) == 0);
		check_rejected(&p1, &e1);
	}
	/* Without the ts check: accepted lines stay accepted, only ts can make a difference. */
	const struct rs_parse_opts any_ts = { .now_unix_ms = NOW_MS, .ts_skew_ms = -1 };
	int r3 = rs_decision_parse_opts(line, size, &any_ts, &p2, &e2);
	if (r1 == 0)
		CHECK(r3 == 0 && memcmp(&p1, &p2, sizeof p1) == 0);
	if (r3 == 0)
		check_accepted(&p2, -1);
	else
		check_rejected(&p2, &e2);
	char ex[4 * 60 + 8];
	rs_parse_excerpt(ex, sizeof ex, line, size, 60);
	check_printable(ex, sizeof ex);
	return 0;
}
