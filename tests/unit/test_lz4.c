/* The LZ4 frame decoder: the frames the build embeds (written by the lz4
 * tool) decode to the very objects, and object_open reads them; hand-built
 * frames reach each rule of the block format (long lengths, overlapping
 * matches, stored blocks, matches into an earlier block); every refusal
 * has its code; truncations and byte flips never crash (ASan). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "errmsg.h"
#include "lz4.h"
#include "object.h"

extern const unsigned char tcpdrop_bpf_object[], tcpdrop_bpf_object_end[];
extern const unsigned char tcpdrop_disc_object[], tcpdrop_disc_object_end[];
extern const unsigned char tcpdrop_bpf_lz4[], tcpdrop_bpf_lz4_end[];
extern const unsigned char tcpdrop_disc_lz4[], tcpdrop_disc_lz4_end[];

/* A frame under construction. */
struct frame {
	uint8_t b[1024];
	size_t len;
};

static void put(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put_byte(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void put_le32(struct frame *f, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		put_byte(f, (uint8_t)(v >> (8 * i)));
}

/* Magic, FLG, BD (64 KiB blocks), content size, header checksum (not
 * checked: 0). */
static void put_header(struct frame *f, uint8_t flg, uint64_t size)
{
	int i;

	f->len = 0;
	put_le32(f, 0x184D2204u);
	put_byte(f, flg);
	put_byte(f, 0x40);
	for (i = 0; i < 8; i++)
		put_byte(f, (uint8_t)(size >> (8 * i)));
	put_byte(f, 0);
}

#define FLG_SIZE 0x48 /* version 01, content size present */

static int decode(const struct frame *f, uint8_t **out, size_t *len)
{
	return lz4_frame_decode(f->b, f->len, out, len);
}

static void check_decodes_to(const unsigned char *frame, size_t frame_len,
			     const unsigned char *want, size_t want_len)
{
	uint8_t *out = NULL;
	size_t len = 0;

	CHECK(lz4_is_frame(frame, frame_len));
	CHECK(frame_len < want_len / 2);
	CHECK_INT(lz4_frame_decode(frame, frame_len, &out, &len), 0);
	CHECK_INT(len, want_len);
	CHECK(out && len == want_len && memcmp(out, want, len) == 0);
	free(out);
}

static void test_lz4_embedded_frames(void)
{
	check_decodes_to(tcpdrop_bpf_lz4,
			 (size_t)(tcpdrop_bpf_lz4_end - tcpdrop_bpf_lz4),
			 tcpdrop_bpf_object,
			 (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object));
	check_decodes_to(tcpdrop_disc_lz4,
			 (size_t)(tcpdrop_disc_lz4_end - tcpdrop_disc_lz4),
			 tcpdrop_disc_object,
			 (size_t)(tcpdrop_disc_object_end - tcpdrop_disc_object));
	CHECK(!lz4_is_frame(tcpdrop_bpf_object, 64));
}

/* object_open reads the frame as it reads the ELF: same programs, same
 * instructions, same maps. */
static void test_lz4_object_open(void)
{
	struct bpf_object a, b;
	struct errmsg msg;
	int i;

	errmsg_init(&msg);
	CHECK_INT(object_open(&a, tcpdrop_bpf_lz4,
			      (size_t)(tcpdrop_bpf_lz4_end - tcpdrop_bpf_lz4),
			      &msg), 0);
	CHECK_INT(object_open(&b, tcpdrop_bpf_object,
			      (size_t)(tcpdrop_bpf_object_end -
				       tcpdrop_bpf_object), &msg), 0);
	CHECK(a.image != NULL);
	CHECK(b.image == NULL);
	CHECK_INT(a.nprogs, 5);
	CHECK_INT(a.nprogs, b.nprogs);
	CHECK_INT(a.nmaps, b.nmaps);
	for (i = 0; i < a.nprogs && i < b.nprogs; i++) {
		CHECK_STR(a.progs[i].name, b.progs[i].name);
		CHECK_INT(a.progs[i].insn_cnt, b.progs[i].insn_cnt);
		CHECK(memcmp(a.progs[i].insns, b.progs[i].insns,
			     a.progs[i].insn_cnt * sizeof(struct bpf_insn)) == 0);
	}
	for (i = 0; i < a.nmaps && i < b.nmaps; i++)
		CHECK_STR(a.maps[i].name, b.maps[i].name);
	CHECK_INT(a.btf_ext_len, b.btf_ext_len);
	object_close(&a);
	object_close(&b);
}

/* "abc", a match of 11 at offset 3 that overlaps itself, then "xy"; then a
 * stored block "STORED"; then a block that is a match of 6 into the
 * first block (linked blocks) with 5 closing literals. */
static void test_lz4_handbuilt(void)
{
	static const char want[] = "abcabcabcabcabxySTOREDbcabcaHELLO";
	const uint8_t block1[] = { 0x37, 'a', 'b', 'c', 3, 0,
				   0x20, 'x', 'y' };
	const uint8_t block3[] = { 0x02, 21, 0, 0x50, 'H', 'E', 'L', 'L',
				   'O' };
	struct frame f;
	uint8_t *out = NULL;
	size_t len = 0;

	put_header(&f, FLG_SIZE, sizeof(want) - 1);
	put_le32(&f, sizeof(block1));
	put(&f, block1, sizeof(block1));
	put_le32(&f, 0x80000000u | 6);
	put(&f, "STORED", 6);
	put_le32(&f, sizeof(block3));
	put(&f, block3, sizeof(block3));
	put_le32(&f, 0);
	CHECK_INT(decode(&f, &out, &len), 0);
	CHECK_INT(len, sizeof(want) - 1);
	CHECK(out && len == sizeof(want) - 1 && memcmp(out, want, len) == 0);
	free(out);
}

/* 300 literals: 15 in the token, then 255 and 30; a match of
 * 4 + 15 + 255 + 0 = 274 at offset 1. Block checksums (present, not
 * checked) are skipped. */
static void test_lz4_long_lengths(void)
{
	uint8_t lits[300];
	struct frame f;
	uint8_t *out = NULL;
	size_t len = 0, i, block_start;
	bool same = true;

	for (i = 0; i < sizeof(lits); i++)
		lits[i] = (uint8_t)(i * 7);
	put_header(&f, FLG_SIZE | 0x10, 300 + 274);
	block_start = f.len;
	put_le32(&f, 0);
	put_byte(&f, 0xFF);
	put_byte(&f, 255);
	put_byte(&f, 30);
	put(&f, lits, sizeof(lits));
	put_byte(&f, 1);
	put_byte(&f, 0);
	put_byte(&f, 255);
	put_byte(&f, 0);
	i = f.len - block_start - 4;
	memcpy(f.b + block_start, &(uint32_t){ (uint32_t)i }, 4);
	put_le32(&f, 0xdeadbeef); /* block checksum */
	put_le32(&f, 0);
	CHECK_INT(decode(&f, &out, &len), 0);
	CHECK_INT(len, 574);
	if (out && len == 574) {
		CHECK(memcmp(out, lits, sizeof(lits)) == 0);
		for (i = 300; i < 574; i++)
			same = same && out[i] == lits[299];
		CHECK(same);
	}
	free(out);
}

/* One frame with `block` as its only block and `size` announced. */
static int decode_one_block(uint8_t flg, uint64_t size, const uint8_t *block,
			    size_t block_len)
{
	struct frame f;
	uint8_t *out = NULL;
	size_t len = 0;
	int ret;

	put_header(&f, flg, size);
	put_le32(&f, (uint32_t)block_len);
	put(&f, block, block_len);
	put_le32(&f, 0);
	ret = decode(&f, &out, &len);
	CHECK(ret != 0 || out != NULL);
	CHECK(ret == 0 || (out == NULL && len == 0));
	free(out);
	return ret;
}

static void test_lz4_refusals(void)
{
	const uint8_t ok[] = { 0x40, 'a', 'b', 'c', 'd' };
	const uint8_t off0[] = { 0x10, 'a', 0, 0, 0x10, 'b' };
	const uint8_t far[] = { 0x10, 'a', 2, 0, 0x10, 'b' };
	const uint8_t lit_past_input[] = { 0x90, 'a' };
	const uint8_t half_offset[] = { 0x10, 'a', 1 };
	const uint8_t endless_len[] = { 0xF0, 255, 255 };
	struct frame f;
	uint8_t *out = (uint8_t *)&f;
	size_t len = 1;

	CHECK_INT(decode_one_block(FLG_SIZE, 4, ok, sizeof(ok)), 0);
	/* Content shorter, then longer, than announced. */
	CHECK_INT(decode_one_block(FLG_SIZE, 5, ok, sizeof(ok)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE, 3, ok, sizeof(ok)), -EINVAL);
	/* What the decoder does not read. */
	CHECK_INT(decode_one_block(0x40, 4, ok, sizeof(ok)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE | 0x01, 4, ok, sizeof(ok)),
		  -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE | 0x02, 4, ok, sizeof(ok)),
		  -EINVAL);
	CHECK_INT(decode_one_block(0x08, 4, ok, sizeof(ok)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE, LZ4_CONTENT_MAX + 1ull, ok,
				   sizeof(ok)), -EFBIG);
	/* Corrupt sequences. */
	CHECK_INT(decode_one_block(FLG_SIZE, 6, off0, sizeof(off0)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE, 6, far, sizeof(far)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE, 9, lit_past_input,
				   sizeof(lit_past_input)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE, 5, half_offset,
				   sizeof(half_offset)), -EINVAL);
	CHECK_INT(decode_one_block(FLG_SIZE, 600, endless_len,
				   sizeof(endless_len)), -EINVAL);
	/* Not a frame, or only its magic; outputs cleared. */
	CHECK_INT(lz4_frame_decode("\x04\x22\x4d\x19", 4, &out, &len), -EINVAL);
	CHECK(out == NULL);
	CHECK_INT(len, 0);
	CHECK_INT(lz4_frame_decode("\x04\x22\x4d\x18", 4, &out, &len), -EINVAL);
	/* A block longer than the frame, a missing end mark. */
	put_header(&f, FLG_SIZE, 4);
	put_le32(&f, 100);
	put(&f, ok, sizeof(ok));
	CHECK_INT(decode(&f, &out, &len), -EINVAL);
	put_header(&f, FLG_SIZE, 4);
	put_le32(&f, sizeof(ok));
	put(&f, ok, sizeof(ok));
	CHECK_INT(decode(&f, &out, &len), -EINVAL);
	/* A stored block over the announced size. */
	put_header(&f, FLG_SIZE, 2);
	put_le32(&f, 0x80000000u | 4);
	put(&f, "abcd", 4);
	put_le32(&f, 0);
	CHECK_INT(decode(&f, &out, &len), -EINVAL);
}

/* Every truncation of the real frame is refused; a byte flipped anywhere
 * decodes or is refused, never crashes, and object_open says which. */
static void test_lz4_truncated_and_flipped(void)
{
	size_t n = (size_t)(tcpdrop_disc_lz4_end - tcpdrop_disc_lz4), i;
	uint8_t *copy = malloc(n);
	int refused = 0, decoded = 0;

	CHECK(copy != NULL);
	if (!copy)
		return;
	for (i = 0; i < n; i++) {
		uint8_t *out = NULL;
		size_t len = 0;

		CHECK_INT(lz4_frame_decode(tcpdrop_disc_lz4, i, &out, &len),
			  -EINVAL);
		free(out);
	}
	for (i = 4; i < n; i++) {
		uint8_t *out = NULL;
		size_t len = 0;
		int ret;

		memcpy(copy, tcpdrop_disc_lz4, n);
		copy[i] ^= (uint8_t)(1u << (i % 8));
		ret = lz4_frame_decode(copy, n, &out, &len);
		CHECK(ret == 0 || ret == -EINVAL || ret == -EFBIG ||
		      ret == -ENOMEM);
		if (ret == 0)
			decoded++;
		else
			refused++;
		free(out);
	}
	CHECK(refused > 0);
	CHECK(decoded > 0); /* literal bytes: flips the ELF, not the frame */
	{
		struct bpf_object obj;
		struct errmsg msg;

		errmsg_init(&msg);
		memcpy(copy, tcpdrop_disc_lz4, n);
		CHECK_INT(object_open(&obj, copy, n - 5, &msg), -EINVAL);
		CHECK(strstr(msg.text, "bad LZ4 frame") != NULL);
	}
	free(copy);
}

int main(void)
{
	RUN(test_lz4_embedded_frames);
	RUN(test_lz4_object_open);
	RUN(test_lz4_handbuilt);
	RUN(test_lz4_long_lengths);
	RUN(test_lz4_refusals);
	RUN(test_lz4_truncated_and_flipped);
	return check_exit_code();
}
