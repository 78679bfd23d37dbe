#include "btf.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "fileio.h"

/* A BTF is read from one of two sources, through the same code: a malloc'd
 * copy of all of it (btf_load_raw: our object's BTF, the synthetic one,
 * the fuzzers), or a file read lazily through a window of `win_cap` bytes
 * (btf_load_fd: the kernel's 5 MiB, of which CO-RE needs a few hundred
 * records). Loading checks every record in one pass, as before, and keeps
 * only an index: where every BTF_CHECKPOINT_STRIDE-th type starts, and the
 * hash of the name of every type of the kinds that are looked up by name.
 * The records and strings that callers then ask for are copied out of the
 * file once each and kept until btf_free(), so that the pointers handed
 * out stay valid; a copy of the whole BTF never exists. */

#define BTF_WINDOW_DEFAULT ((size_t)64 << 10)
#define BTF_WINDOW_MIN 16            /* the widest named item: btf_enum64 */
#define BTF_CHECKPOINT_STRIDE 16

/* Kinds whose types btf_find_next() finds through the name index: those
 * that CO-RE and the enum lookups ask for (12k of vmlinux's 127k types). */
#define BTF_INDEXED_KINDS (1u << BTF_KIND_STRUCT | 1u << BTF_KIND_UNION | \
			   1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64 | \
			   1u << BTF_KIND_TYPEDEF)

/* While the index is built `key` is the name's offset, then its hash. */
struct btf_name_key {
	uint32_t key;
	uint32_t id;
};

/* A cache of copies, by type id or string offset: open addressing over
 * entries whose first word is their key. */
struct btf_table {
	uint32_t **slots;
	uint32_t cap;      /* a power of two, or 0 */
	uint32_t used;
};

struct btf_cached_type {
	uint32_t id;
	uint32_t pad;      /* keeps the record 8-byte aligned */
	struct btf_type t; /* then its members, params, values */
};

struct btf_cached_str {
	uint32_t off;
	char s[];
};

struct btf {
	uint8_t *mem;         /* the whole BTF (memory source), or NULL */
	int fd;               /* the file (file source), or -1 */
	uint64_t file_off;    /* where the BTF starts in the file */
	size_t len;
	uint8_t *win;         /* file source: bytes [win_off, +win_len) */
	size_t win_cap, win_len;
	uint64_t win_off;
	int io_err;           /* the first failed read, sticky */
	uint32_t types_off, types_len; /* from the start of the BTF */
	uint32_t strs_off, strs_len;
	uint32_t *checkpoints; /* [k]: offset in types of id k*STRIDE+1 */
	uint32_t nr_types;     /* highest valid id */
	struct btf_name_key *names; /* by (hash, id) */
	uint32_t nr_names;
	struct btf_table *types_cache, *strs_cache; /* file source */
	const char *why;       /* the check that refused the data */
};

/* Header of .BTF.ext, as clang writes it. Not part of the kernel's uapi:
 * the kernel never sees this section. The core_relo fields were added
 * later and are present only when hdr_len covers them. */
struct btf_ext_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off;
	uint32_t func_info_len;
	uint32_t line_info_off;
	uint32_t line_info_len;
	uint32_t core_relo_off;
	uint32_t core_relo_len;
};

#define BTF_EXT_HDR_MIN offsetof(struct btf_ext_header, core_relo_off)

/* Typedef chains in real BTF are a few links long; a longer one is a loop
 * in a corrupt file, which must not hang us. */
#define BTF_MAX_CHAIN 64

static bool range_fits(uint64_t off, uint64_t size, uint64_t len)
{
	return off <= len && size <= len - off;
}

static bool str_off_valid(const struct btf *btf, uint32_t off)
{
	return off < btf->strs_len;
}

/* Reading. */

/* Reads the window at `off`: as much as one read gives (sysfs gives a
 * page a call), up to win_cap, and at least `need` bytes. */
