/*
 * view_source.c - the viewers' snapshot reader (view_source.h): attach
 * read-only, copy, validate, report freshness; a sleeping poll loop for
 * callers that wait for an aggregator to appear.
 */
#include "view_source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <ck_pr.h>

#include "rs_clock.h"
#include "shm_object.h"

#define NS_PER_MS 1000000u

void rs_view_source_init(struct rs_view_source *src, const char *instance,
			 uint64_t stale_after_ms)
{
	memset(src, 0, sizeof *src);
	src->stale_after_ms = stale_after_ms;
	snprintf(src->instance, sizeof src->instance, "%s", instance);
}

int rs_view_source_open(struct rs_view_source *src, struct rs_error *err)
{
	if (src->opened)
		return 0;
	/* rs_snapshot_open_reader keeps the thresholds set before it. */
	memset(&src->reader, 0, sizeof src->reader);
	src->reader.stale_after_ns = src->stale_after_ms * NS_PER_MS;
	int rc = rs_snapshot_open_reader(&src->reader, src->instance, RS_METRICS_SCHEMA,
					 (uint32_t)sizeof(struct rs_metrics_snapshot), err);
	if (rc == 0) {
		src->opened = true;
		src->reader.skip_unchanged = src->skip_unchanged;
	}
	return rc;
}

void rs_view_source_close(struct rs_view_source *src)
{
	if (src->opened)
		rs_snapshot_close_reader(&src->reader);
	src->opened = false;
}

int rs_view_snapshot_check(const struct rs_metrics_snapshot *s, struct rs_error *err)
{
	return rs_metrics_validate(s, err);
}

bool rs_view_status_ok(enum rs_snapshot_status status)
{
	return status == RS_SNAPSHOT_FRESH || status == RS_SNAPSHOT_RESTARTED;
}

static void info_from(struct rs_view_info *info, const struct rs_snapshot_info *si)
{
	*info = (struct rs_view_info){
		.status = si->status,
		.generation = si->generation,
		.published_unix_ms = si->published_unix_ns / NS_PER_MS,
		.published_mono_ms = si->published_mono_ns / NS_PER_MS,
		.age_ms = si->age_ns / NS_PER_MS,
		.heartbeat_age_ms = si->heartbeat_age_ns / NS_PER_MS,
		.writer_pid = si->writer_pid,
		.writer_alive = si->writer_alive,
		.unchanged = si->unchanged,
	};
}

int rs_view_source_read(struct rs_view_source *src, struct rs_metrics_snapshot *dst,
			struct rs_view_info *info, struct rs_error *err)
{
	memset(info, 0, sizeof *info);
	int rc = rs_view_source_open(src, err);
	if (rc < 0)
		return rc;
	struct rs_snapshot_info si;
	rc = rs_snapshot_read(&src->reader, dst, &si, err);
	info_from(info, &si);
	/* A clean shutdown retires the object (rs_snapshot_close_writer); a crash does not. */
	info->stopped = ck_pr_load_32(&rs_shm_header_of(&src->reader.map)->state) == RS_SHM_RETIRED;
	if (rc < 0 || info->unchanged)
		return rc;  /* an unchanged generation was validated when it was copied */
	return rs_view_snapshot_check(dst, err);
}

static uint64_t mono_ms(void)
{
	return rs_mono_ns() / NS_PER_MS;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000u),
			       .tv_nsec = (long)(ms % 1000u) * (long)NS_PER_MS };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool worth_waiting(int rc)
{
	return rc == -ENOENT || rc == -ENODATA || rc == -EAGAIN;
}

int rs_view_source_wait(struct rs_view_source *src, struct rs_metrics_snapshot *dst,
			struct rs_view_info *info, uint64_t timeout_ms, struct rs_error *err)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	for (;;) {
		int rc = rs_view_source_read(src, dst, info, err);
		if (!worth_waiting(rc))
			return rc;
		uint64_t now = mono_ms();
		if (now >= deadline) {
			char why[RS_ERROR_MSG_MAX];
			snprintf(why, sizeof why, "%s", err ? err->msg : "");
			return rs_error_set(err, -ETIMEDOUT, "no snapshot after %.1f s: %s",
					    (double)timeout_ms / 1000.0, why);
		}
		uint64_t left = deadline - now;
		sleep_ms(left < RS_VIEW_POLL_MS ? left : RS_VIEW_POLL_MS);
	}
}
