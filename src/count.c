#include "count.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "output.h"

/* First size of a map, in slots; it doubles from there. */
#define COUNT_MIN_SLOTS 64
#define REASON_NAME_MAX 128
#define LOCATION_NAME_MAX 256

#define TEXT_HEADER "%-7s %-20s %s\n"
#define TEXT_ROW "%-7llu %-20s %s\n"

/* Keys are hashed and compared as bytes, so they have no implicit padding
 * and are zeroed before they are filled. */
struct location_key {
	uint64_t addr;
	uint32_t reason;
	uint32_t zero;
};

struct local_key {
	uint8_t addr[16];       /* IPv4 in the first 4 bytes, the rest 0 */
	uint32_t reason;
	uint16_t family;        /* 0: no packet headers; addr and port 0 */
	uint16_t port;
};

/* A slot of a map: the count first (0: the slot is empty), then the key.
 * Both sizes are multiples of 8, so every slot's count is aligned. */
struct location_entry {
	uint64_t count;
	struct location_key key;
};

struct local_entry {
	uint64_t count;
	struct local_key key;
};

/* Open addressing with linear probing over fixed-size entries. Nothing is
 * ever removed alone: a print empties the whole map at once, so there are
 * no tombstones. */
struct count_map {
	unsigned char *slots;
	size_t entry_size;      /* sizeof(struct ..._entry) */
	size_t key_size;
	size_t nslots;          /* 0, or a power of two */
	size_t nkeys;
};

struct count_table {
	struct count_map by_location;
	struct count_map by_local;
	uint64_t total;
};

static uint64_t *slot_count(const struct count_map *m, size_t i)
{
	return (uint64_t *)(m->slots + i * m->entry_size);
}

static unsigned char *slot_key(const struct count_map *m, size_t i)
{
	return m->slots + i * m->entry_size + sizeof(uint64_t);
}

/* FNV-1a, then a 64-bit finalizer (MurmurHash3's fmix64): FNV's multiply
 * only carries bits upwards, so without the finalizer keys that differ
 * only in the high bits of a byte would land in the same low bits, which
 * are the ones that pick the slot. */
static uint64_t key_hash(const void *key, size_t size)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < size; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* The slot that holds `key`, or the empty slot where it belongs. The map
 * is never full (see map_needs_room), so the probe always ends. */
