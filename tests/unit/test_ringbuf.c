/* ringbuf: a hand-built ring of 64 data bytes, written the way the kernel
 * writes (header with BUSY at reserve, payload, commit), both halves of
 * the doubly mapped data area kept equal; then a real BPF_MAP_TYPE_RINGBUF
 * map (root; skipped, and said, where the map cannot be created) that a
 * socket filter run through BPF_PROG_TEST_RUN fills, read through the
 * kernel's own mapping. */
#include "check.h"

#include "ringbuf.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DATA_SIZE 64u
#define MAX_SEEN 8

struct fake {
	uint64_t consumer_pos;
	uint64_t producer_pos;
	uint64_t area[2 * DATA_SIZE / 8];   /* 8-byte aligned, as pages are */
	struct ringbuf rb;
};

/* What on_sample saw. */
struct seen {
	int samples;
	uint8_t payload[MAX_SEEN][64];
	uint32_t sizes[MAX_SEEN];
	int cpus[MAX_SEEN];
	const uint8_t *where[MAX_SEEN];
	int stop_at;      /* return stop_ret from this sample (1-based) */
	int stop_ret;
};

static void fake_init(struct fake *f, uint64_t pos)
{
	memset(f, 0, sizeof(*f));
	f->consumer_pos = pos;
	f->producer_pos = pos;
	ringbuf_init_mem(&f->rb, &f->consumer_pos, &f->producer_pos,
			 (const uint8_t *)f->area, DATA_SIZE);
}

/* Writes at ring position `pos` into both copies of the data area, as
 * the double mapping shows one write at two addresses. */
static void poke(struct fake *f, uint64_t pos, const void *src, size_t n)
{
	uint8_t *data = (uint8_t *)f->area;
	const uint8_t *s = src;
	size_t i, off;

	for (i = 0; i < n; i++) {
		off = (size_t)((pos + i) % DATA_SIZE);
		data[off] = s[i];
		data[off + DATA_SIZE] = s[i];
	}
}

static uint32_t header_word(struct fake *f, uint64_t pos)
{
	uint32_t word;

	memcpy(&word, (uint8_t *)f->area + pos % DATA_SIZE, sizeof(word));
	return word;
}

static uint64_t record_total(uint32_t len)
{
	return ((uint64_t)len + 8 + 7) & ~(uint64_t)7;
}

/* __bpf_ringbuf_reserve(): header { len | BUSY, pg_off }, producer_pos
 * moved past the whole record. Returns the record's position. */
static uint64_t reserve(struct fake *f, uint32_t len)
{
	uint64_t pos = f->producer_pos;
	uint32_t hdr[2] = { len | BPF_RINGBUF_BUSY_BIT, 0 };

	poke(f, pos, hdr, sizeof(hdr));
	f->producer_pos += record_total(len);
	return pos;
}

/* bpf_ringbuf_commit(): BUSY cleared, DISCARD set when discarding. */
static void commit(struct fake *f, uint64_t pos, bool discard)
{
	uint32_t word = header_word(f, pos) ^ BPF_RINGBUF_BUSY_BIT;

	if (discard)
		word |= BPF_RINGBUF_DISCARD_BIT;
	poke(f, pos, &word, sizeof(word));
}

/* bpf_ringbuf_output(): reserve, copy, commit. Returns the position. */
static uint64_t put(struct fake *f, const void *payload, uint32_t len)
{
	uint64_t pos = reserve(f, len);

	poke(f, pos + 8, payload, len);
	commit(f, pos, false);
	return pos;
}

/* A header the kernel would never write, and producer_pos past it. */
static void put_raw_header(struct fake *f, uint32_t word, uint64_t advance)
{
	uint32_t hdr[2] = { word, 0 };

	poke(f, f->producer_pos, hdr, sizeof(hdr));
	f->producer_pos += advance;
}

static int on_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct seen *s = ctx;
	int i = s->samples++;

	if (i < MAX_SEEN) {
		s->sizes[i] = size;
		s->cpus[i] = cpu;
		s->where[i] = data;
		memcpy(s->payload[i], data, size < 64 ? size : 64);
	}
	return s->samples == s->stop_at ? s->stop_ret : 0;
}

