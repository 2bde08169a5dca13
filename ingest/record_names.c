/* record_names.c - name slot -> record field and JSON field (record_names.h). */
#include "record_names.h"

#include "shm_abi.h"

static const char *const slot_fields[RS_NAME_COUNT] = {
	[RS_NAME_PROVIDER] = "provider_id",
	[RS_NAME_CHAIN]    = "chain",
	[RS_NAME_METHOD]   = "method",
	[RS_NAME_PROFILE]  = "profile",
	[RS_NAME_REASON]   = "reason",
};

const char *rs_name_slot_field(enum rs_name_slot slot)
{
	return (unsigned)slot < RS_NAME_COUNT ? slot_fields[slot] : "?";
}

void rs_record_set_name(struct rs_record *rec, enum rs_name_slot slot, uint16_t id)
{
	switch (slot) {
	case RS_NAME_PROVIDER: rec->provider = id; break;
	case RS_NAME_CHAIN:    rec->chain = id; break;
	case RS_NAME_METHOD:   rec->method = id; break;
	case RS_NAME_PROFILE:  rec->u.decision.profile = id; break;
	case RS_NAME_REASON:   rec->u.circuit.reason = id; break;
	case RS_NAME_COUNT:    break;
	}
}

void rs_record_clear_names(struct rs_record *rec)
{
	rec->provider = RS_DICT_NONE;
	rec->chain = RS_DICT_NONE;
	rec->method = RS_DICT_NONE;
	if (rec->kind == RS_REC_DECISION)
		rec->u.decision.profile = RS_DICT_NONE;
	else if (rec->kind == RS_REC_CIRCUIT)
		rec->u.circuit.reason = RS_DICT_NONE;
}
