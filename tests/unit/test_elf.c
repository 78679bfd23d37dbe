/* ELF reader: a small object assembled in memory, every truncation and a
 * list of targeted corruptions of it, random byte flips, and the real BPF
 * object embedded in the binary. Buffers under test are malloc'd at their
 * exact length so that ASan reports any read past them. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "elf.h"

/* Weak: the test also builds without the embedded object. */
extern const unsigned char tcpdrop_bpf_object[] __attribute__((weak));
extern const unsigned char tcpdrop_bpf_object_end[] __attribute__((weak));

/* Section indexes of the test object. */
enum {
	S_NULL,
	S_TEXT,
	S_REL_TEXT,
	S_SYMTAB,
	S_STRTAB,
	S_SHSTRTAB,
	S_BSS,
	S_COUNT,
};

static const char shstrtab[] =
	"\0.text\0.rel.text\0.symtab\0.strtab\0.shstrtab\0.bss";
static const char strtab[] = "\0prog\0my_map";

struct test_obj {
	uint8_t buf[2048];
	size_t len;
	uint64_t off[S_COUNT];  /* where each section's data starts */
};

static size_t append(struct test_obj *o, const void *data, size_t len)
{
	size_t at = (o->len + 7) & ~(size_t)7;

	memset(o->buf + o->len, 0, at - o->len);
	memcpy(o->buf + at, data, len);
	o->len = at + len;
	return at;
}

static uint32_t name_off(const char *table, size_t table_len, const char *name)
{
	size_t i;

	for (i = 0; i < table_len; i += strlen(table + i) + 1) {
		if (strcmp(table + i, name) == 0)
			return (uint32_t)i;
	}
	return 0;
}

static void add_shdr(struct test_obj *o, int idx, const char *name,
		     uint32_t type, uint64_t flags, uint64_t size,
		     uint32_t link, uint32_t info, uint64_t entsize,
		     uint64_t shoff)
{
	Elf64_Shdr sh;

	memset(&sh, 0, sizeof(sh));
	if (idx != S_NULL) {
		sh.sh_name = name_off(shstrtab, sizeof(shstrtab), name);
		sh.sh_type = type;
		sh.sh_flags = flags;
		sh.sh_offset = o->off[idx];
		sh.sh_size = size;
		sh.sh_link = link;
		sh.sh_info = info;
		sh.sh_addralign = 8;
		sh.sh_entsize = entsize;
	}
	memcpy(o->buf + shoff + (uint64_t)idx * sizeof(sh), &sh, sizeof(sh));
}

static void build_sym(Elf64_Sym *s, uint32_t name, unsigned char bind,
		      unsigned char type, uint16_t shndx, uint64_t value,
		      uint64_t size)
{
	memset(s, 0, sizeof(*s));
	s->st_name = name;
	s->st_info = (unsigned char)(bind << 4 | type);
	s->st_shndx = shndx;
	s->st_value = value;
	s->st_size = size;
}

/* ELF header, .text (two instructions), .rel.text (one entry), .symtab
 * (null, prog, my_map), .strtab, .shstrtab, .bss; the section table last,
 * so that every truncation cuts into it. */