static void test_empty(void)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, 0);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 0);
	CHECK_INT(f.consumer_pos, 0);

	fake_init(&f, 40);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 0);
	CHECK_INT(f.consumer_pos, 40);
	CHECK_INT(f.rb.map_fd, -1);
}

static void test_one_record(void)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, 0);
	put(&f, "abcd", 4);                     /* 8 + 4, padded to 16 */
	CHECK_INT(f.producer_pos, 16);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK_INT(s.sizes[0], 4);
	CHECK(memcmp(s.payload[0], "abcd", 4) == 0);
	CHECK_INT(s.cpus[0], RINGBUF_NO_CPU);
	CHECK(s.where[0] == (const uint8_t *)f.area + 8);
	CHECK_INT(f.consumer_pos, 16);

	/* Nothing new: a second drain is a no-op. */
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK_INT(f.consumer_pos, 16);
}

static void test_several(void)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, 8);
	put(&f, "", 0);                          /*  8..15 */
	put(&f, "0123456789", 10);               /* 16..39 */
	put(&f, "01234567", 8);                  /* 40..55, no padding */
	CHECK_INT(f.producer_pos, 56);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 3);
	CHECK_INT(s.sizes[0], 0);
	CHECK_INT(s.sizes[1], 10);
	CHECK(memcmp(s.payload[1], "0123456789", 10) == 0);
	CHECK_INT(s.sizes[2], 8);
	CHECK(memcmp(s.payload[2], "01234567", 8) == 0);
	CHECK(s.where[2] == (const uint8_t *)f.area + 48);
	CHECK_INT(f.consumer_pos, 56);
}

static void test_crosses_end(void)
{
	struct fake f;
	struct seen s = { 0 };
	const char *text = "this-payload-wraps!!";   /* 20 bytes */

	/* Header at 48..55, payload 56..75: 56..63 and 0..11 of the area,
	 * read in one run through the second copy. */
	fake_init(&f, 48);
	put(&f, text, 20);
	CHECK_INT(f.producer_pos, 80);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK_INT(s.sizes[0], 20);
	CHECK(memcmp(s.payload[0], text, 20) == 0);
	CHECK(s.where[0] == (const uint8_t *)f.area + 56);
	CHECK_INT(f.consumer_pos, 80);

	/* The largest payload a 64-byte ring takes (size - 8), from the
	 * middle of the area: it ends in the second copy. */
	{
		uint8_t big[56];
		int i;

		for (i = 0; i < 56; i++)
			big[i] = (uint8_t)(0xa0 + i);
		f.consumer_pos = f.producer_pos = 64 * 1000 + 24;
		put(&f, big, 56);
		CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
		CHECK_INT(s.samples, 2);
		CHECK_INT(s.sizes[1], 56);
		CHECK(memcmp(s.payload[1], big, 56) == 0);
		CHECK(s.where[1] == (const uint8_t *)f.area + 32);
		CHECK_INT(f.consumer_pos, 64 * 1000 + 24 + 64);
	}
}

static void test_busy_stops(void)
{
	struct fake f;
	struct seen s = { 0 };
	uint64_t second;

	fake_init(&f, 0);
	put(&f, "one", 3);                       /*  0..15 */
	second = reserve(&f, 5);                 /* 16..31, not committed */
	put(&f, "three", 5);                     /* 32..47, committed */
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK(memcmp(s.payload[0], "one", 3) == 0);
	CHECK_INT(f.consumer_pos, 16);

	/* Still busy: nothing moves. */
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK_INT(f.consumer_pos, 16);

	poke(&f, second + 8, "two!!", 5);
	commit(&f, second, false);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 3);
	CHECK_INT(s.sizes[1], 5);
	CHECK(memcmp(s.payload[1], "two!!", 5) == 0);
	CHECK(memcmp(s.payload[2], "three", 5) == 0);
	CHECK_INT(f.consumer_pos, 48);
}

