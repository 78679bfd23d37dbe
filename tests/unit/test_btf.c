/* BTF reader: hand-assembled blobs with exact lookups, corrupt blobs,
 * random byte flips, the running kernel's BTF when it is readable, and the
 * .BTF/.BTF.ext of the BPF object embedded in the binary. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fileio.h"

#include "btf.h"
#include "btf_build.h"
#include "check.h"
#include "elf.h"

extern const unsigned char tcpdrop_bpf_object[] __attribute__((weak));
extern const unsigned char tcpdrop_bpf_object_end[] __attribute__((weak));

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"


/* Ids of the sample blob. */
enum {
	T_INT = 1, T_USHORT, T_PTR_INT, T_ANON_UNION, T_FOO, T_FOO_T,
	T_CONST_FOO_T, T_COLOR, T_BIG, T_ARRAY, T_UENUM, T_SAMPLE_COUNT = T_UENUM,
};

/*   struct foo { int *p; union { int u_int; unsigned short u_short; };
 *                unsigned short x; };               16 bytes
 *   typedef struct foo foo_t;  const foo_t;
 *   enum color (signed) { NEG = -5, ZERO = 0, BIG = 7 };
 *   enum64 big { SMALL = 1, HUGE = 0x123456789 };
 *   unsigned short[10];  enum uenum (unsigned) { ALL = 0xffffffff }; */
static void build_sample(struct bb *b)
{
	bb_init(b);
	bb_int(b, "int", 4, BTF_INT_SIGNED);
	bb_int(b, "unsigned short", 2, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, T_INT);
	bb_type(b, NULL, BTF_KIND_UNION, 2, false, 4);
	bb_member(b, "u_int", T_INT, 0);
	bb_member(b, "u_short", T_USHORT, 0);
	bb_type(b, "foo", BTF_KIND_STRUCT, 3, false, 16);
	bb_member(b, "p", T_PTR_INT, 0);
	bb_member(b, NULL, T_ANON_UNION, 64);
	bb_member(b, "x", T_USHORT, 96);
	bb_type(b, "foo_t", BTF_KIND_TYPEDEF, 0, false, T_FOO);
	bb_type(b, NULL, BTF_KIND_CONST, 0, false, T_FOO_T);
	bb_type(b, "color", BTF_KIND_ENUM, 3, true, 4);
	bb_enum_val(b, "NEG", -5);
	bb_enum_val(b, "ZERO", 0);
	bb_enum_val(b, "BIG", 7);
	bb_type(b, "big", BTF_KIND_ENUM64, 2, false, 8);
	bb_enum64_val(b, "SMALL", 1);
	bb_enum64_val(b, "HUGE", 0x123456789ull);
	bb_array(b, T_USHORT, 10);
	bb_type(b, "uenum", BTF_KIND_ENUM, 1, false, 4);
	bb_enum_val(b, "ALL", -1);
	bb_finish(b);
}

static int load_copy(struct btf **btf, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	memcpy(copy, data, len);
	err = btf_load_raw(btf, copy, len);
	free(copy);
	return err;
}

static int load_copy_why(struct btf **btf, const uint8_t *data, size_t len,
			 const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	memcpy(copy, data, len);
	err = btf_load_raw_why(btf, copy, len, why);
	free(copy);
	return err;
}

static void test_btf_sample_lookups(void)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct btf *btf = NULL;
	struct bb b;
	int64_t v = 0;

	build_sample(&b);
	CHECK_INT(load_copy(&btf, b.blob, b.len), 0);
	if (!btf)
		return;
	CHECK_INT(btf_type_count(btf), T_SAMPLE_COUNT);
	CHECK(btf_type_by_id(btf, 0) == NULL);
	CHECK(btf_type_by_id(btf, T_SAMPLE_COUNT + 1) == NULL);
	CHECK_INT(btf_find(btf, "foo", BTF_KIND_STRUCT), T_FOO);
	CHECK_INT(btf_find(btf, "foo", BTF_KIND_UNION), -ENOENT);
	CHECK_INT(btf_find(btf, "foo_t", BTF_KIND_TYPEDEF), T_FOO_T);
	CHECK_INT(btf_find(btf, "int", BTF_KIND_INT), T_INT);
	CHECK_INT(btf_find(btf, "nope", BTF_KIND_STRUCT), -ENOENT);

	t = btf_type_by_id(btf, T_FOO);
	CHECK(t != NULL);
	if (t) {
		CHECK_STR(btf_str(btf, t->name_off), "foo");
		CHECK_INT(BTF_INFO_VLEN(t->info), 3);
		m = (const struct btf_member *)(t + 1);
		CHECK_STR(btf_str(btf, m[0].name_off), "p");
		CHECK_STR(btf_str(btf, m[1].name_off), "");
		CHECK_INT(m[1].type, T_ANON_UNION);
		CHECK_INT(m[2].offset, 96);
	}
	CHECK_STR(btf_str(btf, 0), "");
	CHECK_STR(btf_str(btf, 1000000), "");

	CHECK_INT(btf_skip_modifiers(btf, T_CONST_FOO_T), T_FOO);
	CHECK_INT(btf_skip_modifiers(btf, T_FOO), T_FOO);
	CHECK_INT(btf_skip_modifiers(btf, 0), 0);
	CHECK_INT(btf_skip_modifiers(btf, 999), 0);
	CHECK_INT(btf_type_size(btf, T_CONST_FOO_T), 16);
	CHECK_INT(btf_type_size(btf, T_PTR_INT), 8);
	CHECK_INT(btf_type_size(btf, T_ANON_UNION), 4);
	CHECK_INT(btf_type_size(btf, T_ARRAY), 20);
	CHECK_INT(btf_type_size(btf, T_BIG), 8);
	CHECK_INT(btf_type_size(btf, 0), -EINVAL);

	CHECK_INT(btf_enum_value(btf, "color", "NEG", &v), 0);
	CHECK_INT(v, -5);
	CHECK_INT(btf_enum_value(btf, "color", "BIG", &v), 0);
	CHECK_INT(v, 7);
	CHECK_INT(btf_enum_value(btf, "big", "HUGE", &v), 0);
	CHECK_INT(v, 0x123456789ll);
	CHECK_INT(btf_enum_value(btf, "uenum", "ALL", &v), 0);
	CHECK_INT(v, 0xffffffffll);
	CHECK_INT(btf_enum_value(btf, "color", "HUGE", &v), -ENOENT);
	CHECK_INT(btf_enum_value(btf, "colour", "NEG", &v), -ENOENT);
	btf_free(btf);
}