static int fill_window(struct btf *btf, uint64_t off, size_t need)
{
	size_t want = btf->len - off < btf->win_cap ? btf->len - off
						     : btf->win_cap;
	size_t got = 0;
	ssize_t n;

	btf->win_len = 0;
	while (got < need) {
		n = pread(btf->fd, btf->win + got, want - got,
			  (off_t)(btf->file_off + off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Shorter than it was when it was measured. */
			btf->io_err = n < 0 ? -errno : -ESTALE;
			return btf->io_err;
		}
		got += (size_t)n;
	}
	btf->win_off = off;
	btf->win_len = got;
	return 0;
}

/* Bytes [off, off + len) of the BTF, `len` at most win_cap: a pointer
 * valid until the next read, or NULL (out of range, or a failed read,
 * then kept in io_err). The window moves to start at `off`, so a forward
 * scan reads the file once. */
static const uint8_t *peek(const struct btf *cbtf, uint64_t off, size_t len)
{
	struct btf *btf = (struct btf *)cbtf;

	if (!range_fits(off, len, btf->len) || len > btf->win_cap)
		return NULL;
	if (btf->mem)
		return btf->mem + off;
	if (off < btf->win_off || off + len > btf->win_off + btf->win_len) {
		if (btf->io_err || fill_window(btf, off, len))
			return NULL;
	}
	return btf->win + (off - btf->win_off);
}

/* Copies `len` bytes at `off` out, in pieces of at most a window. */
static int copy_out(const struct btf *btf, uint64_t off, void *dst,
		    size_t len)
{
	const uint8_t *p;
	size_t n;

	while (len) {
		n = len < btf->win_cap ? len : btf->win_cap;
		p = peek(btf, off, n);
		if (!p)
			return btf->io_err ? btf->io_err : -EINVAL;
		memcpy(dst, p, n);
		dst = (uint8_t *)dst + n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The string at `off` of the string section, copied into `buf` (of
 * BTF_STR_MAX + 1 bytes). Returns its length, -ENAMETOOLONG past
 * BTF_STR_MAX, or the read's -errno. */
static int read_str(const struct btf *btf, uint32_t off, char *buf)
{
	size_t pos = 0, n, chunk = btf->win_cap < 64 ? btf->win_cap : 64;
	const uint8_t *p, *nul;

	if (!str_off_valid(btf, off))
		return -EINVAL;
	while (pos <= BTF_STR_MAX) {
		n = btf->strs_len - off - pos;
		if (n == 0)
			return -EINVAL;     /* not terminated: changed */
		n = n < chunk ? n : chunk;
		n = n < BTF_STR_MAX + 1 - pos ? n : BTF_STR_MAX + 1 - pos;
		p = peek(btf, (uint64_t)btf->strs_off + off + pos, n);
		if (!p)
			return btf->io_err ? btf->io_err : -EINVAL;
		nul = memchr(p, '\0', n);
		memcpy(buf + pos, p, nul ? (size_t)(nul - p) + 1 : n);
		if (nul)
			return (int)(pos + (size_t)(nul - p));
		pos += n;
	}
	return -ENAMETOOLONG;
}

/* The caches of the file source. */

static uint32_t table_hash(uint32_t key, uint32_t cap)
{
	return (key * 2654435761u) & (cap - 1);
}

static uint32_t *table_find(const struct btf_table *tb, uint32_t key)
{
	uint32_t i;

	if (!tb->cap)
		return NULL;
	for (i = table_hash(key, tb->cap); tb->slots[i];
	     i = (i + 1) & (tb->cap - 1)) {
		if (*tb->slots[i] == key)
			return tb->slots[i];
	}
	return NULL;
}

static int table_grow(struct btf_table *tb)
{
	uint32_t cap = tb->cap ? tb->cap * 2 : 64, i, j;
	uint32_t **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < tb->cap; i++) {
		if (!tb->slots[i])
			continue;
		for (j = table_hash(*tb->slots[i], cap); slots[j];
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = tb->slots[i];
	}
	free(tb->slots);
	tb->slots = slots;
	tb->cap = cap;
	return 0;
}

/* Takes `entry` (malloc'd, its key first) into the table, or frees it. */
static uint32_t *table_add(struct btf_table *tb, uint32_t *entry)
{
	uint32_t i;

	if ((tb->used + 1) * 2 > tb->cap && table_grow(tb)) {
		free(entry);
		return NULL;
	}
	for (i = table_hash(*entry, tb->cap); tb->slots[i];
	     i = (i + 1) & (tb->cap - 1))
		;
	tb->slots[i] = entry;
	tb->used++;
	return entry;
}

static void table_free(struct btf_table *tb)
{
	uint32_t i;

	if (!tb)
		return;
	for (i = 0; i < tb->cap; i++)
		free(tb->slots[i]);
	free(tb->slots);
	free(tb);
}

/* Loading: every check has its own reason, so that a test (or a user)
 * can tell exactly what was wrong. */

static int refuse(struct btf *btf, const char *why)
{
	btf->why = why;
	return -EINVAL;
}

static int check_header(struct btf *btf)
{
	struct btf_header hdr;
	uint64_t body_len;
	int err;

	if (btf->len < sizeof(hdr))
		return refuse(btf, "shorter than a BTF header");
	err = copy_out(btf, 0, &hdr, sizeof(hdr));
	if (err)
		return err;
	if (hdr.magic != BTF_MAGIC)
		return refuse(btf, "no BTF magic");
	if (hdr.version != BTF_VERSION)
		return refuse(btf, "unknown BTF version");
	/* A longer header (a future version) is fine: its offsets still
	 * count from its end. Alignment keeps type records aligned. */
	if (hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > btf->len)
		return refuse(btf, "header length out of range");
	if (hdr.hdr_len % 4 != 0)
		return refuse(btf, "header length not a multiple of 4");
	if (hdr.type_off % 4 != 0)
		return refuse(btf, "type section not 4-byte aligned");
	body_len = btf->len - hdr.hdr_len;
	if (!range_fits(hdr.type_off, hdr.type_len, body_len))
		return refuse(btf, "type section past the end");
	if (!range_fits(hdr.str_off, hdr.str_len, body_len))
		return refuse(btf, "string section past the end");
	/* The two sections must not overlap: a name would be a type. */
	if (hdr.type_len && hdr.str_len &&
	    hdr.type_off < (uint64_t)hdr.str_off + hdr.str_len &&
	    hdr.str_off < (uint64_t)hdr.type_off + hdr.type_len)
		return refuse(btf, "type and string sections overlap");
	/* FILEIO_MAX_BTF keeps every offset below 2^32. */
	btf->types_off = hdr.hdr_len + hdr.type_off;
	btf->types_len = hdr.type_len;
	btf->strs_off = hdr.hdr_len + hdr.str_off;
	btf->strs_len = hdr.str_len;
	return 0;
}

/* Offset 0 must be the empty string (anonymous types point there), and a
 * final NUL means every offset inside the section starts a terminated
 * string, so a name needs only a range check. */
static int check_strings(struct btf *btf)
{
	uint8_t first, last;
	int err;

	if (btf->strs_len == 0)
		return refuse(btf, "string section does not start with \"\"");
	err = copy_out(btf, btf->strs_off, &first, 1);
	if (err == 0)
		err = copy_out(btf, (uint64_t)btf->strs_off + btf->strs_len - 1,
			       &last, 1);
	if (err)
		return err;
	if (first != '\0')
		return refuse(btf, "string section does not start with \"\"");
	if (last != '\0')
		return refuse(btf, "last string not terminated");
	return 0;
}

/* Bytes that follow the struct btf_type of each kind, and the stride of
 * its per-item entries whose first word is a name offset (0 when the
 * trailing data has no names). */
static int kind_trailer(const struct btf_type *t, uint32_t *extra,
			uint32_t *named_stride)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);

	*named_stride = 0;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		*extra = 0;
		return 0;
	case BTF_KIND_INT:
		*extra = sizeof(uint32_t);
		return 0;
	case BTF_KIND_VAR:
		*extra = sizeof(struct btf_var);
		return 0;
	case BTF_KIND_DECL_TAG:
		*extra = sizeof(struct btf_decl_tag);
		return 0;
	case BTF_KIND_ARRAY:
		*extra = sizeof(struct btf_array);
		return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		*named_stride = sizeof(struct btf_member);
		break;
	case BTF_KIND_ENUM:
		*named_stride = sizeof(struct btf_enum);
		break;
	case BTF_KIND_ENUM64:
		*named_stride = sizeof(struct btf_enum64);
		break;
	case BTF_KIND_FUNC_PROTO:
		*named_stride = sizeof(struct btf_param);
		break;
	case BTF_KIND_DATASEC:
		*extra = vlen * (uint32_t)sizeof(struct btf_var_secinfo);
		return 0;
	default:
		return -EINVAL;
	}
	/* vlen is at most 0xffff and strides at most 16: no overflow. */
	*extra = vlen * *named_stride;
	return 0;
}