static void build_obj(struct test_obj *o)
{
	uint8_t text[16] = { 0xb7, 0x00, 0, 0, 0x2a, 0, 0, 0,  /* r0 = 42 */
			     0x95, 0, 0, 0, 0, 0, 0, 0 };      /* exit */
	Elf64_Rel rel = { .r_offset = 8, .r_info = (uint64_t)2 << 32 | 1 };
	Elf64_Sym syms[3];
	Elf64_Ehdr eh;
	uint64_t shoff;

	memset(o, 0, sizeof(*o));
	o->len = sizeof(eh);
	build_sym(&syms[0], 0, 0, 0, 0, 0, 0);
	build_sym(&syms[1], name_off(strtab, sizeof(strtab), "prog"),
		  STB_GLOBAL, STT_FUNC, S_TEXT, 0, 16);
	build_sym(&syms[2], name_off(strtab, sizeof(strtab), "my_map"),
		  STB_GLOBAL, STT_OBJECT, S_BSS, 0, 64);
	o->off[S_TEXT] = append(o, text, sizeof(text));
	o->off[S_REL_TEXT] = append(o, &rel, sizeof(rel));
	o->off[S_SYMTAB] = append(o, syms, sizeof(syms));
	o->off[S_STRTAB] = append(o, strtab, sizeof(strtab));
	o->off[S_SHSTRTAB] = append(o, shstrtab, sizeof(shstrtab));
	o->off[S_BSS] = o->len;
	shoff = (o->len + 7) & ~(uint64_t)7;
	o->len = shoff + S_COUNT * sizeof(Elf64_Shdr);
	add_shdr(o, S_NULL, "", 0, 0, 0, 0, 0, 0, shoff);
	add_shdr(o, S_TEXT, ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
		 sizeof(text), 0, 0, 0, shoff);
	add_shdr(o, S_REL_TEXT, ".rel.text", SHT_REL, 0, sizeof(rel),
		 S_SYMTAB, S_TEXT, sizeof(Elf64_Rel), shoff);
	add_shdr(o, S_SYMTAB, ".symtab", SHT_SYMTAB, 0, sizeof(syms),
		 S_STRTAB, 1, sizeof(Elf64_Sym), shoff);
	add_shdr(o, S_STRTAB, ".strtab", SHT_STRTAB, 0, sizeof(strtab),
		 0, 0, 0, shoff);
	add_shdr(o, S_SHSTRTAB, ".shstrtab", SHT_STRTAB, 0, sizeof(shstrtab),
		 0, 0, 0, shoff);
	add_shdr(o, S_BSS, ".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 64,
		 0, 0, 0, shoff);

	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = EM_BPF;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = shoff;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = S_COUNT;
	eh.e_shstrndx = S_SHSTRTAB;
	memcpy(o->buf, &eh, sizeof(eh));
}

static Elf64_Ehdr get_ehdr(const struct test_obj *o)
{
	Elf64_Ehdr eh;

	memcpy(&eh, o->buf, sizeof(eh));
	return eh;
}

static void put_ehdr(struct test_obj *o, const Elf64_Ehdr *eh)
{
	memcpy(o->buf, eh, sizeof(*eh));
}

static uint64_t shdr_at(const struct test_obj *o, int idx)
{
	return get_ehdr(o).e_shoff + (uint64_t)idx * sizeof(Elf64_Shdr);
}

static Elf64_Shdr get_shdr(const struct test_obj *o, int idx)
{
	Elf64_Shdr sh;

	memcpy(&sh, o->buf + shdr_at(o, idx), sizeof(sh));
	return sh;
}

static void put_shdr(struct test_obj *o, int idx, const Elf64_Shdr *sh)
{
	memcpy(o->buf + shdr_at(o, idx), sh, sizeof(*sh));
}

/* Opens a private, exactly sized copy of the first `len` bytes. */
static int open_copy(const struct test_obj *o, size_t len, uint16_t machine)
{
	struct elf_file ef;
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	memcpy(copy, o->buf, len);
	err = elf_open(&ef, copy, len, machine);
	free(copy);
	return err;
}

