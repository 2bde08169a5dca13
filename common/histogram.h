/*
 * histogram.h - fixed-size log-linear (HDR-style) latency histogram.
 *
 * Purpose: record durations in microseconds with O(1) cost and answer
 * quantile queries (p50 .. p99.9) within 1% relative error, in a plain
 * struct with no pointers so it can live in shared memory and be copied,
 * merged and subtracted (sliding windows) by the rest of routestat.
 * No allocation, no global state, no internal locking: one writer per
 * histogram; whoever shares one across threads/processes synchronises.
 *
 * Bucket scheme (SUB_BITS = 7, i.e. 128 sub-buckets per octave):
 *   - values 0 .. 255 each have their own bucket (exact);
 *   - each octave [2^k, 2^(k+1)) for k = 8 .. 31 is split into 128
 *     buckets of width 2^(k-7).
 *   A bucket is represented by its midpoint (rounded down), so the
 *   representative is within half a width, 2^(k-8), of any value in the
 *   bucket: relative error <= 2^(k-8) / 2^k = 1/256 = 0.39%, a comfortable
 *   margin under the 1% requirement.  64 sub-buckets would give 0.78%,
 *   too close to the limit for the ~6.5 KB it saves; 128 keeps the whole
 *   struct at 24 + 3328 * 4 = 13336 bytes (< 14 KB), so 128 it is.
 *   The top octave ends at 2^32 - 1 us (~71.6 min), covering the 1 h goal.
 *
 * Invariants:
 *   - count == sum of buckets[] (as long as no bucket wraps, see below);
 *   - values above RS_HIST_MAX_US are clamped to it: they land in the top
 *     bucket, add RS_HIST_MAX_US to sum_us and are counted in overflow.
 *
 * Limits / how it fails:
 *   - a bucket holds at most 2^32 - 1 values; histograms are meant for
 *     bounded windows, and exceeding that wraps the bucket silently
 *     (checking would cost a branch per record);
 *   - sum_us wraps after ~2^32 values at the maximum: same reasoning;
 *   - rs_hist_subtract() aborts the process (message on stderr) if src is
 *     not contained in dst: the caller's window bookkeeping is broken and
 *     every later quantile would be wrong, so failing loudly is better.
 *
 * Quantile definition (nearest rank, as the original dashboard): for n
 * values sorted ascending, the q-quantile is the value of 1-based rank
 * ceil(q * n), clamped to [1, n]; q = 0 gives the minimum's bucket, q = 1
 * the maximum's.  The reported value is the representative of the bucket
 * holding that value.  To keep ceil() exact (0.99 * 100 must give rank 99,
 * not 100) q is first rounded to a whole number of parts per billion and
 * the rank is then computed with integer arithmetic only; q < 0 (or NaN)
 * is treated as 0 and q > 1 as 1.
 */
#ifndef RS_HISTOGRAM_H
#define RS_HISTOGRAM_H

#include <stdint.h>

#define RS_HIST_BUCKETS 3328u                  /* 256 exact + 24 octaves * 128 */
#define RS_HIST_MAX_US  UINT64_C(4294967295)   /* 2^32 - 1 us, ~71.6 min */

struct rs_hist {
    uint64_t count;      /* values recorded (exact) */
    uint64_t sum_us;     /* sum of recorded values (clamped values add RS_HIST_MAX_US) */
    uint64_t overflow;   /* values above RS_HIST_MAX_US, clamped */
    uint32_t buckets[RS_HIST_BUCKETS];
};

void     rs_hist_reset(struct rs_hist *h);
void     rs_hist_record(struct rs_hist *h, uint64_t value_us);            /* O(1) */
void     rs_hist_record_n(struct rs_hist *h, uint64_t value_us, uint32_t n);
void     rs_hist_merge(struct rs_hist *dst, const struct rs_hist *src);  /* dst += src */
/* dst -= src; src must be a subset previously merged into dst (sliding
 * windows); aborts if any counter of src exceeds dst's. */
void     rs_hist_subtract(struct rs_hist *dst, const struct rs_hist *src);
uint64_t rs_hist_quantile(const struct rs_hist *h, double q);   /* q in [0,1]; 0 for an empty histogram */
double   rs_hist_mean(const struct rs_hist *h);                 /* sum/count, 0 when empty */
/* Bucket index of a value; values above RS_HIST_MAX_US give the top bucket. */
uint32_t rs_hist_bucket_of(uint64_t value_us);                  /* exposed for tests */
/* Representative value: the exact value below 256, else the bucket's
 * midpoint rounded down; out-of-range buckets are clamped to the top one. */
uint64_t rs_hist_bucket_value(uint32_t bucket);

#endif /* RS_HISTOGRAM_H */
