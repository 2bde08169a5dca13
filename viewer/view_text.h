/*
 * view_text.h - the snapshot as aligned text tables (routestat-view --once):
 * header, headline, provider leaderboard, nodes, top methods, recent
 * decisions, the aggregator's own metrics.
 *
 * A pure function of (snapshot, info, options) writing to a FILE*: no
 * shared memory, no terminal, so tests feed it a hand-made snapshot.  The
 * snapshot must have passed rs_metrics_validate.  Each table sizes its
 * columns to its widest cell: every line of a table has the same length and
 * the same column starts (numbers right-aligned, names left-aligned).
 */
#ifndef RS_VIEW_TEXT_H
#define RS_VIEW_TEXT_H

#include <stdio.h>

#include "metrics_snapshot.h"
#include "view_model.h"
#include "view_source.h"

/* A duration in ms for prose, into buf: "120 ms" below a second, "4.2 s" above. */
const char *rs_view_fmt_age(char *buf, size_t n, uint64_t age_ms);

/*
 * Writes the report to f.  Returns 0, -ENOENT when o->node names no node of
 * the snapshot (nothing written), -ENOMEM, or -EIO when f refused output.
 */
int rs_view_text_write(FILE *f, const struct rs_metrics_snapshot *s,
		       const struct rs_view_info *info, const struct rs_view_options *o);

#endif