/* The names of the members, enumerators or params that start at `items`
 * (an offset in the BTF), read a window's worth at a time. */
static int check_item_names(struct btf *btf, uint64_t items, uint32_t vlen,
			    uint32_t stride)
{
	uint32_t i = 0, n, k, name_off;
	const uint8_t *p;

	while (i < vlen) {
		n = vlen - i;
		if ((size_t)n * stride > btf->win_cap)
			n = (uint32_t)(btf->win_cap / stride);
		p = peek(btf, items + (uint64_t)i * stride, (size_t)n * stride);
		if (!p)
			return btf->io_err ? btf->io_err : -EINVAL;
		for (k = 0; k < n; k++) {
			memcpy(&name_off, p + (size_t)k * stride,
			       sizeof(name_off));
			if (!str_off_valid(btf, name_off))
				return refuse(btf, "member name outside the "
					      "string section");
		}
		i += n;
	}
	return 0;
}

/* The record header at `off` in the type section, and its total size. */
static int read_record(const struct btf *btf, uint32_t off,
		       struct btf_type *t, uint32_t *rec_len,
		       uint32_t *named_stride)
{
	uint32_t extra;
	int err;

	if (btf->types_len - off < sizeof(*t))
		return -ERANGE;
	err = copy_out(btf, (uint64_t)btf->types_off + off, t, sizeof(*t));
	if (err)
		return err;
	if (kind_trailer(t, &extra, named_stride))
		return -EINVAL;
	if (btf->types_len - off - sizeof(*t) < extra)
		return -EOVERFLOW;
	*rec_len = (uint32_t)sizeof(*t) + extra;
	return 0;
}

/* Checks the record at `off`: its kind, its length, its names. */
static int check_record(struct btf *btf, uint32_t off, struct btf_type *t,
			uint32_t *rec_len)
{
	uint32_t named_stride;
	int err = read_record(btf, off, t, rec_len, &named_stride);

	if (err == -ERANGE)
		return refuse(btf, "type record cut short");
	if (err == -EINVAL)
		return refuse(btf, "unknown type kind");
	if (err == -EOVERFLOW)
		return refuse(btf, "type record's members cut short");
	if (err)
		return err;
	if (!str_off_valid(btf, t->name_off))
		return refuse(btf, "type name outside the string section");
	if (!named_stride)
		return 0;
	return check_item_names(btf, (uint64_t)btf->types_off + off +
				sizeof(*t), BTF_INFO_VLEN(t->info),
				named_stride);
}

