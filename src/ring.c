/* Per-CPU perf ring reader.
 *
 * The kernel writes records at data_head and never past data_tail, so
 * everything in [data_tail, data_head) is complete records. Offsets are
 * free-running 64-bit counters; the position in the data area is the
 * counter modulo data_size (a power of two). A record, and even its
 * 8-byte header, may wrap the end of the data area. */
#include "ring.h"

#include "sys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* PERF_RECORD_SAMPLE with only PERF_SAMPLE_RAW: header, u32 size, data. */
#define SAMPLE_RAW_OFFSET (sizeof(struct perf_event_header) + sizeof(uint32_t))
/* PERF_RECORD_LOST without sample_id_all: header, u64 id, u64 lost. */
#define LOST_COUNT_OFFSET (sizeof(struct perf_event_header) + sizeof(uint64_t))
#define LOST_RECORD_SIZE (LOST_COUNT_OFFSET + sizeof(uint64_t))

static void ring_reset(struct perf_ring *ring)
{
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	ring->cpu = -1;
}

static void bpf_output_attr(struct perf_event_attr *attr, uint32_t wakeup)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = PERF_TYPE_SOFTWARE;
	attr->config = PERF_COUNT_SW_BPF_OUTPUT;
	attr->sample_type = PERF_SAMPLE_RAW;
	attr->sample_period = 1;
	/* A wakeup per sample costs more than the drop itself at high
	 * rates; waking only once `wakeup` bytes wait lets the reader take
	 * them in batches (it polls on a timer for the rest). */
	if (wakeup) {
		attr->watermark = 1;
		attr->wakeup_watermark = wakeup;
	} else {
		attr->wakeup_events = 1;
	}
}

int ring_open(struct perf_ring *ring, int cpu, size_t pages, uint32_t wakeup)
{
	struct perf_event_attr attr;
	long page_size = sysconf(_SC_PAGESIZE);
	size_t map_len;
	void *map;
	int fd = -1, err;

	ring_reset(ring);
	if (page_size <= 0)
		return -EINVAL;
	if (pages == 0 || (pages & (pages - 1)) != 0)
		return -EINVAL;
	if (pages > SIZE_MAX / (size_t)page_size - 1)
		return -EINVAL;
	map_len = (pages + 1) * (size_t)page_size;

	bpf_output_attr(&attr, wakeup);
	fd = sys_perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return fd;

	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		goto out_close;
	}

	ring->fd = fd;
	ring->cpu = cpu;
	ring->map = map;
	ring->map_len = map_len;
	ring->meta = map;
	ring->data = (uint8_t *)map + page_size;
	ring->data_size = (uint64_t)pages * (uint64_t)page_size;
	return 0;

out_close:
	close(fd);
	return err;
}

void ring_init_mem(struct perf_ring *ring, struct perf_event_mmap_page *meta,
		   uint8_t *data, uint64_t data_size)
{
	ring_reset(ring);
	ring->meta = meta;
	ring->data = data;
	ring->data_size = data_size;
}

/* Copies n bytes at ring offset `pos` (a free-running counter), wrapping
 * at the end of the data area. n <= data_size. */
static void ring_copy(const struct perf_ring *ring, uint64_t pos, void *dst,
		      size_t n)
{
	size_t off = (size_t)(pos & (ring->data_size - 1));
	size_t first = ring->data_size - off;

	if (first > n)
		first = n;
	memcpy(dst, ring->data + off, first);
	memcpy((uint8_t *)dst + first, ring->data, n - first);
}

static int scratch_reserve(struct perf_ring *ring, size_t n)
{
	uint8_t *bigger;

	if (ring->scratch_len >= n)
		return 0;
	bigger = realloc(ring->scratch, n);
	if (!bigger)
		return -ENOMEM;
	ring->scratch = bigger;
	ring->scratch_len = n;
	return 0;
}

/* The `size` bytes of the record at `pos`: in place when contiguous,
 * otherwise copied into the scratch buffer so callers see one run. */
