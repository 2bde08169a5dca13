/* tick_loop.c - the io_uring loop of tick_loop.h. */
#include "tick_loop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "rs_clock.h"

/* liburing 2.3 predates the flag; kernels >= 6.4 accept it, older ones say -EINVAL. */
#ifndef IORING_TIMEOUT_MULTISHOT
#define IORING_TIMEOUT_MULTISHOT (1U << 6)
#endif

enum { TAG_TICK = 1, TAG_SIGNAL = 2, TAG_EXTRA = 3, TAG_TIMER_READ = 4 };

const char *rs_tick_source_name(enum rs_tick_source s)
{
	switch (s) {
	case RS_TICK_MULTISHOT: return "multishot";
	case RS_TICK_TIMERFD: return "timerfd";
	default: return "auto";
	}
}

static struct io_uring_sqe *get_sqe(struct rs_tick_loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	if (sqe == NULL) {   /* the ring is sized for our few requests; flush and retry */
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

static void ns_to_ts(struct __kernel_timespec *ts, uint64_t ns)
{
	ts->tv_sec = (long long)(ns / 1000000000u);
	ts->tv_nsec = (long long)(ns % 1000000000u);
}

static void arm_multishot(struct rs_tick_loop *l)
{
	struct io_uring_sqe *sqe = get_sqe(l);
	/* count = 0: a timeout with a count would also fire after that many other completions. */
	io_uring_prep_timeout(sqe, &l->tick_ts, 0, IORING_TIMEOUT_MULTISHOT);
	io_uring_sqe_set_data64(sqe, TAG_TICK);
}

static void arm_timer_read(struct rs_tick_loop *l)
{
	struct io_uring_sqe *sqe = get_sqe(l);
	io_uring_prep_read(sqe, l->timer_fd, &l->timer_value, sizeof l->timer_value, 0);
	io_uring_sqe_set_data64(sqe, TAG_TIMER_READ);
}

static void arm_signal_read(struct rs_tick_loop *l)
{
	struct io_uring_sqe *sqe = get_sqe(l);
	io_uring_prep_read(sqe, l->signal_fd, l->signal_buf, sizeof(struct signalfd_siginfo), 0);
	io_uring_sqe_set_data64(sqe, TAG_SIGNAL);
}

static int start_timerfd(struct rs_tick_loop *l, struct rs_error *err)
{
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (l->timer_fd < 0)
		return rs_error_set(err, -errno, "timerfd_create: %s", strerror(errno));
	struct itimerspec its = {
		.it_interval = { (time_t)(l->tick_ns / 1000000000u), (long)(l->tick_ns % 1000000000u) },
		.it_value = { (time_t)(l->tick_ns / 1000000000u), (long)(l->tick_ns % 1000000000u) },
	};
	if (timerfd_settime(l->timer_fd, 0, &its, NULL) < 0)
		return rs_error_set(err, -errno, "timerfd_settime: %s", strerror(errno));
	l->source = RS_TICK_TIMERFD;
	arm_timer_read(l);
	return 0;
}

static int start_signals(struct rs_tick_loop *l, struct rs_error *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return rs_error_set(err, -errno, "sigprocmask: %s", strerror(errno));
	l->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (l->signal_fd < 0)
		return rs_error_set(err, -errno, "signalfd: %s", strerror(errno));
	arm_signal_read(l);
	return 0;
}

int rs_tick_loop_init(struct rs_tick_loop *l, uint64_t tick_ns, enum rs_tick_source want,
		      struct rs_error *err)
{
	memset(l, 0, sizeof *l);
	l->timer_fd = l->signal_fd = -1;
	l->tick_ns = tick_ns;
	ns_to_ts(&l->tick_ts, tick_ns);
	int rc = io_uring_queue_init(8, &l->ring, 0);
	if (rc < 0)
		return rs_error_set(err, rc, "io_uring_queue_init: %s", strerror(-rc));
	rc = start_signals(l, err);
	if (rc < 0)
		return rc;
	l->started_ns = rs_mono_ns();
	if (want == RS_TICK_TIMERFD)
		return start_timerfd(l, err);
	/* Multishot is confirmed (or refused) by its first completion in wait(). */
	l->source = RS_TICK_MULTISHOT;
	arm_multishot(l);
	return 0;
}

void rs_tick_loop_arm_extra(struct rs_tick_loop *l, uint64_t delay_ns)
{
	if (l->extra_armed)
		return;
	ns_to_ts(&l->extra_ts, delay_ns);
	struct io_uring_sqe *sqe = get_sqe(l);
	io_uring_prep_timeout(sqe, &l->extra_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, TAG_EXTRA);
	l->extra_armed = true;
}

/*
 * Multishot timeouts re-arm from their last firing, so the schedule drifts a
 * little; a tick is counted missed when the gap since the previous one holds
 * one or more whole extra periods (the loop was busy).
 */
static void count_missed_by_gap(struct rs_tick_loop *l)
{
	uint64_t now = rs_mono_ns();
	if (l->last_tick_ns != 0) {
		uint64_t periods = (now - l->last_tick_ns + l->tick_ns / 2) / l->tick_ns;
		if (periods > 1)
			l->missed += periods - 1;
	}
	l->last_tick_ns = now;
}

static enum rs_tick_event on_tick_cqe(struct rs_tick_loop *l, struct io_uring_cqe *cqe,
				      struct rs_error *err)
{
	if (cqe->res == -EINVAL && l->ticks_seen == 0) {
		/* This kernel has no multishot timeouts: fall back to a timerfd. */
		if (start_timerfd(l, err) < 0)
			return RS_EV_STOP;
		return RS_EV_NONE;
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		arm_multishot(l);  /* the kernel ended the multishot (e.g. overflow): re-arm */
	l->ticks_seen++;
	count_missed_by_gap(l);
	return RS_EV_TICK;
}

static enum rs_tick_event on_timer_cqe(struct rs_tick_loop *l, struct io_uring_cqe *cqe)
{
	if (cqe->res == (int)sizeof l->timer_value && l->timer_value > 1)
		l->missed += l->timer_value - 1;
	arm_timer_read(l);
	l->ticks_seen++;
	return RS_EV_TICK;
}

static enum rs_tick_event dispatch(struct rs_tick_loop *l, struct io_uring_cqe *cqe, struct rs_error *err)
{
	switch (io_uring_cqe_get_data64(cqe)) {
	case TAG_TICK:
		return on_tick_cqe(l, cqe, err);
	case TAG_TIMER_READ:
		return on_timer_cqe(l, cqe);
	case TAG_EXTRA:
		l->extra_armed = false;
		return RS_EV_EXTRA_DRAIN;
	case TAG_SIGNAL:
		return RS_EV_STOP;
	default:
		return RS_EV_NONE;
	}
}

enum rs_tick_event rs_tick_loop_wait(struct rs_tick_loop *l, struct rs_error *err)
{
	for (;;) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_submit_and_wait(&l->ring, 1);
		if (rc == -EINTR)
			continue;
		rc = io_uring_peek_cqe(&l->ring, &cqe);
		if (rc == -EAGAIN)
			continue;
		if (rc < 0) {
			rs_error_set(err, rc, "io_uring wait: %s", strerror(-rc));
			return RS_EV_STOP;
		}
		enum rs_tick_event ev = dispatch(l, cqe, err);
		io_uring_cqe_seen(&l->ring, cqe);
		if (ev != RS_EV_NONE)
			return ev;
	}
}

void rs_tick_loop_close(struct rs_tick_loop *l)
{
	io_uring_queue_exit(&l->ring);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	if (l->signal_fd >= 0)
		close(l->signal_fd);
}
