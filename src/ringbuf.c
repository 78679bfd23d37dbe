/* BPF ring buffer reader.
 *
 * Layout and protocol from kernel/bpf/ringbuf.c: struct bpf_ringbuf puts
 * consumer_pos, producer_pos and the data area on their own pages, and
 * bpf_ringbuf_area_alloc() maps the data pages twice in a row, so the
 * bytes at [size, 2 * size) are those at [0, size). Positions are
 * free-running counters (unsigned long, 64-bit on the architectures we
 * build for); the place in the data area is the counter modulo size.
 * __bpf_ringbuf_reserve() writes the header with BPF_RINGBUF_BUSY_BIT and
 * then publishes producer_pos (release); bpf_ringbuf_commit() clears BUSY
 * (and may set DISCARD) with xchg. Reserve refuses to go more than
 * size - 1 bytes ahead of consumer_pos, so releasing consumer_pos is what
 * frees room for the producers. */
#include "ringbuf.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RINGBUF_LEN_FLAGS (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)
/* Records start at multiples of 8: round_up(len + 8, 8) in reserve. */
#define RINGBUF_ALIGN 8u

static void ringbuf_reset(struct ringbuf *rb)
{
	memset(rb, 0, sizeof(*rb));
	rb->map_fd = -1;
}

static bool is_power_of_two(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* ringbuf_map_alloc() takes only page-aligned powers of two; checked here
 * too so that the lengths below cannot overflow. */
static int check_size(uint64_t size, size_t page_size)
{
	if (!is_power_of_two(size) || size % page_size != 0)
		return -EINVAL;
	if (size > (SIZE_MAX - page_size) / 2)
		return -EINVAL;
	return 0;
}

int ringbuf_open(struct ringbuf *rb, int map_fd, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t page_size, producer_len;
	void *consumer, *producer;
	int err;

	ringbuf_reset(rb);
	if (page <= 0)
		return -EINVAL;
	page_size = (size_t)page;
	err = check_size(size, page_size);
	if (err)
		return err;
	producer_len = page_size + 2 * (size_t)size;

	/* The only writable mapping the kernel allows: offset 0, one page. */
	consumer = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			map_fd, 0);
	if (consumer == MAP_FAILED)
		return -errno;
	producer = mmap(NULL, producer_len, PROT_READ, MAP_SHARED, map_fd,
			(off_t)page_size);
	if (producer == MAP_FAILED) {
		err = -errno;
		munmap(consumer, page_size);
		return err;
	}

	rb->map_fd = map_fd;
	rb->consumer_map = consumer;
	rb->producer_map = producer;
	rb->producer_len = producer_len;
	rb->consumer_pos = consumer;
	rb->producer_pos = producer;
	rb->data = (const uint8_t *)producer + page_size;
	rb->size = size;
	return 0;
}

void ringbuf_init_mem(struct ringbuf *rb, uint64_t *consumer_pos,
		      uint64_t *producer_pos, const uint8_t *data,
		      uint64_t size)
{
	ringbuf_reset(rb);
	rb->consumer_pos = consumer_pos;
	rb->producer_pos = producer_pos;
	rb->data = data;
	rb->size = size;
}

/* What the header at `pos` says, given `avail` published bytes from it.
 * Sets *busy for a record not yet committed; otherwise *len (the payload
 * bytes), *discard and *total (the record's bytes with header and
 * padding). -EINVAL when the header cannot be a record of this ring:
 * producer_pos only ever moves past whole reserved records. */
