/* ring: a hand-built control page and a 64-byte data area, records written
 * at chosen positions so that headers and payloads wrap the end. */
#include "check.h"

#include "ring.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA_SIZE 64u

struct fake {
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	struct perf_ring ring;
};

/* What the callbacks saw. */
struct seen {
	int samples;
	uint8_t payload[8][32];
	uint32_t sizes[8];
	int cpus[8];
	int lost_calls;
	uint64_t lost;
	int stop_at;      /* return stop_ret from this sample (1-based) */
	int stop_ret;
};

static void fake_init(struct fake *f, uint64_t pos)
{
	f->meta = calloc(1, sizeof(*f->meta));
	f->data = calloc(1, DATA_SIZE);
	ring_init_mem(&f->ring, f->meta, f->data, DATA_SIZE);
	f->ring.cpu = 3;
	f->meta->data_head = pos;
	f->meta->data_tail = pos;
}

static void fake_free(struct fake *f)
{
	ring_close(&f->ring);
	free(f->meta);
	free(f->data);
}

/* Writes bytes the way the kernel does: at head, wrapping. */
static void put(struct fake *f, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t i;

	for (i = 0; i < n; i++)
		f->data[(f->meta->data_head + i) % DATA_SIZE] = s[i];
	f->meta->data_head += n;
}

static void put_header(struct fake *f, uint32_t type, uint16_t size)
{
	struct perf_event_header h = { .type = type, .misc = 0, .size = size };

	put(f, &h, sizeof(h));
}

/* A PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW, padded to 8 bytes like the
 * kernel pads it. Returns the record size. */
static uint16_t put_sample(struct fake *f, const void *raw, uint32_t n)
{
	uint16_t size = (uint16_t)((8 + 4 + n + 7) & ~7u);
	uint8_t pad[8] = { 0 };

	put_header(f, PERF_RECORD_SAMPLE, size);
	put(f, &n, sizeof(n));
	put(f, raw, n);
	put(f, pad, size - 8 - 4 - n);
	return size;
}

static void put_lost(struct fake *f, uint64_t id, uint64_t lost)
{
	put_header(f, PERF_RECORD_LOST, 24);
	put(f, &id, sizeof(id));
	put(f, &lost, sizeof(lost));
}

static int on_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct seen *s = ctx;
	int i = s->samples++;

	if (i < 8) {
		s->sizes[i] = size;
		s->cpus[i] = cpu;
		memcpy(s->payload[i], data, size < 32 ? size : 32);
	}
	return s->samples == s->stop_at ? s->stop_ret : 0;
}

static void on_lost(void *ctx, int cpu, uint64_t lost)
{
	struct seen *s = ctx;

	s->lost_calls++;
	s->lost += lost;
}

static void test_records_that_fit(void)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, 0);
	put_sample(&f, "abcd", 4);           /* 16 bytes */
	put_sample(&f, "0123456789", 10);    /* 24 bytes */
	CHECK_INT(f.meta->data_head, 40);

	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 2);
	CHECK_INT(s.sizes[0], 4);
	CHECK(memcmp(s.payload[0], "abcd", 4) == 0);
	CHECK_INT(s.sizes[1], 10);
	CHECK(memcmp(s.payload[1], "0123456789", 10) == 0);
	CHECK_INT(s.cpus[0], 3);
	CHECK_INT(f.meta->data_tail, 40);
	CHECK_INT(s.lost_calls, 0);

	/* Nothing new: a second drain is a no-op. */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 2);
	CHECK_INT(f.meta->data_tail, 40);
	fake_free(&f);
}

static void test_header_split(void)
{
	struct fake f;
	struct seen s = { 0 };

	/* Header at 60..63 and 0..3 of the data area. */
	fake_init(&f, 60);
	put_sample(&f, "wrapped-hdr", 11);   /* 24 bytes, ends at 84 */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK_INT(s.sizes[0], 11);
	CHECK(memcmp(s.payload[0], "wrapped-hdr", 11) == 0);
	CHECK_INT(f.meta->data_tail, 84);
	CHECK(f.ring.scratch != NULL);
	fake_free(&f);
}

