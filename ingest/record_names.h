/*
 * record_names.h - the names a record refers to by dictionary id.
 *
 * A record stores provider, chain, method, profile and circuit reason as u16
 * ids into its ring's dictionary (record.h).  Both sources produce these
 * names and need to put the interned id in the right record field; this is
 * the one place that knows which field that is, and which JSON field name
 * (dashboard-model.md) each came from.  Pure functions, no state.
 */
#ifndef RS_RECORD_NAMES_H
#define RS_RECORD_NAMES_H

#include <stdint.h>

#include "record.h"

enum rs_name_slot {
	RS_NAME_PROVIDER,   /* -> provider */
	RS_NAME_CHAIN,      /* -> chain */
	RS_NAME_METHOD,     /* -> method (decisions) */
	RS_NAME_PROFILE,    /* -> u.decision.profile (decisions) */
	RS_NAME_REASON,     /* -> u.circuit.reason (circuits) */
	RS_NAME_COUNT
};

/* The JSON field the name comes from ("provider_id", "chain", ...). */
const char *rs_name_slot_field(enum rs_name_slot slot);

/* Stores id in the record field of slot. */
void rs_record_set_name(struct rs_record *rec, enum rs_name_slot slot, uint16_t id);

/* Sets every name field the record's kind has to RS_DICT_NONE. */
void rs_record_clear_names(struct rs_record *rec);

#endif