/* One record of every kind, so that each kind's trailing size is used. */
static void test_btf_every_kind(void)
{
	static const uint32_t kinds[] = {
		BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_STRUCT,
		BTF_KIND_UNION, BTF_KIND_ENUM, BTF_KIND_FWD, BTF_KIND_TYPEDEF,
		BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT,
		BTF_KIND_FUNC_PROTO, BTF_KIND_FUNC, BTF_KIND_VAR,
		BTF_KIND_DATASEC, BTF_KIND_FLOAT, BTF_KIND_DECL_TAG,
		BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64,
	};
	const struct btf_type *t;
	struct btf *btf = NULL;
	struct bb b;
	uint32_t i;

	bb_init(&b);
	bb_int(&b, "int", 4, BTF_INT_SIGNED);                      /* 1 */
	bb_type(&b, NULL, BTF_KIND_PTR, 0, false, 1);              /* 2 */
	bb_array(&b, 1, 4);                                        /* 3 */
	bb_type(&b, "s", BTF_KIND_STRUCT, 2, false, 8);            /* 4 */
	bb_member(&b, "a", 1, 0);
	bb_member(&b, "b", 1, 32);
	bb_type(&b, "u", BTF_KIND_UNION, 1, false, 4);             /* 5 */
	bb_member(&b, "a", 1, 0);
	bb_type(&b, "e", BTF_KIND_ENUM, 1, false, 4);              /* 6 */
	bb_enum_val(&b, "E0", 0);
	bb_type(&b, "fwd", BTF_KIND_FWD, 0, false, 0);             /* 7 */
	bb_type(&b, "td", BTF_KIND_TYPEDEF, 0, false, 1);          /* 8 */
	bb_type(&b, NULL, BTF_KIND_VOLATILE, 0, false, 1);         /* 9 */
	bb_type(&b, NULL, BTF_KIND_CONST, 0, false, 1);            /* 10 */
	bb_type(&b, NULL, BTF_KIND_RESTRICT, 0, false, 2);         /* 11 */
	bb_type(&b, NULL, BTF_KIND_FUNC_PROTO, 2, false, 1);       /* 12 */
	bb_u32(&b, bb_str(&b, "x"));
	bb_u32(&b, 1);
	bb_u32(&b, bb_str(&b, "y"));
	bb_u32(&b, 2);
	bb_type(&b, "fn", BTF_KIND_FUNC, 0, false, 12);            /* 13 */
	bb_type(&b, "var", BTF_KIND_VAR, 0, false, 1);             /* 14 */
	bb_u32(&b, BTF_VAR_GLOBAL_ALLOCATED);
	bb_type(&b, ".data", BTF_KIND_DATASEC, 1, false, 4);       /* 15 */
	bb_u32(&b, 14);
	bb_u32(&b, 0);
	bb_u32(&b, 4);
	bb_type(&b, "double", BTF_KIND_FLOAT, 0, false, 8);        /* 16 */
	bb_type(&b, "tag", BTF_KIND_DECL_TAG, 0, false, 4);        /* 17 */
	bb_u32(&b, (uint32_t)-1);
	bb_type(&b, "user", BTF_KIND_TYPE_TAG, 0, false, 1);       /* 18 */
	bb_type(&b, "e64", BTF_KIND_ENUM64, 1, true, 8);           /* 19 */
	bb_enum64_val(&b, "M1", (uint64_t)-1);
	bb_finish(&b);

	CHECK_INT(load_copy(&btf, b.blob, b.len), 0);
	if (!btf)
		return;
	CHECK_INT(btf_type_count(btf), 19);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		t = btf_type_by_id(btf, i + 1);
		CHECK(t && BTF_INFO_KIND(t->info) == kinds[i]);
	}
	CHECK_INT(btf_find(btf, "e64", BTF_KIND_ENUM64), 19);
	CHECK_INT(btf_find(btf, ".data", BTF_KIND_DATASEC), 15);
	CHECK_INT(btf_type_size(btf, 16), 8);
	CHECK_INT(btf_type_size(btf, 13), -EINVAL);  /* a func has no size */
	CHECK_INT(btf_skip_modifiers(btf, 18), 1);   /* type_tag */
	CHECK_INT(btf_skip_modifiers(btf, 11), 2);   /* restrict ptr */
	btf_free(btf);
}

static void put32(struct bb *b, size_t at, uint32_t v)
{
	memcpy(b->blob + at, &v, sizeof(v));
}

/* Offset in the blob of type record `id` of the sample: the sizes of its
 * records, header and trailing data, in id order. */
static size_t sample_record(uint32_t id)
{
	static const uint32_t sizes[] = {
		0, 16, 16, 12, 12 + 24, 12 + 36, 12, 12, 12 + 24, 12 + 24,
		24, 12 + 8,
	};
	size_t at = sizeof(struct btf_header);
	uint32_t i;

	for (i = 1; i < id; i++)
		at += sizes[i];
	return at;
}

/* Loads a copy of the first `len` bytes of `b` and checks that the check
 * that refused it is the one named `why` (and nothing was loaded). */
#define CHECK_REFUSED(b, len, why)                                          \
	do {                                                                 \
		struct btf *btf_ = (struct btf *)1;                          \
		const char *why_ = NULL;                                     \
		CHECK_INT(load_copy_why(&btf_, (b)->blob, len, &why_),       \
			  -EINVAL);                                          \
		CHECK_STR(why_, why);                                        \
		CHECK(btf_ == NULL);                                         \
	} while (0)

/* The sample with its type section moved `gap` bytes into the body:
 * everything else stays valid, offsets included. */