static int record_bytes(struct perf_ring *ring, uint64_t pos, size_t size,
			const uint8_t **out)
{
	size_t off = (size_t)(pos & (ring->data_size - 1));
	int err;

	if (off + size <= ring->data_size) {
		*out = ring->data + off;
		return 0;
	}
	err = scratch_reserve(ring, size);
	if (err)
		return err;
	ring_copy(ring, pos, ring->scratch, size);
	*out = ring->scratch;
	return 0;
}

/* Reads and checks the header at `pos`; `avail` bytes are published. A
 * header that does not fit what is published is corruption, not a
 * partial record: the kernel moves data_head only past whole records. */
static int read_header(const struct perf_ring *ring, uint64_t pos,
		       uint64_t avail, struct perf_event_header *hdr)
{
	if (avail < sizeof(*hdr))
		return -EINVAL;
	ring_copy(ring, pos, hdr, sizeof(*hdr));
	if (hdr->size < sizeof(*hdr) || hdr->size > ring->data_size ||
	    hdr->size > avail)
		return -EINVAL;
	return 0;
}

/* Hands one record to the callbacks. Sets *malformed when the record's
 * own sizes are inconsistent; otherwise returns what on_sample returned. */
static int dispatch_record(const struct perf_ring *ring, const uint8_t *rec,
			   const struct perf_event_header *hdr,
			   ring_sample_fn on_sample, ring_lost_fn on_lost,
			   void *ctx, bool *malformed)
{
	uint32_t raw_size;
	uint64_t lost;

	switch (hdr->type) {
	case PERF_RECORD_SAMPLE:
		if (hdr->size < SAMPLE_RAW_OFFSET)
			break;
		memcpy(&raw_size, rec + sizeof(*hdr), sizeof(raw_size));
		if (raw_size > hdr->size - SAMPLE_RAW_OFFSET)
			break;
		return on_sample ? on_sample(ctx, ring->cpu,
					     rec + SAMPLE_RAW_OFFSET,
					     raw_size) : 0;
	case PERF_RECORD_LOST:
		if (hdr->size < LOST_RECORD_SIZE)
			break;
		memcpy(&lost, rec + LOST_COUNT_OFFSET, sizeof(lost));
		if (on_lost)
			on_lost(ctx, ring->cpu, lost);
		return 0;
	default:
		/* Throttle, unthrottle and friends carry nothing for us. */
		return 0;
	}
	*malformed = true;
	return 0;
}

int ring_drain(struct perf_ring *ring, ring_sample_fn on_sample,
	       ring_lost_fn on_lost, void *ctx)
{
	struct perf_event_mmap_page *meta = ring->meta;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;
	bool malformed = false;
	int ret = 0;

	/* A ring smaller than a record header cannot hold a record (real
	 * rings are whole pages; this guards ring_init_mem's callers). */
	if (head - tail > ring->data_size ||
	    ring->data_size < sizeof(struct perf_event_header))
		malformed = true;

	while (!malformed && tail != head) {
		struct perf_event_header hdr;
		const uint8_t *rec;

		if (read_header(ring, tail, head - tail, &hdr)) {
			malformed = true;
			break;
		}
		ret = record_bytes(ring, tail, hdr.size, &rec);
		if (ret)
			break;  /* -ENOMEM: leave the record for a retry */
		ret = dispatch_record(ring, rec, &hdr, on_sample, on_lost,
				      ctx, &malformed);
		if (malformed)
			break;
		tail += hdr.size;
		if (ret)
			break;
	}

	/* Past a corrupt header there is no way to find the next record:
	 * drop everything published so far and start again at head. */
	if (malformed) {
		tail = head;
		ret = -EINVAL;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
	return ret;
}

void ring_close(struct perf_ring *ring)
{
	/* The fd is ours only together with a mapping: ring_open sets both
	 * or neither, and a zeroed struct's fd 0 is somebody else's. */
	if (ring->map) {
		munmap(ring->map, ring->map_len);
		if (ring->fd >= 0)
			close(ring->fd);
	}
	free(ring->scratch);
	ring_reset(ring);
}