static void test_elf_parses_built_object(void)
{
	struct test_obj o;
	struct elf_file ef;
	const void *data;
	const char *name;
	Elf64_Shdr sh;
	Elf64_Sym sym;
	Elf64_Rel rel;
	size_t size, count;

	build_obj(&o);
	CHECK_INT(elf_open(&ef, o.buf, o.len, EM_BPF), 0);
	CHECK_INT(ef.shnum, S_COUNT);
	CHECK_INT(ef.symtab_idx, S_SYMTAB);
	CHECK_INT(ef.nsyms, 3);
	CHECK_STR(elf_section_name(&ef, S_TEXT), ".text");
	CHECK_STR(elf_section_name(&ef, S_REL_TEXT), ".rel.text");
	CHECK_STR(elf_section_name(&ef, S_BSS), ".bss");
	CHECK(elf_section_name(&ef, 0) == NULL);
	CHECK(elf_section_name(&ef, S_COUNT) == NULL);
	CHECK(elf_section_name(&ef, -1) == NULL);
	CHECK_INT(elf_find_section(&ef, ".symtab"), S_SYMTAB);
	CHECK_INT(elf_find_section(&ef, ".shstrtab"), S_SHSTRTAB);
	CHECK_INT(elf_find_section(&ef, ".data"), -ENOENT);

	CHECK_INT(elf_section(&ef, S_TEXT, &sh), 0);
	CHECK_INT(sh.sh_type, SHT_PROGBITS);
	CHECK_INT(sh.sh_flags, SHF_ALLOC | SHF_EXECINSTR);
	CHECK_INT(elf_section(&ef, 0, &sh), -EINVAL);
	CHECK_INT(elf_section(&ef, S_COUNT, &sh), -EINVAL);

	CHECK_INT(elf_section_data(&ef, S_TEXT, &data, &size), 0);
	CHECK_INT(size, 16);
	CHECK(data == o.buf + o.off[S_TEXT]);
	CHECK_INT(((const uint8_t *)data)[4], 42);
	CHECK_INT(elf_section_data(&ef, S_BSS, &data, &size), 0);
	CHECK(data == NULL);
	CHECK_INT(size, 64);
	CHECK_INT(elf_section_data(&ef, S_COUNT, &data, &size), -EINVAL);

	CHECK_INT(elf_symbol(&ef, 0, &sym, &name), 0);
	CHECK_STR(name, "");
	CHECK_INT(elf_symbol(&ef, 1, &sym, &name), 0);
	CHECK_STR(name, "prog");
	CHECK_INT(ELF64_ST_TYPE(sym.st_info), STT_FUNC);
	CHECK_INT(ELF64_ST_BIND(sym.st_info), STB_GLOBAL);
	CHECK_INT(sym.st_shndx, S_TEXT);
	CHECK_INT(sym.st_size, 16);
	CHECK_INT(elf_symbol(&ef, 2, &sym, &name), 0);
	CHECK_STR(name, "my_map");
	CHECK_INT(sym.st_shndx, S_BSS);
	CHECK_INT(elf_symbol(&ef, 3, &sym, &name), -EINVAL);

	CHECK_INT(elf_rel_count(&ef, S_REL_TEXT, &count), 0);
	CHECK_INT(count, 1);
	CHECK_INT(elf_rel(&ef, S_REL_TEXT, 0, &rel), 0);
	CHECK_INT(rel.r_offset, 8);
	CHECK_INT(ELF64_R_SYM(rel.r_info), 2);
	CHECK_INT(ELF64_R_TYPE(rel.r_info), 1);
	CHECK_INT(elf_rel(&ef, S_REL_TEXT, 1, &rel), -EINVAL);
	CHECK_INT(elf_rel_count(&ef, S_TEXT, &count), -EINVAL);
	CHECK_INT(elf_rel(&ef, S_SYMTAB, 0, &rel), -EINVAL);
}

/* The section table is at the end: any shorter length cuts the header or
 * the table, never silently drops a section. */
static void test_elf_every_truncation(void)
{
	struct test_obj o;
	size_t len;
	int err;

	build_obj(&o);
	for (len = 0; len < o.len; len++) {
		err = open_copy(&o, len, EM_BPF);
		if (err != (len < SELFMAG ? -ENOEXEC : -EINVAL)) {
			CHECK_INT(err, len < SELFMAG ? -ENOEXEC : -EINVAL);
			printf("     at length %zu\n", len);
			break;
		}
	}
	CHECK_INT(open_copy(&o, o.len, EM_BPF), 0);
}

static void test_elf_foreign_files(void)
{
	struct test_obj o;
	Elf64_Ehdr eh;

	build_obj(&o);
	o.buf[1] = 'X';
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -ENOEXEC);

	build_obj(&o);
	o.buf[EI_CLASS] = ELFCLASS32;
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -ENOEXEC);

	build_obj(&o);
	o.buf[EI_DATA] = ELFDATA2MSB;
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -ENOEXEC);

	build_obj(&o);
	o.buf[EI_VERSION] = 0;
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -ENOEXEC);

	build_obj(&o);
	eh = get_ehdr(&o);
	eh.e_machine = EM_X86_64;
	put_ehdr(&o, &eh);
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -ENOEXEC);
	/* EM_NONE: any machine, as btf_load_file() needs for a vmlinux. */
	CHECK_INT(open_copy(&o, o.len, EM_NONE), 0);
	CHECK_INT(open_copy(&o, o.len, EM_X86_64), 0);
}

