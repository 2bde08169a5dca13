/* Criterion tests for aggregator/dedup.c: first copy wins, TTL edges, out-of-order ids, reuse of expired ways, eviction of the oldest in a full bucket, capacity rounding, a million random ids without a false duplicate, counter ids spread over buckets. */
#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"

static struct rs_dedup D;

static void teardown(void)
{
	rs_dedup_free(&D);
}

TestSuite(dedup, .fini = teardown, .timeout = 60);

static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

Test(dedup, first_copy_wins)
{
	cr_assert_eq(rs_dedup_init(&D, 1024, 120), 0);
	cr_expect_not(rs_dedup_check(&D, 1, 2, 1), "first sight");
	cr_expect(rs_dedup_check(&D, 1, 2, 1), "second copy, same second");
	cr_expect(rs_dedup_check(&D, 1, 2, 50), "third copy, later");
	cr_expect_not(rs_dedup_check(&D, 2, 1, 1), "halves swapped: another id");
	cr_expect_not(rs_dedup_check(&D, 1, 3, 1), "same hi, other lo");
	cr_expect_not(rs_dedup_check(&D, 0, 2, 1), "same lo, other hi");
	cr_expect_not(rs_dedup_check(&D, 0, 0, 1), "the all-zero id is an id like any other");
	cr_expect(rs_dedup_check(&D, 0, 0, 2));
	cr_expect_eq(D.occupied, 5);
	cr_expect_eq(D.evictions, 0);
}

Test(dedup, ttl_expiry_edges)
{
	const uint32_t ttl = 120, s = 1000;
	cr_assert_eq(rs_dedup_init(&D, 64, ttl), 0);
	cr_expect_not(rs_dedup_check(&D, 7, 7, s));
	cr_expect(rs_dedup_check(&D, 7, 7, s + ttl - 1), "still remembered at s + ttl - 1");
	/* A duplicate does not refresh the entry: the TTL runs from the first copy. */
	cr_expect_not(rs_dedup_check(&D, 7, 7, s + ttl), "forgotten at s + ttl");
	/* ...and is remembered afresh from then on. */
	cr_expect(rs_dedup_check(&D, 7, 7, s + ttl + ttl - 1));
	cr_expect_not(rs_dedup_check(&D, 7, 7, s + 2 * ttl));
	cr_expect_eq(D.evictions, 0, "an expired entry is reused, not evicted");
}

Test(dedup, ttl_one_second)
{
	cr_assert_eq(rs_dedup_init(&D, 8, 1), 0);
	cr_expect_not(rs_dedup_check(&D, 9, 9, 5));
	cr_expect(rs_dedup_check(&D, 9, 9, 5));
	cr_expect_not(rs_dedup_check(&D, 9, 9, 6));
}

Test(dedup, out_of_order_seconds_are_still_duplicates)
{
	cr_assert_eq(rs_dedup_init(&D, 64, 120), 0);
	cr_expect_not(rs_dedup_check(&D, 3, 4, 500));
	cr_expect(rs_dedup_check(&D, 3, 4, 499), "a copy drained from a node whose clock says earlier");
	cr_expect(rs_dedup_check(&D, 3, 4, 1));
}

Test(dedup, expired_ways_are_reused_without_eviction)
{
	/* One bucket (capacity 8): every id shares it. */
	cr_assert_eq(rs_dedup_init(&D, 8, 10), 0);
	cr_assert_eq(D.mask, 0);
	for (uint64_t i = 0; i < 8; i++)
		cr_assert_not(rs_dedup_check(&D, 100, i, 1));
	cr_expect_eq(D.occupied, 8);
	/* All expired by second 11: 8 new ids replace them without an eviction. */
	for (uint64_t i = 0; i < 8; i++)
		cr_assert_not(rs_dedup_check(&D, 200, i, 11));
	cr_expect_eq(D.evictions, 0);
	cr_expect_eq(D.occupied, 8, "occupied counts ways ever filled");
	for (uint64_t i = 0; i < 8; i++)
		cr_expect(rs_dedup_check(&D, 200, i, 12), "id %" PRIu64, i);
}

Test(dedup, full_bucket_evicts_its_oldest)
{
	cr_assert_eq(rs_dedup_init(&D, 8, 1000), 0);
	cr_assert_eq(D.capacity, 8);
	/* Seen at seconds 10, 3, 7, 5, 9, 4, 8, 6: the oldest is id 1 (second 3). */
	const uint32_t seen[8] = { 10, 3, 7, 5, 9, 4, 8, 6 };
	for (uint64_t i = 0; i < 8; i++)
		cr_assert_not(rs_dedup_check(&D, 1, i, seen[i]));
	cr_expect_eq(D.evictions, 0);
	cr_expect_not(rs_dedup_check(&D, 2, 0, 20), "a ninth id");
	cr_expect_eq(D.evictions, 1);
	cr_expect_eq(D.occupied, 8);
	/* Everything but id 1 is still remembered. */
	for (uint64_t i = 0; i < 8; i++)
		if (i != 1)
			cr_expect(rs_dedup_check(&D, 1, i, 21), "id %" PRIu64 " should have survived", i);
	cr_expect(rs_dedup_check(&D, 2, 0, 21));
	cr_expect_eq(D.evictions, 1, "duplicates evict nothing");
	/* Id 1 comes back as new, and pushes out the next oldest (id 5, second 4). */
	cr_expect_not(rs_dedup_check(&D, 1, 1, 22), "the evicted id is forgotten");
	cr_expect_eq(D.evictions, 2);
	cr_expect_not(rs_dedup_check(&D, 1, 5, 23));
	cr_expect_eq(D.evictions, 3);
	cr_expect(rs_dedup_check(&D, 1, 0, 24), "id 0 (second 10) is still there");
	cr_expect_not(rs_dedup_check(&D, 1, 3, 24), "id 3 (second 5) went for id 5's return");
}

