/*
 * shm_abi.h - the shared-memory ABI: every byte that crosses a process.
 *
 * Objects are POSIX shm objects named /routestat.<instance>.<part>, with
 * <part> "ring.<node>" (one per ingest node) or "snapshot" (the aggregator's).
 * Each starts with the same 128-byte header; a kind-specific layout block
 * follows at offset 128 and gives the parameters from which every other
 * offset is computed.  An attacher recomputes the whole layout from those
 * parameters and checks it against the header and the real object size
 * before touching anything else (shm_object.c).
 *
 * Common header (offset: size field — who writes it):
 *     0: 8  magic            "RSTATSHM"              creator, before READY
 *     8: 2  abi_major        RS_ABI_MAJOR            creator, before READY
 *    10: 2  abi_minor        RS_ABI_MINOR            creator, before READY
 *    12: 4  kind             enum rs_shm_kind        creator, before READY
 *    16: 4  header_size      128                     creator, before READY
 *    20: 4  state            CREATING->READY->RETIRED creator (release store)
 *    24: 8  total_size       bytes of the object     creator, before READY
 *    32: 8  incarnation      random, new per creation creator, before READY
 *    40: 8  created_unix_ns                           creator, before READY
 *    48: 4  creator_pid                               creator, before READY
 *    52: 4  layout_size      bytes of the layout block creator, before READY
 *    56:72  reserved (zero)
 *
 * Ring object (kind RS_SHM_RING), all offsets multiples of 128 so that the
 * producer's and consumer's lines never share a (prefetch pair of) lines:
 *   128: struct rs_ring_layout     parameters (immutable after READY)
 *   256: struct rs_ring_producer   written only by the producer
 *   512: struct rs_ring_consumer   written only by the consumer
 *   640: struct rs_dict_header     written only by the producer
 *   768: dict entries              dict_capacity * 64, written only by the producer
 *     R: records                   capacity * 64, R = 768 + dict bytes
 *
 * Snapshot object (kind RS_SHM_SNAPSHOT):
 *   128: struct rs_snapshot_layout parameters (immutable after READY)
 *   256: struct rs_snapshot_writer sequence, generation, heartbeat (writer only)
 *   384: slot 0, then slot 1       each struct rs_snapshot_slot + payload,
 *                                  stride = round_up(64 + payload_size, 128)
 *
 * ABI rules: a different major is refused; a newer minor may only append
 * fields in reserved space, so an older reader still reads what it knows.
 */
#ifndef RS_SHM_ABI_H
#define RS_SHM_ABI_H

#include <stddef.h>
#include <stdint.h>

#include <ck_sequence.h>

#include "record.h"

#define RS_SHM_MAGIC      0x4d48535441545352ull /* "RSTATSHM" little-endian */
#define RS_ABI_MAJOR      1
#define RS_ABI_MINOR      1         /* 1: rs_ring_producer.source_lost */
#define RS_SHM_PREFIX     "/routestat."
#define RS_NAME_MAX       32        /* instance and node names, without NUL */
#define RS_SHM_NAME_MAX   96

enum rs_shm_kind  { RS_SHM_RING = 1, RS_SHM_SNAPSHOT = 2 };
enum rs_shm_state { RS_SHM_CREATING = 0, RS_SHM_READY = 1, RS_SHM_RETIRED = 2 };

struct rs_shm_header {
	uint64_t magic;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t kind;
	uint32_t header_size;
	uint32_t state;
	uint64_t total_size;
	uint64_t incarnation;
	uint64_t created_unix_ns;
	uint32_t creator_pid;
	uint32_t layout_size;
	uint8_t  reserved[72];
};

/* ---- ring ------------------------------------------------------------- */

#define RS_RING_DEFAULT_CAPACITY 65536u
#define RS_RING_MIN_CAPACITY     64u
#define RS_RING_MAX_CAPACITY     (1u << 24)
#define RS_DICT_DEFAULT_CAPACITY 1024u
#define RS_DICT_MAX_CAPACITY     65535u   /* ids are u16; 0xffff means "none" */
#define RS_DICT_NONE             0xffffu
#define RS_DICT_ENTRY_SIZE       64u
#define RS_DICT_STR_MAX          (RS_DICT_ENTRY_SIZE - 2u) /* bytes, without NUL */
#define RS_REJECT_SLOTS          16u

/* Why a record never reached the ring; counted per reason by the producer. */
enum rs_reject_reason {
	RS_REJECT_PARSE,          /* not a JSON object */
	RS_REJECT_MISSING,        /* a required field is absent */
	RS_REJECT_TYPE,           /* a field has the wrong JSON type */
	RS_REJECT_RANGE,          /* a number out of its range */
	RS_REJECT_ENUM,           /* a string not in its enum */
	RS_REJECT_TOO_LONG,       /* a string or line over its length limit */
	RS_REJECT_DICT_FULL,      /* a new name and the dictionary is full */
	RS_REJECT_ENCODING,       /* invalid UTF-8 or a NUL byte */
	RS_REJECT_COUNT
};
_Static_assert(RS_REJECT_COUNT <= RS_REJECT_SLOTS, "reject slots");

struct rs_ring_layout {
	uint32_t record_size;      /* sizeof(struct rs_record) */
	uint32_t capacity;         /* records, a power of two */
	uint32_t dict_capacity;    /* dictionary entries */
	uint32_t dict_entry_size;  /* RS_DICT_ENTRY_SIZE */
	uint32_t reject_slots;     /* RS_REJECT_SLOTS */
	uint32_t reserved0;
	char     node[RS_NAME_MAX + 1];
	uint8_t  reserved1[7];
	uint64_t producer_off;
	uint64_t consumer_off;
	uint64_t dict_off;
	uint64_t records_off;
	uint8_t  reserved2[32];
};

