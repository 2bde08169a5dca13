/*
 * name_limits.h - per-kind caps on the names an ingest process interns.
 *
 * Purpose: the ring's dictionary holds at most --dict-capacity names of all
 * kinds together, forever (it is append-only).  A sender of random provider
 * names (a bug or an attacker) would fill it, and then no new chain or
 * method could be interned either.  This module gives each kind its own
 * budget of distinct names (providers 64, chains 64, methods 256, profiles
 * 16, circuit reasons 64 by default): past it, a line bringing a new name of
 * that kind is rejected (reason dictionary_full, counted like any other),
 * while lines whose names are already known keep working.  A rejected line
 * interns nothing, so it cannot eat into another kind's room either.
 *
 * It is also the producer's cache of name -> dictionary id: a name seen
 * before is found here without touching the ring's dictionary.  Ids are
 * stable for the life of a ring, so one rs_name_limits belongs to one ring.
 *
 * Memory: allocated once by rs_name_limits_init (about 72 bytes per allowed
 * name plus 8 per hash slot: ~70 KiB with the defaults); nothing per line.
 * Single-threaded.
 */
#ifndef RS_NAME_LIMITS_H
#define RS_NAME_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "decision_parse.h"
#include "record_names.h"
#include "ring.h"

#define RS_NAME_LIMIT_PROVIDERS 64u
#define RS_NAME_LIMIT_CHAINS    64u
#define RS_NAME_LIMIT_METHODS   256u
#define RS_NAME_LIMIT_PROFILES  16u
#define RS_NAME_LIMIT_REASONS   64u
#define RS_NAME_LIMIT_MAX       RS_DICT_MAX_CAPACITY   /* per kind */

struct rs_name_entry;

struct rs_name_table {
	uint32_t              max;       /* distinct names allowed */
	uint32_t              count;     /* distinct names admitted so far */
	uint32_t              mask;      /* slots - 1 */
	uint32_t             *slots;     /* 0: empty, else entry index + 1 */
	struct rs_name_entry *entries;   /* max of them */
	uint64_t              refused;   /* lines refused because this kind was full */
};

struct rs_name_limits {
	struct rs_name_table kind[RS_NAME_COUNT];   /* by enum rs_name_slot */
};

/* The default limit of each kind into max[]. */
void rs_name_limits_defaults(uint32_t max[RS_NAME_COUNT]);

/*
 * Reads "providers=64,chains=64,methods=256,profiles=16,reasons=64" (any
 * subset, any order; singular names and the JSON field names provider_id,
 * chain, method, profile, reason accepted too) into max[], which keeps its
 * values for kinds not named.  Each limit is 1..RS_NAME_LIMIT_MAX.  Returns
 * 0, or -EINVAL with a reason in why[0..why_size).
 */
int rs_name_limits_parse(const char *spec, uint32_t max[RS_NAME_COUNT], char *why, size_t why_size);

/* Allocates the tables; max NULL means the defaults.  0 or -ENOMEM (then nothing to free). */
int rs_name_limits_init(struct rs_name_limits *nl, const uint32_t max[RS_NAME_COUNT]);
void rs_name_limits_free(struct rs_name_limits *nl);

/* Interns one name into the caller's dictionary: an id >= 0 or a negative errno (as rs_ring_intern). */
typedef int (*rs_name_intern_fn)(void *ctx, const char *s, size_t len);

/*
 * Gives every name of p its dictionary id (rs_record_set_name), interning
 * the new ones through intern(ctx, ...) within the limits.  Returns 0, or -1
 * with *e filled: RS_REJECT_DICT_FULL when a kind is at its limit or the
 * dictionary itself is full (then nothing of this line was interned, in the
 * first case), RS_REJECT_TOO_LONG / RS_REJECT_ENCODING when intern refused
 * the string (-ENAMETOOLONG / other).
 */
int rs_name_limits_intern(struct rs_name_limits *nl, struct rs_parsed *p, rs_name_intern_fn intern,
			  void *ctx, struct rs_parse_error *e);

/* The same into a ring's dictionary (what the sources call). */
static inline int rs_name_limits_ring_intern_(void *ring, const char *s, size_t len)
{
	return rs_ring_intern((struct rs_ring *)ring, s, len);
}
static inline int rs_name_limits_intern_ring(struct rs_name_limits *nl, struct rs_ring *ring,
					     struct rs_parsed *p, struct rs_parse_error *e)
{
	return rs_name_limits_intern(nl, p, rs_name_limits_ring_intern_, ring, e);
}

#endif
