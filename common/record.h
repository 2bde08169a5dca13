/*
 * record.h - the fixed-size record an ingest process writes into its ring.
 *
 * One 64-byte record (one cache line) per event.  Three kinds share the
 * layout: routing decisions, circuit-breaker transitions and block heights
 * (dashboard-model.md).  Strings are never stored here: provider, chain,
 * method, profile and circuit reason are ids into the ring's dictionary
 * (dict.h), enums are small integers whose names are in record.c.
 *
 *   offset  size  field
 *        0     1  kind              enum rs_record_kind
 *        1     1  flags             RS_RECF_*
 *        2     2  provider          dictionary id
 *        4     2  chain             dictionary id
 *        6     2  method            dictionary id (decisions; RS_DICT_NONE otherwise)
 *        8     8  emit_unix_ms      event time from the proxy (ms since the epoch)
 *       16     8  arrival_unix_ns   when ingest accepted it (ns since the epoch)
 *       24    40  u                 kind-specific part:
 *   decision: 24 id_hi, 32 id_lo (128-bit request id), 40 duration_us (u32),
 *             44 profile (u16), 46 strategy, 47 transport, 48 result,
 *             49 origin, 50 failover_count, 51..63 zero
 *   circuit:  24 transport, 25 from_state, 26 to_state, 28 reason (u16)
 *   block:    24 height (u64)
 *
 * This layout is part of the shared-memory ABI (shm_abi.h): changing it
 * needs an ABI major bump.
 */
#ifndef RS_RECORD_H
#define RS_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum rs_record_kind {
	RS_REC_DECISION = 1,
	RS_REC_CIRCUIT  = 2,
	RS_REC_BLOCK    = 3,
};

/* The request id was not 32 hex digits and was hashed to 128 bits. */
#define RS_RECF_ID_HASHED 0x01u

enum rs_strategy {
	RS_STRATEGY_FASTEST, RS_STRATEGY_CHEAPEST, RS_STRATEGY_PRIORITY,
	RS_STRATEGY_ROUND_ROBIN, RS_STRATEGY_LATENCY_WEIGHTED, RS_STRATEGY_COUNT
};
enum rs_transport { RS_TRANSPORT_HTTP, RS_TRANSPORT_WS, RS_TRANSPORT_COUNT };
enum rs_result    { RS_RESULT_SUCCESS, RS_RESULT_ERROR, RS_RESULT_COUNT };
enum rs_origin    { RS_ORIGIN_CLIENT, RS_ORIGIN_SYSTEM, RS_ORIGIN_COUNT };
enum rs_circuit   { RS_CIRCUIT_CLOSED, RS_CIRCUIT_HALF_OPEN, RS_CIRCUIT_OPEN, RS_CIRCUIT_COUNT };

#define RS_FAILOVER_MAX 16u

struct rs_decision {
	uint64_t id_hi;
	uint64_t id_lo;
	uint32_t duration_us;
	uint16_t profile;
	uint8_t  strategy;
	uint8_t  transport;
	uint8_t  result;
	uint8_t  origin;
	uint8_t  failover_count;
	uint8_t  reserved[13];
};

struct rs_circuit_change {
	uint8_t  transport;
	uint8_t  from_state;
	uint8_t  to_state;
	uint8_t  reserved0;
	uint16_t reason;
	uint8_t  reserved[34];
};

struct rs_block_height {
	uint64_t height;
	uint8_t  reserved[32];
};

struct rs_record {
	uint8_t  kind;
	uint8_t  flags;
	uint16_t provider;
	uint16_t chain;
	uint16_t method;
	uint64_t emit_unix_ms;
	uint64_t arrival_unix_ns;
	union {
		struct rs_decision       decision;
		struct rs_circuit_change circuit;
		struct rs_block_height   block;
	} u;
};

_Static_assert(sizeof(struct rs_record) == 64, "a record is one cache line");
_Static_assert(offsetof(struct rs_record, emit_unix_ms) == 8, "record layout");
_Static_assert(offsetof(struct rs_record, arrival_unix_ns) == 16, "record layout");
_Static_assert(offsetof(struct rs_record, u.decision.id_hi) == 24, "record layout");
_Static_assert(offsetof(struct rs_record, u.decision.duration_us) == 40, "record layout");
_Static_assert(offsetof(struct rs_record, u.decision.profile) == 44, "record layout");
_Static_assert(offsetof(struct rs_record, u.decision.failover_count) == 50, "record layout");
_Static_assert(offsetof(struct rs_record, u.circuit.reason) == 28, "record layout");
_Static_assert(offsetof(struct rs_record, u.block.height) == 24, "record layout");

/* Names as they appear in JSON input and output; NULL for an out-of-range value. */
const char *rs_strategy_name(unsigned v);
const char *rs_transport_name(unsigned v);
const char *rs_result_name(unsigned v);
const char *rs_origin_name(unsigned v);
const char *rs_circuit_name(unsigned v);
const char *rs_record_kind_name(unsigned v);

/* Parses a name back to its enum value; -1 when the name is not one of them. */
int rs_strategy_parse(const char *s);
int rs_transport_parse(const char *s);
int rs_result_parse(const char *s);
int rs_origin_parse(const char *s);
int rs_circuit_parse(const char *s);

/*
 * Request ids: 32 hex digits (16 random bytes, the proxy's format) are packed
 * losslessly; anything else is hashed to 128 bits and flagged RS_RECF_ID_HASHED.
 * Returns the flags to store.
 */
uint8_t rs_request_id_pack(const char *s, size_t len, uint64_t *hi, uint64_t *lo);

/* Formats a packed id back to 32 lowercase hex digits plus NUL (33 bytes). */
void rs_request_id_format(uint64_t hi, uint64_t lo, char out[33]);

#endif