static void build_sample_gap(struct bb *b, uint32_t gap)
{
	struct btf_header hdr;
	uint8_t body[sizeof(b->blob)];
	size_t body_len;

	build_sample(b);
	memcpy(&hdr, b->blob, sizeof(hdr));
	body_len = b->len - sizeof(hdr);
	memcpy(body, b->blob + sizeof(hdr), body_len);
	memset(b->blob + sizeof(hdr), 0, gap);
	memcpy(b->blob + sizeof(hdr) + gap, body, body_len);
	hdr.type_off += gap;
	hdr.str_off += gap;
	memcpy(b->blob, &hdr, sizeof(hdr));
	b->len += gap;
	b->str_start += gap;
}

static void test_btf_corrupt(void)
{
	struct btf_header hdr;
	struct btf *btf = NULL;
	struct bb b;
	size_t len;
	int err;

	build_sample(&b);
	CHECK(sample_record(T_SAMPLE_COUNT + 1) == b.str_start);
	memcpy(&hdr, b.blob, sizeof(hdr));

	build_sample(&b);
	CHECK_REFUSED(&b, sizeof(hdr) - 1, "shorter than a BTF header");

	build_sample(&b);
	b.blob[0] ^= 0xff;                               /* magic */
	CHECK_REFUSED(&b, b.len, "no BTF magic");

	build_sample(&b);
	b.blob[2] = 2;                                   /* version */
	CHECK_REFUSED(&b, b.len, "unknown BTF version");

	build_sample(&b);
	put32(&b, 4, 20);                                /* hdr_len short */
	CHECK_REFUSED(&b, b.len, "header length out of range");

	build_sample(&b);
	put32(&b, 4, (uint32_t)b.len + 4);               /* hdr_len long */
	CHECK_REFUSED(&b, b.len, "header length out of range");

	/* A longer header that leaves the body misaligned. */
	build_sample(&b);
	put32(&b, 4, sizeof(hdr) + 2);
	CHECK_REFUSED(&b, b.len, "header length not a multiple of 4");

	/* Types two bytes into the body, strings after them: every offset
	 * is right, only the records would be misaligned. */
	build_sample_gap(&b, 2);
	CHECK_REFUSED(&b, b.len, "type section not 4-byte aligned");
	/* The same moved by 4 loads. */
	build_sample_gap(&b, 4);
	CHECK_INT(load_copy(&btf, b.blob, b.len), 0);
	CHECK(btf && btf_type_count(btf) == T_SAMPLE_COUNT);
	btf_free(btf);

	build_sample(&b);
	put32(&b, offsetof(struct btf_header, type_len), 0xfffffff0);
	CHECK_REFUSED(&b, b.len, "type section past the end");

	build_sample(&b);
	put32(&b, offsetof(struct btf_header, str_off), 0xfffffff0);
	CHECK_REFUSED(&b, b.len, "string section past the end");

	build_sample(&b);                                /* overlap */
	put32(&b, offsetof(struct btf_header, type_len), hdr.type_len + 4);
	CHECK_REFUSED(&b, b.len, "type and string sections overlap");

	build_sample(&b);
	b.blob[b.len - 1] = 'x';                         /* no final NUL */
	CHECK_REFUSED(&b, b.len, "last string not terminated");

	build_sample(&b);
	b.blob[b.str_start] = 'x';                       /* no leading NUL */
	CHECK_REFUSED(&b, b.len, "string section does not start with \"\"");

	build_sample(&b);                                /* record cut short */
	put32(&b, offsetof(struct btf_header, type_len), hdr.type_len - 12);
	CHECK_REFUSED(&b, b.len, "type record cut short");
	build_sample(&b);                                /* its enumerator */
	put32(&b, offsetof(struct btf_header, type_len), hdr.type_len - 4);
	CHECK_REFUSED(&b, b.len, "type record's members cut short");

	build_sample(&b);                                /* type name_off */
	put32(&b, sample_record(T_FOO), b.strs_len);
	CHECK_REFUSED(&b, b.len, "type name outside the string section");

	build_sample(&b);                                /* member name_off */
	put32(&b, sample_record(T_FOO) + 12 + 24, b.strs_len + 100);
	CHECK_REFUSED(&b, b.len, "member name outside the string section");

	build_sample(&b);                                /* enumerator name */
	put32(&b, sample_record(T_COLOR) + 12 + 8, 0x7fffffff);
	CHECK_REFUSED(&b, b.len, "member name outside the string section");

	build_sample(&b);                                /* unknown kind */
	put32(&b, sample_record(T_FOO_T) + 4, 20u << 24);
	CHECK_REFUSED(&b, b.len, "unknown type kind");

	build_sample(&b);                                /* kind 0 */
	put32(&b, sample_record(T_FOO_T) + 4, 0);
	CHECK_REFUSED(&b, b.len, "unknown type kind");

	build_sample(&b);                                /* vlen past end */
	put32(&b, sample_record(T_UENUM) + 4, BTF_KIND_ENUM << 24 | 0xffff);
	CHECK_REFUSED(&b, b.len, "type record's members cut short");

	/* The string section is last: every shorter blob misses some. */
	build_sample(&b);
	for (len = 0; len < b.len; len++) {
		err = load_copy(&btf, b.blob, len);
		if (err != -EINVAL) {
			CHECK_INT(err, -EINVAL);
			printf("     at length %zu\n", len);
			break;
		}
	}
}

/* A typedef that names itself must not hang the modifier walk. */
static void test_btf_typedef_loop(void)
{
	struct btf *btf = NULL;
	struct bb b;

	bb_init(&b);
	bb_type(&b, "loop", BTF_KIND_TYPEDEF, 0, false, 1);
	bb_type(&b, "dangling", BTF_KIND_TYPEDEF, 0, false, 77);
	bb_array(&b, 3, 2);                /* an array of itself */
	bb_finish(&b);
	CHECK_INT(load_copy(&btf, b.blob, b.len), 0);
	if (!btf)
		return;
	CHECK_INT(btf_skip_modifiers(btf, 1), 0);
	CHECK_INT(btf_skip_modifiers(btf, 2), 0);
	CHECK_INT(btf_type_size(btf, 1), -EINVAL);
	CHECK_INT(btf_type_size(btf, 3), -EINVAL);
	btf_free(btf);
}

