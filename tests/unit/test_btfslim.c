/* The embedded BPF objects against clang's own output (the .debug.o files
 * the build keeps): tools/btfslim.py and llvm-objcopy must have dropped
 * line_info, func_info and local symbols, and kept everything the loader
 * reads with the same meaning: every section's bytes, every BTF type with
 * its names, every CO-RE record (section, instruction, type id, access
 * string, kind), every global symbol and every relocation's symbol. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "check.h"
#include "elf.h"
#include "fileio.h"

extern const unsigned char tcpdrop_bpf_object[], tcpdrop_bpf_object_end[];
extern const unsigned char tcpdrop_disc_object[], tcpdrop_disc_object_end[];

/* The Makefile gives the paths of clang's output for this build. */
#ifndef BPF_DEBUG_OBJ
#error "BPF_DEBUG_OBJ: the path of build/tcpdrop.bpf.debug.o"
#endif
#ifndef DISC_DEBUG_OBJ
#error "DISC_DEBUG_OBJ: the path of build/discover.bpf.debug.o"
#endif

/* The head of .BTF.ext with the CO-RE fields (libbpf's btf_ext_header). */
struct ext_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len;
	uint32_t line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

/* One object opened: its ELF, .BTF loaded, .BTF.ext as it is. */
struct opened {
	struct elf_file ef;
	struct btf *btf;
	const void *ext;
	size_t ext_len;
	struct ext_header hdr;
};

static int open_object(struct opened *o, const void *buf, size_t len)
{
	const void *data;
	size_t size;
	int err;

	memset(o, 0, sizeof(*o));
	err = elf_open(&o->ef, buf, len, EM_BPF);
	if (!err)
		err = elf_section_data(&o->ef, elf_find_section(&o->ef, ".BTF"),
				       &data, &size);
	if (!err)
		err = btf_load_raw(&o->btf, data, size);
	if (!err)
		err = elf_section_data(&o->ef,
				       elf_find_section(&o->ef, ".BTF.ext"),
				       &o->ext, &o->ext_len);
	if (!err && o->ext_len < sizeof(o->hdr))
		err = -EINVAL;
	if (!err)
		memcpy(&o->hdr, o->ext, sizeof(o->hdr));
	return err;
}

/* One CO-RE record with its strings resolved. */
struct relo_seen {
	char sec[64];
	char access[64];
	struct bpf_core_relo relo;
};

struct relo_list {
	const struct btf *btf;
	struct relo_seen items[512];
	int n;
};

static int collect_relo(void *ctx, const char *sec_name,
			const struct bpf_core_relo *relo)
{
	struct relo_list *l = ctx;
	struct relo_seen *s;

	if (l->n == (int)(sizeof(l->items) / sizeof(l->items[0])))
		return -E2BIG;
	s = &l->items[l->n++];
	snprintf(s->sec, sizeof(s->sec), "%s", sec_name);
	snprintf(s->access, sizeof(s->access), "%s",
		 btf_str(l->btf, relo->access_str_off));
	s->relo = *relo;
	return 0;
}

static void check_same_relos(struct opened *slim, struct opened *orig)
{
	static struct relo_list a, b;
	int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.btf = slim->btf;
	b.btf = orig->btf;
	CHECK_INT(btf_ext_for_each_core_relo(slim->btf, slim->ext,
					     slim->ext_len, collect_relo, &a),
		  0);
	CHECK_INT(btf_ext_for_each_core_relo(orig->btf, orig->ext,
					     orig->ext_len, collect_relo, &b),
		  0);
	CHECK_INT(a.n, b.n);
	for (i = 0; i < a.n && i < b.n; i++) {
		CHECK_STR(a.items[i].sec, b.items[i].sec);
		CHECK_STR(a.items[i].access, b.items[i].access);
		CHECK_INT(a.items[i].relo.insn_off, b.items[i].relo.insn_off);
		CHECK_INT(a.items[i].relo.type_id, b.items[i].relo.type_id);
		CHECK_INT(a.items[i].relo.kind, b.items[i].relo.kind);
	}
}

/* Entries after a type record: their count, size, and whether each starts
 * with a name offset (include/uapi/linux/btf.h). */
