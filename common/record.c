/* record.c - enum names and request-id packing for record.h. */
#include "record.h"

#include <stdio.h>
#include <string.h>

static const char *const strategy_names[RS_STRATEGY_COUNT] = {
	"fastest", "cheapest", "priority", "round_robin", "latency_weighted",
};
static const char *const transport_names[RS_TRANSPORT_COUNT] = { "http", "ws" };
static const char *const result_names[RS_RESULT_COUNT] = { "success", "error" };
static const char *const origin_names[RS_ORIGIN_COUNT] = { "client", "system" };
static const char *const circuit_names[RS_CIRCUIT_COUNT] = { "closed", "half_open", "open" };
static const char *const kind_names[] = { NULL, "decision", "circuit", "block" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *rs_strategy_name(unsigned v)   { return name_of(strategy_names, COUNT(strategy_names), v); }
const char *rs_transport_name(unsigned v)  { return name_of(transport_names, COUNT(transport_names), v); }
const char *rs_result_name(unsigned v)     { return name_of(result_names, COUNT(result_names), v); }
const char *rs_origin_name(unsigned v)     { return name_of(origin_names, COUNT(origin_names), v); }
const char *rs_circuit_name(unsigned v)    { return name_of(circuit_names, COUNT(circuit_names), v); }
const char *rs_record_kind_name(unsigned v){ return name_of(kind_names, COUNT(kind_names), v); }

int rs_strategy_parse(const char *s)  { return parse_name(strategy_names, COUNT(strategy_names), s); }
int rs_transport_parse(const char *s) { return parse_name(transport_names, COUNT(transport_names), s); }
int rs_result_parse(const char *s)    { return parse_name(result_names, COUNT(result_names), s); }
int rs_origin_parse(const char *s)    { return parse_name(origin_names, COUNT(origin_names), s); }
int rs_circuit_parse(const char *s)   { return parse_name(circuit_names, COUNT(circuit_names), s); }

/* Hex digit values plus one (0 = not a digit): a table keeps random digits branch-free. */
static const signed char hex_values[256] = {
	['0'] = 0 + 1, ['1'] = 1 + 1, ['2'] = 2 + 1, ['3'] = 3 + 1, ['4'] = 4 + 1,
	['5'] = 5 + 1, ['6'] = 6 + 1, ['7'] = 7 + 1, ['8'] = 8 + 1, ['9'] = 9 + 1,
	['a'] = 10 + 1, ['b'] = 11 + 1, ['c'] = 12 + 1, ['d'] = 13 + 1, ['e'] = 14 + 1, ['f'] = 15 + 1,
	['A'] = 10 + 1, ['B'] = 11 + 1, ['C'] = 12 + 1, ['D'] = 13 + 1, ['E'] = 14 + 1, ['F'] = 15 + 1,
};

static int pack_hex64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int bad = 0;
	for (int i = 0; i < 16; i++) {
		int h = hex_values[(unsigned char)s[i]] - 1;
		bad |= h;
		v = v << 4 | (uint64_t)(h & 15);
	}
	if (bad < 0)
		return -1;
	*out = v;
	return 0;
}

/* 64-bit FNV-1a followed by a murmur3 finaliser, seeded: two seeds give 128 bits. */
static uint64_t hash64(const char *s, size_t len, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33; h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

uint8_t rs_request_id_pack(const char *s, size_t len, uint64_t *hi, uint64_t *lo)
{
	if (len == 32 && pack_hex64(s, hi) == 0 && pack_hex64(s + 16, lo) == 0)
		return 0;
	*hi = hash64(s, len, 0x9e3779b97f4a7c15ull);
	*lo = hash64(s, len, 0x632be59bd9b4e019ull);
	return RS_RECF_ID_HASHED;
}

void rs_request_id_format(uint64_t hi, uint64_t lo, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)hi, (unsigned long long)lo);
}