static void exercise(const struct btf *btf)
{
	const struct btf_type *t;
	uint32_t id, n = btf_type_count(btf);
	int64_t v;

	for (id = 0; id <= n + 1; id++) {
		t = btf_type_by_id(btf, id);
		btf_skip_modifiers(btf, id);
		btf_type_size(btf, id);
		if (t)
			btf_find(btf, btf_str(btf, t->name_off),
				 (int)BTF_INFO_KIND(t->info));
	}
	btf_enum_value(btf, "color", "BIG", &v);
	btf_enum_value(btf, "big", "HUGE", &v);
}

static uint32_t prng(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void test_btf_fuzz_flips(void)
{
	uint32_t state = 0x9e3779b9;
	struct btf *btf;
	struct bb b;
	int r, k, loaded = 0;

	build_sample(&b);
	for (r = 0; r < 20000; r++) {
		uint8_t *copy = malloc(b.len);

		memcpy(copy, b.blob, b.len);
		for (k = 1 + (int)(prng(&state) % 3); k > 0; k--)
			copy[prng(&state) % b.len] ^=
				(uint8_t)(1u << (prng(&state) % 8));
		if (btf_load_raw(&btf, copy, b.len) == 0) {
			loaded++;
			exercise(btf);
			btf_free(btf);
		}
		free(copy);
	}
	CHECK(loaded > 100);
}

static char *write_temp(const void *data, size_t len)
{
	char tmpl[] = "/tmp/tcpdrop-test-btf-XXXXXX";
	int fd = mkstemp(tmpl);
	bool ok;

	if (fd < 0)
		return NULL;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	if (!ok) {
		unlink(tmpl);
		return NULL;
	}
	return strdup(tmpl);
}

static void test_btf_load_file_raw(void)
{
	struct btf *btf = NULL;
	struct bb b;
	char *path;

	build_sample(&b);
	path = write_temp(b.blob, b.len);
	CHECK(path != NULL);
	if (!path)
		return;
	CHECK_INT(btf_load_file(&btf, path), 0);
	if (btf) {
		CHECK_INT(btf_find(btf, "foo", BTF_KIND_STRUCT), T_FOO);
		btf_free(btf);
	}
	unlink(path);
	free(path);

	path = write_temp("not btf, not elf", 16);
	CHECK(path != NULL);
	if (path) {
		CHECK_INT(btf_load_file(&btf, path), -EINVAL);
		unlink(path);
		free(path);
	}
	CHECK_INT(btf_load_file(&btf, "/nonexistent/btf"), -ENOENT);
}

/* A file truncated while mapped: the read past its new end raises
 * SIGBUS, which btf_load_image() turns into -ESTALE, with nothing
 * leaked. */
static void test_btf_truncated_under_us(void)
{
	struct btf *btf = NULL;
	size_t len = 4 * (size_t)sysconf(_SC_PAGESIZE);
	char *filler = calloc(1, len), *path;
	struct bb b;
	void *map;
	int fd;

	build_sample(&b);
	memcpy(filler, b.blob, b.len);
	/* Raw BTF is the whole file: its copy reads every page. */
	path = write_temp(filler, len);
	free(filler);
	CHECK(path != NULL);
	if (!path)
		return;
	fd = open(path, O_RDONLY);
	map = fd >= 0 ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	CHECK(map && map != MAP_FAILED);
	if (map && map != MAP_FAILED) {
		CHECK_INT(truncate(path, 100), 0);
		CHECK_INT(btf_load_image(&btf, map, len), -ESTALE);
		CHECK(btf == NULL);
		munmap(map, len);
	}
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(path);
}

/* Raw BTF larger than FILEIO_MAX_BTF is refused before it is copied (a
 * sparse file of any size costs nothing to map). */
static void test_btf_too_large(void)
{
	char path[] = "/tmp/tcpdrop-test-bigbtf-XXXXXX";
	struct btf *btf = NULL;
	uint16_t magic = BTF_MAGIC;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, &magic, sizeof(magic)), sizeof(magic));
	CHECK_INT(ftruncate(fd, (off_t)FILEIO_MAX_BTF + 1), 0);
	close(fd);
	CHECK_INT(btf_load_file(&btf, path), -EFBIG);
	CHECK(btf == NULL);
	unlink(path);
}

static void test_btf_vmlinux(void)
{
	struct btf *btf = NULL;
	int64_t not_specified = -1, no_socket = -1;
	int id;

	CHECK_INT(btf_load_file(&btf, VMLINUX_BTF), 0);
	if (!btf)
		return;
	CHECK(btf_type_count(btf) > 1000);
	id = btf_find(btf, "sk_buff", BTF_KIND_STRUCT);
	CHECK(id > 0);
	if (id > 0)
		CHECK(btf_type_size(btf, (uint32_t)id) >= 200);
	CHECK(btf_find(btf, "sock", BTF_KIND_STRUCT) > 0);
	CHECK(btf_find(btf, "sock_common", BTF_KIND_STRUCT) > 0);
	CHECK_INT(btf_enum_value(btf, "skb_drop_reason",
				 "SKB_DROP_REASON_NOT_SPECIFIED",
				 &not_specified), 0);
	CHECK_INT(btf_enum_value(btf, "skb_drop_reason",
				 "SKB_DROP_REASON_NO_SOCKET", &no_socket), 0);
	CHECK(not_specified >= 0 && not_specified < no_socket);
	CHECK_INT(btf_enum_value(btf, "skb_drop_reason", "NO_SUCH_REASON",
				 &no_socket), -ENOENT);
	btf_free(btf);
}

/* Bytes after the struct btf_type of each kind (the test's own table). */
static size_t trailer_len(const struct btf_type *t)
{
	size_t vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	default:
		return 0;
	}
}

static bool is_indexed_kind(uint32_t kind)
{
	return kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ||
	       kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64 ||
	       kind == BTF_KIND_TYPEDEF;
}

/* Every record (bytes and names), every name lookup and the enum values
 * of `lazy` are those of `mem`: the same BTF read whole. Counts the
 * differences. */