static int open_with_ehdr(uint64_t shoff, uint16_t shnum, uint16_t shentsize,
			  uint16_t shstrndx)
{
	struct test_obj o;
	Elf64_Ehdr eh;

	build_obj(&o);
	eh = get_ehdr(&o);
	eh.e_shoff = shoff;
	eh.e_shnum = shnum;
	eh.e_shentsize = shentsize;
	eh.e_shstrndx = shstrndx;
	put_ehdr(&o, &eh);
	return open_copy(&o, o.len, EM_BPF);
}

static void test_elf_corrupt_header(void)
{
	struct test_obj o;
	uint64_t shoff;

	build_obj(&o);
	shoff = get_ehdr(&o).e_shoff;
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 64, S_SHSTRTAB), 0);
	/* Table past the end, starting at the end, wrapping around. */
	CHECK_INT(open_with_ehdr(o.len + 64, S_COUNT, 64, S_SHSTRTAB), -EINVAL);
	CHECK_INT(open_with_ehdr(o.len, S_COUNT, 64, S_SHSTRTAB), -EINVAL);
	CHECK_INT(open_with_ehdr(UINT64_MAX - 63, S_COUNT, 64, S_SHSTRTAB),
		  -EINVAL);
	/* shnum * shentsize too large for the file (or for 32 bits). */
	CHECK_INT(open_with_ehdr(shoff, 0xffff, 64, S_SHSTRTAB), -EINVAL);
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 0xffff, S_SHSTRTAB), -EINVAL);
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 56, S_SHSTRTAB), -EINVAL);
	CHECK_INT(open_with_ehdr(shoff, 0, 64, 0), -EINVAL);
	/* shstrndx: out of range, 0, SHN_XINDEX, not a string table. */
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 64, S_COUNT), -EINVAL);
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 64, 0), -EINVAL);
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 64, 0xffff), -EINVAL);
	CHECK_INT(open_with_ehdr(shoff, S_COUNT, 64, S_TEXT), -EINVAL);
}

/* Builds the object, lets `fn` change section `idx`, opens it. */
static int open_with_shdr(int idx, void (*fn)(Elf64_Shdr *sh, uint64_t arg),
			  uint64_t arg)
{
	struct test_obj o;
	Elf64_Shdr sh;

	build_obj(&o);
	sh = get_shdr(&o, idx);
	fn(&sh, arg);
	put_shdr(&o, idx, &sh);
	return open_copy(&o, o.len, EM_BPF);
}

static void set_offset(Elf64_Shdr *sh, uint64_t v) { sh->sh_offset = v; }
static void set_size(Elf64_Shdr *sh, uint64_t v) { sh->sh_size = v; }
static void set_link(Elf64_Shdr *sh, uint64_t v) { sh->sh_link = (uint32_t)v; }
static void set_entsize(Elf64_Shdr *sh, uint64_t v) { sh->sh_entsize = v; }
static void set_type(Elf64_Shdr *sh, uint64_t v) { sh->sh_type = (uint32_t)v; }