static int read_header(const struct ringbuf *rb, uint64_t pos,
		       uint64_t avail, bool *busy, bool *discard,
		       uint32_t *len, uint64_t *total)
{
	const uint32_t *hdr;
	uint32_t word;

	if (avail < BPF_RINGBUF_HDR_SZ)
		return -EINVAL;
	hdr = (const uint32_t *)(rb->data + (pos & (rb->size - 1)));
	/* Pairs with the xchg in bpf_ringbuf_commit(): the payload written
	 * before the commit is visible once BUSY reads clear. */
	word = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
	*busy = (word & BPF_RINGBUF_BUSY_BIT) != 0;
	if (*busy)
		return 0;
	*discard = (word & BPF_RINGBUF_DISCARD_BIT) != 0;
	*len = word & ~(uint32_t)RINGBUF_LEN_FLAGS;
	if (*len > rb->size - BPF_RINGBUF_HDR_SZ)
		return -EINVAL;
	*total = ((uint64_t)*len + BPF_RINGBUF_HDR_SZ + RINGBUF_ALIGN - 1) &
		 ~(uint64_t)(RINGBUF_ALIGN - 1);
	return *total > avail ? -EINVAL : 0;
}

/* Whether consumer and producer positions can belong to this ring: the
 * producer is never more than size ahead, records are 8-byte aligned, and
 * a ring smaller than a header (ringbuf_init_mem callers) holds none. */
static bool positions_sane(const struct ringbuf *rb, uint64_t cons,
			   uint64_t prod)
{
	return rb->size >= BPF_RINGBUF_HDR_SZ && prod - cons <= rb->size &&
	       cons % RINGBUF_ALIGN == 0;
}

int ringbuf_drain(struct ringbuf *rb, ring_sample_fn on_sample, void *ctx)
{
	uint64_t prod = __atomic_load_n(rb->producer_pos, __ATOMIC_ACQUIRE);
	/* We are consumer_pos's only writer. */
	uint64_t cons = *rb->consumer_pos, released = cons, total = 0;
	bool malformed = false, busy = false, discard = false;
	uint32_t len = 0;
	int ret = 0;

	if (cons != prod && !positions_sane(rb, cons, prod))
		malformed = true;

	while (!malformed && cons != prod) {
		if (read_header(rb, cons, prod - cons, &busy, &discard, &len,
				&total)) {
			malformed = true;
			break;
		}
		if (busy)
			break;  /* committed ones after it wait their turn */
		if (!discard && on_sample)
			ret = on_sample(ctx, RINGBUF_NO_CPU,
					rb->data + (cons & (rb->size - 1)) +
						BPF_RINGBUF_HDR_SZ,
					len);
		cons += total;
		/* Released every RINGBUF_RELEASE_PART of the ring and at the
		 * end, not at every record: each reserve on every CPU reads
		 * consumer_pos, and a line the reader wrote at every record
		 * made each of them a cache miss (a third of a drop's cost
		 * at 200,000 drops a second). Producers still get the room
		 * back while the callbacks run. tcpdrop's program wakes the
		 * reader itself (BPF_RB_FORCE_WAKEUP), so the ring buffer's
		 * own policy, which compares consumer_pos with a committed
		 * record's position, is not relied on. */
		if (cons - released >= rb->size / RINGBUF_RELEASE_PART) {
			__atomic_store_n(rb->consumer_pos, cons,
					 __ATOMIC_RELEASE);
			released = cons;
		}
		if (ret)
			break;
	}
	if (cons != released)
		__atomic_store_n(rb->consumer_pos, cons, __ATOMIC_RELEASE);

	/* Past a bad header there is no next record to find: drop what is
	 * published and start again at producer_pos. */
	if (malformed) {
		__atomic_store_n(rb->consumer_pos, prod, __ATOMIC_RELEASE);
		ret = -EINVAL;
	}
	return ret;
}

void ringbuf_close(struct ringbuf *rb)
{
	long page = sysconf(_SC_PAGESIZE);

	/* The mappings are ours; the map fd is the caller's. */
	if (rb->consumer_map && page > 0)
		munmap(rb->consumer_map, (size_t)page);
	if (rb->producer_map)
		munmap(rb->producer_map, rb->producer_len);
	ringbuf_reset(rb);
}