Test(dedup, capacity_rounding)
{
	static const struct {
		uint64_t ask, got;
	} cases[] = {
		{ 0, 8 }, { 1, 8 }, { 7, 8 }, { 8, 8 }, { 9, 16 }, { 16, 16 }, { 17, 32 },
		{ 100, 128 }, { 1000, 1024 }, { 1024, 1024 }, { 1025, 2048 },
		{ RS_DEDUP_DEFAULT_CAPACITY, RS_DEDUP_DEFAULT_CAPACITY },
		{ (1u << 21) + 1, 1u << 22 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct rs_dedup d;
		memset(&d, 0xa5, sizeof d);
		cr_assert_eq(rs_dedup_init(&d, cases[i].ask, 60), 0);
		cr_expect_eq(d.capacity, cases[i].got, "ask %" PRIu64 ": got %" PRIu64 ", want %" PRIu64,
			     cases[i].ask, d.capacity, cases[i].got);
		cr_expect_eq(d.mask + 1, cases[i].got / RS_DEDUP_WAYS);
		cr_expect_eq((d.mask + 1) & d.mask, 0, "a power of two of buckets");
		cr_expect_eq(d.occupied, 0);
		cr_expect_eq(d.evictions, 0);
		cr_expect_eq(d.ttl_s, 60);
		rs_dedup_free(&d);
		cr_expect_null(d.buckets);
	}
}

Test(dedup, a_million_random_ids_no_false_duplicates)
{
	enum { N = 1000000 };
	cr_assert_eq(rs_dedup_init(&D, 1u << 21, 120), 0);
	cr_assert_eq(D.capacity, 1u << 21);
	uint64_t st = 0x1234;
	uint64_t false_dups = 0, missed = 0;
	for (uint32_t i = 0; i < N; i++) {
		/* Random 128-bit ids; 2^-128 chance of a real collision. */
		uint64_t hi = splitmix(&st), lo = splitmix(&st);
		uint32_t now = 1 + i / 10000;  /* 100 s: everything within the TTL */
		if (rs_dedup_check(&D, hi, lo, now))
			false_dups++;
		if (!rs_dedup_check(&D, hi, lo, now))
			missed++;
	}
	cr_expect_eq(false_dups, 0, "%" PRIu64 " distinct ids reported as duplicates", false_dups);
	cr_expect_eq(missed, 0, "%" PRIu64 " ids not found right after insertion", missed);
	/* Each new id either took a fresh way or evicted a live one. */
	cr_expect_eq(D.occupied + D.evictions, N, "occupied %" PRIu64 " + evictions %" PRIu64,
		     D.occupied, D.evictions);
	cr_expect_leq(D.occupied, D.capacity);
	/* Load 0.48, Poisson(3.8) ids per 8-way bucket: about 6,600 expected overflows; a poor
	 * spread of ids over buckets would show as many more. */
	cr_expect_gt(D.evictions, 1000, "evictions %" PRIu64, D.evictions);
	cr_expect_lt(D.evictions, 15000, "evictions %" PRIu64, D.evictions);
}

Test(dedup, sequential_ids_spread_over_buckets)
{
	/* Load generators and tests use counters for ids: either half counting must spread too. */
	enum { N = 100000 };
	for (int half = 0; half < 2; half++) {
		struct rs_dedup d;
		cr_assert_eq(rs_dedup_init(&d, 1u << 18, 120), 0);
		uint64_t false_dups = 0;
		for (uint64_t i = 0; i < N; i++) {
			uint64_t hi = half ? i : UINT64_C(0xabcdef), lo = half ? UINT64_C(0xabcdef) : i;
			false_dups += rs_dedup_check(&d, hi, lo, 1);
		}
		cr_expect_eq(false_dups, 0, "half %d", half);
		cr_expect_eq(d.occupied + d.evictions, N);
		/* Load 0.38: a uniform spread overflows almost nowhere (Poisson(3.05) > 8: ~0.7% of buckets). */
		cr_expect_lt(d.evictions, N / 100, "half %d: evictions %" PRIu64, half, d.evictions);
		rs_dedup_free(&d);
	}
}