static void entries_of(const struct btf_type *t, size_t *fixed,
		       size_t *each, bool *named)
{
	*fixed = 0;
	*each = 0;
	*named = false;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		*fixed = 4;
		break;
	case BTF_KIND_ARRAY:
		*fixed = sizeof(struct btf_array);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		*each = sizeof(struct btf_member);
		*named = true;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		*each = 8;
		*named = true;
		break;
	case BTF_KIND_ENUM64:
		*each = sizeof(struct btf_enum64);
		*named = true;
		break;
	case BTF_KIND_DATASEC:
		*each = sizeof(struct btf_var_secinfo);
		break;
	}
}

/* Same kind, vlen, size or type, names, and the same bytes past each name
 * offset. */
static void check_same_type(const struct btf *a_btf, const struct btf *b_btf,
			    uint32_t id)
{
	const struct btf_type *a = btf_type_by_id(a_btf, id);
	const struct btf_type *b = btf_type_by_id(b_btf, id);
	const uint8_t *ap, *bp;
	size_t fixed, each, i;
	bool named;

	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK_INT(a->info, b->info);
	CHECK_INT(a->size, b->size);
	CHECK_STR(btf_str(a_btf, a->name_off), btf_str(b_btf, b->name_off));
	entries_of(a, &fixed, &each, &named);
	ap = (const uint8_t *)(a + 1);
	bp = (const uint8_t *)(b + 1);
	CHECK(memcmp(ap, bp, fixed) == 0);
	ap += fixed;
	bp += fixed;
	for (i = 0; i < BTF_INFO_VLEN(a->info); i++, ap += each, bp += each) {
		uint32_t a_off, b_off;
		size_t skip = named ? 4 : 0;

		if (named) {
			memcpy(&a_off, ap, 4);
			memcpy(&b_off, bp, 4);
			CHECK_STR(btf_str(a_btf, a_off), btf_str(b_btf, b_off));
		}
		CHECK(memcmp(ap + skip, bp + skip, each - skip) == 0);
	}
}

/* Every section the slim object has holds the original's bytes, but for
 * the rewritten .BTF/.BTF.ext and the symbol tables. */
static void check_same_sections(struct opened *slim, struct opened *orig)
{
	int i;

	for (i = 1; i < slim->ef.shnum; i++) {
		const char *name = elf_section_name(&slim->ef, i);
		const void *a, *b;
		size_t a_len, b_len;
		Elf64_Shdr sh;

		CHECK(name != NULL);
		if (!name || strncmp(name, ".BTF", 4) == 0 ||
		    elf_section(&slim->ef, i, &sh) || sh.sh_type == SHT_SYMTAB ||
		    sh.sh_type == SHT_STRTAB || sh.sh_type == SHT_REL)
			continue;
		CHECK_INT(elf_section_data(&slim->ef, i, &a, &a_len), 0);
		CHECK_INT(elf_section_data(&orig->ef,
					   elf_find_section(&orig->ef, name),
					   &b, &b_len), 0);
		CHECK_INT(a_len, b_len);
		if (a_len == b_len && a_len)
			CHECK(memcmp(a, b, a_len) == 0);
	}
}

