/*
 * name_limits.c - per-kind name budgets and the name -> id cache (name_limits.h).
 *
 * Each kind has an open-addressing hash (slots at most half full) over a
 * dense array of admitted names.  An attacker cannot lengthen the probe
 * chains past the kind's limit, since nothing is inserted beyond it.
 */
#include "name_limits.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rs_name_entry {
	uint32_t hash;
	uint16_t id;
	uint8_t  len;
	char     s[RS_DICT_STR_MAX + 1];
};

static const uint32_t default_max[RS_NAME_COUNT] = {
	[RS_NAME_PROVIDER] = RS_NAME_LIMIT_PROVIDERS,
	[RS_NAME_CHAIN]    = RS_NAME_LIMIT_CHAINS,
	[RS_NAME_METHOD]   = RS_NAME_LIMIT_METHODS,
	[RS_NAME_PROFILE]  = RS_NAME_LIMIT_PROFILES,
	[RS_NAME_REASON]   = RS_NAME_LIMIT_REASONS,
};

/* Names accepted in a limits spec, by kind: plural, singular, JSON field. */
static const char *const spec_names[RS_NAME_COUNT][3] = {
	[RS_NAME_PROVIDER] = { "providers", "provider", "provider_id" },
	[RS_NAME_CHAIN]    = { "chains", "chain", "chain" },
	[RS_NAME_METHOD]   = { "methods", "method", "method" },
	[RS_NAME_PROFILE]  = { "profiles", "profile", "profile" },
	[RS_NAME_REASON]   = { "reasons", "reason", "reason" },
};

void rs_name_limits_defaults(uint32_t max[RS_NAME_COUNT])
{
	memcpy(max, default_max, sizeof default_max);
}

int rs_name_limits_parse(const char *spec, uint32_t max[RS_NAME_COUNT], char *why, size_t why_size)
{
	uint32_t tmp[RS_NAME_COUNT];
	memcpy(tmp, max, sizeof tmp);
	const char *p = spec;
	while (*p != '\0') {
		const char *eq = strchr(p, '=');
		const char *comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		if (eq == NULL || eq > comma) {
			snprintf(why, why_size, "'%.*s': want KIND=N", (int)(comma - p), p);
			return -EINVAL;
		}
		size_t klen = (size_t)(eq - p);
		int kind = -1;
		for (int k = 0; k < RS_NAME_COUNT && kind < 0; k++)
			for (int a = 0; a < 3; a++)
				if (strlen(spec_names[k][a]) == klen && memcmp(spec_names[k][a], p, klen) == 0)
					kind = k;
		if (kind < 0) {
			snprintf(why, why_size, "unknown kind '%.*s' (providers, chains, methods, profiles, "
				 "reasons)", (int)klen, p);
			return -EINVAL;
		}
		unsigned long long v = 0;
		const char *d = eq + 1;
		if (d == comma) {
			snprintf(why, why_size, "%s: missing number", spec_names[kind][0]);
			return -EINVAL;
		}
		for (; d < comma; d++) {
			if (*d < '0' || *d > '9' || v > RS_NAME_LIMIT_MAX) {
				snprintf(why, why_size, "%s: '%.*s' is not a number in 1..%u", spec_names[kind][0],
					 (int)(comma - eq - 1), eq + 1, RS_NAME_LIMIT_MAX);
				return -EINVAL;
			}
			v = v * 10 + (unsigned)(*d - '0');
		}
		if (v < 1 || v > RS_NAME_LIMIT_MAX) {
			snprintf(why, why_size, "%s: %llu is not in 1..%u", spec_names[kind][0], v,
				 RS_NAME_LIMIT_MAX);
			return -EINVAL;
		}
		tmp[kind] = (uint32_t)v;
		p = *comma == ',' ? comma + 1 : comma;
	}
	memcpy(max, tmp, sizeof tmp);
	return 0;
}

void rs_name_limits_free(struct rs_name_limits *nl)
{
	for (int k = 0; k < RS_NAME_COUNT; k++) {
		free(nl->kind[k].slots);
		free(nl->kind[k].entries);
	}
	memset(nl, 0, sizeof *nl);
}

