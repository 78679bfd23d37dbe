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

/* The loaded BTF keeps its own copy of the raw bytes. The copy comes from
 * malloc and the header and type section offsets are required to be
 * multiples of 4, so every type record is 4-byte aligned and can be handed
 * out as a struct btf_type pointer without copying. */
struct btf {
	uint8_t *data;
	size_t len;
	const uint8_t *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t *type_offs;  /* type_offs[id]: record offset in types */
	uint32_t nr_types;    /* highest valid id */
	const char *why;      /* the check that refused the data */
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

/* Refuses the data and keeps which check did: every check has its own
 * reason, so a test (or a user) can tell exactly what was wrong. */
static int refuse(struct btf *btf, const char *why)
{
	btf->why = why;
	return -EINVAL;
}

static int check_header(struct btf *btf, struct btf_header *hdr)
{
	uint64_t body_len;

	if (btf->len < sizeof(*hdr))
		return refuse(btf, "shorter than a BTF header");
	memcpy(hdr, btf->data, sizeof(*hdr));
	if (hdr->magic != BTF_MAGIC)
		return refuse(btf, "no BTF magic");
	if (hdr->version != BTF_VERSION)
		return refuse(btf, "unknown BTF version");
	/* A longer header (a future version) is fine: its offsets still
	 * count from its end. Alignment keeps type records aligned. */
	if (hdr->hdr_len < sizeof(*hdr) || hdr->hdr_len > btf->len)
		return refuse(btf, "header length out of range");
	if (hdr->hdr_len % 4 != 0)
		return refuse(btf, "header length not a multiple of 4");
	if (hdr->type_off % 4 != 0)
		return refuse(btf, "type section not 4-byte aligned");
	body_len = btf->len - hdr->hdr_len;
	if (!range_fits(hdr->type_off, hdr->type_len, body_len))
		return refuse(btf, "type section past the end");
	if (!range_fits(hdr->str_off, hdr->str_len, body_len))
		return refuse(btf, "string section past the end");
	/* The two sections must not overlap: a name would be a type. */
	if (hdr->type_len && hdr->str_len &&
	    hdr->type_off < (uint64_t)hdr->str_off + hdr->str_len &&
	    hdr->str_off < (uint64_t)hdr->type_off + hdr->type_len)
		return refuse(btf, "type and string sections overlap");
	return 0;
}

/* Offset 0 must be the empty string (anonymous types point there), and a
 * final NUL means every offset inside the section starts a terminated
 * string, so a name needs only a range check. */
static int check_strings(struct btf *btf)
{
	if (btf->strs_len == 0 || btf->strs[0] != '\0')
		return refuse(btf, "string section does not start with \"\"");
	if (btf->strs[btf->strs_len - 1] != '\0')
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
	/* vlen is at most 0xffff and strides at most 12: no overflow. */
	*extra = vlen * *named_stride;
	return 0;
}

/* The type's own name and those of its members, enumerators or params. */
static int check_record_names(struct btf *btf, const uint8_t *rec,
			      uint32_t vlen, uint32_t named_stride)
{
	const struct btf_type *t = (const struct btf_type *)rec;
	const uint8_t *item = rec + sizeof(*t);
	uint32_t i, name_off;

	if (!str_off_valid(btf, t->name_off))
		return refuse(btf, "type name outside the string section");
	if (!named_stride)
		return 0;
	for (i = 0; i < vlen; i++, item += named_stride) {
		memcpy(&name_off, item, sizeof(name_off));
		if (!str_off_valid(btf, name_off))
			return refuse(btf, "member name outside the string "
				      "section");
	}
	return 0;
}

/* Checks the record at `off` and returns its total size in *rec_len. */
static int check_record(struct btf *btf, uint32_t off, uint32_t *rec_len)
{
	const struct btf_type *t;
	uint32_t extra, named_stride;
	int err;

	if (btf->types_len - off < sizeof(*t))
		return refuse(btf, "type record cut short");
	t = (const struct btf_type *)(btf->types + off);
	err = kind_trailer(t, &extra, &named_stride);
	if (err)
		return refuse(btf, "unknown type kind");
	if (btf->types_len - off - sizeof(*t) < extra)
		return refuse(btf, "type record's members cut short");
	err = check_record_names(btf, btf->types + off,
				 BTF_INFO_VLEN(t->info), named_stride);
	if (err)
		return err;
	*rec_len = (uint32_t)sizeof(*t) + extra;
	return 0;
}

/* One pass over the type section: each record is checked and its offset
 * recorded. A record is at least 12 bytes, which bounds the number of
 * types, so the index is allocated once up front and trimmed after. */
static int index_types(struct btf *btf)
{
	uint32_t max_types = btf->types_len / sizeof(struct btf_type);
	uint32_t off = 0, rec_len, id = 0, *offs, *trimmed;
	int err = 0;

	offs = malloc(((size_t)max_types + 1) * sizeof(*offs));
	if (!offs)
		return -ENOMEM;
	offs[0] = 0;
	while (off < btf->types_len) {
		err = check_record(btf, off, &rec_len);
		if (err)
			goto out;
		if (++id > BTF_MAX_TYPE) {
			err = refuse(btf, "more types than BTF can number");
			goto out;
		}
		offs[id] = off;
		off += rec_len;
	}
	trimmed = realloc(offs, ((size_t)id + 1) * sizeof(*offs));
	if (trimmed)
		offs = trimmed;
	btf->type_offs = offs;
	btf->nr_types = id;
	offs = NULL;
out:
	free(offs);
	return err;
}

static int btf_parse(struct btf *btf)
{
	struct btf_header hdr;
	const uint8_t *body;
	int err;

	err = check_header(btf, &hdr);
	if (err)
		return err;
	body = btf->data + hdr.hdr_len;
	btf->types = body + hdr.type_off;
	btf->types_len = hdr.type_len;
	btf->strs = (const char *)body + hdr.str_off;
	btf->strs_len = hdr.str_len;
	err = check_strings(btf);
	if (err)
		return err;
	return index_types(btf);
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
	btf = calloc(1, sizeof(*btf));
	if (!btf) {
		err = -ENOMEM;
		goto out;
	}
	btf->data = data;
	btf->len = len;
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
 * SIGBUS at the first access past its new end. Within copy_btf_bytes()
 * that access jumps back here and becomes -ESTALE, an error no read
 * gives, so that it is told apart from the -EIO of a file that cannot be
 * read (/proc/self/mem). */
static sigjmp_buf sigbus_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jump, 1);
}

