/*
 * sources.h - the event sources of routestat-ingest, one file each.
 *
 * A source reads or makes events until its input ends, a --count or
 * --duration limit is reached or a stop is requested (rs_ingest_stop_requested),
 * pushing through rs_ingest_push and flushing after each batch and at least
 * every 100 ms while idle.  It returns 0, or a negative errno with err->msg
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

/* JSON lines from cfg->file ("-" = stdin), validated by decision_parse.h. */
int rs_source_jsonl_run(struct rs_ingest *g, const struct rs_ingest_config *cfg,
			struct rs_error *err);

#endif