static void test_discard_skipped(void)
{
	struct fake f;
	struct seen s = { 0 };
	uint64_t gone;

	fake_init(&f, 0);
	put(&f, "keep1", 5);                     /*  0..15 */
	gone = reserve(&f, 20);                  /* 16..47 */
	poke(&f, gone + 8, "discarded-discarded!", 20);
	commit(&f, gone, true);
	put(&f, "keep2", 5);                     /* 48..63 */
	CHECK_INT(header_word(&f, gone), 20 | BPF_RINGBUF_DISCARD_BIT);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 2);
	CHECK(memcmp(s.payload[0], "keep1", 5) == 0);
	CHECK(memcmp(s.payload[1], "keep2", 5) == 0);
	CHECK_INT(f.consumer_pos, 64);
}

static void test_stop_return(void)
{
	struct fake f;
	struct seen s = { .stop_at = 2, .stop_ret = 7 };

	fake_init(&f, 0);
	put(&f, "a", 1);                         /*  0..15 */
	put(&f, "b", 1);                         /* 16..31 */
	put(&f, "c", 1);                         /* 32..47 */
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 7);
	CHECK_INT(s.samples, 2);
	CHECK(s.payload[1][0] == 'b');
	CHECK_INT(f.consumer_pos, 32);

	/* The rest is still there for the next drain. */
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 3);
	CHECK(s.payload[2][0] == 'c');
	CHECK_INT(f.consumer_pos, 48);
}

static void test_null_callback_consumes(void)
{
	struct fake f;

	fake_init(&f, 0);
	put(&f, "x", 1);
	put(&f, "y", 1);
	CHECK_INT(ringbuf_drain(&f.rb, NULL, NULL), 0);
	CHECK_INT(f.consumer_pos, 32);
}

/* A good record, then `word` as a header with producer_pos `advance`
 * bytes past it: -EINVAL, the good one delivered, consumer at producer. */
static void check_corrupt(uint64_t start, uint32_t word, uint64_t advance)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, start);
	put(&f, "ok", 2);
	put_raw_header(&f, word, advance);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), -EINVAL);
	CHECK_INT(s.samples, 1);
	CHECK(memcmp(s.payload[0], "ok", 2) == 0);
	CHECK_INT(f.consumer_pos, start + 16 + advance);
	CHECK(f.consumer_pos == f.producer_pos);
	/* And the ring works again from there (from a position the kernel
	 * could have written: a multiple of 8). */
	if (advance % 8)
		return;
	put(&f, "again", 5);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 2);
	CHECK(memcmp(s.payload[1], "again", 5) == 0);
}

static void test_len_too_big(void)
{
	check_corrupt(0, DATA_SIZE - 8 + 1, 16);           /* size - 7 */
	check_corrupt(0, 0x3fffffff, 16);                  /* huge */
	check_corrupt(0, 0x3fffffff | BPF_RINGBUF_DISCARD_BIT, 16);
	check_corrupt(40, DATA_SIZE - 8 + 1, 8);           /* wrapped */
	check_corrupt(0, 16, 16);           /* needs 24, 16 published */
	check_corrupt(0, 0, 4);             /* header not published whole */
}

static void test_positions_insane(void)
{
	struct fake f;
	struct seen s = { 0 };

	/* More published than the ring holds. */
	fake_init(&f, 0);
	put(&f, "a", 1);
	f.producer_pos = 200;
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), -EINVAL);
	CHECK_INT(s.samples, 0);
	CHECK_INT(f.consumer_pos, 200);

	/* A consumer not on a record boundary. */
	fake_init(&f, 0);
	put(&f, "a", 1);
	f.consumer_pos = 4;
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), -EINVAL);
	CHECK_INT(s.samples, 0);
	CHECK_INT(f.consumer_pos, 16);
}

