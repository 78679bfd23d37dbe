/* ELF reader: elf_open over the input, then every accessor over every
 * index it admits and one past, with every byte handed out read, so that
 * a check that trusts the file reads outside the buffer under ASan. */
#include <errno.h>

#include "elf.h"
#include "fuzz.h"

/* Lookups by name are linear: only the first sections are looked up, so
 * that an input with thousands of sections stays fast. */
#define NAME_LOOKUPS 64

static void walk_section(const struct elf_file *ef, int idx)
{
	const void *data;
	const char *name;
	Elf64_Shdr sh;
	Elf64_Rel rel;
	size_t size, count, i;

	FUZZ_CHECK(elf_section(ef, idx, &sh) == 0);
	name = elf_section_name(ef, idx);
	if (name) {
		fuzz_touch(name, strlen(name) + 1);
		/* The first section of that name is this one or before. */
		if (idx < NAME_LOOKUPS) {
			int found = elf_find_section(ef, name);

			FUZZ_CHECK(found > 0 && found <= idx);
		}
	}
	if (elf_section_data(ef, idx, &data, &size) == 0) {
		if (data)
			fuzz_touch(data, size);
		else
			FUZZ_CHECK(sh.sh_type == SHT_NOBITS);
	}
	if (elf_rel_count(ef, idx, &count) == 0) {
		FUZZ_CHECK(sh.sh_type == SHT_REL);
		for (i = 0; i < count; i++)
			FUZZ_CHECK(elf_rel(ef, idx, i, &rel) == 0);
		FUZZ_CHECK(elf_rel(ef, idx, count, &rel) == -EINVAL);
	} else {
		FUZZ_CHECK(elf_rel(ef, idx, 0, &rel) != 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_file ef;
	const char *name;
	Elf64_Sym sym;
	Elf64_Shdr sh;
	size_t i;
	int idx, err;

	/* The BPF machine check must agree with the any-machine open. */
	err = elf_open(&ef, data, size, EM_BPF);
	if (elf_open(&ef, data, size, EM_NONE) != 0) {
		FUZZ_CHECK(err != 0);
		return 0;
	}
	FUZZ_CHECK(err == 0 || err == -ENOEXEC);

	FUZZ_CHECK(elf_section(&ef, 0, &sh) == -EINVAL);
	FUZZ_CHECK(elf_section(&ef, ef.shnum, &sh) == -EINVAL);
	FUZZ_CHECK(elf_section_name(&ef, -1) == NULL);
	for (idx = 1; idx < ef.shnum; idx++)
		walk_section(&ef, idx);
	elf_find_section(&ef, ".BTF");
	elf_find_section(&ef, "");

	for (i = 0; i <= ef.nsyms; i++) {
		err = elf_symbol(&ef, i, &sym, &name);
		if (ef.symtab_idx < 0) {
			FUZZ_CHECK(err == -ENOENT);
			break;
		}
		if (i == ef.nsyms)
			FUZZ_CHECK(err == -EINVAL);
		else if (err == 0)
			fuzz_touch(name, strlen(name) + 1);
	}
	return 0;
}
