/* A reader for BTF: the kernel's own (/sys/kernel/btf/vmlinux), a raw BTF
 * file, the .BTF section of an ELF file (a vmlinux, a BTFHub-style file, or
 * our own BPF object). Every type record and string offset is checked when
 * the BTF is loaded, so the accessors below can trust ids and offsets that
 * the loaded BTF itself produced. Also reads the CO-RE records of .BTF.ext.
 * Knows nothing about TCP.
 *
 * A file is read lazily, through a window (64 KiB): loading keeps an
 * index of it (about 200 KiB for vmlinux's 5 MiB), and the accessors copy
 * out the records and strings asked for, once each. The pointers they give
 * stay valid until btf_free(). */
#ifndef TCPDROP_BTF_H
#define TCPDROP_BTF_H

#include <linux/bpf.h>
#include <linux/btf.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

/* Parses raw BTF (a struct btf_header then types and strings); copies the
 * data. Returns 0 or -EINVAL (corrupt), -ENOMEM. */
int btf_load_raw(struct btf **out, const void *data, size_t len);

/* The same; on -EINVAL, *why (when `why` is not NULL) names the one check
 * that refused the data, e.g. "type and string sections overlap"; NULL
 * otherwise. */
int btf_load_raw_why(struct btf **out, const void *data, size_t len,
		     const char **why);

/* Parses the BTF in a file's `len`-byte image (raw BTF, or an ELF file's
 * .BTF section), which may be a mapping of the file: it is read with
 * SIGBUS caught, so a file truncated meanwhile gives -ESTALE instead of a
 * crash. -EFBIG for BTF over FILEIO_MAX_BTF; -EINVAL for no BTF; -ENOENT
 * for an ELF file without .BTF. */
int btf_load_image(struct btf **out, const void *image, size_t len);

/* Loads `path`: raw BTF if it starts with the BTF magic, else an ELF64 file
 * whose .BTF section is parsed. A regular file is read lazily (see
 * btf_load_fd), any other read whole. -ENOENT, -EINVAL, -ENOMEM, -EFBIG,
 * -ESTALE (shorter than its size said), -errno of I/O. */
int btf_load_file(struct btf **out, const char *path);

/* Reads the `len` bytes of BTF at byte `off` of the open file `fd`
 * lazily, through a window of `window` bytes (0: 64 KiB; at least 16),
 * with pread(): the file must stay open and unchanged while the BTF is
 * used (fd is duplicated; the caller keeps its own). A read that finds the
 * file shorter is -ESTALE at load, and a missing type ("" for a string)
 * afterwards. -EFBIG past FILEIO_MAX_BTF, -EINVAL, -ENOMEM, -errno. */
int btf_load_fd(struct btf **out, int fd, uint64_t off, size_t len,
		size_t window);

void btf_free(struct btf *btf);

/* Highest type id; valid ids are 1..btf_type_count() (0 is void). */
uint32_t btf_type_count(const struct btf *btf);

/* Type record of `id`, or NULL for 0 (void) or out of range. */
const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id);

/* Strings longer than this (the kernel's names are under 512) read as "". */
#define BTF_STR_MAX 4095

/* String at `off` in the string section, "" when out of range. */
const char *btf_str(const struct btf *btf, uint32_t off);

/* Id of the first type named `name` of kind `kind` (BTF_KIND_*), or
 * -ENOENT. Struct, union, enum, enum64 and typedef names are looked up in
 * an index; other kinds by a walk over every type. */
int btf_find(const struct btf *btf, const char *name, int kind);

/* Length of `name` without a libbpf "flavour" suffix: the part from the
 * last "___" that sits between two other characters ("sk_buff___old" is
 * 7). */
size_t btf_essential_len(const char *name);

/* The lowest id above `after` of kind `kind` whose name, without its
 * flavour suffix, is the `len` bytes at `name`; -ENOENT when none. Start
 * with `after` 0; each id comes once, in increasing order. */
int btf_find_next(const struct btf *btf, const char *name, size_t len,
		  int kind, uint32_t after);

/* Follows typedef, volatile, const, restrict and type_tag from `id` to the
 * first other type; returns its id (0 for void). */
uint32_t btf_skip_modifiers(const struct btf *btf, uint32_t id);

/* Size in bytes of type `id` after skipping modifiers (pointers are 8),
 * or -EINVAL for types without a size (void, func). */
int btf_type_size(const struct btf *btf, uint32_t id);

/* Value of enumerator `value_name` in the enum (or enum64) called
 * `enum_name`. 0, or -ENOENT. */
int btf_enum_value(const struct btf *btf, const char *enum_name,
		   const char *value_name, int64_t *out);

/* Calls `fn` for every CO-RE relocation record in the .BTF.ext section
 * `ext` (of `ext_len` bytes), with the name of the ELF section (program)
 * it belongs to, resolved through `btf` (the object's own .BTF). Records are
 * copied to an aligned struct before the call. Stops at and returns the
 * first non-zero return of `fn`; -EINVAL when the section is corrupt; 0
 * when it has no CO-RE records. */
typedef int (*btf_core_relo_fn)(void *ctx, const char *sec_name,
				const struct bpf_core_relo *relo);
int btf_ext_for_each_core_relo(const struct btf *btf, const void *ext,
			       size_t ext_len, btf_core_relo_fn fn, void *ctx);

#endif
