/* metrics_snapshot.c - validation and derived figures of the snapshot payload. */
#include "metrics_snapshot.h"

#include <errno.h>
#include <string.h>

#include "rs_error.h"

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static int check_counts(const struct rs_metrics_snapshot *s, struct rs_error *err)
{
	if (s->schema != RS_METRICS_SCHEMA)
		return rs_error_set(err, -EPROTO, "snapshot schema %u, this build reads %u",
				    s->schema, RS_METRICS_SCHEMA);
	if (s->n_nodes > RS_MAX_NODES || s->n_provider_chains > RS_MAX_PROVIDER_CHAINS ||
	    s->n_routes > RS_MAX_ROUTES || s->n_methods > RS_TOP_METHODS ||
	    s->n_recent > RS_RECENT_DECISIONS || s->n_circuit_events > RS_CIRCUIT_HISTORY)
		return rs_error_set(err, -EPROTO, "snapshot counts out of range (nodes %u, "
				    "providers %u, routes %u, methods %u, recent %u)", s->n_nodes,
				    s->n_provider_chains, s->n_routes, s->n_methods, s->n_recent);
	if (!terminated(s->instance, sizeof s->instance))
		return rs_error_set(err, -EPROTO, "snapshot instance name not terminated");
	return 0;
}

static int check_strings(const struct rs_metrics_snapshot *s, struct rs_error *err)
{
	for (uint32_t i = 0; i < s->n_nodes; i++)
		if (!terminated(s->nodes[i].name, RS_STR))
			return rs_error_set(err, -EPROTO, "snapshot nodes[%u].name not terminated", i);
	for (uint32_t i = 0; i < s->n_provider_chains; i++)
		if (!terminated(s->provider_chains[i].provider, RS_STR) ||
		    !terminated(s->provider_chains[i].chain, RS_STR))
			return rs_error_set(err, -EPROTO, "snapshot provider_chains[%u] name not terminated", i);
	for (uint32_t i = 0; i < s->n_methods; i++)
		if (!terminated(s->methods[i].method, RS_STR))
			return rs_error_set(err, -EPROTO, "snapshot methods[%u] name not terminated", i);
	for (uint32_t i = 0; i < s->n_recent; i++) {
		const struct rs_recent_decision *d = &s->recent[i];
		if (!terminated(d->chain, RS_STR) || !terminated(d->method, RS_STR) ||
		    !terminated(d->provider, RS_STR) || !terminated(d->request_id, sizeof d->request_id))
			return rs_error_set(err, -EPROTO, "snapshot recent[%u] string not terminated", i);
		if (d->node >= s->n_nodes)
			return rs_error_set(err, -EPROTO, "snapshot recent[%u].node %u of %u", i, d->node, s->n_nodes);
	}
	for (uint32_t i = 0; i < s->n_circuit_events; i++) {
		const struct rs_circuit_event *c = &s->circuit_events[i];
		if (!terminated(c->provider, RS_STR) || !terminated(c->reason, RS_STR))
			return rs_error_set(err, -EPROTO, "snapshot circuit_events[%u] string not terminated", i);
		if (c->node >= s->n_nodes || c->transport >= RS_TRANSPORT_COUNT ||
		    c->from_state >= RS_CIRCUIT_COUNT || c->to_state >= RS_CIRCUIT_COUNT)
			return rs_error_set(err, -EPROTO, "snapshot circuit_events[%u] value out of range", i);
	}
	return 0;
}

/* Every node's list within bounds and terminated; nodes the snapshot does not have list nothing. */
static int check_node_methods(const struct rs_metrics_snapshot *s, struct rs_error *err)
{
	for (uint32_t i = 0; i < RS_MAX_NODES; i++) {
		const struct rs_node_methods *nm = &s->node_methods[i];
		if (nm->n > RS_TOP_METHODS)
			return rs_error_set(err, -EPROTO, "snapshot node_methods[%u].n %u, at most %u",
					    i, nm->n, RS_TOP_METHODS);
		if (i >= s->n_nodes && nm->n != 0)
			return rs_error_set(err, -EPROTO, "snapshot node_methods[%u].n %u beyond n_nodes %u",
					    i, nm->n, s->n_nodes);
		for (uint32_t k = 0; k < nm->n; k++)
			if (!terminated(nm->top[k].method, RS_STR))
				return rs_error_set(err, -EPROTO, "snapshot node_methods[%u].top[%u] name "
						    "not terminated", i, k);
	}
	return 0;
}

static int check_routes(const struct rs_metrics_snapshot *s, struct rs_error *err)
{
	for (uint32_t i = 0; i < s->n_routes; i++) {
		const struct rs_route_metrics *r = &s->routes[i];
		if (r->provider_chain >= s->n_provider_chains || r->node >= s->n_nodes)
			return rs_error_set(err, -EPROTO, "snapshot routes[%u] index out of range", i);
	}
	return 0;
}

int rs_metrics_validate(const struct rs_metrics_snapshot *s, struct rs_error *err)
{
	int rc = check_counts(s, err);
	if (rc == 0)
		rc = check_strings(s, err);
	if (rc == 0)
		rc = check_node_methods(s, err);
	if (rc == 0)
		rc = check_routes(s, err);
	return rc;
}

double rs_metric_success_pct(const struct rs_metric_set *m)
{
	if (m->calls == 0)
		return 100.0;
	return 100.0 * (double)(m->calls - m->errors) / (double)m->calls;
}

double rs_metric_avg_ms(const struct rs_metric_set *m)
{
	return m->calls ? (double)m->sum_us / (double)m->calls / 1000.0 : 0.0;
}