/* Counters are monotonic: produced == tail, consumed == head, in ring == tail - head. */
struct rs_ring_producer {
	uint64_t tail;             /* records published; release-stored after the records */
	uint64_t dropped;          /* records refused because the ring was full */
	uint64_t heartbeat_ns;     /* CLOCK_MONOTONIC of the producer's last sign of life */
	uint32_t pid;              /* live producer, 0 when detached */
	uint32_t attach_count;     /* producer (re)starts on this ring */
	uint64_t rejected[RS_REJECT_SLOTS]; /* by enum rs_reject_reason */
	/*
	 * Minor 1: datagrams the kernel dropped before the producer could read
	 * them (its socket's receive queue was full).  Datagrams, not records:
	 * one may have held several decisions.  Zero in a minor-0 object.
	 */
	uint64_t source_lost;
	uint8_t  reserved[88];
};

struct rs_ring_consumer {
	uint64_t head;             /* records consumed; release-stored after copying out */
	uint64_t heartbeat_ns;
	uint64_t high_water;       /* most records ever seen waiting in the ring */
	uint32_t pid;
	uint32_t attach_count;
	uint8_t  reserved[96];
};

struct rs_dict_header {
	uint32_t count;            /* entries published; release-stored after the entry */
	uint32_t capacity;
	uint8_t  reserved[120];
};

struct rs_dict_entry {
	uint8_t len;
	char    str[RS_DICT_ENTRY_SIZE - 1];  /* NUL-terminated */
};

/* ---- snapshot ----------------------------------------------------------- */

struct rs_snapshot_layout {
	uint32_t payload_kind;     /* what the payload is (the aggregator's schema id) */
	uint32_t payload_size;
	uint32_t slot_count;       /* 2: the latch */
	uint32_t reserved0;
	uint64_t writer_off;
	uint64_t slots_off;
	uint64_t slot_stride;
	uint8_t  reserved[88];
};

struct rs_snapshot_writer {
	ck_sequence_t sequence;    /* odd while slot 0 is written, even otherwise */
	uint32_t pid;
	uint64_t generation;       /* snapshots published by this incarnation */
	uint64_t heartbeat_ns;     /* CLOCK_MONOTONIC, refreshed every publish / idle tick */
	uint64_t interval_ns;      /* the writer's promised publish interval */
	uint8_t  reserved[96];
};

struct rs_snapshot_slot {
	uint64_t generation;
	uint64_t published_unix_ns;
	uint64_t published_mono_ns;
	uint8_t  reserved[40];
	/* payload_size bytes follow */
};

#define RS_RING_LAYOUT_OFF     128u
#define RS_RING_PRODUCER_OFF   256u
#define RS_RING_CONSUMER_OFF   512u
#define RS_RING_DICT_OFF       640u
#define RS_RING_DICT_ENTRY_OFF 768u
#define RS_SNAP_LAYOUT_OFF     128u
#define RS_SNAP_WRITER_OFF     256u
#define RS_SNAP_SLOTS_OFF      384u

_Static_assert(sizeof(struct rs_shm_header) == 128, "header is 128 bytes");
_Static_assert(offsetof(struct rs_shm_header, state) == 20, "header layout");
_Static_assert(offsetof(struct rs_shm_header, total_size) == 24, "header layout");
_Static_assert(offsetof(struct rs_shm_header, incarnation) == 32, "header layout");
_Static_assert(offsetof(struct rs_shm_header, creator_pid) == 48, "header layout");
_Static_assert(offsetof(struct rs_shm_header, layout_size) == 52, "header layout");
_Static_assert(sizeof(struct rs_ring_layout) == 128, "ring layout block");
_Static_assert(offsetof(struct rs_ring_layout, producer_off) == 64, "ring layout block");
_Static_assert(sizeof(struct rs_ring_producer) == 256, "producer block");
_Static_assert(offsetof(struct rs_ring_producer, rejected) == 32, "producer block");
_Static_assert(offsetof(struct rs_ring_producer, source_lost) == 32 + 8 * RS_REJECT_SLOTS,
	       "producer block");
_Static_assert(sizeof(struct rs_ring_consumer) == 128, "consumer block");
_Static_assert(sizeof(struct rs_dict_header) == 128, "dict header");
_Static_assert(sizeof(struct rs_dict_entry) == RS_DICT_ENTRY_SIZE, "dict entry");
_Static_assert(RS_RING_PRODUCER_OFF + sizeof(struct rs_ring_producer) <= RS_RING_CONSUMER_OFF, "ring offsets");
_Static_assert(RS_RING_CONSUMER_OFF + sizeof(struct rs_ring_consumer) <= RS_RING_DICT_OFF, "ring offsets");
_Static_assert(RS_RING_DICT_OFF + sizeof(struct rs_dict_header) <= RS_RING_DICT_ENTRY_OFF, "ring offsets");
_Static_assert(sizeof(struct rs_snapshot_layout) == 128, "snapshot layout block");
_Static_assert(sizeof(ck_sequence_t) == 4, "ck_sequence_t is one unsigned int");
_Static_assert(sizeof(struct rs_snapshot_writer) == 128, "snapshot writer block");
_Static_assert(offsetof(struct rs_snapshot_writer, generation) == 8, "snapshot writer block");
_Static_assert(sizeof(struct rs_snapshot_slot) == 64, "snapshot slot header");

const char *rs_reject_reason_name(unsigned reason);

#endif