static void test_payload_split(void)
{
	struct fake f;
	struct seen s = { 0 };

	/* Header whole at 56..63, size word and payload after the wrap. */
	fake_init(&f, 56);
	put_sample(&f, "payload-wraps", 13); /* 32 bytes, ends at 88 */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 1);
	CHECK_INT(s.sizes[0], 13);
	CHECK(memcmp(s.payload[0], "payload-wraps", 13) == 0);
	CHECK_INT(f.meta->data_tail, 88);

	/* Payload split in the middle of the raw data this time. */
	f.meta->data_head = f.meta->data_tail = 64 * 1000 + 40;
	put_sample(&f, "0123456789abcdefghij", 20); /* 32 bytes */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 2);
	CHECK_INT(s.sizes[1], 20);
	CHECK(memcmp(s.payload[1], "0123456789abcdefghij", 20) == 0);
	CHECK_INT(f.meta->data_tail, 64 * 1000 + 72);
	fake_free(&f);
}

static void test_lost_after_samples(void)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, 8);
	put_sample(&f, "one", 3);            /* 16 */
	put_sample(&f, "two", 3);            /* 16 */
	put_lost(&f, 99, 1234567890123ull);  /* 24, ends at the very end */
	CHECK_INT(f.meta->data_head, 64);
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 2);
	CHECK(memcmp(s.payload[1], "two", 3) == 0);
	CHECK_INT(s.lost_calls, 1);
	CHECK(s.lost == 1234567890123ull);
	CHECK_INT(f.meta->data_tail, 64);

	/* Second lap: a record type we skip, then one of each. */
	put_header(&f, PERF_RECORD_THROTTLE, 16);  /* 64..79, skipped */
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	put_sample(&f, "x", 1);              /* 80..95 */
	put_lost(&f, 1, 7);                  /* 96..119 */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 3);
	CHECK(s.payload[2][0] == 'x');
	CHECK_INT(s.lost_calls, 2);
	CHECK(s.lost == 1234567890123ull + 7);
	CHECK_INT(f.meta->data_tail, 120);
	fake_free(&f);
}

static void test_lost_split(void)
{
	struct fake f;
	struct seen s = { 0 };

	/* Header at 48..55, id at 56..63, count at 0..7. */
	fake_init(&f, 48);
	put_lost(&f, 1, 42);
	CHECK_INT(ring_drain(&f.ring, NULL, on_lost, &s), 0);
	CHECK_INT(s.lost_calls, 1);
	CHECK_INT(s.lost, 42);
	CHECK_INT(f.meta->data_tail, 72);
	fake_free(&f);
}

static void test_stop_on_callback(void)
{
	struct fake f;
	struct seen s = { .stop_at = 2, .stop_ret = 7 };

	fake_init(&f, 0);
	put_sample(&f, "a", 1);  /* 0..15 */
	put_sample(&f, "b", 1);  /* 16..31 */
	put_sample(&f, "c", 1);  /* 32..47 */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 7);
	CHECK_INT(s.samples, 2);
	CHECK_INT(f.meta->data_tail, 32);

	/* The rest is still there for the next drain. */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 3);
	CHECK(s.payload[2][0] == 'c');
	CHECK_INT(f.meta->data_tail, 48);
	fake_free(&f);
}

static void check_corrupt(uint64_t start, uint16_t hdr_size, uint32_t type)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, start);
	put_sample(&f, "ok", 2);            /* delivered before the bad one */
	put_header(&f, type, hdr_size);
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), -EINVAL);
	CHECK_INT(s.samples, 1);
	CHECK(f.meta->data_tail == f.meta->data_head);
	CHECK_INT(f.meta->data_tail, start + 32);
	fake_free(&f);
}

static void test_corrupt_header(void)
{
	check_corrupt(0, 0, PERF_RECORD_SAMPLE);       /* size 0 */
	check_corrupt(0, 7, PERF_RECORD_SAMPLE);       /* < header */
	check_corrupt(0, 72, PERF_RECORD_SAMPLE);      /* > data_size */
	check_corrupt(0, 0xffff, PERF_RECORD_SAMPLE);  /* way bigger */
	check_corrupt(0, 40, PERF_RECORD_SAMPLE);      /* > published */
	check_corrupt(44, 0, PERF_RECORD_SAMPLE);      /* split, size 0 */
	check_corrupt(0, 16, PERF_RECORD_LOST);        /* LOST too short */
	check_corrupt(0, 8, PERF_RECORD_SAMPLE);       /* no size word */
}