static int add_name(struct btf *btf, uint32_t name_off, uint32_t id,
		    uint32_t *cap)
{
	struct btf_name_key *bigger;

	if (btf->nr_names == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		bigger = realloc(btf->names, *cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		btf->names = bigger;
	}
	btf->names[btf->nr_names].key = name_off;
	btf->names[btf->nr_names].id = id;
	btf->nr_names++;
	return 0;
}

/* One pass over the type section: each record is checked, every
 * BTF_CHECKPOINT_STRIDE-th offset kept, and the types of indexed kinds
 * noted with their name offsets. A record is at least 12 bytes, which
 * bounds the number of checkpoints. */
static int scan_types(struct btf *btf)
{
	uint32_t max_types = btf->types_len / sizeof(struct btf_type);
	uint32_t off = 0, rec_len, id = 0, names_cap = 0, *trimmed;
	struct btf_type t;
	int err;

	btf->checkpoints = malloc(((size_t)max_types / BTF_CHECKPOINT_STRIDE +
				   1) * sizeof(uint32_t));
	if (!btf->checkpoints)
		return -ENOMEM;
	while (off < btf->types_len) {
		err = check_record(btf, off, &t, &rec_len);
		if (err)
			return err;
		if (id == BTF_MAX_TYPE)
			return refuse(btf, "more types than BTF can number");
		if (id % BTF_CHECKPOINT_STRIDE == 0)
			btf->checkpoints[id / BTF_CHECKPOINT_STRIDE] = off;
		id++;
		if (BTF_INDEXED_KINDS & 1u << BTF_INFO_KIND(t.info)) {
			err = add_name(btf, t.name_off, id, &names_cap);
			if (err)
				return err;
		}
		off += rec_len;
	}
	trimmed = realloc(btf->checkpoints, ((size_t)id / BTF_CHECKPOINT_STRIDE
					     + 1) * sizeof(uint32_t));
	if (trimmed)
		btf->checkpoints = trimmed;
	btf->nr_types = id;
	return 0;
}

/* FNV-1a over a name's essential part: the index serves both btf_find()
 * (exact names) and CO-RE (names without their ___flavour). */
static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h;
}

/* Sorts the index by (key, id), a byte at a time from the least
 * significant (LSD radix: stable, linear, no recursion), through `tmp` of
 * the same size. Ids take 20 bits (BTF_MAX_TYPE). */
static void sort_names(struct btf_name_key *keys, struct btf_name_key *tmp,
		       uint32_t n)
{
	static const uint8_t shifts[] = { 0, 8, 16, 32, 40, 48, 56 };
	struct btf_name_key *from = keys, *to = tmp, *swap;
	uint32_t count[256], i, b, sum, c;
	uint64_t v;
	size_t pass;

	for (pass = 0; pass < sizeof(shifts); pass++) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++) {
			v = (uint64_t)from[i].key << 32 | from[i].id;
			count[(v >> shifts[pass]) & 0xff]++;
		}
		for (b = 0, sum = 0; b < 256; b++) {
			c = count[b];
			count[b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			v = (uint64_t)from[i].key << 32 | from[i].id;
			to[count[(v >> shifts[pass]) & 0xff]++] = from[i];
		}
		swap = from;
		from = to;
		to = swap;
	}
	/* An odd number of passes leaves the result in tmp. */
	if (from != keys)
		memcpy(keys, from, (size_t)n * sizeof(*keys));
}

/* Name offsets to hashes, reading the names in the order they are in
 * the file; then sorted by hash for the lookups. A name too long to read
 * is "" to btf_str(), and hashed as "". */
static int hash_names(struct btf *btf)
{
	char buf[BTF_STR_MAX + 1];
	uint32_t i, last_off = 0, last_hash = name_hash("", 0);
	struct btf_name_key *tmp;
	int len, err = 0;

	if (btf->nr_names == 0)
		return 0;
	tmp = malloc((size_t)btf->nr_names * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	sort_names(btf->names, tmp, btf->nr_names);
	for (i = 0; i < btf->nr_names; i++) {
		if (btf->names[i].key != last_off) {
			last_off = btf->names[i].key;
			len = read_str(btf, last_off, buf);
			if (len < 0 && len != -ENAMETOOLONG) {
				err = len;
				goto out;
			}
			last_hash = len < 0 ? name_hash("", 0) :
				    name_hash(buf, btf_essential_len(buf));
		}
		btf->names[i].key = last_hash;
	}
	sort_names(btf->names, tmp, btf->nr_names);
out:
	free(tmp);
	return err;
}

static int btf_parse(struct btf *btf)
{
	int err = check_header(btf);

	if (err == 0)
		err = check_strings(btf);
	if (err == 0)
		err = scan_types(btf);
	if (err == 0)
		err = hash_names(btf);
	return err;
}

static struct btf *btf_new(void)
{
	struct btf *btf = calloc(1, sizeof(*btf));

	if (btf)
		btf->fd = -1;
	return btf;
}

/* Takes ownership of `data` (malloc'd, so aligned), even on failure.
 * `why` (may be NULL) gets the reason of a refusal. */
static int btf_adopt(struct btf **out, uint8_t *data, size_t len,
		     const char **why)
{
	struct btf *btf;
	int err;

	*out = NULL;
	if (why)
		*why = NULL;
	btf = btf_new();
	if (!btf) {
		err = -ENOMEM;
		goto out;
	}
	btf->mem = data;
	btf->len = len;
	btf->win_cap = SIZE_MAX;
	data = NULL;
	err = btf_parse(btf);
	if (why)
		*why = btf->why;
	if (err)
		goto out;
	*out = btf;
	btf = NULL;
out:
	btf_free(btf);
	free(data);
	return err;
}

int btf_load_raw_why(struct btf **out, const void *data, size_t len,
		     const char **why)
{
	uint8_t *copy;

	*out = NULL;
	if (why)
		*why = NULL;
	/* malloc(0) may return NULL; one spare byte keeps ENOMEM honest. */
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, len);
	return btf_adopt(out, copy, len, why);
}

