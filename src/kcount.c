#include "kcount.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "sys.h"

/* A key no program can touch any more, with its count as last read. */
struct stale_key {
	struct tcpdrop_count_key key;
	uint64_t count;
};

struct kcount {
	struct kcount_maps maps;
	struct keymap seen;        /* each key's count as last handed on */
	struct keymap now;         /* the keys of the walk under way */
	uint32_t epoch;
	int64_t epoch_ms;          /* when it began; 0: at the start */
	uint64_t full_seen;
	struct stale_key *stale;   /* to delete after the walk */
	size_t nstale;
};

int kcount_new(struct kcount **out, const struct kcount_maps *maps)
{
	struct kcount *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->stale = calloc(KCOUNT_MAX_KEYS, sizeof(*k->stale));
	if (!k->stale) {
		free(k);
		return -ENOMEM;
	}
	k->maps = *maps;
	/* The two are swapped after each walk; after a failed one `seen`
	 * can hold the keys of two. */
	keymap_init(&k->seen, sizeof(struct tcpdrop_count_key),
		    2 * KCOUNT_MAX_KEYS);
	keymap_init(&k->now, sizeof(struct tcpdrop_count_key),
		    2 * KCOUNT_MAX_KEYS);
	*out = k;
	return 0;
}

void kcount_free(struct kcount *k)
{
	if (!k)
		return;
	keymap_free(&k->seen);
	keymap_free(&k->now);
	free(k->stale);
	free(k);
}

/* A new epoch at most once a KCOUNT_EPOCH_MS: keys of two epochs back
 * are then a second old or more. 0 or -errno (the old epoch goes on). */
static int advance_epoch(struct kcount *k, int64_t now_ms)
{
	uint32_t zero = 0, next = k->epoch + 1;
	int ret;

	if (!k->epoch_ms)
		k->epoch_ms = now_ms;
	if (now_ms - k->epoch_ms < KCOUNT_EPOCH_MS)
		return 0;
	ret = sys_map_update(k->maps.epoch, &zero, &next, BPF_ANY);
	if (ret)
		return ret;
	k->epoch = next;
	k->epoch_ms = now_ms;
	return 0;
}

static bool is_stale(const struct kcount *k,
		     const struct tcpdrop_count_key *key)
{
	return key->epoch + 2 <= k->epoch;
}

/* One key of the walk: its growth handed on, then either kept in the
 * snapshot or marked for deletion. */
static int read_key(struct kcount *k, const struct tcpdrop_count_key *key,
		    const struct kcount_sink *sink)
{
	uint64_t count = 0, before;
	int ret = sys_map_lookup(k->maps.counts, key, &count);

	if (ret)
		return ret == -ENOENT ? 0 : ret;
	before = keymap_get(&k->seen, key);
	if (count > before) {
		sink->count(sink->ctx, key, count - before);
		/* At once: a walk that fails half-way must not hand this
		 * growth on again. */
		ret = keymap_add(&k->seen, key, count - before);
		if (ret)
			return ret;
	}
	if (is_stale(k, key) && k->nstale < KCOUNT_MAX_KEYS) {
		k->stale[k->nstale].key = *key;
		k->stale[k->nstale++].count = count;
		return 0;
	}
	return count ? keymap_add(&k->now, key, count) : 0;
}

/* Deleted after the walk: a hash map's next-key walk starts over when its
 * current key is gone. A key the kernel would not delete stays in the
 * snapshot (`seen`, just made), so that its count is not handed on a
 * second time by the next walk. */
static void delete_stale(struct kcount *k)
{
	const struct stale_key *st;
	size_t i;
	int ret;

	for (i = 0; i < k->nstale; i++) {
		st = &k->stale[i];
		ret = sys_map_delete(k->maps.counts, &st->key);
		if (ret && ret != -ENOENT)
			keymap_add(&k->seen, &st->key, st->count);
	}
	k->nstale = 0;
}

static int read_keys(struct kcount *k, const struct kcount_sink *sink)
{
	struct tcpdrop_count_key key, next;
	const void *from = NULL;
	int ret;

	keymap_reset(&k->now);
	k->nstale = 0;
	while ((ret = sys_map_next_key(k->maps.counts, from, &next)) == 0) {
		ret = read_key(k, &next, sink);
		if (ret)
			break;
		key = next;
		from = &key;
	}
	if (ret == -ENOENT)
		ret = 0;
	/* A whole walk: `now` holds exactly the keys still counting, and
	 * the stale ones go. After a failed one `seen` stays as it is. */
	if (ret == 0) {
		keymap_swap(&k->seen, &k->now);
		delete_stale(k);
	}
	return ret;
}

static int read_full(struct kcount *k, const struct kcount_sink *sink)
{
	uint32_t zero = 0;
	uint64_t full = 0;
	int ret = sys_map_sum_percpu(k->maps.full, &zero, k->maps.nvalues,
				     &full);

	if (ret == 0 && full > k->full_seen) {
		sink->unkept(sink->ctx, full - k->full_seen);
		k->full_seen = full;
	}
	return ret;
}

int kcount_read(struct kcount *k, int64_t now_ms,
		const struct kcount_sink *sink)
{
	int ret = advance_epoch(k, now_ms);

	if (ret == 0)
		ret = read_keys(k, sink);
	if (ret == 0)
		ret = read_full(k, sink);
	return ret;
}
