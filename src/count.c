#include "count.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "keymap.h"
#include "output.h"

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

/* A slot of a table, as keymap.h lays it out: the count, then the key.
 * Both sizes are multiples of 8. */
struct location_entry {
	uint64_t count;
	struct location_key key;
};

struct local_entry {
	uint64_t count;
	struct local_key key;
};

struct count_table {
	struct keymap by_location;
	struct keymap by_local;
	uint64_t total;
	uint64_t unkept;        /* in the total, in no table's rows */
	/* In the total, but a full table (COUNT_MAX_KEYS) had no room for
	 * their new key: that table's "other" row. */
	uint64_t other_location;
	uint64_t other_local;
};

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
	keymap_init(&t->by_location, sizeof(struct location_key),
		    COUNT_MAX_KEYS);
	keymap_init(&t->by_local, sizeof(struct local_key), COUNT_MAX_KEYS);
	*out = t;
	return 0;
}

void count_free(struct count_table *t)
{
	if (!t)
		return;
	keymap_free(&t->by_location);
	keymap_free(&t->by_local);
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

int count_add(struct count_table *t, const struct tcpdrop_event *ev,
	      uint64_t n)
{
	struct location_key lkey = location_key_of(ev);
	struct local_key akey = local_key_of(ev);
	int ret_location, ret_local;

	t->total += n;
	ret_location = keymap_add(&t->by_location, &lkey, n);
	if (ret_location)
		t->other_location += n;
	ret_local = keymap_add(&t->by_local, &akey, n);
	if (ret_local)
		t->other_local += n;
	return ret_location ? ret_location : ret_local;
}

void count_add_unkept(struct count_table *t, uint64_t n)
{
	t->total += n;
	t->unkept += n;
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
	keymap_reset(&t->by_location);
	keymap_reset(&t->by_local);
	t->total = 0;
	t->unkept = 0;
	t->other_location = 0;
	t->other_local = 0;
}

/* The last row of a table that was full: its drops with no row of
 * their own, so that the rows still add up (as the metrics' "other"
 * series does). */
static void text_other(FILE *out, uint64_t n)
{
	if (n)
		fprintf(out, TEXT_ROW, (unsigned long long)n, "other",
			"other");
}

static void text_by_location(FILE *out, struct keymap *m,
			     const struct count_namer *names, uint64_t other)
{
	size_t i, n = keymap_sort(m, location_entry_cmp);
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
	text_other(out, other);
	fputc('\n', out);
}

static void text_by_local(FILE *out, struct keymap *m,
			  const struct count_namer *names, uint64_t other)
{
	size_t i, n = keymap_sort(m, local_entry_cmp);
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
	text_other(out, other);
	fputc('\n', out);
}

int count_print_text(FILE *out, struct count_table *t,
		     const struct count_namer *names,
		     const struct timespec *when, uint64_t lost)
{
	char time[TIME_MAX];

	format_time(time, sizeof(time), TIME_HMS, when);
	fprintf(out, "%s  %llu drops, %llu lost", time,
		(unsigned long long)t->total, (unsigned long long)lost);
	if (t->unkept)
		fprintf(out, ", %llu in no row (the kernel's count map was "
			"full)", (unsigned long long)t->unkept);
	fputc('\n', out);
	text_by_location(out, &t->by_location, names, t->other_location);
	text_by_local(out, &t->by_local, names, t->other_local);
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

static void json_by_location(FILE *out, struct keymap *m,
			     const struct count_namer *names, uint64_t other)
{
	size_t i, n = keymap_sort(m, location_entry_cmp);
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
	if (other)
		fprintf(out, "%s{\"reason\":\"other\",\"reason_code\":null,"
			"\"location\":\"other\",\"count\":%llu}", n ? "," : "",
			(unsigned long long)other);
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

static void json_by_local(FILE *out, struct keymap *m,
			  const struct count_namer *names, uint64_t other)
{
	size_t i, n = keymap_sort(m, local_entry_cmp);
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
	if (other)
		fprintf(out, "%s{\"reason\":\"other\",\"reason_code\":null,"
			"\"family\":null,\"addr\":null,\"port\":null,"
			"\"count\":%llu}", n ? "," : "",
			(unsigned long long)other);
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
	fprintf(out, ",\"total\":%llu,\"lost\":%llu,\"unkept\":%llu,",
		(unsigned long long)t->total, (unsigned long long)lost,
		(unsigned long long)t->unkept);
	json_by_location(out, &t->by_location, names, t->other_location);
	fputc(',', out);
	json_by_local(out, &t->by_local, names, t->other_local);
	fputs("}\n", out);
	count_reset(t);
	return output_status(out);
}
