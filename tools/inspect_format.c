/*
 * inspect_format.c - times, ages and sizes as routestat-inspect prints them,
 * the same in text and JSON.  Inputs may come from damaged headers, so every
 * value is formatted without assuming it is sane.
 */
#include "inspect.h"

#include <inttypes.h>
#include <time.h>

void inspect_format_time(char out[INSPECT_TIME_MAX], uint64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / 1000000000u);
	unsigned ms = (unsigned)(unix_ns % 1000000000u / 1000000u);
	struct tm tm;
	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		snprintf(out, INSPECT_TIME_MAX, "invalid");
		return;
	}
	char day[24];
	strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, INSPECT_TIME_MAX, "%s.%03uZ", day, ms);
}

void inspect_format_age(char out[INSPECT_AGE_MAX], uint64_t ns)
{
	uint64_t s = ns / 1000000000u;
	if (s < 60)
		snprintf(out, INSPECT_AGE_MAX, s < 10 ? "%.3f s" : "%.1f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(out, INSPECT_AGE_MAX, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, INSPECT_AGE_MAX, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(out, INSPECT_AGE_MAX, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

void inspect_format_size(char out[INSPECT_AGE_MAX], uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	unsigned u = 0;
	while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, INSPECT_AGE_MAX, "%" PRIu64 " B", bytes);
	else
		snprintf(out, INSPECT_AGE_MAX, "%.1f %s", v, units[u]);
}
