/*
 * tick_loop.h - the aggregator's io_uring event loop.  It sleeps in
 * io_uring_wait_cqe between events; nothing spins (machine-notes.md).
 *
 * Events: the tick (a multishot IORING_OP_TIMEOUT where the kernel has it,
 * probed at run time by arming it; else a periodic timerfd read through
 * io_uring, whose value also counts missed expirations), SIGINT/SIGTERM read
 * from a signalfd through io_uring, and an optional one-shot "extra drain"
 * timeout that the caller arms when a ring fills faster than a tick.
 */
#ifndef RS_TICK_LOOP_H
#define RS_TICK_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "rs_error.h"

enum rs_tick_source { RS_TICK_AUTO = 0, RS_TICK_MULTISHOT = 1, RS_TICK_TIMERFD = 2 };

struct rs_tick_loop {
	struct io_uring     ring;
	enum rs_tick_source source;        /* the one in use */
	uint64_t            tick_ns;
	int                 timer_fd;
	int                 signal_fd;
	uint64_t            timer_value;   /* read buffer of the timerfd */
	struct __kernel_timespec tick_ts, extra_ts;
	uint8_t             signal_buf[128];
	bool                extra_armed;
	uint64_t            started_ns;
	uint64_t            last_tick_ns;
	uint64_t            ticks_seen;
	uint64_t            missed;        /* ticks that fired late and were merged */
};

enum rs_tick_event { RS_EV_TICK, RS_EV_EXTRA_DRAIN, RS_EV_STOP, RS_EV_NONE };

int  rs_tick_loop_init(struct rs_tick_loop *l, uint64_t tick_ns, enum rs_tick_source want,
		       struct rs_error *err);

/* Blocks until the next event. */
enum rs_tick_event rs_tick_loop_wait(struct rs_tick_loop *l, struct rs_error *err);

/* Arms a one-shot drain after delay_ns unless one is pending. */
void rs_tick_loop_arm_extra(struct rs_tick_loop *l, uint64_t delay_ns);

void rs_tick_loop_close(struct rs_tick_loop *l);

const char *rs_tick_source_name(enum rs_tick_source s);

#endif