int btf_load_raw(struct btf **out, const void *data, size_t len)
{
	return btf_load_raw_why(out, data, len, NULL);
}

int btf_load_fd(struct btf **out, int fd, uint64_t off, size_t len,
		size_t window)
{
	struct btf *btf;
	int err = -ENOMEM;

	*out = NULL;
	if (len > FILEIO_MAX_BTF)
		return -EFBIG;
	btf = btf_new();
	if (!btf)
		return -ENOMEM;
	btf->win_cap = window ? window : BTF_WINDOW_DEFAULT;
	if (btf->win_cap < BTF_WINDOW_MIN)
		btf->win_cap = BTF_WINDOW_MIN;
	btf->file_off = off;
	btf->len = len;
	btf->win = malloc(btf->win_cap);
	btf->types_cache = calloc(1, sizeof(*btf->types_cache));
	btf->strs_cache = calloc(1, sizeof(*btf->strs_cache));
	if (!btf->win || !btf->types_cache || !btf->strs_cache)
		goto out;
	btf->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (btf->fd < 0) {
		err = -errno;
		goto out;
	}
	err = btf_parse(btf);
	if (err)
		goto out;
	*out = btf;
	btf = NULL;
out:
	btf_free(btf);
	return err;
}

static bool has_btf_magic(const void *buf, size_t len)
{
	uint16_t magic;

	if (len < sizeof(magic))
		return false;
	memcpy(&magic, buf, sizeof(magic));
	return magic == BTF_MAGIC;
}

/* The bytes of the BTF in a file's image: all of it (raw BTF, the
 * kernel's format), or the .BTF section of an ELF file of any machine (a
 * vmlinux, a BTFHub file, a BPF object). -EINVAL for neither. */
static int find_btf_bytes(const void *buf, size_t len, const void **data,
			  size_t *size)
{
	struct elf_file ef;
	int idx, err;

	if (has_btf_magic(buf, len)) {
		*data = buf;
		*size = len;
		return 0;
	}
	err = elf_open(&ef, buf, len, EM_NONE);
	if (err)
		return err == -ENOEXEC ? -EINVAL : err;
	idx = elf_find_section(&ef, ".BTF");
	if (idx < 0)
		return idx;
	err = elf_section_data(&ef, idx, data, size);
	if (err)
		return err;
	return *data ? 0 : -EINVAL;
}

/* A mapped file that shrinks under us (truncated while we read it) raises
 * SIGBUS at the first access past its new end. Within find_guarded()
 * that access jumps back here and becomes -ESTALE, an error no read
 * gives, so that it is told apart from the -EIO of a file that cannot be
 * read (/proc/self/mem). */
static sigjmp_buf sigbus_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jump, 1);
}

/* Finds the BTF in `image`: its offset and size, and with `copy` not NULL
 * a malloc'd copy of it, at most FILEIO_MAX_BTF bytes (-EFBIG past that),
 * so that the image can be unmapped. */
static int find_guarded(const void *image, size_t len, size_t *off,
			size_t *size, uint8_t **copy)
{
	struct sigaction sa, old;
	uint8_t *volatile buf = NULL;
	const void *data = NULL;
	int err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old))
		return -errno;
	if (sigsetjmp(sigbus_jump, 1)) {
		sigaction(SIGBUS, &old, NULL);
		free(buf);
		return -ESTALE;
	}
	err = find_btf_bytes(image, len, &data, size);
	if (err == 0 && *size > FILEIO_MAX_BTF)
		err = -EFBIG;
	/* malloc(0) may return NULL; one spare byte keeps ENOMEM honest. */
	if (err == 0 && copy && !(buf = malloc(*size + 1)))
		err = -ENOMEM;
	if (err == 0 && copy)
		memcpy(buf, data, *size);
	sigaction(SIGBUS, &old, NULL);
	if (err) {
		free(buf);
		return err;
	}
	*off = (size_t)((const uint8_t *)data - (const uint8_t *)image);
	if (copy)
		*copy = buf;
	return 0;
}

int btf_load_image(struct btf **out, const void *image, size_t len)
{
	uint8_t *copy;
	size_t off, size;
	int err;

	*out = NULL;
	err = find_guarded(image, len, &off, &size, &copy);
	if (err)
		return err;
	return btf_adopt(out, copy, size, NULL);
}

