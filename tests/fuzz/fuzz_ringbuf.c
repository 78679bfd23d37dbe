/* BPF ring buffer reader over memory: the input gives consumer_pos (8
 * bytes), how far producer_pos is ahead of it (4 bytes), after which
 * sample on_sample stops the drain (1 byte, 0 never), and then the data
 * area itself, cut to a power of two and copied twice into a buffer of
 * exactly 2 * size bytes, as the kernel maps it: a read past the second
 * copy is an ASan error. Free-running positions near 2^64 come from the
 * 8-byte consumer_pos. */
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "ringbuf.h"

/* The smallest ring: a header must fit (the kernel's are pages). */
#define DATA_MIN 8
#define DRAINS_MAX 16

struct seen {
	const struct ringbuf *rb;
	unsigned samples;
	unsigned stop_at;
};

static int on_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct seen *s = ctx;
	const uint8_t *p = data, *start = s->rb->data;

	FUZZ_CHECK(cpu == RINGBUF_NO_CPU);
	FUZZ_CHECK(size <= s->rb->size - 8);
	/* Within the doubly mapped area, and 8-byte aligned in it. */
	FUZZ_CHECK(p >= start + 8 && p <= start + 2 * s->rb->size - size);
	FUZZ_CHECK((size_t)(p - start) % 8 == 0);
	fuzz_touch(data, size);
	return ++s->samples == s->stop_at ? 7 : 0;
}

/* Whether the record at consumer_pos is one a producer has not committed:
 * the only reason a drain may end short of producer_pos. */
static bool busy_at(const struct ringbuf *rb, uint64_t pos)
{
	uint32_t word;

	memcpy(&word, rb->data + (pos & (rb->size - 1)), sizeof(word));
	return (word & (1u << 31)) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ringbuf rb;
	struct seen seen = { &rb, 0, 0 };
	uint64_t cons, prod, data_size, before;
	uint8_t *area;
	int i, ret;

	cons = fuzz_take(&data, &size, 8);
	prod = cons + fuzz_take(&data, &size, 4);
	seen.stop_at = (unsigned)fuzz_take(&data, &size, 1);
	if (size < DATA_MIN)
		return 0;
	for (data_size = DATA_MIN; data_size * 2 <= size; data_size *= 2)
		;
	area = malloc(2 * data_size);
	if (!area)
		abort();
	memcpy(area, data, data_size);
	memcpy(area + data_size, data, data_size);
	ringbuf_init_mem(&rb, &cons, &prod, area, data_size);

	/* Drain until empty, stuck at a busy record or corrupt, as a reader
	 * loop does: a stop from on_sample is followed by another drain. */
	for (i = 0; i < DRAINS_MAX; i++) {
		before = cons;
		ret = ringbuf_drain(&rb, on_sample, &seen);
		/* The consumer only moves forward, and never past the
		 * producer, which the reader never writes. */
		FUZZ_CHECK(cons - before <= prod - before);
		if (ret == -EINVAL) {
			FUZZ_CHECK(cons == prod);
			break;
		}
		if (ret == 0) {
			FUZZ_CHECK(cons == prod || busy_at(&rb, cons));
			break;
		}
		FUZZ_CHECK(ret == 7);
	}
	/* Whatever is left is a busy record: nothing more to hand out. */
	before = seen.samples;
	FUZZ_CHECK(ringbuf_drain(&rb, on_sample, &seen) == 0);
	FUZZ_CHECK(seen.samples == before);
	ringbuf_close(&rb);
	free(area);
	return 0;
}
