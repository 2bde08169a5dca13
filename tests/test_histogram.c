/* Criterion tests for common/histogram: bucket scheme, nearest-rank quantiles vs exact sorts, merge/subtract, clamping. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/redirect.h>

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

#define N_VALUES   1000000u
#define MAX_GEN_US 60000000.0          /* generated values are clamped to [1 us, 60 s] */
#define DESIGN_ERR (1.0 / 256.0)       /* half a bucket width over the octave start */
#define TWO_PI     6.283185307179586   /* M_PI is not in strict C17 */

/* ---- deterministic PRNG: splitmix64, Box-Muller for normals ---- */

struct rng { uint64_t s; };

static uint64_t next_u64(struct rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double unit(struct rng *r)                 /* [0, 1) */
{
    return (double)(next_u64(r) >> 11) * 0x1p-53;
}

static double normal(struct rng *r)               /* N(0, 1); the sine half is dropped */
{
    double u1 = 1.0 - unit(r), u2 = unit(r);     /* u1 in (0, 1] so log() is finite */
    return sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}

static uint64_t to_us(double x)
{
    if (x < 1.0)
        return 1;
    if (x > MAX_GEN_US)
        return (uint64_t)MAX_GEN_US;
    return (uint64_t)(x + 0.5);
}

static uint64_t gen_uniform(struct rng *r)   { return to_us(1.0 + unit(r) * (MAX_GEN_US - 1.0)); }
static uint64_t gen_lognormal(struct rng *r) { return to_us(20000.0 * exp(1.0 * normal(r))); }

static uint64_t gen_bimodal(struct rng *r)
{
    if (unit(r) < 0.7)
        return to_us(2000.0 + 200.0 * normal(r));
    return to_us(800000.0 + 80000.0 * normal(r));
}

typedef uint64_t (*gen_fn)(struct rng *);

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double rel_err(uint64_t got, uint64_t want)
{
    return fabs((double)got - (double)want) / (double)want;
}

/* Records n generated values, checks count/sum, then compares each
 * quantile with the exact nearest-rank value of a sorted copy. */
static void check_distribution(const char *name, gen_fn gen, uint64_t seed)
{
    static const uint64_t num[] = { 50000, 90000, 95000, 99000, 99900 };  /* / 100000 */
    const uint64_t den = 100000, n = N_VALUES;
    uint64_t *v = malloc(n * sizeof *v);
    struct rng r = { seed };
    struct rs_hist h;
    uint64_t sum = 0;
    double worst = 0.0;

    cr_assert_not_null(v);
    rs_hist_reset(&h);
    for (uint64_t i = 0; i < n; i++) {
        v[i] = gen(&r);
        sum += v[i];
        rs_hist_record(&h, v[i]);
    }
    cr_assert_eq(h.count, n);
    cr_assert_eq(h.sum_us, sum);
    cr_assert_eq(h.overflow, 0);

    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
        uint64_t rank = (num[i] * n + den - 1) / den;    /* exact ceil(q * n) */
        uint64_t want = v[rank - 1];
        uint64_t got = rs_hist_quantile(&h, (double)num[i] / (double)den);
        double err = rel_err(got, want);

        cr_assert_leq(err, 0.01, "%s p%g: got %llu, exact %llu (err %.4f%%)", name,
                      100.0 * (double)num[i] / (double)den, (unsigned long long)got,
                      (unsigned long long)want, 100.0 * err);
        if (err > worst)
            worst = err;
    }
    cr_log_info("%s: worst relative error %.4f%%", name, 100.0 * worst);
    free(v);
}

Test(histogram, uniform_quantiles)   { check_distribution("uniform", gen_uniform, 1); }
Test(histogram, lognormal_quantiles) { check_distribution("lognormal", gen_lognormal, 2); }
Test(histogram, bimodal_quantiles)   { check_distribution("bimodal", gen_bimodal, 3); }

/* ---- edge cases ---- */

Test(histogram, empty_is_zero)
{
    struct rs_hist h;

    rs_hist_reset(&h);
    cr_assert_eq(rs_hist_quantile(&h, 0.0), 0);
    cr_assert_eq(rs_hist_quantile(&h, 0.5), 0);
    cr_assert_eq(rs_hist_quantile(&h, 1.0), 0);
    cr_assert_eq(rs_hist_mean(&h), 0.0);
}

