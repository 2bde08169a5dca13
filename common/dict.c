/*
 * dict.c - the ring's string dictionary: provider, chain, method, profile and
 * reason names interned into u16 ids (shm_abi.h has the layout).
 *
 * Single writer (the ring's producer), append-only, bounded: an entry is
 * written, then count is release-stored, so a reader that loads count with
 * acquire may read entries [0, count) without further synchronisation; they
 * never change afterwards.  The producer finds existing names through a
 * private open-addressing hash built once at attach (no allocation per
 * event); readers index entries directly by id and validate what they read.
 */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ck_pr.h>

struct rs_dict_index {
	uint32_t  mask;
	uint32_t *slots;   /* 0 = empty, else id + 1 */
};

static uint32_t hash_str(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t published_count(const struct rs_ring *r)
{
	uint32_t n = ck_pr_load_32(&r->dict->count);
	ck_pr_fence_acquire();
	return n <= r->layout->dict_capacity ? n : r->layout->dict_capacity;
}

uint32_t rs_ring_dict_count(const struct rs_ring *r)
{
	return published_count(r);
}

const char *rs_ring_dict_lookup(const struct rs_ring *r, uint16_t id)
{
	if (id >= published_count(r))
		return NULL;
	const struct rs_dict_entry *e = &r->dict_entries[id];
	if (e->len > RS_DICT_STR_MAX || e->str[e->len] != '\0')
		return NULL; /* damaged entry: the caller shows it as unknown */
	return e->str;
}

static void index_insert(struct rs_dict_index *ix, uint32_t hash, uint32_t id)
{
	uint32_t i = hash & ix->mask;
	while (ix->slots[i] != 0)
		i = (i + 1) & ix->mask;
	ix->slots[i] = id + 1;
}

int rs_dict_index_build(struct rs_ring *r)
{
	uint32_t size = 16;
	while (size < 2u * r->layout->dict_capacity)
		size <<= 1;
	struct rs_dict_index *ix = malloc(sizeof *ix);
	uint32_t *slots = calloc(size, sizeof *slots);
	if (ix == NULL || slots == NULL) {
		free(ix);
		free(slots);
		return -ENOMEM;
	}
	ix->mask = size - 1;
	ix->slots = slots;
	uint32_t n = published_count(r);
	for (uint32_t id = 0; id < n; id++) {
		const char *s = rs_ring_dict_lookup(r, (uint16_t)id);
		if (s != NULL)
			index_insert(ix, hash_str(s, strlen(s)), id);
	}
	r->dict_index = ix;
	return 0;
}

void rs_dict_index_free(struct rs_ring *r)
{
	if (r->dict_index == NULL)
		return;
	free(r->dict_index->slots);
	free(r->dict_index);
	r->dict_index = NULL;
}

static bool entry_equals(const struct rs_dict_entry *e, const char *s, size_t len)
{
	return e->len == len && memcmp(e->str, s, len) == 0;
}

static int append(struct rs_ring *r, const char *s, size_t len, uint32_t hash)
{
	uint32_t id = r->dict->count;
	if (id >= r->layout->dict_capacity || id >= RS_DICT_NONE)
		return -ENOSPC;
	struct rs_dict_entry *e = &r->dict_entries[id];
	memcpy(e->str, s, len);
	e->str[len] = '\0';
	e->len = (uint8_t)len;
	/* The entry must be complete before a reader can see its id. */
	ck_pr_fence_release();
	ck_pr_store_32(&r->dict->count, id + 1);
	index_insert(r->dict_index, hash, id);
	return (int)id;
}

int rs_ring_intern(struct rs_ring *r, const char *s, size_t len)
{
	if (len == 0 || memchr(s, '\0', len) != NULL)
		return -EINVAL;
	if (len > RS_DICT_STR_MAX)
		return -ENAMETOOLONG;
	uint32_t hash = hash_str(s, len);
	struct rs_dict_index *ix = r->dict_index;
	for (uint32_t i = hash & ix->mask; ix->slots[i] != 0; i = (i + 1) & ix->mask) {
		uint32_t id = ix->slots[i] - 1;
		if (entry_equals(&r->dict_entries[id], s, len))
			return (int)id;
	}
	return append(r, s, len, hash);
}
