#include "elf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* True when [off, off + size) lies inside a buffer of `len` bytes. Written
 * so that no sum can wrap: offsets and sizes come from the file. */
static bool range_fits(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int check_ident(const uint8_t *buf, size_t len, uint16_t machine)
{
	Elf64_Ehdr eh;

	/* Too short to hold the magic, or the wrong magic: not ELF at all. */
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	/* An ELF file cut short: corrupt rather than foreign. */
	if (len < sizeof(eh))
		return -EINVAL;
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_ident[EI_VERSION] != EV_CURRENT)
		return -ENOEXEC;
	if (machine != EM_NONE && eh.e_machine != machine)
		return -ENOEXEC;
	return 0;
}

/* Reads a section header without checking idx against shnum: for use
 * while the table itself is being validated, once it is known to fit. */
static void read_shdr(const struct elf_file *ef, unsigned int idx,
		      Elf64_Shdr *out)
{
	memcpy(out, ef->buf + ef->shoff + (uint64_t)idx * sizeof(*out),
	       sizeof(*out));
}

static int check_section_table(struct elf_file *ef, const Elf64_Ehdr *eh)
{
	/* shnum 0 with a table means extended numbering (65280+ sections),
	 * which no object we read needs; without a table there is nothing
	 * to name sections with. Either way it is unusable here. */
	if (eh->e_shnum == 0 || eh->e_shentsize != sizeof(Elf64_Shdr))
		return -EINVAL;
	if (!range_fits(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr),
			ef->len))
		return -EINVAL;
	ef->shoff = eh->e_shoff;
	ef->shnum = eh->e_shnum;
	return 0;
}

/* Every section's bytes must lie inside the file, so that the accessors
 * below never hand out a pointer past the buffer. */
static int check_section_ranges(const struct elf_file *ef)
{
	Elf64_Shdr sh;
	unsigned int i;

	for (i = 1; i < ef->shnum; i++) {
		read_shdr(ef, i, &sh);
		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (!range_fits(sh.sh_offset, sh.sh_size, ef->len))
			return -EINVAL;
	}
	return 0;
}

/* A string table is usable when it is a non-empty SHT_STRTAB whose last
 * byte is NUL: then every offset below its size starts a terminated
 * string, and one comparison checks a name. */
static int load_strtab(const struct elf_file *ef, unsigned int idx,
		       const char **strs, size_t *strs_len)
{
	const char *data;
	Elf64_Shdr sh;

	if (idx == 0 || idx >= ef->shnum)
		return -EINVAL;
	read_shdr(ef, idx, &sh);
	if (sh.sh_type != SHT_STRTAB || sh.sh_size == 0)
		return -EINVAL;
	data = (const char *)ef->buf + sh.sh_offset;
	if (data[sh.sh_size - 1] != '\0')
		return -EINVAL;
	*strs = data;
	*strs_len = sh.sh_size;
	return 0;
}

/* An object has at most one .symtab; its entries and its string table
 * (sh_link) are checked here once for all elf_symbol() calls. */
static int load_symtab(struct elf_file *ef)
{
	Elf64_Shdr sh;
	unsigned int i;
	int err;

	for (i = 1; i < ef->shnum; i++) {
		read_shdr(ef, i, &sh);
		if (sh.sh_type == SHT_SYMTAB)
			break;
	}
	if (i == ef->shnum)
		return 0;
	if (sh.sh_entsize != sizeof(Elf64_Sym) ||
	    sh.sh_size % sizeof(Elf64_Sym) != 0)
		return -EINVAL;
	err = load_strtab(ef, sh.sh_link, &ef->strtab, &ef->strtab_len);
	if (err)
		return err;
	ef->symtab_idx = (int)i;
	ef->nsyms = sh.sh_size / sizeof(Elf64_Sym);
	return 0;
}

/* Relocation sections are checked up front too, so that a bad entry size
 * is reported when the file is opened, not half-way through loading. */
static int check_rel_sections(const struct elf_file *ef)
{
	Elf64_Shdr sh;
	unsigned int i;

	for (i = 1; i < ef->shnum; i++) {
		read_shdr(ef, i, &sh);
		if (sh.sh_type != SHT_REL)
			continue;
		if (sh.sh_entsize != sizeof(Elf64_Rel) ||
		    sh.sh_size % sizeof(Elf64_Rel) != 0)
			return -EINVAL;
	}
	return 0;
}

