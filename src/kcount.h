/* The counts the BPF program keeps in the kernel (count mode, and an
 * exporter without rows): hash map tcpdrop_counts, one __u64 per
 * tcpdrop_count_key (bpf/event.h), plus tcpdrop_count_full, the drops no
 * key could hold.
 *
 * The program only ever adds. Resetting a count from user space would
 * race with it (a drop counted between our read and our reset would be
 * lost), so each read takes the difference from the previous one, which
 * is exact. To keep the map from filling with keys of drops long gone,
 * every key carries the epoch it was counted in (tcpdrop_count_epoch,
 * advanced here at most once a second): a key two epochs old can no
 * longer be touched by any program run (each lasts microseconds; its
 * epoch was retired a second ago), so it is read one last time and
 * deleted. */
#ifndef TCPDROP_KCOUNT_H
#define TCPDROP_KCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/* Keys the kernel's map holds (its max_entries): preallocated, about
 * 180 bytes each of kernel memory, 1.4 MiB in all; and as much again,
 * twice, in user space while reading (the last read's snapshot). */
#define KCOUNT_MAX_KEYS 8192
/* The least time between two epochs. */
#define KCOUNT_EPOCH_MS 1000

/* The maps, from the loaded object. */
struct kcount_maps {
	int counts, epoch, full;   /* fds */
	int nvalues;               /* possible CPUs: tcpdrop_count_full */
};

/* Where the differences go: `n` more drops under `key`, `n` more drops
 * that no key holds. */
struct kcount_sink {
	void (*count)(void *ctx, const struct tcpdrop_count_key *key,
		      uint64_t n);
	void (*unkept)(void *ctx, uint64_t n);
	void *ctx;
};

struct kcount;

/* 0 or -ENOMEM. The maps stay the caller's. */
int kcount_new(struct kcount **out, const struct kcount_maps *maps);
void kcount_free(struct kcount *k);

/* Reads every key and hands on what grew since the last read; with
 * `now_ms` (CLOCK_MONOTONIC) a second or more past the last epoch, starts
 * a new one and deletes the keys no program can touch any more. 0, or
 * the first -errno of a bpf() call (-ENOMEM in user space): what was read
 * before it is handed on, and the next read picks up the rest. */
int kcount_read(struct kcount *k, int64_t now_ms,
		const struct kcount_sink *sink);

#endif
