/*
 * dedup.h - "first copy of a request id wins", remembered for a while in a
 * bounded table (dashboard-model.md: 120 s, bounded set).
 *
 * A set-associative table: an id hashes to one bucket of 8 ways (two cache
 * lines of ids, one of ages).  Lookup and insert touch only that bucket.
 * Entries older than the TTL count as free; when a bucket is full the oldest
 * entry in it goes first (an eviction, counted): with a full table this is
 * close to global oldest-first at a fraction of the cost of an exact LRU.
 *
 * Memory: capacity / 8 buckets of 160 bytes (20 bytes per id); allocated
 * once at start, nothing per event.  Single-threaded (the aggregator).
 */
#ifndef RS_DEDUP_H
#define RS_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#define RS_DEDUP_WAYS 8u
#define RS_DEDUP_DEFAULT_CAPACITY (1u << 20)
#define RS_DEDUP_DEFAULT_TTL_S 120u

struct rs_dedup_bucket {
	uint64_t id[RS_DEDUP_WAYS][2];
	uint32_t seen_s[RS_DEDUP_WAYS];   /* 0 = empty, else seconds since start + 1 */
};

struct rs_dedup {
	struct rs_dedup_bucket *buckets;
	uint64_t mask;             /* buckets - 1 */
	uint32_t ttl_s;
	uint64_t occupied;         /* ways ever filled (expired ones are reused in place) */
	uint64_t evictions;        /* live ids pushed out because their bucket was full */
	uint64_t capacity;         /* ids */
};

/* capacity is rounded up to a power of two multiple of 8. Returns 0 or -ENOMEM. */
int  rs_dedup_init(struct rs_dedup *d, uint64_t capacity, uint32_t ttl_s);
void rs_dedup_free(struct rs_dedup *d);

/*
 * True if (hi, lo) was seen within the TTL before now_s (a duplicate);
 * otherwise remembers it as seen at now_s and returns false.  now_s counts
 * seconds from any fixed origin and must be >= 1.
 */
bool rs_dedup_check(struct rs_dedup *d, uint64_t hi, uint64_t lo, uint32_t now_s);

/* Request ids are random (or already hashed): mixing the halves spreads them. */
static inline uint64_t rs_dedup_bucket_of(const struct rs_dedup *d, uint64_t hi, uint64_t lo)
{
	uint64_t h = (hi ^ (lo * 0x9e3779b97f4a7c15ull));
	h ^= h >> 29;
	return h & d->mask;
}

/*
 * Starts loading the bucket of an id that will be checked soon: the table is
 * far larger than the caches, so a check is one memory miss unless prefetched.
 */
static inline void rs_dedup_prefetch(const struct rs_dedup *d, uint64_t hi, uint64_t lo)
{
	const struct rs_dedup_bucket *b = &d->buckets[rs_dedup_bucket_of(d, hi, lo)];
	__builtin_prefetch(b, 1);
	__builtin_prefetch((const char *)b + 64, 1);
	__builtin_prefetch((const char *)b + 128, 1);
}

#endif