Test(histogram, single_value)
{
    struct rs_hist h;
    uint64_t rep = rs_hist_bucket_value(rs_hist_bucket_of(12345));

    rs_hist_reset(&h);
    rs_hist_record(&h, 12345);
    cr_assert_eq(h.count, 1);
    cr_assert_eq(h.sum_us, 12345);
    cr_assert_eq(rs_hist_mean(&h), 12345.0);
    cr_assert_leq(rel_err(rep, 12345), DESIGN_ERR);
    cr_assert_eq(rs_hist_quantile(&h, 0.0), rep);
    cr_assert_eq(rs_hist_quantile(&h, 0.5), rep);
    cr_assert_eq(rs_hist_quantile(&h, 0.999), rep);
    cr_assert_eq(rs_hist_quantile(&h, 1.0), rep);
}

Test(histogram, linear_region_is_exact)
{
    struct rs_hist h;

    rs_hist_reset(&h);
    for (uint64_t v = 0; v < 256; v++) {
        cr_assert_eq(rs_hist_bucket_of(v), v);
        cr_assert_eq(rs_hist_bucket_value((uint32_t)v), v);
        rs_hist_record(&h, v);
    }
    /* value v has rank v + 1 among 0 .. 255 */
    for (uint64_t rank = 1; rank <= 256; rank++)
        cr_assert_eq(rs_hist_quantile(&h, (double)rank / 256.0), rank - 1, "rank %llu",
                     (unsigned long long)rank);
}

/* 1 .. 100 all sit in the exact region, so any off-by-one rank shows. */
Test(histogram, nearest_rank_definition)
{
    struct rs_hist h;

    rs_hist_reset(&h);
    for (uint64_t v = 1; v <= 100; v++)
        rs_hist_record(&h, v);
    for (uint64_t i = 1; i <= 100; i++)       /* i / 100.0 * 100 is not always exactly i */
        cr_assert_eq(rs_hist_quantile(&h, (double)i / 100.0), i, "q=%llu/100",
                     (unsigned long long)i);
    cr_assert_eq(rs_hist_quantile(&h, 0.99), 99);
    cr_assert_eq(rs_hist_quantile(&h, 0.07), 7);      /* 0.07 * 100 == 7.000000000000001 */
    cr_assert_eq(rs_hist_quantile(&h, 0.991), 100);   /* ceil(99.1) */
    cr_assert_eq(rs_hist_quantile(&h, 0.001), 1);     /* ceil(0.1) */
}

/* Counts beyond 2^32 exercise the 64-bit rank arithmetic. */
Test(histogram, rank_with_huge_counts)
{
    struct rs_hist h;

    rs_hist_reset(&h);
    rs_hist_record_n(&h, 10, 3000000000u);
    rs_hist_record_n(&h, 200, 1000000000u);
    cr_assert_eq(h.count, UINT64_C(4000000000));
    cr_assert_eq(rs_hist_quantile(&h, 0.75), 10);             /* rank 3e9 exactly */
    cr_assert_eq(rs_hist_quantile(&h, 0.750000001), 200);     /* rank 3e9 + 4 */
    cr_assert_eq(rs_hist_quantile(&h, 0.5), 10);
    cr_assert_eq(rs_hist_quantile(&h, 1.0), 200);
}

Test(histogram, q0_and_q1_are_min_and_max)
{
    struct rs_hist h;
    uint64_t lo = rs_hist_bucket_value(rs_hist_bucket_of(123));
    uint64_t hi = rs_hist_bucket_value(rs_hist_bucket_of(3000000));

    rs_hist_reset(&h);
    rs_hist_record(&h, 5000);
    rs_hist_record(&h, 3000000);
    rs_hist_record(&h, 123);
    rs_hist_record(&h, 70000);
    cr_assert_eq(rs_hist_quantile(&h, 0.0), lo);
    cr_assert_eq(rs_hist_quantile(&h, 1.0), hi);
    cr_assert_eq(rs_hist_quantile(&h, -0.5), lo);     /* out-of-range q is clamped */
    cr_assert_eq(rs_hist_quantile(&h, NAN), lo);
    cr_assert_eq(rs_hist_quantile(&h, 1.5), hi);
}

