/*
 * rs_clock.h - the two clocks routestat uses.
 *
 * Heartbeats use CLOCK_MONOTONIC: it is shared by every process of the machine
 * and never jumps, so an age computed by a reader in another process is
 * meaningful.  Event times use CLOCK_REALTIME (Unix time), because events carry
 * wall-clock timestamps from the proxy.  clock_gettime costs ~22 ns here (vDSO).
 */
#ifndef RS_CLOCK_H
#define RS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t rs_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t rs_mono_ns(void) { return rs_clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t rs_unix_ns(void) { return rs_clock_ns(CLOCK_REALTIME); }

#endif
