/* A table of fixed-size keys to 64-bit counts, for the count tables
 * (count.c) and the snapshots of the kernel's counts (kcount.c): open
 * addressing with linear probing, grown by doubling, emptied all at once.
 * Keys are hashed and compared as bytes: a key must have no implicit
 * padding and be zeroed before it is filled. */
#ifndef TCPDROP_KEYMAP_H
#define TCPDROP_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

/* Each slot is the count (0: empty) then the key, `entry_size` bytes. */
struct keymap {
	unsigned char *slots;
	size_t entry_size;      /* 8 + key_size, rounded up to 8 */
	size_t key_size;
	size_t nslots;          /* 0, or a power of two */
	size_t nkeys;
	size_t max_keys;        /* keymap_add() refuses a new key past it */
};

/* An empty table of `key_size`-byte keys, at most `max_keys` of them. No
 * memory is taken until the first key. */
void keymap_init(struct keymap *m, size_t key_size, size_t max_keys);
void keymap_free(struct keymap *m);

/* Adds `n` (> 0) to `key`'s count, inserting the key. 0, -ENOSPC when the
 * key is new and the table holds max_keys, -ENOMEM when it cannot grow. */
int keymap_add(struct keymap *m, const void *key, uint64_t n);

/* `key`'s count, 0 when absent. */
uint64_t keymap_get(const struct keymap *m, const void *key);

/* The count and the key of slot i (i < nslots); the count is 0 for an
 * empty slot. */
static inline uint64_t *keymap_slot_count(const struct keymap *m, size_t i)
{
	return (uint64_t *)(void *)(m->slots + i * m->entry_size);
}

static inline const void *keymap_slot_key(const struct keymap *m, size_t i)
{
	return m->slots + i * m->entry_size + sizeof(uint64_t);
}

/* Moves the used slots to the front, sorted by `cmp` over whole entries
 * (count, then key), with nothing to allocate. This breaks the hash
 * order: the table must be emptied with keymap_reset() before it is used
 * again. Returns the number of entries. */
size_t keymap_sort(struct keymap *m, int (*cmp)(const void *, const void *));

/* Forgets every key, keeping the memory for the next use. */
void keymap_reset(struct keymap *m);

/* Exchanges the contents of two tables of the same key size. */
void keymap_swap(struct keymap *a, struct keymap *b);

#endif
