/*
 * main.c - routestat-ingest: feeds one proxy node's ring from a source.
 *
 * Parses the command line (options.c), installs the stop signals, binds the
 * socket of a datagram source (before the ring, so that an address that
 * cannot be had leaves no ring behind), opens the node's ring as its
 * producer, runs the chosen source until its input ends, a limit is reached
 * or SIGINT/SIGTERM arrives, then flushes, detaches and prints the summary
 * line.  Exit status: 0 done (also after a signal), 1 error
 * ("routestat-ingest: action: message" on stderr), 2 usage error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "options.h"
#include "rs_error.h"
#include "sources.h"

static void on_stop_signal(int sig)
{
	(void)sig;
	rs_ingest_request_stop();
}

/* No SA_RESTART: a signal ends the current sleep, poll or read at once. */
static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int run_source(struct rs_ingest *g, const struct rs_ingest_config *cfg,
		      struct rs_dgram_source *dgram, struct rs_error *err)
{
	switch (cfg->source) {
	case RS_SOURCE_JSONL:
		return rs_source_jsonl_run(g, cfg, err);
	case RS_SOURCE_UNIX:
	case RS_SOURCE_UDP:
		return rs_source_dgram_run(dgram, g, err);
	default:
		return rs_source_synthetic_run(g, cfg, err);
	}
}

int main(int argc, char **argv)
{
	struct rs_ingest_config cfg;
	int rc = rs_ingest_options_parse(&cfg, argc, argv);
	if (rc == RS_OPTIONS_HELP)
		return 0;
	if (rc != RS_OPTIONS_RUN)
		return 2;
	install_signals();

	struct rs_ingest g;
	struct rs_error err;
	rs_error_clear(&err);
	struct rs_dgram_source *dgram = NULL;   /* its socket first: a bad address makes no ring */
	if ((cfg.source == RS_SOURCE_UNIX || cfg.source == RS_SOURCE_UDP) &&
	    rs_source_dgram_open(&dgram, &cfg, &err) < 0) {
		rs_source_dgram_close(dgram);
		fprintf(stderr, "routestat-ingest: %s\n", err.msg);
		return 1;
	}
	if (rs_ingest_open(&g, &cfg, &err) < 0) {
		rs_source_dgram_close(dgram);
		fprintf(stderr, "routestat-ingest: open ring: %s\n", err.msg);
		return 1;
	}
	rc = run_source(&g, &cfg, dgram, &err);
	rs_source_dgram_close(dgram);
	rs_ingest_close(&g);
	if (rc < 0)
		fprintf(stderr, "routestat-ingest: %s\n", err.msg);
	rs_ingest_print_summary(&g);
	return rc < 0 ? 1 : 0;
}
