/* Perf ring reader over memory: the input gives data_tail (8 bytes), how
 * far data_head is ahead of it (4 bytes), after which sample on_sample
 * stops the drain (1 byte, 0 never), and then the data area itself,
 * cut to a power of two and copied to a buffer of exactly that size, so
 * that a record read across the end of the ring is an ASan error. Free-
 * running counters near 2^64 come for free from the 8-byte tail. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "ring.h"

/* The smallest ring: a header must fit (the kernel's are pages). */
#define DATA_MIN 8
#define DRAINS_MAX 16

struct seen {
	const struct perf_ring *ring;
	unsigned samples;
	unsigned stop_at;
};

static int on_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct seen *s = ctx;

	FUZZ_CHECK(cpu == s->ring->cpu);
	FUZZ_CHECK(size < s->ring->data_size);
	fuzz_touch(data, size);
	return ++s->samples == s->stop_at ? 7 : 0;
}

static void on_lost(void *ctx, int cpu, uint64_t lost)
{
	struct seen *s = ctx;

	FUZZ_CHECK(cpu == s->ring->cpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_event_mmap_page *meta;
	struct perf_ring ring;
	struct seen seen = { &ring, 0, 0 };
	uint64_t tail, head, data_size, before;
	uint8_t *area;
	int i, ret;

	tail = fuzz_take(&data, &size, 8);
	head = tail + fuzz_take(&data, &size, 4);
	seen.stop_at = (unsigned)fuzz_take(&data, &size, 1);
	if (size < DATA_MIN)
		return 0;
	for (data_size = DATA_MIN; data_size * 2 <= size; data_size *= 2)
		;
	area = malloc(data_size);
	meta = calloc(1, sizeof(*meta));
	if (!area || !meta)
		abort();
	memcpy(area, data, data_size);
	ring_init_mem(&ring, meta, area, data_size);
	ring.cpu = 1;
	meta->data_head = head;
	meta->data_tail = tail;

	/* Drain until the ring is empty or corrupt, as the tracer's loop
	 * does: a stop from on_sample is followed by another drain. */
	for (i = 0; i < DRAINS_MAX; i++) {
		before = meta->data_tail;
		ret = ring_drain(&ring, on_sample, on_lost, &seen);
		FUZZ_CHECK(meta->data_head == head);
		/* The tail only moves forward, and never past the head. */
		FUZZ_CHECK(meta->data_tail - before <= head - before);
		if (ret == -EINVAL || ret == 0) {
			FUZZ_CHECK(meta->data_tail == head);
			break;
		}
		FUZZ_CHECK(ret == 7);
	}
	/* Emptied, the ring has nothing left to hand out. */
	FUZZ_CHECK(ring_drain(&ring, on_sample, on_lost, &seen) == 0);
	ring_close(&ring);
	free(meta);
	free(area);
	return 0;
}
