/* The BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8+, kernel/bpf/
 * ringbuf.c) that the BPF program writes with bpf_ringbuf_output(): one
 * ring shared by every CPU. The reader maps the consumer page read-write
 * and the producer page plus the data area read-only (the kernel maps the
 * data pages twice back to back, so a record never wraps for us), walks
 * the committed records and releases consumer_pos as it goes. Formats
 * nothing. */
#ifndef TCPDROP_RINGBUF_H
#define TCPDROP_RINGBUF_H

#include "ring.h" /* ring_sample_fn */

#include <stddef.h>
#include <stdint.h>

/* The `cpu` on_sample gets: one ring serves all CPUs, and the record
 * carries its CPU itself if it needs one. */
#define RINGBUF_NO_CPU -1
/* A drain gives the room back (consumer_pos) every 1/8 of the ring and
 * at its end. */
#define RINGBUF_RELEASE_PART 8

struct ringbuf {
	int map_fd;                /* the RINGBUF map (not owned, not closed), -1 for memory */
	volatile uint64_t *consumer_pos;   /* first page, mapped read-write */
	volatile const uint64_t *producer_pos; /* next page, read-only */
	const uint8_t *data;       /* data area, mapped twice back to back: 2 * size bytes */
	uint64_t size;             /* data bytes, power of two (the map's max_entries) */
	void *consumer_map;        /* mappings, NULL when none */
	void *producer_map;
	size_t producer_len;
};

/* Maps the ring of BPF_MAP_TYPE_RINGBUF map `map_fd` whose max_entries is
 * `size` bytes (a power of two and a whole number of pages, as
 * ringbuf_map_alloc() demands): the consumer page read-write at offset 0,
 * then the producer page and the 2 * `size` bytes of doubly mapped data
 * read-only at offset page_size (ringbuf_map_mmap_kern() refuses any other
 * writable mapping). The fd stays the caller's. Returns 0, -EINVAL for a
 * bad `size`, or mmap()'s -errno (-EPERM, -EINVAL when `size` is not the
 * map's); on error nothing stays mapped. */
int ringbuf_open(struct ringbuf *rb, int map_fd, uint64_t size);

/* Over memory the caller owns (tests): `data` must be 2*size bytes with
 * the second half mirroring the first, as the kernel's double mapping
 * does, and 8-byte aligned; `size` a power of two. */
void ringbuf_init_mem(struct ringbuf *rb, uint64_t *consumer_pos,
		      uint64_t *producer_pos, const uint8_t *data,
		      uint64_t size);

/* Reads every committed record from consumer_pos up to the producer_pos
 * read at the start. Each record is an 8-byte header { u32 len; u32
 * pg_off } and len bytes, padded to 8 (include/uapi/linux/bpf.h
 * BPF_RINGBUF_HDR_SZ). Calls on_sample(ctx, RINGBUF_NO_CPU, payload, len)
 * for each one; the payload points into the mapping, 8-byte aligned, valid
 * until the next drain. A record still BUSY (reserved, not committed)
 * ends the drain, returning 0, and is read by a later drain; a DISCARD one
 * is skipped and consumed. A non-zero return of `on_sample` stops the
 * drain (that record consumed) and is returned. A header whose len is
 * larger than size - 8, a record past producer_pos, a consumer_pos not a
 * multiple of 8 or more than `size` behind producer_pos is -EINVAL, and
 * consumer_pos is then moved to producer_pos. */
int ringbuf_drain(struct ringbuf *rb, ring_sample_fn on_sample, void *ctx);

/* Unmaps both mappings; the map fd is left open. Safe on a zeroed or
 * closed ringbuf, and twice. */
void ringbuf_close(struct ringbuf *rb);

#endif
