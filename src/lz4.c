#include "lz4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LZ4_FRAME_MAGIC 0x184D2204u
#define FLG_VERSION_MASK 0xC0
#define FLG_VERSION_01 0x40
#define FLG_BLOCK_CHECKSUM 0x10
#define FLG_CONTENT_SIZE 0x08
#define FLG_CONTENT_CHECKSUM 0x04
#define FLG_RESERVED 0x02
#define FLG_DICT_ID 0x01
#define BLOCK_UNCOMPRESSED 0x80000000u
#define MIN_MATCH 4

/* A cursor over a bounded input. */
struct in {
	const uint8_t *p, *end;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

bool lz4_is_frame(const void *src, size_t len)
{
	return len >= 4 && le32(src) == LZ4_FRAME_MAGIC;
}

/* A length nibble of 15 goes on in bytes while they are 255. */
static int read_length(struct in *in, size_t *len)
{
	uint8_t b;

	do {
		if (in->p == in->end)
			return -EINVAL;
		b = *in->p++;
		*len += b;
		if (*len > LZ4_CONTENT_MAX)
			return -EINVAL;
	} while (b == 255);
	return 0;
}

/* One block's sequences (lz4_Block_format.md) into out[*pos...size): a
 * match may reach back into earlier blocks (linked blocks), never before
 * out[0]. The last sequence has literals only. */
static int decode_block(struct in in, uint8_t *out, size_t size, size_t *pos)
{
	while (in.p < in.end) {
		uint8_t token = *in.p++;
		size_t lit = token >> 4, match = token & 15, off;

		if (lit == 15 && read_length(&in, &lit))
			return -EINVAL;
		if (lit > (size_t)(in.end - in.p) || lit > size - *pos)
			return -EINVAL;
		memcpy(out + *pos, in.p, lit);
		in.p += lit;
		*pos += lit;
		if (in.p == in.end)
			return 0;
		if (in.end - in.p < 2)
			return -EINVAL;
		off = (size_t)in.p[0] | (size_t)in.p[1] << 8;
		in.p += 2;
		if (match == 15 && read_length(&in, &match))
			return -EINVAL;
		match += MIN_MATCH;
		if (off == 0 || off > *pos || match > size - *pos)
			return -EINVAL;
		/* Byte by byte: a match may overlap what it writes. */
		for (; match; match--, (*pos)++)
			out[*pos] = out[*pos - off];
	}
	return 0;
}

/* The frame descriptor: FLG, BD, content size, header checksum. */
static int read_descriptor(struct in *in, uint8_t *flg, uint64_t *size)
{
	int i;

	if (in->end - in->p < 4 + 2 + 8 + 1)
		return -EINVAL;
	in->p += 4;
	*flg = in->p[0];
	if ((*flg & FLG_VERSION_MASK) != FLG_VERSION_01 ||
	    (*flg & (FLG_RESERVED | FLG_DICT_ID)) ||
	    !(*flg & FLG_CONTENT_SIZE) || (in->p[1] & 0x8F))
		return -EINVAL;
	in->p += 2;
	*size = 0;
	for (i = 7; i >= 0; i--)
		*size = *size << 8 | in->p[i];
	in->p += 8 + 1;
	return *size > LZ4_CONTENT_MAX ? -EFBIG : 0;
}

/* Blocks up to the end mark, each compressed or stored. */
static int decode_blocks(struct in *in, uint8_t flg, uint8_t *out,
			 size_t size)
{
	size_t pos = 0, csum = (flg & FLG_BLOCK_CHECKSUM) ? 4 : 0;

	for (;;) {
		uint32_t word, blen;
		struct in block;

		if (in->end - in->p < 4)
			return -EINVAL;
		word = le32(in->p);
		in->p += 4;
		if (word == 0)
			break;
		blen = word & ~BLOCK_UNCOMPRESSED;
		if (blen > (size_t)(in->end - in->p) ||
		    csum > (size_t)(in->end - in->p) - blen)
			return -EINVAL;
		block.p = in->p;
		block.end = in->p + blen;
		if (word & BLOCK_UNCOMPRESSED) {
			if (blen > size - pos)
				return -EINVAL;
			memcpy(out + pos, block.p, blen);
			pos += blen;
		} else if (decode_block(block, out, size, &pos)) {
			return -EINVAL;
		}
		in->p += blen + csum;
	}
	return pos == size ? 0 : -EINVAL;
}

int lz4_frame_decode(const void *src, size_t len, uint8_t **out,
		     size_t *out_len)
{
	struct in in = { src, (const uint8_t *)src + len };
	uint64_t size;
	uint8_t flg, *buf;
	int ret;

	*out = NULL;
	*out_len = 0;
	if (!lz4_is_frame(src, len))
		return -EINVAL;
	ret = read_descriptor(&in, &flg, &size);
	if (ret)
		return ret;
	/* One byte more: malloc(0) may give NULL for an empty content. */
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	ret = decode_blocks(&in, flg, buf, (size_t)size);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*out_len = (size_t)size;
	return 0;
}
