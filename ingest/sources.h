/*
 * sources.h - the event sources of routestat-ingest, one file each.
 *
 * A source reads or makes events until its input ends, a --count or
 * --duration limit is reached or a stop is requested (rs_ingest_stop_requested),
 * pushing through rs_ingest_push (or rs_ingest_line) and flushing after each
 * batch and at least every 100 ms while idle.  It returns 0, or a negative errno with err->msg
 * holding "action: message" for main to print.
 */
#ifndef RS_INGEST_SOURCES_H
#define RS_INGEST_SOURCES_H

#include "ingest.h"
#include "options.h"
#include "rs_error.h"

/* Generated traffic (traffic_model.h), paced at cfg->rate events/s. */
int rs_source_synthetic_run(struct rs_ingest *g, const struct rs_ingest_config *cfg,
			    struct rs_error *err);

/* JSON lines from cfg->file ("-" = stdin), validated by decision_parse.h; --follow like tail -F. */
int rs_source_jsonl_run(struct rs_ingest *g, const struct rs_ingest_config *cfg,
			struct rs_error *err);

/*
 * JSON lines in datagrams on a unix (cfg->file = PATH) or udp (HOST:PORT)
 * socket, received through io_uring (source_dgram.c).  Three steps, so that
 * a socket that cannot be had (address in use, not loopback, not a socket)
 * is reported before any ring is created: open (binds; *d is set even on
 * failure, for close), run, close (removes the unix socket file).
 */
struct rs_dgram_source;
int  rs_source_dgram_open(struct rs_dgram_source **d, const struct rs_ingest_config *cfg,
			  struct rs_error *err);
int  rs_source_dgram_run(struct rs_dgram_source *d, struct rs_ingest *g, struct rs_error *err);
void rs_source_dgram_close(struct rs_dgram_source *d);

#endif