static void test_elf_corrupt_sections(void)
{
	struct test_obj o;

	build_obj(&o);
	/* Section data outside the file, including a wrapping sum. */
	CHECK_INT(open_with_shdr(S_TEXT, set_offset, o.len), -EINVAL);
	CHECK_INT(open_with_shdr(S_TEXT, set_offset, UINT64_MAX - 8), -EINVAL);
	CHECK_INT(open_with_shdr(S_TEXT, set_size, UINT64_MAX), -EINVAL);
	CHECK_INT(open_with_shdr(S_TEXT, set_size, o.len), -EINVAL);
	/* ... but a NOBITS section has no bytes in the file. */
	CHECK_INT(open_with_shdr(S_BSS, set_size, UINT64_MAX), 0);
	/* .symtab: string table link, entry size, size. */
	CHECK_INT(open_with_shdr(S_SYMTAB, set_link, 99), -EINVAL);
	CHECK_INT(open_with_shdr(S_SYMTAB, set_link, 0), -EINVAL);
	CHECK_INT(open_with_shdr(S_SYMTAB, set_link, S_TEXT), -EINVAL);
	CHECK_INT(open_with_shdr(S_SYMTAB, set_entsize, 16), -EINVAL);
	CHECK_INT(open_with_shdr(S_SYMTAB, set_entsize, 0), -EINVAL);
	CHECK_INT(open_with_shdr(S_SYMTAB, set_size, 3 * 24 - 1), -EINVAL);
	/* Relocations: entry size, size not a whole number of entries. */
	CHECK_INT(open_with_shdr(S_REL_TEXT, set_entsize, 24), -EINVAL);
	CHECK_INT(open_with_shdr(S_REL_TEXT, set_size, 20), -EINVAL);
	/* A string table that is empty or not a string table. */
	CHECK_INT(open_with_shdr(S_STRTAB, set_size, 0), -EINVAL);
	CHECK_INT(open_with_shdr(S_SHSTRTAB, set_type, SHT_PROGBITS), -EINVAL);
	/* No .symtab at all is fine: symtab_idx -1, symbols -ENOENT. */
	CHECK_INT(open_with_shdr(S_SYMTAB, set_type, SHT_PROGBITS), 0);
}

static void test_elf_unterminated_strings(void)
{
	struct test_obj o;

	build_obj(&o);
	o.buf[o.off[S_STRTAB] + sizeof(strtab) - 1] = 'x';
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -EINVAL);

	build_obj(&o);
	o.buf[o.off[S_SHSTRTAB] + sizeof(shstrtab) - 1] = 'x';
	CHECK_INT(open_copy(&o, o.len, EM_BPF), -EINVAL);
}

static void set_symbol_name(struct test_obj *o, size_t i, uint32_t name)
{
	size_t at = (size_t)o->off[S_SYMTAB] + i * sizeof(Elf64_Sym) +
		    offsetof(Elf64_Sym, st_name);

	memcpy(o->buf + at, &name, sizeof(name));
}

static void test_elf_names_out_of_range(void)
{
	struct test_obj o;
	struct elf_file ef;
	const char *name = "unchanged";
	Elf64_Shdr sh;
	Elf64_Sym sym;

	build_obj(&o);
	sh = get_shdr(&o, S_TEXT);
	sh.sh_name = sizeof(shstrtab);          /* one past the end */
	put_shdr(&o, S_TEXT, &sh);
	set_symbol_name(&o, 1, sizeof(strtab));

	CHECK_INT(elf_open(&ef, o.buf, o.len, EM_BPF), 0);
	CHECK(elf_section_name(&ef, S_TEXT) == NULL);
	CHECK_INT(elf_find_section(&ef, ".text"), -ENOENT);
	CHECK_INT(elf_symbol(&ef, 1, &sym, &name), -EINVAL);
	CHECK_STR(name, "unchanged");
	CHECK_INT(elf_symbol(&ef, 2, &sym, &name), 0);
	CHECK_STR(name, "my_map");
}

static void test_elf_without_symtab(void)
{
	struct test_obj o;
	struct elf_file ef;
	const char *name;
	Elf64_Shdr sh;
	Elf64_Sym sym;

	build_obj(&o);
	sh = get_shdr(&o, S_SYMTAB);
	sh.sh_type = SHT_PROGBITS;
	put_shdr(&o, S_SYMTAB, &sh);
	CHECK_INT(elf_open(&ef, o.buf, o.len, EM_BPF), 0);
	CHECK_INT(ef.symtab_idx, -1);
	CHECK_INT(ef.nsyms, 0);
	CHECK_INT(elf_symbol(&ef, 0, &sym, &name), -ENOENT);
}

/* Reads everything an opened file offers, so that ASan sees every byte
 * the accessors hand out. */
