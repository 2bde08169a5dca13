/* dedup.c - the set-associative request-id table of dedup.h. */
#include "dedup.h"

#include <errno.h>
#include <stdlib.h>

int rs_dedup_init(struct rs_dedup *d, uint64_t capacity, uint32_t ttl_s)
{
	uint64_t buckets = 1;
	while (buckets * RS_DEDUP_WAYS < capacity)
		buckets <<= 1;
	d->buckets = calloc(buckets, sizeof *d->buckets);
	if (d->buckets == NULL)
		return -ENOMEM;
	d->mask = buckets - 1;
	d->ttl_s = ttl_s;
	d->occupied = 0;
	d->evictions = 0;
	d->capacity = buckets * RS_DEDUP_WAYS;
	return 0;
}

void rs_dedup_free(struct rs_dedup *d)
{
	free(d->buckets);
	d->buckets = NULL;
}

static bool alive(const struct rs_dedup *d, uint32_t seen, uint32_t now_s)
{
	/* An id seen "later" than now (records drained out of order) is alive. */
	return seen != 0 && (now_s < seen || now_s - seen < d->ttl_s);
}

static unsigned victim_way(const struct rs_dedup_bucket *b, const struct rs_dedup *d,
			   uint32_t now_s, bool *evicting)
{
	unsigned oldest = 0;
	for (unsigned w = 0; w < RS_DEDUP_WAYS; w++) {
		if (!alive(d, b->seen_s[w], now_s)) {
			*evicting = false;
			return w;
		}
		if (b->seen_s[w] < b->seen_s[oldest])
			oldest = w;
	}
	*evicting = true;
	return oldest;
}

bool rs_dedup_check(struct rs_dedup *d, uint64_t hi, uint64_t lo, uint32_t now_s)
{
	struct rs_dedup_bucket *b = &d->buckets[rs_dedup_bucket_of(d, hi, lo)];
	for (unsigned w = 0; w < RS_DEDUP_WAYS; w++)
		if (b->id[w][0] == hi && b->id[w][1] == lo && alive(d, b->seen_s[w], now_s))
			return true;
	bool evicting;
	unsigned w = victim_way(b, d, now_s, &evicting);
	if (evicting)
		d->evictions++;
	else if (b->seen_s[w] == 0)
		d->occupied++;
	b->id[w][0] = hi;
	b->id[w][1] = lo;
	b->seen_s[w] = now_s;
	return false;
}