static int differences(const struct btf *mem, const struct btf *lazy)
{
	const struct btf_type *tm, *tl;
	uint32_t id, n = btf_type_count(mem);
	int diff = 0, fm, fl;

	if (btf_type_count(lazy) != n)
		return 1;
	for (id = 1; id <= n; id++) {
		tm = btf_type_by_id(mem, id);
		tl = btf_type_by_id(lazy, id);
		if (!tl || memcmp(tm, tl, sizeof(*tm) + trailer_len(tm))) {
			diff++;
			continue;
		}
		if (strcmp(btf_str(mem, tm->name_off),
			   btf_str(lazy, tl->name_off)))
			diff++;
		diff += btf_type_size(mem, id) != btf_type_size(lazy, id);
		/* Kinds outside the name index are found by a walk: for a
		 * big BTF, only those that are indexed. */
		if (n > 1000 && !is_indexed_kind(BTF_INFO_KIND(tm->info)))
			continue;
		fm = btf_find(mem, btf_str(mem, tm->name_off),
			      (int)BTF_INFO_KIND(tm->info));
		fl = btf_find(lazy, btf_str(lazy, tl->name_off),
			      (int)BTF_INFO_KIND(tl->info));
		diff += fm != fl || fm <= 0 || (uint32_t)fm > id;
	}
	return diff;
}

