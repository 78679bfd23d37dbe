#include "keymap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* First size of a table, in slots; it doubles from there. */
#define KEYMAP_MIN_SLOTS 64

void keymap_init(struct keymap *m, size_t key_size, size_t max_keys)
{
	memset(m, 0, sizeof(*m));
	m->key_size = key_size;
	m->entry_size = (sizeof(uint64_t) + key_size + 7) & ~(size_t)7;
	m->max_keys = max_keys;
}

void keymap_free(struct keymap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->nslots = 0;
	m->nkeys = 0;
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

/* The slot that holds `key`, or the empty slot where it belongs. The table
 * is never full (see needs_room), so the probe always ends. */
static size_t find_slot(const struct keymap *m, const void *key)
{
	size_t mask = m->nslots - 1;
	size_t i = key_hash(key, m->key_size) & mask;

	while (*keymap_slot_count(m, i) &&
	       memcmp(keymap_slot_key(m, i), key, m->key_size) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Keeps the load at 3/4 or less, so probes stay short. */
static bool needs_room(const struct keymap *m)
{
	return (m->nkeys + 1) * 4 > m->nslots * 3;
}

static int grow(struct keymap *m)
{
	struct keymap bigger = *m;
	size_t i, j;

	bigger.nslots = m->nslots ? m->nslots * 2 : KEYMAP_MIN_SLOTS;
	bigger.slots = calloc(bigger.nslots, m->entry_size);
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i < m->nslots; i++) {
		if (!*keymap_slot_count(m, i))
			continue;
		j = find_slot(&bigger, keymap_slot_key(m, i));
		memcpy(bigger.slots + j * m->entry_size,
		       m->slots + i * m->entry_size, m->entry_size);
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

int keymap_add(struct keymap *m, const void *key, uint64_t n)
{
	size_t i;
	int ret;

	if (m->nslots) {
		i = find_slot(m, key);
		if (*keymap_slot_count(m, i)) {
			*keymap_slot_count(m, i) += n;
			return 0;
		}
	}
	if (m->nkeys >= m->max_keys)
		return -ENOSPC;
	if (needs_room(m)) {
		ret = grow(m);
		if (ret)
			return ret;
	}
	i = find_slot(m, key);
	memcpy(m->slots + i * m->entry_size + sizeof(uint64_t), key,
	       m->key_size);
	*keymap_slot_count(m, i) = n;
	m->nkeys++;
	return 0;
}

uint64_t keymap_get(const struct keymap *m, const void *key)
{
	return m->nslots ? *keymap_slot_count(m, find_slot(m, key)) : 0;
}

size_t keymap_sort(struct keymap *m, int (*cmp)(const void *, const void *))
{
	size_t i, n = 0;

	for (i = 0; i < m->nslots; i++) {
		if (!*keymap_slot_count(m, i))
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

void keymap_reset(struct keymap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->nslots * m->entry_size);
	m->nkeys = 0;
}

void keymap_swap(struct keymap *a, struct keymap *b)
{
	struct keymap t = *a;

	*a = *b;
	*b = t;
}
