/* A BTF blob builder for the unit tests: types and strings grow
 * separately, then bb_finish() lays them out after a header. Ids are handed
 * out in order from 1. */
#ifndef TCPDROP_BTF_BUILD_H
#define TCPDROP_BTF_BUILD_H

#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bb {
	uint8_t types[4096];
	uint32_t types_len;
	char strs[2048];
	uint32_t strs_len;
	uint32_t last_id;
	uint8_t blob[8192];
	size_t len;
	uint32_t str_start;  /* where the string section begins in blob */
};

static inline void bb_init(struct bb *b)
{
	memset(b, 0, sizeof(*b));
	b->strs_len = 1;        /* offset 0 is "" */
}

static inline uint32_t bb_str(struct bb *b, const char *s)
{
	uint32_t off = b->strs_len;

	if (!s || !*s)
		return 0;
	memcpy(b->strs + off, s, strlen(s) + 1);
	b->strs_len += (uint32_t)strlen(s) + 1;
	return off;
}

/* Offset of a string added earlier. */
static inline uint32_t bb_find_str(const struct bb *b, const char *s)
{
	uint32_t off;

	for (off = 1; off < b->strs_len; off += strlen(b->strs + off) + 1) {
		if (strcmp(b->strs + off, s) == 0)
			return off;
	}
	return 0;
}

static inline void bb_u32(struct bb *b, uint32_t v)
{
	memcpy(b->types + b->types_len, &v, sizeof(v));
	b->types_len += sizeof(v);
}

static inline uint32_t bb_type(struct bb *b, const char *name, uint32_t kind,
			uint32_t vlen, bool kflag, uint32_t size_or_type)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, (kflag ? 1u << 31 : 0) | kind << 24 | vlen);
	bb_u32(b, size_or_type);
	return ++b->last_id;
}

static inline uint32_t bb_int(struct bb *b, const char *name, uint32_t size,
		       uint32_t encoding)
{
	uint32_t id = bb_type(b, name, BTF_KIND_INT, 0, false, size);

	bb_u32(b, encoding << 24 | size * 8);
	return id;
}

static inline uint32_t bb_struct(struct bb *b, const char *name, uint32_t size,
			  uint32_t vlen)
{
	return bb_type(b, name, BTF_KIND_STRUCT, vlen, false, size);
}

/* struct/union: the members follow with bb_member(). */
static inline void bb_member(struct bb *b, const char *name, uint32_t type,
		      uint32_t offset)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, type);
	bb_u32(b, offset);
}

static inline void bb_enum_val(struct bb *b, const char *name, int32_t val)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, (uint32_t)val);
}

static inline void bb_enum64_val(struct bb *b, const char *name, uint64_t val)
{
	bb_u32(b, bb_str(b, name));
	bb_u32(b, (uint32_t)val);
	bb_u32(b, (uint32_t)(val >> 32));
}

static inline uint32_t bb_array(struct bb *b, uint32_t elem, uint32_t nelems)
{
	uint32_t id = bb_type(b, NULL, BTF_KIND_ARRAY, 0, false, 0);

	bb_u32(b, elem);
	bb_u32(b, elem);  /* index type: not looked at */
	bb_u32(b, nelems);
	return id;
}

static inline void bb_finish(struct bb *b)
{
	struct btf_header hdr = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
		.hdr_len = sizeof(hdr),
		.type_off = 0,
		.type_len = b->types_len,
		.str_off = b->types_len,
		.str_len = b->strs_len,
	};

	memcpy(b->blob, &hdr, sizeof(hdr));
	memcpy(b->blob + sizeof(hdr), b->types, b->types_len);
	b->str_start = sizeof(hdr) + b->types_len;
	memcpy(b->blob + b->str_start, b->strs, b->strs_len);
	b->len = b->str_start + b->strs_len;
}

#endif