/* Where the BTF is in the regular file `fd` of `size` bytes: all of it
 * (raw BTF), or an ELF file's .BTF section, found through a mapping of
 * which only the headers are touched (a vmlinux with debug info is
 * hundreds of megabytes). -EAGAIN when the file cannot be mapped. */
static int locate_in_file(int fd, size_t size, size_t *off, size_t *len)
{
	uint16_t magic = 0;
	void *map;
	int err;

	if (pread(fd, &magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    magic == BTF_MAGIC) {
		*off = 0;
		*len = size;
		return size > FILEIO_MAX_BTF ? -EFBIG : 0;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -EAGAIN;
	err = find_guarded(map, size, off, len, NULL);
	munmap(map, size);
	return err;
}

/* Regular files are read lazily (btf_load_fd); -EAGAIN for the others
 * (empty, no size, no mmap), which are read whole. */
static int load_lazily(struct btf **out, const char *path)
{
	struct stat st;
	size_t off, len;
	int fd, err = -EAGAIN;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0)
		goto out;
	err = locate_in_file(fd, (size_t)st.st_size, &off, &len);
	if (err == 0)
		err = btf_load_fd(out, fd, off, len, 0);
out:
	close(fd);
	return err;
}

int btf_load_file(struct btf **out, const char *path)
{
	char *buf = NULL;
	size_t len;
	int err;

	*out = NULL;
	err = load_lazily(out, path);
	if (err != -EAGAIN)
		return err;
	err = read_whole_file(path, &buf, &len);
	if (err)
		return err;
	err = btf_load_image(out, buf, len);
	free(buf);
	return err;
}

void btf_free(struct btf *btf)
{
	if (!btf)
		return;
	table_free(btf->types_cache);
	table_free(btf->strs_cache);
	if (btf->fd >= 0)
		close(btf->fd);
	free(btf->win);
	free(btf->names);
	free(btf->checkpoints);
	free(btf->mem);
	free(btf);
}

/* Accessors. */

uint32_t btf_type_count(const struct btf *btf)
{
	return btf->nr_types;
}

/* Offset in the type section of valid id `id`: from the checkpoint before
 * it, a walk over at most BTF_CHECKPOINT_STRIDE - 1 records. Fails only
 * where the file changed since it was checked. */
static int type_offset(const struct btf *btf, uint32_t id, uint32_t *off)
{
	uint32_t from = (id - 1) / BTF_CHECKPOINT_STRIDE, rec_len, stride;
	uint32_t i = from * BTF_CHECKPOINT_STRIDE + 1;
	struct btf_type t;
	int err;

	*off = btf->checkpoints[from];
	for (; i < id; i++) {
		err = read_record(btf, *off, &t, &rec_len, &stride);
		if (err)
			return err;
		*off += rec_len;
	}
	return 0;
}

/* The file source's copy of record `id`, made on first use. */
static const struct btf_type *cached_type(const struct btf *btf, uint32_t id)
{
	struct btf_cached_type *c;
	uint32_t off, rec_len, stride;
	struct btf_type t;

	c = (struct btf_cached_type *)table_find(btf->types_cache, id);
	if (c)
		return &c->t;
	if (type_offset(btf, id, &off) ||
	    read_record(btf, off, &t, &rec_len, &stride))
		return NULL;
	c = malloc(offsetof(struct btf_cached_type, t) + rec_len);
	if (!c)
		return NULL;
	c->id = id;
	if (copy_out(btf, (uint64_t)btf->types_off + off, &c->t, rec_len)) {
		free(c);
		return NULL;
	}
	c = (struct btf_cached_type *)table_add(btf->types_cache, &c->id);
	return c ? &c->t : NULL;
}

const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id)
{
	uint32_t off;

	if (id == 0 || id > btf->nr_types)
		return NULL;
	if (!btf->mem)
		return cached_type(btf, id);
	if (type_offset(btf, id, &off))
		return NULL;
	return (const struct btf_type *)(btf->mem + btf->types_off + off);
}

static const char *cached_str(const struct btf *btf, uint32_t off)
{
	char buf[BTF_STR_MAX + 1];
	struct btf_cached_str *c;
	int len;

	c = (struct btf_cached_str *)table_find(btf->strs_cache, off);
	if (c)
		return c->s;
	len = read_str(btf, off, buf);
	if (len < 0)
		return "";
	c = malloc(sizeof(*c) + (size_t)len + 1);
	if (!c)
		return "";
	c->off = off;
	memcpy(c->s, buf, (size_t)len + 1);
	c = (struct btf_cached_str *)table_add(btf->strs_cache, &c->off);
	return c ? c->s : "";
}

const char *btf_str(const struct btf *btf, uint32_t off)
{
	const char *s;

	if (!str_off_valid(btf, off))
		return "";
	if (!btf->mem)
		return cached_str(btf, off);
	s = (const char *)btf->mem + btf->strs_off + off;
	return strnlen(s, BTF_STR_MAX + 1) > BTF_STR_MAX ? "" : s;
}

/* Whether the string at `off` is `name`, without keeping a copy. */
static bool str_is(const struct btf *btf, uint32_t off, const char *name)
{
	char buf[BTF_STR_MAX + 1];

	if (btf->mem)
		return strcmp(btf_str(btf, off), name) == 0;
	if (read_str(btf, off, buf) < 0)
		return name[0] == '\0' && str_off_valid(btf, off);
	return strcmp(buf, name) == 0;
}