static size_t map_find(const struct count_map *m, const void *key)
{
	size_t mask = m->nslots - 1;
	size_t i = key_hash(key, m->key_size) & mask;

	while (*slot_count(m, i) &&
	       memcmp(slot_key(m, i), key, m->key_size) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Keeps the load at 3/4 or less, so probes stay short. */
static bool map_needs_room(const struct count_map *m)
{
	return (m->nkeys + 1) * 4 > m->nslots * 3;
}

static int map_grow(struct count_map *m)
{
	struct count_map bigger = *m;
	size_t i, j;

	bigger.nslots = m->nslots ? m->nslots * 2 : COUNT_MIN_SLOTS;
	bigger.slots = calloc(bigger.nslots, m->entry_size);
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i < m->nslots; i++) {
		if (!*slot_count(m, i))
			continue;
		j = map_find(&bigger, slot_key(m, i));
		memcpy(bigger.slots + j * m->entry_size,
		       m->slots + i * m->entry_size, m->entry_size);
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

static int map_add(struct count_map *m, const void *key)
{
	size_t i;
	int ret;

	if (m->nslots) {
		i = map_find(m, key);
		if (*slot_count(m, i)) {
			(*slot_count(m, i))++;
			return 0;
		}
	}
	if (m->nkeys >= COUNT_MAX_KEYS)
		return -ENOSPC;
	if (map_needs_room(m)) {
		ret = map_grow(m);
		if (ret)
			return ret;
	}
	i = map_find(m, key);
	memcpy(slot_key(m, i), key, m->key_size);
	*slot_count(m, i) = 1;
	m->nkeys++;
	return 0;
}

/* Moves the used slots to the front and sorts them there, with no memory
 * to allocate at print time. This breaks the hash order, so the map must
 * be emptied with map_reset() before the next map_add(). Returns the
 * number of entries. */
static size_t map_sort(struct count_map *m,
		       int (*cmp)(const void *, const void *))
{
	size_t i, n = 0;

	for (i = 0; i < m->nslots; i++) {
		if (!*slot_count(m, i))
			continue;
		if (i != n)
			memcpy(m->slots + n * m->entry_size,
			       m->slots + i * m->entry_size, m->entry_size);
		n++;
	}
	if (n)
		qsort(m->slots, n, m->entry_size, cmp);
	return n;
}

/* Forgets every key but keeps the slots for the next interval. */
static void map_reset(struct count_map *m)
{
	if (m->slots)
		memset(m->slots, 0, m->nslots * m->entry_size);
	m->nkeys = 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Most frequent first; ties by key, ascending, so output is stable. */
static int location_entry_cmp(const void *pa, const void *pb)
{
	const struct location_entry *a = pa, *b = pb;

	if (a->count != b->count)
		return cmp_u64(b->count, a->count);
	if (a->key.reason != b->key.reason)
		return cmp_u64(a->key.reason, b->key.reason);
	return cmp_u64(a->key.addr, b->key.addr);
}

static int local_entry_cmp(const void *pa, const void *pb)
{
	const struct local_entry *a = pa, *b = pb;
	int ret;

	if (a->count != b->count)
		return cmp_u64(b->count, a->count);
	if (a->key.reason != b->key.reason)
		return cmp_u64(a->key.reason, b->key.reason);
	if (a->key.family != b->key.family)
		return cmp_u64(a->key.family, b->key.family);
	ret = memcmp(a->key.addr, b->key.addr, sizeof(a->key.addr));
	if (ret)
		return ret;
	return cmp_u64(a->key.port, b->key.port);
}

int count_new(struct count_table **out)
{
	struct count_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->by_location.entry_size = sizeof(struct location_entry);
	t->by_location.key_size = sizeof(struct location_key);
	t->by_local.entry_size = sizeof(struct local_entry);
	t->by_local.key_size = sizeof(struct local_key);
	*out = t;
	return 0;
}

void count_free(struct count_table *t)
{
	if (!t)
		return;
	free(t->by_location.slots);
	free(t->by_local.slots);
	free(t);
}

static struct location_key location_key_of(const struct tcpdrop_event *ev)
{
	struct location_key key;

	memset(&key, 0, sizeof(key));
	key.addr = ev->location;
	key.reason = ev->reason;
	return key;
}

/* Only the bytes the family uses: whatever the rest holds must not split
 * one address into several keys. */
static struct local_key local_key_of(const struct tcpdrop_event *ev)
{
	struct local_key key;

	memset(&key, 0, sizeof(key));
	key.reason = ev->reason;
	key.family = ev->family;
	if (ev->family == AF_INET)
		memcpy(key.addr, ev->daddr, 4);
	else if (ev->family)
		memcpy(key.addr, ev->daddr, sizeof(key.addr));
	if (ev->family)
		key.port = ev->dport;
	return key;
}

int count_add(struct count_table *t, const struct tcpdrop_event *ev)
{
	struct location_key lkey = location_key_of(ev);
	struct local_key akey = local_key_of(ev);
	int ret_location, ret_local;

	t->total++;
	ret_location = map_add(&t->by_location, &lkey);
	ret_local = map_add(&t->by_local, &akey);
	return ret_location ? ret_location : ret_local;
}

uint64_t count_total(const struct count_table *t)
{
	return t->total;
}

/* The namer's name for a reason; NULL when it has none. */
static const char *reason_name(const struct count_namer *names,
			       uint32_t reason, char *buf, size_t size)
{
	if (names && names->reason)
		return names->reason(names->ctx, reason, buf, size);
	snprintf(buf, size, "REASON_%u", reason);
	return buf;
}

static const char *location_name(const struct count_namer *names,
				 uint64_t addr, char *buf, size_t size)
{
	snprintf(buf, size, "0x%llx", (unsigned long long)addr);
	if (names && names->location)
		names->location(names->ctx, addr, buf, size);
	return buf;
}

/* Both maps are sorted by the print and emptied after it, whatever
 * happened to the stream. */
static void count_reset(struct count_table *t)
{
	map_reset(&t->by_location);
	map_reset(&t->by_local);
	t->total = 0;
}

static void text_by_location(FILE *out, struct count_map *m,
			     const struct count_namer *names)
{
	size_t i, n = map_sort(m, location_entry_cmp);
	const struct location_entry *e = (const void *)m->slots;
	char reason[REASON_NAME_MAX], location[LOCATION_NAME_MAX];
	const char *name;

	fprintf(out, TEXT_HEADER, "COUNT", "REASON", "LOCATION");
	for (i = 0; i < n && !ferror(out); i++) {
		name = reason_name(names, e[i].key.reason, reason,
				   sizeof(reason));
		fprintf(out, TEXT_ROW, (unsigned long long)e[i].count,
			name ? name : "-",
			location_name(names, e[i].key.addr, location,
				      sizeof(location)));
	}
	fputc('\n', out);
}

static void text_by_local(FILE *out, struct count_map *m,
			  const struct count_namer *names)
{
	size_t i, n = map_sort(m, local_entry_cmp);
	const struct local_entry *e = (const void *)m->slots;
	char reason[REASON_NAME_MAX], local[ADDR_PORT_MAX];
	const char *name;

	fprintf(out, TEXT_HEADER, "COUNT", "REASON", "LOCAL ADDRESS:PORT");
	for (i = 0; i < n && !ferror(out); i++) {
		name = reason_name(names, e[i].key.reason, reason,
				   sizeof(reason));
		format_addr_port(local, sizeof(local), e[i].key.family,
				 e[i].key.addr, e[i].key.port);
		fprintf(out, TEXT_ROW, (unsigned long long)e[i].count,
			name ? name : "-", local);
	}
	fputc('\n', out);
}

int count_print_text(FILE *out, struct count_table *t,
		     const struct count_namer *names,
		     const struct timespec *when, uint64_t lost)
{
	char time[TIME_MAX];

	format_time(time, sizeof(time), TIME_HMS, when);
	fprintf(out, "%s  %llu drops, %llu lost\n", time,
		(unsigned long long)t->total, (unsigned long long)lost);
	text_by_location(out, &t->by_location, names);
	text_by_local(out, &t->by_local, names);
	count_reset(t);
	return output_status(out);
}

static void json_cstring_or_null(FILE *out, const char *s)
{
	if (s)
		json_write_string(out, s, strlen(s));
	else
		fputs("null", out);
}

/* "reason" and "reason_code", null both on kernels without reasons. */
static void json_reason(FILE *out, const struct count_namer *names,
			uint32_t reason)
{
	char buf[REASON_NAME_MAX];

	fputs("\"reason\":", out);
	if (reason == TCPDROP_NO_REASON) {
		fputs("null,\"reason_code\":null", out);
		return;
	}
	json_cstring_or_null(out, reason_name(names, reason, buf, sizeof(buf)));
	fprintf(out, ",\"reason_code\":%u", reason);
}

static void json_by_location(FILE *out, struct count_map *m,
			     const struct count_namer *names)
{
	size_t i, n = map_sort(m, location_entry_cmp);
	const struct location_entry *e = (const void *)m->slots;
	char location[LOCATION_NAME_MAX];

	fputs("\"by_location\":[", out);
	for (i = 0; i < n && !ferror(out); i++) {
		fputs(i ? ",{" : "{", out);
		json_reason(out, names, e[i].key.reason);
		fputs(",\"location\":", out);
		json_cstring_or_null(out, location_name(names, e[i].key.addr,
							location,
							sizeof(location)));
		fprintf(out, ",\"count\":%llu}",
			(unsigned long long)e[i].count);
	}
	fputc(']', out);
}

/* "family", "addr", "port": null all three without packet headers. */
static void json_local_end(FILE *out, const struct local_key *key)
{
	const char *family = json_family_name(key->family);
	char addr[INET6_ADDRSTRLEN];

	if (!family) {
		fputs("\"family\":null,\"addr\":null,\"port\":null", out);
		return;
	}
	format_addr(addr, sizeof(addr), key->family, key->addr);
	fprintf(out, "\"family\":\"%s\",\"addr\":\"%s\",\"port\":%u", family,
		addr, key->port);
}

static void json_by_local(FILE *out, struct count_map *m,
			  const struct count_namer *names)
{
	size_t i, n = map_sort(m, local_entry_cmp);
	const struct local_entry *e = (const void *)m->slots;

	fputs("\"by_local\":[", out);
	for (i = 0; i < n && !ferror(out); i++) {
		fputs(i ? ",{" : "{", out);
		json_reason(out, names, e[i].key.reason);
		fputc(',', out);
		json_local_end(out, &e[i].key);
		fprintf(out, ",\"count\":%llu}",
			(unsigned long long)e[i].count);
	}
	fputc(']', out);
}

int count_print_json(FILE *out, struct count_table *t,
		     const struct count_namer *names,
		     const struct timespec *when, uint64_t lost,
		     unsigned interval)
{
	char time[TIME_MAX];

	format_time_rfc3339(time, sizeof(time), when);
	fprintf(out, "{\"type\":\"counts\",\"time\":\"%s\",\"interval\":",
		time);
	if (interval)
		fprintf(out, "%u", interval);
	else
		fputs("null", out);
	fprintf(out, ",\"total\":%llu,\"lost\":%llu,",
		(unsigned long long)t->total, (unsigned long long)lost);
	json_by_location(out, &t->by_location, names);
	fputc(',', out);
	json_by_local(out, &t->by_local, names);
	fputs("}\n", out);
	count_reset(t);
	return output_status(out);
}
