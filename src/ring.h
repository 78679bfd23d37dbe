/* Per-CPU perf ring buffers that the BPF program writes with
 * bpf_perf_event_output(): one PERF_COUNT_SW_BPF_OUTPUT event and one
 * (1 + 2^n)-page mapping per CPU. The reader acquires data_head, walks the
 * records (copying the ones that wrap the end of the ring into a scratch
 * buffer), counts PERF_RECORD_LOST, and releases data_tail. Formats
 * nothing. */
#ifndef TCPDROP_RING_H
#define TCPDROP_RING_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

struct perf_ring {
	int fd;                              /* -1 when not open */
	int cpu;
	void *map;                           /* whole mapping, NULL if none */
	size_t map_len;
	struct perf_event_mmap_page *meta;   /* first page of the mapping */
	uint8_t *data;                       /* data pages */
	uint64_t data_size;                  /* power of two */
	uint8_t *scratch;                    /* for wrapped records, lazily */
	size_t scratch_len;
};

/* A sample's raw payload (PERF_SAMPLE_RAW), not aligned: memcpy it out. */
typedef int (*ring_sample_fn)(void *ctx, int cpu, const void *data,
			      uint32_t size);
/* `lost` samples were dropped by the kernel because the ring was full. */
typedef void (*ring_lost_fn)(void *ctx, int cpu, uint64_t lost);

/* Opens the BPF output event on `cpu` and maps 1 + `pages` pages (`pages`
 * a power of two). The fd becomes readable (epoll) once `wakeup` bytes
 * wait, or at every sample when `wakeup` is 0. Returns 0 or -errno; on
 * error nothing stays open. */
int ring_open(struct perf_ring *ring, int cpu, size_t pages, uint32_t wakeup);

/* Sets up a ring over memory the caller owns (unit tests): `meta` is the
 * control page, `data` the `data_size` bytes (power of two) after it. */
void ring_init_mem(struct perf_ring *ring, struct perf_event_mmap_page *meta,
		   uint8_t *data, uint64_t data_size);

/* Reads every complete record between data_tail and data_head. Calls
 * `on_sample` for PERF_RECORD_SAMPLE and `on_lost` for PERF_RECORD_LOST;
 * skips other types. A non-zero return of `on_sample` stops the drain
 * (records up to and including that one are released) and is returned.
 * A record header whose size is < 8 or larger than the ring is -EINVAL
 * (the ring is then reset to data_head); so is a record larger than what
 * data_head publishes, or a SAMPLE/LOST record too short for its own
 * contents. -ENOMEM (scratch buffer) leaves that record in the ring. */
int ring_drain(struct perf_ring *ring, ring_sample_fn on_sample,
	       ring_lost_fn on_lost, void *ctx);

/* Unmaps, closes, frees the scratch buffer; safe on a zeroed or closed
 * ring, and twice. */
void ring_close(struct perf_ring *ring);

#endif
