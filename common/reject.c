/* reject.c - names of the rejection reasons counted in each ring (shm_abi.h). */
#include "shm_abi.h"

static const char *const reason_names[RS_REJECT_COUNT] = {
	[RS_REJECT_PARSE]     = "parse",
	[RS_REJECT_MISSING]   = "missing_field",
	[RS_REJECT_TYPE]      = "bad_type",
	[RS_REJECT_RANGE]     = "out_of_range",
	[RS_REJECT_ENUM]      = "bad_enum",
	[RS_REJECT_TOO_LONG]  = "too_long",
	[RS_REJECT_DICT_FULL] = "dictionary_full",
	[RS_REJECT_ENCODING]  = "bad_encoding",
};

const char *rs_reject_reason_name(unsigned reason)
{
	return reason < RS_REJECT_COUNT ? reason_names[reason] : "unknown";
}
