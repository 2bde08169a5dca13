/*
 * histogram.c - log-linear latency histogram (see histogram.h for the
 * bucket scheme, the quantile definition and the failure modes).
 *
 * Writers in the pipeline call rs_hist_record() per measured request (the
 * hot path: one clz, a few shifts and adds, no loop, no floating point);
 * readers merge/subtract windows and ask for quantiles (a linear scan of
 * the buckets, from whichever end is closer in rank).
 */
#include "histogram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS  7u
#define SUB_COUNT (1u << SUB_BITS)              /* buckets per octave */
#define LINEAR    (2u * SUB_COUNT)              /* values below this are exact */
#define PPB       UINT64_C(1000000000)          /* quantile resolution */

/* Layout is shared memory: keep it compact and free of padding, so that
 * memcmp()/memcpy() of whole histograms are meaningful. */
_Static_assert(sizeof(struct rs_hist) <= 14 * 1024, "rs_hist grew past 14 KB");
_Static_assert(sizeof(struct rs_hist) == 3 * sizeof(uint64_t) + RS_HIST_BUCKETS * sizeof(uint32_t),
               "rs_hist has padding");

/* Precondition violations abort rather than return an error: the callers
 * cannot recover a window whose bookkeeping is wrong. */
#define CHECK(cond, msg) do { if (!(cond)) fail(__FILE__, __LINE__, (msg)); } while (0)

static _Noreturn void fail(const char *file, int line, const char *msg)
{
    fprintf(stderr, "%s:%d: rs_hist: %s\n", file, line, msg);
    abort();
}

/* value must be <= RS_HIST_MAX_US.  Or-ing SUB_COUNT in makes every value
 * below LINEAR behave like the first octave, where the shift is 0 and the
 * index is the value itself: the linear region needs no branch. */
static uint32_t index_of(uint64_t value)
{
    unsigned msb = 63u - (unsigned)__builtin_clzll(value | SUB_COUNT);
    unsigned shift = msb - SUB_BITS;
    return (uint32_t)(((uint64_t)shift << SUB_BITS) + (value >> shift));
}

static uint64_t clamp(uint64_t value)
{
    return value > RS_HIST_MAX_US ? RS_HIST_MAX_US : value;
}

void rs_hist_reset(struct rs_hist *h)
{
    memset(h, 0, sizeof *h);
}

void rs_hist_record_n(struct rs_hist *h, uint64_t value_us, uint32_t n)
{
    uint64_t v = clamp(value_us);

    h->count += n;
    h->sum_us += v * n;
    h->overflow += (uint64_t)(value_us > RS_HIST_MAX_US) * n;
    h->buckets[index_of(v)] += n;
}

void rs_hist_record(struct rs_hist *h, uint64_t value_us)
{
    rs_hist_record_n(h, value_us, 1);
}

void rs_hist_merge(struct rs_hist *dst, const struct rs_hist *src)
{
    dst->count += src->count;
    dst->sum_us += src->sum_us;
    dst->overflow += src->overflow;
    for (uint32_t i = 0; i < RS_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
}

/* Checked in a separate pass (branch-free, vectorisable) so dst is left
 * untouched when we are about to abort: the core dump shows both inputs. */
void rs_hist_subtract(struct rs_hist *dst, const struct rs_hist *src)
{
    unsigned bad = src->count > dst->count || src->sum_us > dst->sum_us ||
                   src->overflow > dst->overflow;

    for (uint32_t i = 0; i < RS_HIST_BUCKETS; i++)
        bad |= src->buckets[i] > dst->buckets[i];
    CHECK(!bad, "subtract: src is not a subset of dst");

    dst->count -= src->count;
    dst->sum_us -= src->sum_us;
    dst->overflow -= src->overflow;
    for (uint32_t i = 0; i < RS_HIST_BUCKETS; i++)
        dst->buckets[i] -= src->buckets[i];
}

/* Nearest rank ceil(q * n) clamped to [1, n].  q is rounded to parts per
 * billion so the ceiling is taken on exact integers: in floating point
 * 0.07 * 100 is 7.000000000000001 and would round up to rank 8.  n is split
 * as whole * PPB + rest so that no product overflows 64 bits:
 * whole * ppb <= n and rest * ppb < 10^18. */
static uint64_t rank_of(double q, uint64_t n)
{
    uint64_t ppb = !(q > 0.0) ? 0 : q >= 1.0 ? PPB : (uint64_t)(q * (double)PPB + 0.5);
    uint64_t whole = n / PPB, rest = n % PPB;
    uint64_t rank = whole * ppb + (rest * ppb + PPB - 1) / PPB;

    return rank < 1 ? 1 : rank;     /* rank <= n since ppb <= PPB */
}

/* Bucket holding the value of the given rank, scanning from the bottom. */
static uint32_t scan_up(const struct rs_hist *h, uint64_t rank)
{
    uint64_t seen = 0;

    for (uint32_t i = 0; i < RS_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank)
            return i;
    }
    return RS_HIST_BUCKETS - 1;     /* only if count disagrees with buckets */
}

/* Same, scanning from the top: `above` values rank higher than the wanted
 * one.  Tail quantiles (p99, p99.9) are found after a few buckets. */
static uint32_t scan_down(const struct rs_hist *h, uint64_t above)
{
    uint64_t seen = 0;

    for (uint32_t i = RS_HIST_BUCKETS; i-- > 0;) {
        seen += h->buckets[i];
        if (seen > above)
            return i;
    }
    return 0;                       /* only if count disagrees with buckets */
}

uint64_t rs_hist_quantile(const struct rs_hist *h, double q)
{
    if (h->count == 0)
        return 0;

    uint64_t rank = rank_of(q, h->count);
    uint32_t b = rank <= h->count / 2 ? scan_up(h, rank) : scan_down(h, h->count - rank);

    return rs_hist_bucket_value(b);
}

double rs_hist_mean(const struct rs_hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0.0;
}

uint32_t rs_hist_bucket_of(uint64_t value_us)
{
    return index_of(clamp(value_us));
}

/* Inverse of index_of(): bucket = shift * 128 + mantissa, where the
 * mantissa (value >> shift) is in [128, 256) outside the linear region. */
uint64_t rs_hist_bucket_value(uint32_t bucket)
{
    if (bucket >= RS_HIST_BUCKETS)
        bucket = RS_HIST_BUCKETS - 1;
    if (bucket < LINEAR)
        return bucket;

    unsigned shift = (bucket >> SUB_BITS) - 1u;
    uint64_t lo = (uint64_t)((bucket & (SUB_COUNT - 1u)) | SUB_COUNT) << shift;
    uint64_t width = UINT64_C(1) << shift;

    return lo + (width - 1) / 2;
}
