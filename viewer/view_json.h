/*
 * view_json.h - the snapshot as one JSON document (routestat-view --json);
 * every field is documented in docs/json-schema.md.
 *
 * A pure function of (snapshot, info, options) writing to a FILE*: no
 * shared memory, so tests feed it a hand-made snapshot.  The snapshot must
 * have passed rs_metrics_validate.  Object keys keep a fixed order;
 * milliseconds carry 3 decimals, percentages 1, and no float noise is
 * printed (values are rounded, then printed with 15 significant digits).
 */
#ifndef RS_VIEW_JSON_H
#define RS_VIEW_JSON_H

#include <stdio.h>

#include "metrics_snapshot.h"
#include "view_model.h"
#include "view_source.h"

/*
 * Writes the document and a newline to f.  Returns 0, -ENOENT when
 * o->node names no node of the snapshot (nothing written), -ENOMEM, or
 * -EIO when f refused the output.
 */
int rs_view_json_write(FILE *f, const struct rs_metrics_snapshot *s,
		       const struct rs_view_info *info, const struct rs_view_options *o);

#endif