static int write_fd(const void *data, size_t len)
{
	char tmpl[] = "/tmp/tcpdrop-test-btf-XXXXXX";
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	unlink(tmpl);
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The sample read through windows from the smallest (16 bytes: every
 * record, name and string crosses window edges) up: the same BTF as read
 * whole, including the last type and the last string. */
static void test_btf_lazy_windows(void)
{
	static const size_t windows[] = { 0, 16, 17, 23, 40, 64, 100, 4096 };
	struct btf *mem = NULL, *lazy = NULL;
	const struct btf_type *t;
	int64_t v = 0;
	struct bb b;
	size_t i;
	int fd;

	build_sample(&b);
	CHECK_INT(load_copy(&mem, b.blob, b.len), 0);
	fd = write_fd(b.blob, b.len);
	CHECK(fd >= 0 && mem);
	if (fd < 0 || !mem)
		goto out;
	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		CHECK_INT(btf_load_fd(&lazy, fd, 0, b.len, windows[i]), 0);
		if (!lazy)
			continue;
		CHECK_INT(differences(mem, lazy), 0);
		t = btf_type_by_id(lazy, T_UENUM);     /* the last record */
		CHECK(t && strcmp(btf_str(lazy, t->name_off), "uenum") == 0);
		CHECK_INT(btf_enum_value(lazy, "uenum", "ALL", &v), 0);
		CHECK(v == 0xffffffffll);
		CHECK_INT(btf_enum_value(lazy, "big", "HUGE", &v), 0);
		CHECK(v == 0x123456789ll);
		CHECK_INT(btf_enum_value(lazy, "color", "NEG", &v), 0);
		CHECK(v == -5);
		CHECK_INT(btf_find(lazy, "foo_t", BTF_KIND_TYPEDEF), T_FOO_T);
		CHECK_INT(btf_find(lazy, "int", BTF_KIND_INT), T_INT);
		CHECK_INT(btf_find(lazy, "nope", BTF_KIND_STRUCT), -ENOENT);
		CHECK(btf_type_by_id(lazy, T_SAMPLE_COUNT + 1) == NULL);
		btf_free(lazy);
		lazy = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	btf_free(mem);
}

/* Names longer than a window, one exactly at the BTF_STR_MAX bound and
 * one past it (read as "" by both sources), in a BTF at an offset of its
 * file, as an ELF section would be. */
static void test_btf_lazy_long_names(void)
{
	static char at_max[BTF_STR_MAX + 1], past_max[BTF_STR_MAX + 2];
	static uint8_t file[16384];
	struct btf *mem = NULL, *lazy = NULL;
	const struct btf_type *t;
	struct bb b;
	int fd;

	memset(at_max, 'm', BTF_STR_MAX);
	memset(past_max, 'p', BTF_STR_MAX + 1);
	bb_init(&b);
	bb_int(&b, "int_with_a_name_longer_than_two_windows_of_16", 4, 0);
	bb_type(&b, "s_with_a_long_name_that_spans_windows", BTF_KIND_STRUCT,
		1, false, 4);
	bb_member(&b, "member_with_a_long_name_that_spans_windows", 1, 0);
	bb_finish(&b);
	CHECK_INT(load_copy(&mem, b.blob, b.len), 0);
	memset(file, 0xee, 100);
	memcpy(file + 100, b.blob, b.len);
	fd = write_fd(file, 100 + b.len + 50);
	CHECK(fd >= 0);
	if (fd >= 0 && mem) {
		CHECK_INT(btf_load_fd(&lazy, fd, 100, b.len, 16), 0);
		if (lazy) {
			CHECK_INT(differences(mem, lazy), 0);
			CHECK_INT(btf_find(lazy, "s_with_a_long_name_that_spans_"
					   "windows", BTF_KIND_STRUCT), 2);
			t = btf_type_by_id(lazy, 2);
			CHECK(t && strcmp(btf_str(lazy, ((const struct
				btf_member *)(t + 1))->name_off),
				"member_with_a_long_name_that_spans_windows")
				== 0);
		}
		btf_free(lazy);
		lazy = NULL;
	}
	btf_free(mem);
	mem = NULL;
	if (fd >= 0)
		close(fd);

	/* The string-section limit: bb's 2 KiB of strings cannot hold
	 * these, so the blob is laid out by hand: header, one int, strings. */
	{
		struct btf_header hdr = { .magic = BTF_MAGIC,
			.version = BTF_VERSION, .hdr_len = sizeof(hdr) };
		uint32_t rec[4] = { 1, BTF_KIND_INT << 24, 4, 32 };
		size_t off = sizeof(hdr), len;

		hdr.type_len = sizeof(rec);
		hdr.str_off = sizeof(rec);
		hdr.str_len = 1 + sizeof(at_max) + sizeof(past_max);
		len = sizeof(hdr) + hdr.type_len + hdr.str_len;
		memset(file, 0, sizeof(file));
		memcpy(file, &hdr, sizeof(hdr));
		memcpy(file + off, rec, sizeof(rec));
		off += sizeof(rec) + 1;
		memcpy(file + off, at_max, sizeof(at_max));
		off += sizeof(at_max);
		memcpy(file + off, past_max, sizeof(past_max));
		CHECK_INT(load_copy(&mem, file, len), 0);
		fd = write_fd(file, len);
		if (fd >= 0 && btf_load_fd(&lazy, fd, 0, len, 0) == 0) {
			CHECK_INT(differences(mem, lazy), 0);
			CHECK(strcmp(btf_str(lazy, 1), at_max) == 0);
			CHECK_STR(btf_str(lazy, 1 + sizeof(at_max)), "");
			CHECK_INT(btf_find(lazy, at_max, BTF_KIND_INT), 1);
		} else {
			CHECK(0);
		}
		if (mem) {
			CHECK(strcmp(btf_str(mem, 1), at_max) == 0);
			CHECK_STR(btf_str(mem, 1 + sizeof(at_max)), "");
		}
		btf_free(lazy);
		btf_free(mem);
		if (fd >= 0)
			close(fd);
	}
}

/* A file shorter than the length given: -ESTALE at load, for every cut.
 * One cut after the load: what was not read yet is missing (NULL, ""),
 * what was is kept, and nothing crashes. */
static void test_btf_lazy_truncated(void)
{
	struct btf *lazy = NULL;
	const struct btf_type *t;
	struct bb b;
	size_t cut;
	int fd;

	build_sample(&b);
	for (cut = 0; cut < b.len; cut += 7) {
		fd = write_fd(b.blob, cut);
		CHECK(fd >= 0);
		if (fd < 0)
			return;
		CHECK_INT(btf_load_fd(&lazy, fd, 0, b.len, 16), -ESTALE);
		CHECK(lazy == NULL);
		close(fd);
	}
	fd = write_fd(b.blob, b.len);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(btf_load_fd(&lazy, fd, 0, b.len, 16), 0);
	if (lazy) {
		t = btf_type_by_id(lazy, T_FOO);
		CHECK(t && BTF_INFO_VLEN(t->info) == 3);
		CHECK_STR(btf_str(lazy, t ? t->name_off : 0), "foo");
		CHECK_INT(ftruncate(fd, sizeof(struct btf_header) + 12), 0);
		CHECK(btf_type_by_id(lazy, T_UENUM) == NULL);
		CHECK_STR(btf_str(lazy, bb_find_str(&b, "uenum")), "");
		CHECK_INT(btf_find(lazy, "uenum", BTF_KIND_ENUM), -ENOENT);
		/* Copies made before the cut stay. */
		CHECK(btf_type_by_id(lazy, T_FOO) == t);
		CHECK_STR(btf_str(lazy, t ? t->name_off : 0), "foo");
		btf_free(lazy);
	}
	close(fd);
	CHECK_INT(btf_load_fd(&lazy, -1, 0, b.len, 0), -EBADF);
}

/* An ELF file's .BTF is read in place: the embedded object written out. */
static void test_btf_lazy_elf(void)
{
	struct btf *mem = NULL, *lazy = NULL;
	struct elf_file ef;
	const void *data = NULL;
	size_t size = 0;
	char *path;

	CHECK_INT(elf_open(&ef, tcpdrop_bpf_object,
			   (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object),
			   EM_BPF), 0);
	CHECK_INT(elf_section_data(&ef, elf_find_section(&ef, ".BTF"), &data,
				   &size), 0);
	CHECK_INT(btf_load_raw(&mem, data, size), 0);
	path = write_temp(tcpdrop_bpf_object,
			  (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object));
	CHECK(path != NULL);
	if (path) {
		CHECK_INT(btf_load_file(&lazy, path), 0);
		unlink(path);
		free(path);
	}
	if (mem && lazy)
		CHECK_INT(differences(mem, lazy), 0);
	btf_free(lazy);
	btf_free(mem);
}

/* The kernel's BTF read lazily (as tcpdrop does) and read whole: the
 * same, record for record and name for name. */
static void test_btf_vmlinux_lazy_is_whole(void)
{
	struct btf *mem = NULL, *lazy = NULL;
	char *buf = NULL;
	size_t len;

	CHECK_INT(read_whole_file(VMLINUX_BTF, &buf, &len), 0);
	if (buf)
		CHECK_INT(btf_load_raw(&mem, buf, len), 0);
	free(buf);
	CHECK_INT(btf_load_file(&lazy, VMLINUX_BTF), 0);
	if (mem && lazy)
		CHECK_INT(differences(mem, lazy), 0);
	btf_free(lazy);
	btf_free(mem);
}

static size_t embedded_len(void)
{
	return (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object);
}

/* The embedded object's .BTF and .BTF.ext. */
struct embedded {
	struct elf_file ef;
	struct btf *btf;
	const void *ext;
	size_t ext_len;
};

static int open_embedded(struct embedded *e)
{
	const void *data;
	size_t size;
	int idx, err;

	memset(e, 0, sizeof(*e));
	err = elf_open(&e->ef, tcpdrop_bpf_object, embedded_len(), EM_BPF);
	if (err)
		return err;
	idx = elf_find_section(&e->ef, ".BTF");
	if (idx < 0)
		return idx;
	err = elf_section_data(&e->ef, idx, &data, &size);
	if (err)
		return err;
	err = btf_load_raw(&e->btf, data, size);
	if (err)
		return err;
	idx = elf_find_section(&e->ef, ".BTF.ext");
	if (idx < 0)
		return 0;
	return elf_section_data(&e->ef, idx, &e->ext, &e->ext_len);
}

struct relo_count {
	const struct elf_file *ef;
	int count;
	int bad_sections;
	int stop_after;
};

static int count_relo(void *ctx, const char *sec_name,
		      const struct bpf_core_relo *relo)
{
	struct relo_count *rc = ctx;
	Elf64_Shdr sh;
	int idx = elf_find_section(rc->ef, sec_name);

	/* Relocations belong to programs: executable sections. */
	if (idx < 0 || elf_section(rc->ef, idx, &sh) != 0 ||
	    !(sh.sh_flags & SHF_EXECINSTR) || relo->insn_off % 8 != 0 ||
	    relo->insn_off >= sh.sh_size)
		rc->bad_sections++;
	rc->count++;
	return rc->count == rc->stop_after ? 42 : 0;
}

static int ignore_relo(void *ctx, const char *sec_name,
		       const struct bpf_core_relo *relo)
{
	(*(int *)ctx)++;
	return 0;
}

/* Flips bytes of the real .BTF and .BTF.ext, which hold kinds the sample
 * lacks (func, var, datasec, ...) and real CO-RE records. */
static void fuzz_embedded(const struct embedded *e)
{
	uint32_t state = 0xc0ffee;
	struct btf *btf;
	size_t btf_len;
	const void *btf_data;
	int r, k, n;

	if (elf_section_data(&e->ef, elf_find_section(&e->ef, ".BTF"),
			     &btf_data, &btf_len) || !btf_len)
		return;
	for (r = 0; r < 2000; r++) {
		uint8_t *copy = malloc(btf_len);

		memcpy(copy, btf_data, btf_len);
		for (k = 1 + (int)(prng(&state) % 3); k > 0; k--)
			copy[prng(&state) % btf_len] ^=
				(uint8_t)(1u << (prng(&state) % 8));
		if (btf_load_raw(&btf, copy, btf_len) == 0) {
			exercise(btf);
			btf_free(btf);
		}
		free(copy);
	}
	for (r = 0; e->ext_len && r < 2000; r++) {
		uint8_t *copy = malloc(e->ext_len);

		memcpy(copy, e->ext, e->ext_len);
		for (k = 1 + (int)(prng(&state) % 3); k > 0; k--)
			copy[prng(&state) % e->ext_len] ^=
				(uint8_t)(1u << (prng(&state) % 8));
		n = 0;
		btf_ext_for_each_core_relo(e->btf, copy, e->ext_len,
					   ignore_relo, &n);
		free(copy);
	}
}

static void test_btf_embedded_object(void)
{
	struct relo_count rc = { 0 };
	struct embedded e;
	struct btf *from_file = NULL;
	char *path;

	CHECK_INT(open_embedded(&e), 0);
	if (!e.btf)
		return;
	CHECK(btf_type_count(e.btf) > 0);
	if (e.ext) {
		rc.ef = &e.ef;
		CHECK_INT(btf_ext_for_each_core_relo(e.btf, e.ext, e.ext_len,
						     count_relo, &rc), 0);
		CHECK(rc.count > 0);
		CHECK_INT(rc.bad_sections, 0);
		/* A non-zero return stops the walk and is passed back. */
		memset(&rc, 0, sizeof(rc));
		rc.ef = &e.ef;
		rc.stop_after = 1;
		CHECK_INT(btf_ext_for_each_core_relo(e.btf, e.ext, e.ext_len,
						     count_relo, &rc), 42);
		CHECK_INT(rc.count, 1);
	}
	fuzz_embedded(&e);
	/* The same BTF through btf_load_file(), from the ELF file. */
	path = write_temp(tcpdrop_bpf_object, embedded_len());
	CHECK(path != NULL);
	if (path) {
		CHECK_INT(btf_load_file(&from_file, path), 0);
		if (from_file)
			CHECK_INT(btf_type_count(from_file),
				  btf_type_count(e.btf));
		btf_free(from_file);
		unlink(path);
		free(path);
	}
	btf_free(e.btf);
}

/* A hand-built .BTF.ext over a BTF whose strings hold the section names. */
struct ext_builder {
	uint8_t buf[512];
	size_t len;
};

static void ext_u32(struct ext_builder *x, uint32_t v)
{
	memcpy(x->buf + x->len, &v, sizeof(v));
	x->len += sizeof(v);
}

/* Header of `hdr_len` (24 or 32), empty func/line info, then a CO-RE
 * subsection with `rec_size` records: two in "prog_a", one in "prog_b". */
static void build_ext(struct ext_builder *x, uint32_t hdr_len,
		      uint32_t rec_size, uint32_t sec_a, uint32_t sec_b)
{
	uint32_t i, r, n, core_start, core_len;
	size_t rec;

	memset(x, 0, sizeof(*x));
	ext_u32(x, BTF_MAGIC | 1u << 16);   /* magic, version 1, flags 0 */
	ext_u32(x, hdr_len);
	ext_u32(x, 0);                      /* func_info_off, len */
	ext_u32(x, 0);
	ext_u32(x, 0);                      /* line_info_off, len */
	ext_u32(x, 0);
	if (hdr_len < 32)
		return;
	ext_u32(x, 0);                      /* core_relo_off */
	ext_u32(x, 0);                      /* core_relo_len, set below */
	core_start = (uint32_t)x->len;
	ext_u32(x, rec_size);
	for (i = 0; i < 2; i++) {
		n = i == 0 ? 2 : 1;
		ext_u32(x, i == 0 ? sec_a : sec_b);
		ext_u32(x, n);
		for (r = 0; r < n; r++) {
			rec = x->len;
			ext_u32(x, (i * 10 + r) * 8);   /* insn_off */
			ext_u32(x, 3);                  /* type_id */
			ext_u32(x, 1);                  /* access_str_off */
			ext_u32(x, BPF_CORE_FIELD_EXISTS);
			while (x->len < rec + rec_size)
				x->buf[x->len++] = 0xee;
		}
	}
	core_len = (uint32_t)x->len - core_start;
	memcpy(x->buf + 28, &core_len, sizeof(core_len));
}

struct seen {
	int n;
	char secs[8][16];
	struct bpf_core_relo relos[8];
};

static int record_relo(void *ctx, const char *sec_name,
		       const struct bpf_core_relo *relo)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->secs[s->n], sizeof(s->secs[0]), "%s", sec_name);
		s->relos[s->n] = *relo;
	}
	s->n++;
	return 0;
}

