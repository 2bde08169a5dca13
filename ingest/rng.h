/*
 * rng.h - the synthetic source's seeded pseudo-random numbers.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64: fast, 256
 * bits of state, and the same seed gives the same sequence on every run and
 * machine with the same libm.  Not for anything secret.  One generator per
 * traffic model; no globals, no locking.
 */
#ifndef RS_RNG_H
#define RS_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rs_rng {
	uint64_t s[4];
	double   spare;        /* second normal deviate of the polar method */
	bool     has_spare;
};

/* Seeds the generator; any seed (0 too) is fine. */
void rs_rng_seed(struct rs_rng *r, uint64_t seed);

static inline uint64_t rs_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rs_rng_next(struct rs_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rs_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rs_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1), 53 bits. */
static inline double rs_rng_uniform(struct rs_rng *r)
{
	return (double)(rs_rng_next(r) >> 11) * 0x1p-53;
}

/* Uniform in [0, n) for n >= 1 (multiply-shift; the bias is below 2^-32). */
static inline uint32_t rs_rng_below(struct rs_rng *r, uint32_t n)
{
	return (uint32_t)(((rs_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* True with probability p. */
static inline bool rs_rng_chance(struct rs_rng *r, double p)
{
	return rs_rng_uniform(r) < p;
}

/* Standard normal deviate (Marsaglia's polar method). */
double rs_rng_normal(struct rs_rng *r);

/* Log-normal deviate with the given median and sigma (of the underlying normal). */
double rs_rng_lognormal(struct rs_rng *r, double median, double sigma);

/* 64-bit FNV-1a of a string: turns names (a node) into seeds. */
uint64_t rs_rng_hash(const char *s);

#endif