static void test_positions_near_2_64(void)
{
	struct fake f;
	struct seen s = { 0 };
	uint64_t start = UINT64_MAX - 23;        /* 2^64 - 24 */

	fake_init(&f, start);
	put(&f, "before", 6);                    /* 2^64-24 .. 2^64-9 */
	put(&f, "across", 6);                    /* 2^64-8 .. 7 */
	put(&f, "after!", 6);                    /* 8 .. 23 */
	CHECK_INT(f.producer_pos, 24);
	CHECK_INT(ringbuf_drain(&f.rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 3);
	CHECK(memcmp(s.payload[0], "before", 6) == 0);
	CHECK(memcmp(s.payload[1], "across", 6) == 0);
	CHECK(memcmp(s.payload[2], "after!", 6) == 0);
	/* Header at 56..63, payload at 0..5 read in the second copy. */
	CHECK(s.where[1] == (const uint8_t *)f.area + 64);
	CHECK_INT(f.consumer_pos, 24);
}

static void test_close_is_safe(void)
{
	struct ringbuf zeroed;
	int before = fcntl(0, F_GETFD);

	memset(&zeroed, 0, sizeof(zeroed));
	ringbuf_close(&zeroed);
	ringbuf_close(&zeroed);
	CHECK_INT(fcntl(0, F_GETFD), before);
	CHECK_INT(zeroed.map_fd, -1);
	CHECK(zeroed.consumer_map == NULL && zeroed.producer_map == NULL);
}

static void test_open_rejects_bad_size(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ringbuf rb;

	/* Checked before any mmap: fd -1 would give -EBADF otherwise. */
	CHECK_INT(ringbuf_open(&rb, -1, 0), -EINVAL);
	CHECK_INT(ringbuf_open(&rb, -1, 3 * page), -EINVAL);
	CHECK_INT(ringbuf_open(&rb, -1, 64), -EINVAL);   /* < a page */
	CHECK_INT(ringbuf_open(&rb, -1, 1ull << 63), -EINVAL);
	CHECK(rb.consumer_map == NULL && rb.producer_map == NULL);
	CHECK_INT(ringbuf_open(&rb, -1, 2 * page), -EBADF);
	CHECK(rb.consumer_map == NULL && rb.producer_map == NULL);
	ringbuf_close(&rb);
}

/* The real ring: a BPF_MAP_TYPE_RINGBUF map of one page. */
static int make_ringbuf_map(uint64_t size)
{
	struct sys_map_spec spec = {
		"tcpdrop_test", BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)size, 0,
	};

	return sys_map_create(&spec);
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	struct bpf_insn i = {
		.code = code, .dst_reg = dst, .src_reg = src, .off = off,
		.imm = imm,
	};

	return i;
}

#define PAYLOAD_MAGIC1 0x7cd70b0fu
#define PAYLOAD_MAGIC2 0x0b0f7cd7u
#define PAYLOAD_LEN 12u   /* + 8 header = 20, a 24-byte record */

/* A socket filter that sends { MAGIC1, skb->len, MAGIC2 } (12 bytes) with
 * bpf_ringbuf_output(map, fp - 12, 12, 0): a producer for the real ring
 * without tracepoints. Returns the program fd or -errno. */
static int load_producer(int map_fd)
{
	struct bpf_insn prog[] = {
		/* r2 = skb->len (struct __sk_buff, offset 0) */
		insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0),
		insn(BPF_ST | BPF_W | BPF_MEM, BPF_REG_10, 0, -12,
		     (int32_t)PAYLOAD_MAGIC1),
		insn(BPF_STX | BPF_W | BPF_MEM, BPF_REG_10, BPF_REG_2, -8, 0),
		insn(BPF_ST | BPF_W | BPF_MEM, BPF_REG_10, 0, -4,
		     (int32_t)PAYLOAD_MAGIC2),
		insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD,
		     0, map_fd),
		insn(0, 0, 0, 0, 0),
		insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -12),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0,
		     PAYLOAD_LEN),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct sys_prog_load load = {
		.type = BPF_PROG_TYPE_SOCKET_FILTER,
		.name = "tcpdrop_test",
		.insns = prog,
		.insn_cnt = sizeof(prog) / sizeof(prog[0]),
		.license = "GPL",
	};

	return sys_prog_load(&load);
}

/* BPF_PROG_TEST_RUN once over an Ethernet header and `len` bytes: the
 * program sees skb->len == `len`, as bpf_prog_test_run_skb() pulls the
 * Ethernet header (eth_type_trans()) before running a socket filter. */
static int run_producer(int prog_fd, uint32_t len)
{
	static uint8_t packet[ETH_HLEN + 256];
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog_fd;
	attr.test.data_in = (uint64_t)(uintptr_t)packet;
	attr.test.data_size_in = ETH_HLEN + len;
	attr.test.repeat = 1;
	if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr)))
		return -errno;
	return 0;
}