/* The slim object's symbol with `name`, or -ENOENT. */
static int find_symbol(struct elf_file *ef, const char *name, Elf64_Sym *out)
{
	size_t i;

	for (i = 0; i < ef->nsyms; i++) {
		const char *sym_name;

		if (elf_symbol(ef, i, out, &sym_name) == 0 &&
		    strcmp(sym_name, name) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Every global symbol is still there, same section (by name), value, size
 * and type; no local label is left. */
static void check_symbols(struct opened *slim, struct opened *orig)
{
	size_t i, globals = 0;

	for (i = 0; i < orig->ef.nsyms; i++) {
		Elf64_Sym o, s;
		const char *name;

		CHECK_INT(elf_symbol(&orig->ef, i, &o, &name), 0);
		if (ELF64_ST_BIND(o.st_info) != STB_GLOBAL)
			continue;
		globals++;
		CHECK_INT(find_symbol(&slim->ef, name, &s), 0);
		CHECK_INT(s.st_info, o.st_info);
		CHECK_INT(s.st_value, o.st_value);
		CHECK_INT(s.st_size, o.st_size);
		CHECK_STR(elf_section_name(&slim->ef, s.st_shndx),
			  elf_section_name(&orig->ef, o.st_shndx));
	}
	CHECK(globals > 0);
	for (i = 0; i < slim->ef.nsyms; i++) {
		Elf64_Sym s;
		const char *name;

		CHECK_INT(elf_symbol(&slim->ef, i, &s, &name), 0);
		CHECK(ELF64_ST_BIND(s.st_info) != STB_LOCAL ||
		      ELF64_ST_TYPE(s.st_info) != STT_NOTYPE || !*name);
	}
}

/* Each relocation of each program: the same offset, type and symbol name
 * (the symbol indexes change with the local symbols gone). */
static void check_same_rels(struct opened *slim, struct opened *orig)
{
	int i;

	for (i = 1; i < slim->ef.shnum; i++) {
		const char *name = elf_section_name(&slim->ef, i);
		size_t n = 0, m = 0, r;
		int j;

		if (!name || strncmp(name, ".rel", 4) != 0)
			continue;
		j = elf_find_section(&orig->ef, name);
		CHECK_INT(elf_rel_count(&slim->ef, i, &n), 0);
		CHECK_INT(elf_rel_count(&orig->ef, j, &m), 0);
		CHECK_INT(n, m);
		for (r = 0; r < n && r < m; r++) {
			Elf64_Rel a, b;
			Elf64_Sym sa, sb;
			const char *na = NULL, *nb = NULL;

			CHECK_INT(elf_rel(&slim->ef, i, r, &a), 0);
			CHECK_INT(elf_rel(&orig->ef, j, r, &b), 0);
			CHECK_INT(a.r_offset, b.r_offset);
			CHECK_INT(ELF64_R_TYPE(a.r_info), ELF64_R_TYPE(b.r_info));
			CHECK_INT(elf_symbol(&slim->ef, ELF64_R_SYM(a.r_info),
					     &sa, &na), 0);
			CHECK_INT(elf_symbol(&orig->ef, ELF64_R_SYM(b.r_info),
					     &sb, &nb), 0);
			if (na && nb)
				CHECK_STR(na, nb);
		}
	}
}

static void check_slimmed(const unsigned char *start,
			  const unsigned char *end, const char *debug_path,
			  bool has_core_relos)
{
	struct opened slim, orig;
	char *debug = NULL;
	size_t debug_len = 0;
	uint32_t id;

	CHECK_INT(read_whole_file(debug_path, &debug, &debug_len), 0);
	if (!debug)
		return;
	CHECK_INT(open_object(&slim, start, (size_t)(end - start)), 0);
	CHECK_INT(open_object(&orig, debug, debug_len), 0);
	if (!slim.btf || !orig.btf)
		goto out;
	/* clang wrote line and func info; none is left. */
	CHECK(orig.hdr.line_info_len > 0);
	CHECK(orig.hdr.func_info_len > 0);
	CHECK_INT(slim.hdr.line_info_len, 0);
	CHECK_INT(slim.hdr.func_info_len, 0);
	CHECK_INT(slim.hdr.core_relo_len, orig.hdr.core_relo_len);
	CHECK(has_core_relos == (orig.hdr.core_relo_len > 0));
	CHECK_INT(btf_type_count(slim.btf), btf_type_count(orig.btf));
	for (id = 1; id <= btf_type_count(orig.btf); id++)
		check_same_type(slim.btf, orig.btf, id);
	check_same_relos(&slim, &orig);
	check_same_sections(&slim, &orig);
	check_symbols(&slim, &orig);
	check_same_rels(&slim, &orig);
	CHECK(elf_find_section(&slim.ef, ".rel.BTF.ext") < 0);
	CHECK(elf_find_section(&slim.ef, ".debug_info") < 0);
	CHECK((size_t)(end - start) < debug_len / 2);
out:
	btf_free(slim.btf);
	btf_free(orig.btf);
	free(debug);
}

static void test_btfslim_tracer_object(void)
{
	check_slimmed(tcpdrop_bpf_object, tcpdrop_bpf_object_end,
		      BPF_DEBUG_OBJ, true);
}

static void test_btfslim_discovery_object(void)
{
	check_slimmed(tcpdrop_disc_object, tcpdrop_disc_object_end,
		      DISC_DEBUG_OBJ, true);
}

int main(void)
{
	RUN(test_btfslim_tracer_object);
	RUN(test_btfslim_discovery_object);
	return check_exit_code();
}