Test(histogram, power_of_two_boundaries)
{
    for (unsigned k = 0; k <= 32; k++) {
        uint64_t p = UINT64_C(1) << k;
        uint64_t vals[] = { p - 1, p, p + 1 };

        for (size_t i = 0; i < 3; i++) {
            uint64_t v = vals[i];
            uint32_t b = rs_hist_bucket_of(v);

            cr_assert_lt(b, RS_HIST_BUCKETS);
            if (v > RS_HIST_MAX_US) {
                cr_assert_eq(b, RS_HIST_BUCKETS - 1, "v=%llu", (unsigned long long)v);
            } else if (v == 0) {
                cr_assert_eq(rs_hist_bucket_value(b), 0);
            } else {
                double err = rel_err(rs_hist_bucket_value(b), v);
                cr_assert_leq(err, 0.01, "v=%llu err=%g", (unsigned long long)v, err);
                cr_assert_leq(err, DESIGN_ERR, "v=%llu err=%g", (unsigned long long)v, err);
            }
        }
    }
}

/* Exhaustive over the first 2^22 values (indices step by 0 or 1: no holes),
 * then geometric steps up past the top (never decreasing). */
Test(histogram, bucket_of_is_monotonic)
{
    uint32_t prev = rs_hist_bucket_of(0);

    for (uint64_t v = 1; v < (UINT64_C(1) << 22); v++) {
        uint32_t b = rs_hist_bucket_of(v);
        cr_assert(b == prev || b == prev + 1, "v=%llu: %u after %u", (unsigned long long)v, b, prev);
        prev = b;
    }
    for (uint64_t v = UINT64_C(1) << 22; v < 2 * RS_HIST_MAX_US; v += v / 997 + 1) {
        uint32_t b = rs_hist_bucket_of(v);
        cr_assert_geq(b, prev, "v=%llu", (unsigned long long)v);
        prev = b;
    }
    cr_assert_eq(rs_hist_bucket_of(RS_HIST_MAX_US), RS_HIST_BUCKETS - 1);
    cr_assert_eq(rs_hist_bucket_of(UINT64_MAX), RS_HIST_BUCKETS - 1);
}