size_t btf_essential_len(const char *name)
{
	size_t len = strlen(name), i, essence = len;

	for (i = 1; i + 3 < len; i++) {
		if (memcmp(name + i, "___", 3) == 0 && name[i - 1] != '_' &&
		    name[i + 3] != '_')
			essence = i;
	}
	return essence;
}

static bool essential_is(const char *s, const char *name, size_t len)
{
	return strncmp(s, name, len) == 0 && btf_essential_len(s) == len;
}

/* The first index entry of `hash` whose id is above `after`. */
static uint32_t first_name_at(const struct btf *btf, uint32_t hash,
			      uint32_t after)
{
	uint32_t lo = 0, hi = btf->nr_names, mid;
	const struct btf_name_key *k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = &btf->names[mid];
		if (k->key < hash || (k->key == hash && k->id <= after))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int find_indexed(const struct btf *btf, const char *name, size_t len,
			uint32_t kinds, uint32_t after)
{
	uint32_t hash = name_hash(name, len), i;
	const struct btf_type *t;

	for (i = first_name_at(btf, hash, after);
	     i < btf->nr_names && btf->names[i].key == hash; i++) {
		t = btf_type_by_id(btf, btf->names[i].id);
		if (t && kinds & 1u << BTF_INFO_KIND(t->info) &&
		    essential_is(btf_str(btf, t->name_off), name, len))
			return (int)btf->names[i].id;
	}
	return -ENOENT;
}

/* Other kinds: a walk over the records after `after`, reading names
 * without keeping them. */
static int find_walking(const struct btf *btf, const char *name, size_t len,
			uint32_t kinds, uint32_t after)
{
	char buf[BTF_STR_MAX + 1];
	uint32_t id = after + 1, off, rec_len, stride;
	struct btf_type t;

	if (id > btf->nr_types || type_offset(btf, id, &off))
		return -ENOENT;
	for (; id <= btf->nr_types; id++, off += rec_len) {
		if (read_record(btf, off, &t, &rec_len, &stride))
			return -ENOENT;
		if (!(kinds & 1u << BTF_INFO_KIND(t.info)))
			continue;
		if (read_str(btf, t.name_off, buf) < 0)
			buf[0] = '\0';
		if (essential_is(buf, name, len))
			return (int)id;
	}
	return -ENOENT;
}

static int find_next(const struct btf *btf, const char *name, size_t len,
		     uint32_t kinds, uint32_t after)
{
	if ((kinds & ~BTF_INDEXED_KINDS) == 0)
		return find_indexed(btf, name, len, kinds, after);
	return find_walking(btf, name, len, kinds, after);
}

int btf_find_next(const struct btf *btf, const char *name, size_t len,
		  int kind, uint32_t after)
{
	if (kind < 0 || kind > 31)
		return -ENOENT;
	return find_next(btf, name, len, 1u << kind, after);
}

int btf_find(const struct btf *btf, const char *name, int kind)
{
	size_t len = btf_essential_len(name);
	const struct btf_type *t;
	int id = 0;

	while ((id = btf_find_next(btf, name, len, kind, (uint32_t)id)) > 0) {
		t = btf_type_by_id(btf, (uint32_t)id);
		if (t && str_is(btf, t->name_off, name))
			return id;
	}
	return -ENOENT;
}

static bool is_modifier(const struct btf_type *t)
{
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return true;
	default:
		return false;
	}
}

/* Ids referenced by records are not checked at load time (that would take
 * a second pass); a dangling one or a loop ends here as void. */
uint32_t btf_skip_modifiers(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t;
	int depth;

	for (depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		if (id == 0)
			return 0;
		t = btf_type_by_id(btf, id);
		if (!t)
			return 0;
		if (!is_modifier(t))
			return id;
		id = t->type;
	}
	return 0;
}

/* Arrays multiply their element count into `nelems` and continue with the
 * element type; the loop ends at the first type with a size of its own. */
int btf_type_size(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t;
	const struct btf_array *arr;
	uint64_t nelems = 1, size;
	int depth;

	for (depth = 0; depth < BTF_MAX_CHAIN; depth++) {
		t = btf_type_by_id(btf, btf_skip_modifiers(btf, id));
		if (!t)
			return -EINVAL;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_FLOAT:
		case BTF_KIND_DATASEC:
			size = t->size;
			break;
		case BTF_KIND_PTR:
			size = sizeof(uint64_t);
			break;
		case BTF_KIND_ARRAY:
			arr = (const struct btf_array *)(t + 1);
			nelems *= arr->nelems;
			if (nelems > INT_MAX)
				return -EINVAL;
			id = arr->type;
			continue;
		default:
			return -EINVAL;
		}
		/* Both factors are below 2^32: the product cannot wrap. */
		size *= nelems;
		return size > INT_MAX ? -EINVAL : (int)size;
	}
	return -EINVAL;
}