int rs_name_limits_init(struct rs_name_limits *nl, const uint32_t max[RS_NAME_COUNT])
{
	memset(nl, 0, sizeof *nl);
	for (int k = 0; k < RS_NAME_COUNT; k++) {
		struct rs_name_table *t = &nl->kind[k];
		uint32_t m = max != NULL ? max[k] : default_max[k];
		if (m < 1)
			m = 1;
		if (m > RS_NAME_LIMIT_MAX)
			m = RS_NAME_LIMIT_MAX;
		uint32_t size = 16;
		while (size < 2 * m)
			size <<= 1;
		t->max = m;
		t->mask = size - 1;
		t->slots = calloc(size, sizeof *t->slots);
		t->entries = malloc((size_t)m * sizeof *t->entries);
		if (t->slots == NULL || t->entries == NULL) {
			rs_name_limits_free(nl);
			return -ENOMEM;
		}
	}
	return 0;
}

/* 64-bit multiply-xorshift over 8-byte words; names are at most 62 bytes. */
static uint32_t hash_name(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		s += 8;
		len -= 8;
	}
	if (len > 0) {
		uint64_t w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	return (uint32_t)h;
}

/* The slot of name in t: holding its entry, or the empty one where it would go. */
static uint32_t *find(const struct rs_name_table *t, const char *s, size_t len, uint32_t hash)
{
	for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		uint32_t *slot = &t->slots[i];
		if (*slot == 0)
			return slot;
		const struct rs_name_entry *e = &t->entries[*slot - 1];
		if (e->hash == hash && e->len == len && memcmp(e->s, s, len) == 0)
			return slot;
	}
}

int rs_name_limits_intern(struct rs_name_limits *nl, struct rs_parsed *p, rs_name_intern_fn intern,
			  void *ctx, struct rs_parse_error *e)
{
	uint32_t hash[RS_NAME_COUNT];
	uint32_t *slot[RS_NAME_COUNT];
	bool any_new = false;
	/* 1. known names get their ids; new ones must fit their kind's budget */
	for (unsigned k = 0; k < RS_NAME_COUNT; k++) {
		const struct rs_parsed_str *n = &p->name[k];
		slot[k] = NULL;
		if (n->len == 0)
			continue;
		const char *field = rs_name_slot_field((enum rs_name_slot)k);
		if (n->len > RS_DICT_STR_MAX) {          /* not from rs_decision_parse */
			e->reason = RS_REJECT_TOO_LONG;
			e->field = field;
			snprintf(e->msg, sizeof e->msg, "%s: longer than %u bytes", field, RS_DICT_STR_MAX);
			return -1;
		}
		struct rs_name_table *t = &nl->kind[k];
		hash[k] = hash_name(n->s, n->len);
		slot[k] = find(t, n->s, n->len, hash[k]);
		if (*slot[k] != 0) {
			rs_record_set_name(&p->rec, (enum rs_name_slot)k, t->entries[*slot[k] - 1].id);
			slot[k] = NULL;
			continue;
		}
		if (t->count >= t->max) {
			t->refused++;
			e->reason = RS_REJECT_DICT_FULL;
			e->field = field;
			snprintf(e->msg, sizeof e->msg, "%s: a new name over the limit of %u distinct %s "
				 "(known ones are still accepted; raise it with --name-limits %s=N)",
				 field, t->max, spec_names[k][0], spec_names[k][0]);
			return -1;
		}
		any_new = true;
	}
	if (!any_new)
		return 0;
	/* 2. intern the new ones */
	for (unsigned k = 0; k < RS_NAME_COUNT; k++) {
		if (slot[k] == NULL)
			continue;
		const struct rs_parsed_str *n = &p->name[k];
		struct rs_name_table *t = &nl->kind[k];
		const char *field = rs_name_slot_field((enum rs_name_slot)k);
		int id = intern(ctx, n->s, n->len);
		if (id < 0 || id >= (int)RS_DICT_NONE) {
			e->field = field;
			e->reason = id == -ENOSPC ? RS_REJECT_DICT_FULL
				  : id == -ENAMETOOLONG ? RS_REJECT_TOO_LONG : RS_REJECT_ENCODING;
			if (id == -ENOSPC)
				snprintf(e->msg, sizeof e->msg, "%s: the ring's dictionary is full; a new ring "
					 "with a larger --dict-capacity would take it", field);
			else
				snprintf(e->msg, sizeof e->msg, "%s: not accepted by the dictionary (%s)", field,
					 strerror(id < 0 ? -id : ERANGE));
			return -1;
		}
		struct rs_name_entry *en = &t->entries[t->count];
		en->hash = hash[k];
		en->id = (uint16_t)id;
		en->len = n->len;
		memcpy(en->s, n->s, n->len);
		en->s[n->len] = '\0';
		*slot[k] = ++t->count;
		rs_record_set_name(&p->rec, (enum rs_name_slot)k, (uint16_t)id);
	}
	return 0;
}