static void test_raw_size_larger_than_record(void)
{
	struct fake f;
	struct seen s = { 0 };
	uint32_t raw = 5;

	fake_init(&f, 0);
	put_header(&f, PERF_RECORD_SAMPLE, 16);   /* room for 4 raw bytes */
	put(&f, &raw, sizeof(raw));
	put(&f, "abcd", 4);
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), -EINVAL);
	CHECK_INT(s.samples, 0);
	CHECK_INT(f.meta->data_tail, 16);
	fake_free(&f);
}

static void test_head_too_far_ahead(void)
{
	struct fake f;
	struct seen s = { 0 };

	fake_init(&f, 0);
	put_sample(&f, "a", 1);
	f.meta->data_head = 200;   /* more than the ring can hold */
	CHECK_INT(ring_drain(&f.ring, on_sample, on_lost, &s), -EINVAL);
	CHECK_INT(s.samples, 0);
	CHECK_INT(f.meta->data_tail, 200);
	fake_free(&f);
}

static void test_close_is_safe(void)
{
	struct perf_ring zeroed;
	int before = fcntl(0, F_GETFD);

	memset(&zeroed, 0, sizeof(zeroed));
	ring_close(&zeroed);
	ring_close(&zeroed);
	/* A zeroed ring's fd 0 is not ours: stdin stays as it was. */
	CHECK_INT(fcntl(0, F_GETFD), before);
	CHECK_INT(zeroed.fd, -1);
	CHECK(zeroed.map == NULL);
}

static void test_open_rejects_bad_pages(void)
{
	struct perf_ring ring;

	CHECK_INT(ring_open(&ring, 0, 0, 0), -EINVAL);
	CHECK_INT(ring.fd, -1);
	CHECK_INT(ring_open(&ring, 0, 3, 0), -EINVAL);
	CHECK_INT(ring_open(&ring, 0, 6, 0), -EINVAL);
	CHECK_INT(ring.fd, -1);
	ring_close(&ring);
}

/* A CPU-wide event needs CAP_PERFMON or perf_event_paranoid <= 0. */
static bool perf_event_permitted(void)
{
	struct perf_ring ring;
	int err = ring_open(&ring, 0, 2, 0);

	ring_close(&ring);
	return err != -EACCES && err != -EPERM && err != -ENOSYS &&
	       err != -ENOENT && err != -EOPNOTSUPP;
}

/* The real thing, where the machine allows it. */
static void test_open_real(void)
{
	struct perf_ring ring;
	long page = sysconf(_SC_PAGESIZE);
	struct seen s = { 0 };
	int fd, err = ring_open(&ring, 0, 2, 0);

	CHECK_INT(err, 0);
	if (err)
		return;
	fd = ring.fd;
	CHECK(fd >= 0);
	CHECK(ring.map != NULL);
	CHECK_INT(ring.cpu, 0);
	CHECK_INT(ring.map_len, 3 * page);
	CHECK_INT(ring.data_size, 2 * page);
	CHECK(ring.data == (uint8_t *)ring.map + page);
	CHECK_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK_INT(ring_drain(&ring, on_sample, on_lost, &s), 0);
	CHECK_INT(s.samples, 0);
	ring_close(&ring);
	CHECK_INT(ring.fd, -1);
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
	ring_close(&ring);
}

int main(void)
{
	RUN(test_records_that_fit);
	RUN(test_header_split);
	RUN(test_payload_split);
	RUN(test_lost_after_samples);
	RUN(test_lost_split);
	RUN(test_stop_on_callback);
	RUN(test_corrupt_header);
	RUN(test_raw_size_larger_than_record);
	RUN(test_head_too_far_ahead);
	RUN(test_close_is_safe);
	RUN(test_open_rejects_bad_pages);
	if (perf_event_permitted())
		RUN(test_open_real);
	else
		SKIP(test_open_real, "perf_event_open not permitted here");
	return check_exit_code();
}