static unsigned int touch_everything(const struct elf_file *ef)
{
	unsigned int sum = 0;
	const void *data;
	const char *name;
	Elf64_Sym sym;
	Elf64_Rel rel;
	size_t size, i, count;
	int idx;

	for (idx = 0; idx <= ef->shnum; idx++) {
		name = elf_section_name(ef, idx);
		if (name)
			sum += (unsigned int)strlen(name);
		if (elf_section_data(ef, idx, &data, &size) == 0 && data) {
			for (i = 0; i < size; i++)
				sum += ((const uint8_t *)data)[i];
		}
		if (elf_rel_count(ef, idx, &count) == 0) {
			for (i = 0; i <= count; i++)
				if (elf_rel(ef, idx, i, &rel) == 0)
					sum += (unsigned int)rel.r_offset;
		}
	}
	for (i = 0; i <= ef->nsyms; i++) {
		if (elf_symbol(ef, i, &sym, &name) == 0)
			sum += (unsigned int)strlen(name);
	}
	return sum;
}

static uint32_t prng(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void fuzz_buffer(const uint8_t *orig, size_t len, int rounds,
			uint16_t machine, int *opened)
{
	uint32_t state = 0x2545f491;
	struct elf_file ef;
	uint8_t *copy = malloc(len);
	int r, flips, k;

	*opened = 0;
	for (r = 0; r < rounds; r++) {
		memcpy(copy, orig, len);
		flips = 1 + (int)(prng(&state) % 4);
		for (k = 0; k < flips; k++)
			copy[prng(&state) % len] ^=
				(uint8_t)(1u << (prng(&state) % 8));
		if (elf_open(&ef, copy, len, machine) == 0) {
			(*opened)++;
			touch_everything(&ef);
		}
	}
	free(copy);
}

static void test_elf_fuzz_flips(void)
{
	struct test_obj o;
	int opened;

	build_obj(&o);
	fuzz_buffer(o.buf, o.len, 20000, EM_BPF, &opened);
	/* Most single flips land in data or padding: the reader must still
	 * accept those, not only survive. */
	CHECK(opened > 1000);
}

static size_t embedded_len(void)
{
	return (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object);
}

static void test_elf_embedded_object(void)
{
	struct elf_file ef;
	Elf64_Shdr sh;
	const void *data;
	size_t size;
	int idx, opened;

	CHECK_INT(elf_open(&ef, tcpdrop_bpf_object, embedded_len(), EM_X86_64),
		  -ENOEXEC);
	CHECK_INT(elf_open(&ef, tcpdrop_bpf_object, embedded_len(), EM_BPF), 0);
	CHECK(elf_find_section(&ef, ".BTF") > 0);
	CHECK(elf_find_section(&ef, ".BTF.ext") > 0);
	CHECK(ef.symtab_idx > 0);
	CHECK_INT(elf_find_section(&ef, ".symtab"), ef.symtab_idx);
	CHECK(ef.nsyms > 1);
	idx = elf_find_section(&ef, "license");
	CHECK(idx > 0);
	if (idx > 0) {
		CHECK_INT(elf_section_data(&ef, idx, &data, &size), 0);
		CHECK(size > 0 && ((const char *)data)[size - 1] == '\0');
		CHECK_INT(elf_section(&ef, idx, &sh), 0);
		CHECK_INT(sh.sh_type, SHT_PROGBITS);
	}
	touch_everything(&ef);
	fuzz_buffer(tcpdrop_bpf_object, embedded_len(), 2000, EM_BPF, &opened);
	CHECK(opened > 0);
}

int main(void)
{
	RUN(test_elf_parses_built_object);
	RUN(test_elf_every_truncation);
	RUN(test_elf_foreign_files);
	RUN(test_elf_corrupt_header);
	RUN(test_elf_corrupt_sections);
	RUN(test_elf_unterminated_strings);
	RUN(test_elf_names_out_of_range);
	RUN(test_elf_without_symtab);
	RUN(test_elf_fuzz_flips);
	if (tcpdrop_bpf_object && tcpdrop_bpf_object_end)
		RUN(test_elf_embedded_object);
	else
		SKIP(test_elf_embedded_object,
		     "built without the embedded BPF object");
	return check_exit_code();
}
