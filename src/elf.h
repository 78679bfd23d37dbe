/* A bounds-checked reader for ELF64 little-endian relocatable objects, such
 * as the BPF object that clang builds and we embed. It never trusts an
 * offset or a count from the file: every accessor checks it against the
 * buffer first and returns -EINVAL (corrupt) or -ENOENT (absent). Structures
 * are copied out with memcpy, so the buffer needs no particular alignment.
 * Nothing is allocated: an elf_file only points into the caller's buffer,
 * which must outlive it. */
#ifndef TCPDROP_ELF_H
#define TCPDROP_ELF_H

/* The kernel's uapi ELF header, not libc's <elf.h>: with -Isrc, <elf.h>
 * would name this very file. It has the same Elf64_* types and constants
 * (and EM_BPF, which older libcs lack). */
#include <linux/elf.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file {
	const uint8_t *buf;
	size_t len;
	uint64_t shoff;       /* section header table, checked to fit */
	uint16_t shnum;
	const char *shstrtab; /* section names, checked NUL-terminated at end */
	size_t shstrtab_len;
	int symtab_idx;       /* -1 when the object has no .symtab */
	const char *strtab;   /* symbol names (the .symtab's sh_link) */
	size_t strtab_len;
	size_t nsyms;
};

/* Checks the ELF header (ELFCLASS64, ELFDATA2LSB, e_machine given by the
 * caller, e.g. EM_BPF, or EM_NONE for any machine), the section table, the
 * string tables, the .symtab and every SHT_REL section's entry size, and
 * that every section's bytes lie inside the buffer. Returns 0, -ENOEXEC when
 * it is not an ELF64 LE file for that machine, -EINVAL when it is but is
 * corrupt (truncated, offsets out of range, ...). The accessors below return
 * -EINVAL for an index out of range. */
int elf_open(struct elf_file *ef, const void *buf, size_t len, uint16_t machine);

/* Section header `idx` (0 < idx < shnum), copied out. */
int elf_section(const struct elf_file *ef, int idx, Elf64_Shdr *out);

/* Name of section `idx`, or NULL when idx or its name is out of range. */
const char *elf_section_name(const struct elf_file *ef, int idx);

/* Index of the first section called `name`, or -ENOENT. */
int elf_find_section(const struct elf_file *ef, const char *name);

/* Contents of section `idx`: pointer into the buffer and size. For
 * SHT_NOBITS sections *data is NULL and *size is sh_size. */
int elf_section_data(const struct elf_file *ef, int idx, const void **data,
		     size_t *size);

/* Symbol `i` of .symtab, copied out, and its name ("" for unnamed). */
int elf_symbol(const struct elf_file *ef, size_t i, Elf64_Sym *out,
	       const char **name);

/* Number of Elf64_Rel entries in SHT_REL section `idx`, and entry `i`. */
int elf_rel_count(const struct elf_file *ef, int idx, size_t *count);
int elf_rel(const struct elf_file *ef, int idx, size_t i, Elf64_Rel *out);

#endif
