/*
 * inspect_main.c - routestat-inspect: what is in routestat's shared memory,
 * like `varnishstat -1` or Aeron's AeronStat.
 *
 *   routestat-inspect [--instance NAME] [--json] [--dict] [--watch SECONDS]
 *
 * Lists every /routestat.<instance>.<part> object (or one instance's) with
 * its header, ring counters or snapshot freshness; reports a damaged object
 * with the reader library's message and keeps going.  Read-only: objects are
 * mapped PROT_READ, so inspecting can never disturb the pipeline.
 *
 * This file is the loop and the exit status only; inspect.h lists the rest.
 */
#include "inspect.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * In --watch mode, SIGINT/SIGTERM end the loop after the current report.
 * They are unblocked too: a blocked mask survives exec from a parent.
 */
static void install_stop_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;  /* no SA_RESTART: the sleep returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t stop_set;
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &stop_set, NULL);
}

static int exit_status(const struct inspect_report *rep, const struct inspect_options *o)
{
	if (rep->n == 0 && o->instance != NULL)
		return INSPECT_EXIT_NO_OBJECTS;
	return rep->n_damaged ? INSPECT_EXIT_DAMAGED : INSPECT_EXIT_OK;
}

static void render(const struct inspect_report *rep, const struct inspect_options *o)
{
	if (o->json) {
		if (inspect_render_json(stdout, rep, o->dict, o->watch_s > 0) < 0)
			fprintf(stderr, INSPECT_PROG ": cannot write the JSON document\n");
		return;
	}
	if (o->watch_s > 0) {
		char when[INSPECT_TIME_MAX];
		inspect_format_time(when, rep->unix_ns);
		printf("== %s ==\n", when);
	}
	inspect_render_text(stdout, rep, o->dict);
}

/* One report: collect, render, then the error lines on stderr. */
static int report_once(const struct inspect_options *o)
{
	struct inspect_report rep;
	int rc = inspect_collect(&rep, o->instance, o->dict);
	if (rc < 0) {
		fprintf(stderr, INSPECT_PROG ": list objects in /dev/shm: %s\n", strerror(-rc));
		return INSPECT_EXIT_DAMAGED;
	}
	render(&rep, o);
	fflush(stdout);
	for (size_t i = 0; i < rep.n; i++)
		if (rep.objects[i].damaged)
			fprintf(stderr, INSPECT_PROG ": %s\n", rep.objects[i].error);
	int status = exit_status(&rep, o);
	if (status == INSPECT_EXIT_NO_OBJECTS)
		fprintf(stderr, INSPECT_PROG ": instance '%s' has no objects\n", o->instance);
	inspect_report_free(&rep);
	return status;
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (!stop_requested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct inspect_options o;
	int rc = inspect_options_parse(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? INSPECT_EXIT_OK : INSPECT_EXIT_USAGE;
	if (o.watch_s <= 0)
		return report_once(&o);
	install_stop_handlers();
	int status = INSPECT_EXIT_OK;
	while (!stop_requested) {
		status = report_once(&o);
		if (!o.json)
			putchar('\n');
		sleep_seconds(o.watch_s);
	}
	return status;
}