static void test_btf_ext_handbuilt(void)
{
	struct ext_builder x;
	struct btf *btf = NULL;
	struct seen s;
	struct bb b;
	uint32_t sec_a, sec_b;
	size_t len;
	int err;

	bb_init(&b);
	bb_int(&b, "int", 4, 0);
	bb_str(&b, "x");
	sec_a = bb_str(&b, "prog_a");
	sec_b = bb_str(&b, "prog_b");
	bb_finish(&b);
	CHECK_INT(load_copy(&btf, b.blob, b.len), 0);
	if (!btf)
		return;

	build_ext(&x, 32, 16, sec_a, sec_b);
	memset(&s, 0, sizeof(s));
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), 0);
	CHECK_INT(s.n, 3);
	CHECK_STR(s.secs[0], "prog_a");
	CHECK_STR(s.secs[1], "prog_a");
	CHECK_STR(s.secs[2], "prog_b");
	CHECK_INT(s.relos[1].insn_off, 8);
	CHECK_INT(s.relos[2].insn_off, 80);
	CHECK_INT(s.relos[2].type_id, 3);
	CHECK_INT(s.relos[2].kind, BPF_CORE_FIELD_EXISTS);

	/* A longer record from a newer compiler: the known part is read. */
	build_ext(&x, 32, 20, sec_a, sec_b);
	memset(&s, 0, sizeof(s));
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), 0);
	CHECK_INT(s.n, 3);
	CHECK_INT(s.relos[2].insn_off, 80);
	CHECK_INT(s.relos[2].access_str_off, 1);

	/* An old header without CO-RE fields: no records, no error. */
	build_ext(&x, 24, 16, sec_a, sec_b);
	memset(&s, 0, sizeof(s));
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), 0);
	CHECK_INT(s.n, 0);

	build_ext(&x, 32, 12, sec_a, sec_b);           /* record too small */
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), -EINVAL);

	/* A bad section name in the second block: nothing is delivered. */
	build_ext(&x, 32, 16, sec_a, 0x10000);
	memset(&s, 0, sizeof(s));
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), -EINVAL);
	CHECK_INT(s.n, 0);

	build_ext(&x, 32, 16, sec_a, sec_b);           /* num_info huge */
	memcpy(x.buf + 32 + 4 + 4, &(uint32_t){ 0x10000000 }, 4);
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), -EINVAL);

	build_ext(&x, 32, 16, sec_a, sec_b);           /* num_info 0 */
	memcpy(x.buf + 32 + 4 + 4, &(uint32_t){ 0 }, 4);
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), -EINVAL);

	build_ext(&x, 32, 16, sec_a, sec_b);           /* bad magic */
	x.buf[0] ^= 1;
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), -EINVAL);

	build_ext(&x, 32, 16, sec_a, sec_b);           /* func_info outside */
	memcpy(x.buf + 8, &(uint32_t){ 0xfffffff0 }, 4);
	memcpy(x.buf + 12, &(uint32_t){ 0x20 }, 4);
	CHECK_INT(btf_ext_for_each_core_relo(btf, x.buf, x.len, record_relo,
					     &s), -EINVAL);

	build_ext(&x, 32, 16, sec_a, sec_b);
	for (len = 0; len < x.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, x.buf, len);
		err = btf_ext_for_each_core_relo(btf, copy, len, record_relo,
						 &s);
		free(copy);
		if (err != -EINVAL) {
			CHECK_INT(err, -EINVAL);
			printf("     at length %zu\n", len);
			break;
		}
	}
	btf_free(btf);
}