static int enum_lookup(const struct btf *btf, const struct btf_type *t,
		       const char *value_name, int64_t *out)
{
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);
	bool is_signed = BTF_INFO_KFLAG(t->info);

	if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM) {
		const struct btf_enum *e = (const struct btf_enum *)(t + 1);

		for (i = 0; i < vlen; i++) {
			if (!str_is(btf, e[i].name_off, value_name))
				continue;
			/* kind_flag says whether the 32 bits are signed. */
			*out = is_signed ? (int64_t)e[i].val
					 : (int64_t)(uint32_t)e[i].val;
			return 0;
		}
	} else {
		const struct btf_enum64 *e = (const struct btf_enum64 *)(t + 1);

		for (i = 0; i < vlen; i++) {
			if (!str_is(btf, e[i].name_off, value_name))
				continue;
			*out = (int64_t)((uint64_t)e[i].val_hi32 << 32 |
					 e[i].val_lo32);
			return 0;
		}
	}
	return -ENOENT;
}

/* Several enums may share a name (forward-declared in one unit, complete
 * in another): try each, in id order, until one has the value. */
int btf_enum_value(const struct btf *btf, const char *enum_name,
		   const char *value_name, int64_t *out)
{
	uint32_t kinds = 1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64;
	size_t len = btf_essential_len(enum_name);
	const struct btf_type *t;
	int id = 0;

	while ((id = find_next(btf, enum_name, len, kinds, (uint32_t)id)) > 0) {
		t = btf_type_by_id(btf, (uint32_t)id);
		if (t && str_is(btf, t->name_off, enum_name) &&
		    enum_lookup(btf, t, value_name, out) == 0)
			return 0;
	}
	return -ENOENT;
}

/* The CO-RE subsection: a u32 record size, then blocks of
 * {sec_name_off, num_info, num_info records}. With `fn` NULL it only
 * checks, so that a corrupt block late in the section is reported before
 * any record reached the caller. */
static int walk_core_relos(const struct btf *btf, const uint8_t *sub,
			   uint32_t sub_len, btf_core_relo_fn fn, void *ctx)
{
	struct bpf_core_relo relo;
	uint32_t rec_size, pos, sec_name_off, num_info, i;
	int err;

	if (sub_len < sizeof(rec_size))
		return -EINVAL;
	memcpy(&rec_size, sub, sizeof(rec_size));
	/* A newer clang may append fields; we read the ones we know. */
	if (rec_size < sizeof(relo))
		return -EINVAL;
	for (pos = sizeof(rec_size); pos < sub_len;) {
		if (sub_len - pos < 2 * sizeof(uint32_t))
			return -EINVAL;
		memcpy(&sec_name_off, sub + pos, sizeof(uint32_t));
		memcpy(&num_info, sub + pos + sizeof(uint32_t), sizeof(uint32_t));
		pos += 2 * sizeof(uint32_t);
		/* clang never writes an empty block. */
		if (num_info == 0 || !str_off_valid(btf, sec_name_off) ||
		    (uint64_t)num_info * rec_size > sub_len - pos)
			return -EINVAL;
		for (i = 0; fn && i < num_info; i++) {
			memcpy(&relo, sub + pos + (size_t)i * rec_size,
			       sizeof(relo));
			err = fn(ctx, btf_str(btf, sec_name_off), &relo);
			if (err)
				return err;
		}
		pos += num_info * rec_size;
	}
	return 0;
}

static int check_ext_header(const uint8_t *ext, size_t ext_len,
			    struct btf_ext_header *hdr)
{
	uint64_t body_len;

	memset(hdr, 0, sizeof(*hdr));
	if (ext_len < BTF_EXT_HDR_MIN)
		return -EINVAL;
	memcpy(hdr, ext, BTF_EXT_HDR_MIN);
	if (hdr->magic != BTF_MAGIC || hdr->version != BTF_VERSION ||
	    hdr->hdr_len < BTF_EXT_HDR_MIN || hdr->hdr_len > ext_len)
		return -EINVAL;
	/* Older clang wrote no CO-RE fields: they stay 0, i.e. none. */
	if (hdr->hdr_len >= sizeof(*hdr))
		memcpy(hdr, ext, sizeof(*hdr));
	body_len = ext_len - hdr->hdr_len;
	if (!range_fits(hdr->func_info_off, hdr->func_info_len, body_len) ||
	    !range_fits(hdr->line_info_off, hdr->line_info_len, body_len) ||
	    !range_fits(hdr->core_relo_off, hdr->core_relo_len, body_len))
		return -EINVAL;
	return 0;
}

int btf_ext_for_each_core_relo(const struct btf *btf, const void *ext,
			       size_t ext_len, btf_core_relo_fn fn, void *ctx)
{
	struct btf_ext_header hdr;
	const uint8_t *sub;
	int err;

	err = check_ext_header(ext, ext_len, &hdr);
	if (err)
		return err;
	if (hdr.core_relo_len == 0)
		return 0;
	sub = (const uint8_t *)ext + hdr.hdr_len + hdr.core_relo_off;
	err = walk_core_relos(btf, sub, hdr.core_relo_len, NULL, NULL);
	if (err)
		return err;
	return walk_core_relos(btf, sub, hdr.core_relo_len, fn, ctx);
}