/* Smallest value whose bucket is >= b (bucket_of is monotonic). */
static uint64_t bucket_low(uint32_t b)
{
    uint64_t lo = 0, hi = RS_HIST_MAX_US;

    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (rs_hist_bucket_of(mid) >= b)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Every bucket is non-empty, holds its representative, and the
 * representative is within the design error of both of its edges. */
Test(histogram, every_bucket_within_error)
{
    for (uint32_t b = 0; b < RS_HIST_BUCKETS; b++) {
        uint64_t lo = bucket_low(b);
        uint64_t hi = b + 1 < RS_HIST_BUCKETS ? bucket_low(b + 1) - 1 : RS_HIST_MAX_US;
        uint64_t rep = rs_hist_bucket_value(b);

        cr_assert_eq(rs_hist_bucket_of(lo), b, "bucket %u empty", b);
        cr_assert(lo <= rep && rep <= hi, "bucket %u: rep %llu outside [%llu, %llu]", b,
                  (unsigned long long)rep, (unsigned long long)lo, (unsigned long long)hi);
        if (lo > 0) {
            cr_assert_leq(rel_err(rep, lo), DESIGN_ERR, "bucket %u low edge", b);
            cr_assert_leq(rel_err(rep, hi), DESIGN_ERR, "bucket %u high edge", b);
        }
    }
    cr_assert_eq(rs_hist_bucket_value(RS_HIST_BUCKETS), rs_hist_bucket_value(RS_HIST_BUCKETS - 1));
}

/* ---- merge / subtract / overflow / reset ---- */

static void fill(struct rs_hist *h, struct rng *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        rs_hist_record(h, gen_lognormal(r));
}

Test(histogram, merge_of_halves_equals_whole)
{
    struct rs_hist whole, a, b;
    struct rng r = { 42 };

    rs_hist_reset(&whole);
    rs_hist_reset(&a);
    rs_hist_reset(&b);
    for (unsigned i = 0; i < 200000; i++) {
        /* a sprinkle of overflowing values so that field is merged too */
        uint64_t v = i % 5000 == 0 ? RS_HIST_MAX_US + i : gen_bimodal(&r);
        rs_hist_record(&whole, v);
        rs_hist_record(i < 100000 ? &a : &b, v);
    }
    cr_assert_gt(whole.overflow, 0);
    rs_hist_merge(&a, &b);
    cr_assert_eq(memcmp(&a, &whole, sizeof whole), 0);
}

Test(histogram, subtract_after_merge_restores)
{
    struct rs_hist orig, cur, w1, w2;
    struct rng r = { 7 };

    rs_hist_reset(&orig);
    rs_hist_reset(&w1);
    rs_hist_reset(&w2);
    fill(&orig, &r, 50000);
    fill(&w1, &r, 30000);
    fill(&w2, &r, 20000);
    rs_hist_record(&w2, RS_HIST_MAX_US + 1);

    /* sliding window: add two windows, retire them in arrival order */
    cur = orig;
    rs_hist_merge(&cur, &w1);
    rs_hist_merge(&cur, &w2);
    cr_assert_neq(memcmp(&cur, &orig, sizeof orig), 0);
    rs_hist_subtract(&cur, &w1);
    rs_hist_subtract(&cur, &w2);
    cr_assert_eq(memcmp(&cur, &orig, sizeof orig), 0);
}

/* Same count and a smaller sum, so only the per-bucket check can catch it. */
Test(histogram, subtract_non_subset_aborts, .init = cr_redirect_stderr, .signal = SIGABRT)
{
    struct rs_hist a, b;

    rs_hist_reset(&a);
    rs_hist_reset(&b);
    rs_hist_record(&a, 5);
    rs_hist_record(&b, 4);
    rs_hist_subtract(&a, &b);
}

Test(histogram, overflow_is_clamped_and_counted)
{
    struct rs_hist h;

    rs_hist_reset(&h);
    rs_hist_record(&h, RS_HIST_MAX_US);               /* the top itself is not overflow */
    cr_assert_eq(h.overflow, 0);
    rs_hist_record(&h, RS_HIST_MAX_US + 1);
    rs_hist_record(&h, UINT64_MAX);
    rs_hist_record_n(&h, UINT64_C(1) << 40, 3);
    cr_assert_eq(h.overflow, 5);
    cr_assert_eq(h.count, 6);
    cr_assert_eq(h.sum_us, 6 * RS_HIST_MAX_US);
    cr_assert_eq(h.buckets[RS_HIST_BUCKETS - 1], 6);
    cr_assert_eq(rs_hist_quantile(&h, 1.0), rs_hist_bucket_value(RS_HIST_BUCKETS - 1));
    cr_assert_leq(rel_err(rs_hist_quantile(&h, 0.0), RS_HIST_MAX_US), DESIGN_ERR);
}

Test(histogram, record_n_equals_repeated_record)
{
    struct rs_hist a, b;

    rs_hist_reset(&a);
    rs_hist_reset(&b);
    for (unsigned i = 0; i < 1000; i++)
        rs_hist_record(&a, 123456);
    rs_hist_record_n(&b, 123456, 1000);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    rs_hist_record_n(&b, 999, 0);                     /* n = 0 changes nothing */
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
}

Test(histogram, mean_is_sum_over_count)
{
    struct rs_hist h;

    rs_hist_reset(&h);
    rs_hist_record(&h, 10);
    rs_hist_record(&h, 20);
    rs_hist_record(&h, 60);
    cr_assert_eq(h.sum_us, 90);
    cr_assert_eq(rs_hist_mean(&h), 30.0);
}

Test(histogram, reset_clears_everything)
{
    struct rs_hist h, zero;
    struct rng r = { 9 };

    memset(&zero, 0, sizeof zero);
    rs_hist_reset(&h);
    fill(&h, &r, 1000);
    rs_hist_record(&h, UINT64_MAX);
    cr_assert_neq(memcmp(&h, &zero, sizeof h), 0);
    rs_hist_reset(&h);
    cr_assert_eq(memcmp(&h, &zero, sizeof h), 0);
    cr_assert_eq(rs_hist_quantile(&h, 0.5), 0);
}