static void test_btf_ext_fuzz_flips(void)
{
	uint32_t state = 0x1234567;
	struct ext_builder x;
	struct btf *btf = NULL;
	struct bb b;
	uint32_t sec_a, sec_b;
	int r, k, n, ok = 0;

	bb_init(&b);
	bb_int(&b, "int", 4, 0);
	sec_a = bb_str(&b, "prog_a");
	sec_b = bb_str(&b, "prog_b");
	bb_finish(&b);
	CHECK_INT(load_copy(&btf, b.blob, b.len), 0);
	if (!btf)
		return;
	build_ext(&x, 32, 16, sec_a, sec_b);
	for (r = 0; r < 20000; r++) {
		uint8_t *copy = malloc(x.len);

		memcpy(copy, x.buf, x.len);
		for (k = 1 + (int)(prng(&state) % 3); k > 0; k--)
			copy[prng(&state) % x.len] ^=
				(uint8_t)(1u << (prng(&state) % 8));
		n = 0;
		if (btf_ext_for_each_core_relo(btf, copy, x.len, ignore_relo,
					       &n) == 0)
			ok++;
		free(copy);
	}
	CHECK(ok > 100);
	btf_free(btf);
}

int main(void)
{
	bool embedded = tcpdrop_bpf_object && tcpdrop_bpf_object_end;

	RUN(test_btf_sample_lookups);
	RUN(test_btf_every_kind);
	RUN(test_btf_corrupt);
	RUN(test_btf_typedef_loop);
	RUN(test_btf_fuzz_flips);
	RUN(test_btf_load_file_raw);
	RUN(test_btf_truncated_under_us);
	RUN(test_btf_too_large);
	RUN(test_btf_lazy_windows);
	RUN(test_btf_lazy_long_names);
	RUN(test_btf_lazy_truncated);
	RUN(test_btf_ext_handbuilt);
	RUN(test_btf_ext_fuzz_flips);
	if (access(VMLINUX_BTF, R_OK) == 0) {
		RUN(test_btf_vmlinux);
		RUN(test_btf_vmlinux_lazy_is_whole);
	} else {
		SKIP(test_btf_vmlinux, VMLINUX_BTF " is not readable here");
		SKIP(test_btf_vmlinux_lazy_is_whole,
		     VMLINUX_BTF " is not readable here");
	}
	if (embedded) {
		RUN(test_btf_embedded_object);
		RUN(test_btf_lazy_elf);
	} else {
		SKIP(test_btf_embedded_object,
		     "built without the embedded BPF object");
		SKIP(test_btf_lazy_elf, "built without the embedded BPF object");
	}
	return check_exit_code();
}
