/* Kernel symbols from /proc/kallsyms: a sorted array of text symbols and a
 * binary search. Loaded lazily by the caller on the first stack to print,
 * so start-up does not pay for ~100k lines. */
#ifndef TCPDROP_KSYM_H
#define TCPDROP_KSYM_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;    /* points into the table's own buffer */
	const char *module;  /* "ext4" for "[ext4]" symbols, NULL for vmlinux */
};

struct ksyms;

/* Parses a kallsyms-format file. Keeps text symbols (t, T, w, W). Returns
 * 0, -ENOENT/-EACCES (I/O), -EFBIG past FILEIO_MAX_KALLSYMS (64 MiB),
 * -EPERM when every address reads as 0 (kptr_restrict hides them),
 * -ENOMEM. */
int ksyms_load(struct ksyms **out, const char *path);

/* Same, from text already in memory (unit tests). Copies the text. */
int ksyms_load_text(struct ksyms **out, const char *text, size_t len);

/* The symbol containing `addr` (the last one at or below it), or NULL when
 * addr is below the first symbol. */
const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr);

/* Writes "name+0xoff" ("name+0xoff [module]" for modules), or "0x%llx"
 * when no symbol matches, into buf (always NUL-terminated). Returns the
 * length snprintf would have written. */
int ksyms_format(const struct ksyms *ks, uint64_t addr, char *buf, size_t n);

void ksyms_free(struct ksyms *ks);

#endif