static int check_kernel_record(void *ctx, int cpu, const void *data,
			       uint32_t size)
{
	uint32_t *lens = ctx, words[3];

	CHECK_INT(cpu, RINGBUF_NO_CPU);
	CHECK_INT(size, PAYLOAD_LEN);
	CHECK_INT((uintptr_t)data % 8, 0);
	memcpy(words, data, sizeof(words));
	CHECK_INT(words[0], PAYLOAD_MAGIC1);
	CHECK_INT(words[2], PAYLOAD_MAGIC2);
	if (lens[0] < 2)
		lens[lens[0] + 1] = words[1];
	lens[0]++;
	return 0;
}

/* Records the kernel itself wrote, one test run and one drain at a time,
 * until the ring has gone round once and a record has crossed its end
 * (24-byte records do not divide a page). */
static void check_kernel_records(struct ringbuf *rb, int prog_fd)
{
	uint64_t laps = rb->size / 24 + 2, i;
	bool crossed = false;
	uint32_t lens[3];
	uint64_t pos;

	for (i = 0; i < laps; i++) {
		uint32_t len = (uint32_t)(i % 200);

		pos = *rb->consumer_pos;
		if (run_producer(prog_fd, len)) {
			CHECK(!"BPF_PROG_TEST_RUN failed");
			return;
		}
		CHECK_INT(*rb->producer_pos, pos + 24);
		lens[0] = 0;
		CHECK_INT(ringbuf_drain(rb, check_kernel_record, lens), 0);
		CHECK_INT(lens[0], 1);
		CHECK_INT(lens[1], len);
		CHECK_INT(*rb->consumer_pos, pos + 24);
		if ((pos % rb->size) + 24 > rb->size)
			crossed = true;
	}
	CHECK(crossed);
	CHECK_INT(*rb->consumer_pos, laps * 24);
}

static void test_real_map(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t size = (uint64_t)page;
	struct ringbuf rb;
	struct seen s = { 0 };
	int map_fd = make_ringbuf_map(size), prog_fd;

	if (map_fd < 0) {
		SKIP(test_real_map, "BPF_MAP_TYPE_RINGBUF map creation refused "
				    "here (needs root and Linux 5.8+)");
		return;
	}
	CHECK_INT(ringbuf_open(&rb, map_fd, size), 0);
	CHECK_INT(rb.map_fd, map_fd);
	CHECK(rb.consumer_map != NULL && rb.producer_map != NULL);
	CHECK(rb.consumer_pos == rb.consumer_map);
	CHECK(rb.producer_pos == rb.producer_map);
	CHECK_INT(rb.producer_len, page + 2 * size);
	CHECK(rb.data == (const uint8_t *)rb.producer_map + page);
	CHECK_INT(rb.size, size);
	CHECK_INT(*rb.consumer_pos, 0);
	CHECK_INT(*rb.producer_pos, 0);
	CHECK_INT(ringbuf_drain(&rb, on_sample, &s), 0);
	CHECK_INT(s.samples, 0);
	CHECK_INT(*rb.consumer_pos, 0);

	prog_fd = load_producer(map_fd);
	CHECK(prog_fd >= 0);
	if (prog_fd >= 0) {
		check_kernel_records(&rb, prog_fd);
		close(prog_fd);
	}

	/* A size that is not the map's: the kernel refuses the mapping and
	 * nothing stays mapped. */
	{
		struct ringbuf wrong;

		CHECK(ringbuf_open(&wrong, map_fd, 2 * size) < 0);
		CHECK(wrong.consumer_map == NULL && wrong.producer_map == NULL);
	}

	ringbuf_close(&rb);
	CHECK(rb.consumer_map == NULL && rb.producer_map == NULL);
	/* The map fd stays the caller's. */
	CHECK_INT(fcntl(map_fd, F_GETFD) >= 0, 1);
	ringbuf_close(&rb);
	close(map_fd);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_one_record);
	RUN(test_several);
	RUN(test_crosses_end);
	RUN(test_busy_stops);
	RUN(test_discard_skipped);
	RUN(test_stop_return);
	RUN(test_null_callback_consumes);
	RUN(test_len_too_big);
	RUN(test_positions_insane);
	RUN(test_positions_near_2_64);
	RUN(test_close_is_safe);
	RUN(test_open_rejects_bad_size);
	RUN(test_real_map);
	return check_exit_code();
}