int elf_open(struct elf_file *ef, const void *buf, size_t len, uint16_t machine)
{
	Elf64_Ehdr eh;
	int err;

	memset(ef, 0, sizeof(*ef));
	ef->symtab_idx = -1;
	ef->buf = buf;
	ef->len = len;
	err = check_ident(buf, len, machine);
	if (err)
		goto out;
	memcpy(&eh, buf, sizeof(eh));
	err = check_section_table(ef, &eh);
	if (err)
		goto out;
	err = check_section_ranges(ef);
	if (err)
		goto out;
	/* SHN_XINDEX (0xffff) is out of range too: extended numbering. */
	err = load_strtab(ef, eh.e_shstrndx, &ef->shstrtab, &ef->shstrtab_len);
	if (err)
		goto out;
	err = load_symtab(ef);
	if (err)
		goto out;
	err = check_rel_sections(ef);
out:
	if (err) {
		memset(ef, 0, sizeof(*ef));
		ef->symtab_idx = -1;
	}
	return err;
}

int elf_section(const struct elf_file *ef, int idx, Elf64_Shdr *out)
{
	if (idx <= 0 || idx >= ef->shnum)
		return -EINVAL;
	read_shdr(ef, (unsigned int)idx, out);
	return 0;
}

const char *elf_section_name(const struct elf_file *ef, int idx)
{
	Elf64_Shdr sh;

	if (elf_section(ef, idx, &sh) != 0 || sh.sh_name >= ef->shstrtab_len)
		return NULL;
	return ef->shstrtab + sh.sh_name;
}

int elf_find_section(const struct elf_file *ef, const char *name)
{
	const char *sec_name;
	int i;

	for (i = 1; i < ef->shnum; i++) {
		sec_name = elf_section_name(ef, i);
		if (sec_name && strcmp(sec_name, name) == 0)
			return i;
	}
	return -ENOENT;
}

int elf_section_data(const struct elf_file *ef, int idx, const void **data,
		     size_t *size)
{
	Elf64_Shdr sh;
	int err;

	err = elf_section(ef, idx, &sh);
	if (err)
		return err;
	if (sh.sh_type == SHT_NOBITS) {
		*data = NULL;
		*size = (size_t)sh.sh_size;
		return 0;
	}
	/* Checked by elf_open() already; kept so that this accessor is safe
	 * on its own. */
	if (!range_fits(sh.sh_offset, sh.sh_size, ef->len))
		return -EINVAL;
	*data = ef->buf + sh.sh_offset;
	*size = (size_t)sh.sh_size;
	return 0;
}

int elf_symbol(const struct elf_file *ef, size_t i, Elf64_Sym *out,
	       const char **name)
{
	Elf64_Shdr sh;

	if (ef->symtab_idx < 0)
		return -ENOENT;
	if (i >= ef->nsyms)
		return -EINVAL;
	read_shdr(ef, (unsigned int)ef->symtab_idx, &sh);
	memcpy(out, ef->buf + sh.sh_offset + i * sizeof(*out), sizeof(*out));
	if (out->st_name >= ef->strtab_len)
		return -EINVAL;
	*name = ef->strtab + out->st_name;
	return 0;
}

/* A section usable as Elf64_Rel entries: type and entry size as elf_open()
 * required of every SHT_REL section. */
static int rel_section(const struct elf_file *ef, int idx, Elf64_Shdr *sh)
{
	int err = elf_section(ef, idx, sh);

	if (err)
		return err;
	if (sh->sh_type != SHT_REL || sh->sh_entsize != sizeof(Elf64_Rel) ||
	    sh->sh_size % sizeof(Elf64_Rel) != 0)
		return -EINVAL;
	return 0;
}

int elf_rel_count(const struct elf_file *ef, int idx, size_t *count)
{
	Elf64_Shdr sh;
	int err = rel_section(ef, idx, &sh);

	if (err)
		return err;
	*count = (size_t)(sh.sh_size / sizeof(Elf64_Rel));
	return 0;
}

int elf_rel(const struct elf_file *ef, int idx, size_t i, Elf64_Rel *out)
{
	Elf64_Shdr sh;
	int err = rel_section(ef, idx, &sh);

	if (err)
		return err;
	if (i >= sh.sh_size / sizeof(Elf64_Rel))
		return -EINVAL;
	memcpy(out, ef->buf + sh.sh_offset + i * sizeof(*out), sizeof(*out));
	return 0;
}
