/*
 * test_support.h - what every multi-process test needs: a unique instance
 * name (tests run in parallel), removal of that instance's shared-memory
 * objects even when a test fails (call rs_test_cleanup from a Criterion
 * .fini, which runs after a failed assertion too), and bounded waits for
 * children (no test sleeps to synchronise; waits poll a condition with a
 * deadline).
 */
#ifndef RS_TEST_SUPPORT_H
#define RS_TEST_SUPPORT_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shm_object.h"

static char rs_test_instance[RS_NAME_MAX + 1];

/* A name unique to this process and call: "t<pid>_<tag>_<n>". */
static inline const char *rs_test_new_instance(const char *tag)
{
	static unsigned n;
	snprintf(rs_test_instance, sizeof rs_test_instance, "t%d_%.12s_%u", (int)getpid(), tag, n++);
	return rs_test_instance;
}

static inline void rs_test_remove_one(const char *name, void *arg)
{
	(void)arg;
	rs_shm_remove(name);
}

/* Removes every object of the current test instance. */
static inline void rs_test_cleanup(void)
{
	if (rs_test_instance[0] != '\0')
		rs_shm_list(rs_test_instance, rs_test_remove_one, NULL);
}

static inline double rs_test_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for pid up to timeout_s; kills it (SIGKILL) if it overstays. Returns the wait status or -1. */
static inline int rs_test_wait(pid_t pid, double timeout_s)
{
	double deadline = rs_test_now() + timeout_s;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (rs_test_now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* True when the child exited normally with status 0. */
static inline bool rs_test_exited_ok(int status)
{
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#endif