/* Finds the BTF in `image` and copies it out, at most FILEIO_MAX_BTF
 * bytes (-EFBIG past that), so that the image can be unmapped. */
static int copy_btf_bytes(const void *image, size_t len, uint8_t **copy,
			  size_t *size)
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
	if (err == 0 && !(buf = malloc(*size + 1)))
		err = -ENOMEM;
	if (err == 0)
		memcpy(buf, data, *size);
	sigaction(SIGBUS, &old, NULL);
	if (err) {
		free(buf);
		return err;
	}
	*copy = buf;
	return 0;
}

int btf_load_image(struct btf **out, const void *image, size_t len)
{
	uint8_t *copy;
	size_t size;
	int err;

	*out = NULL;
	err = copy_btf_bytes(image, len, &copy, &size);
	if (err)
		return err;
	return btf_adopt(out, copy, size, NULL);
}

/* A vmlinux with debug info can be hundreds of megabytes, of which .BTF is
 * a few: map the file and copy out only what is needed, rather than read
 * it all into memory. Returns -EAGAIN when the file cannot be mapped
 * (not a regular file, empty, a filesystem without mmap). */
static int load_mapped(struct btf **out, const char *path)
{
	struct stat st;
	void *map;
	int fd, err = -EAGAIN;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0)
		goto out;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto out;
	err = btf_load_image(out, map, (size_t)st.st_size);
	munmap(map, (size_t)st.st_size);
out:
	close(fd);
	return err;
}

int btf_load_file(struct btf **out, const char *path)
{
	char *buf = NULL, *shrunk;
	size_t len;
	int err;

	*out = NULL;
	err = load_mapped(out, path);
	if (err != -EAGAIN)
		return err;
	err = read_whole_file(path, &buf, &len);
	if (err)
		return err;
	if (has_btf_magic(buf, len)) {
		/* Raw BTF (the kernel's): parse the buffer in place, after
		 * giving back the slack that reading a sysfs file of unknown
		 * size left (megabytes for vmlinux). */
		shrunk = realloc(buf, len + 1);
		if (shrunk)
			buf = shrunk;
		err = btf_adopt(out, (uint8_t *)buf, len, NULL);
		buf = NULL;
		goto out;
	}
	err = btf_load_image(out, buf, len);
out:
	free(buf);
	return err;
}

void btf_free(struct btf *btf)
{
	if (!btf)
		return;
	free(btf->type_offs);
	free(btf->data);
	free(btf);
}

uint32_t btf_type_count(const struct btf *btf)
{
	return btf->nr_types;
}

const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id)
{
	if (id == 0 || id > btf->nr_types)
		return NULL;
	return (const struct btf_type *)(btf->types + btf->type_offs[id]);
}

const char *btf_str(const struct btf *btf, uint32_t off)
{
	return str_off_valid(btf, off) ? btf->strs + off : "";
}

int btf_find(const struct btf *btf, const char *name, int kind)
{
	const struct btf_type *t;
	uint32_t id;

	for (id = 1; id <= btf->nr_types; id++) {
		t = btf_type_by_id(btf, id);
		if ((int)BTF_INFO_KIND(t->info) == kind &&
		    strcmp(btf_str(btf, t->name_off), name) == 0)
			return (int)id;
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
			if (strcmp(btf_str(btf, e[i].name_off), value_name))
				continue;
			/* kind_flag says whether the 32 bits are signed. */
			*out = is_signed ? (int64_t)e[i].val
					 : (int64_t)(uint32_t)e[i].val;
			return 0;
		}
	} else {
		const struct btf_enum64 *e = (const struct btf_enum64 *)(t + 1);

		for (i = 0; i < vlen; i++) {
			if (strcmp(btf_str(btf, e[i].name_off), value_name))
				continue;
			*out = (int64_t)((uint64_t)e[i].val_hi32 << 32 |
					 e[i].val_lo32);
			return 0;
		}
	}
	return -ENOENT;
}

/* Several enums may share a name (forward-declared in one unit, complete
 * in another): try each until one has the value. */
int btf_enum_value(const struct btf *btf, const char *enum_name,
		   const char *value_name, int64_t *out)
{
	const struct btf_type *t;
	uint32_t id, kind;

	for (id = 1; id <= btf->nr_types; id++) {
		t = btf_type_by_id(btf, id);
		kind = BTF_INFO_KIND(t->info);
		if (kind != BTF_KIND_ENUM && kind != BTF_KIND_ENUM64)
			continue;
		if (strcmp(btf_str(btf, t->name_off), enum_name) != 0)
			continue;
		if (enum_lookup(btf, t, value_name, out) == 0)
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
