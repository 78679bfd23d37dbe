#include "object.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lz4.h"

/* The map definition layout of bpf/bpf_helpers.h (struct tcpdrop_map_def). */
struct map_def {
	uint32_t type, key_size, value_size, max_entries, flags;
};

#define RODATA_MAP_NAME "tcpdrop_rodata"
#define VERIFIER_LOG_SIZE (1u << 20)
#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)

static void copy_name(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* Program type from the section name, as clang users name them. */
static int prog_type_of(const char *sec_name, struct object_prog *prog)
{
	if (strncmp(sec_name, "tracepoint/", 11) == 0) {
		prog->type = BPF_PROG_TYPE_TRACEPOINT;
	} else if (strncmp(sec_name, "kprobe/", 7) == 0) {
		prog->type = BPF_PROG_TYPE_KPROBE;
	} else if (strncmp(sec_name, "tp_btf/", 7) == 0) {
		prog->type = BPF_PROG_TYPE_TRACING;
		prog->expected_attach_type = BPF_TRACE_RAW_TP;
	} else if (strncmp(sec_name, "raw_tp/", 7) == 0) {
		prog->type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	} else {
		return -ENOTSUP;
	}
	return 0;
}

static int add_prog(struct bpf_object *obj, int idx, const char *sec_name,
		    struct errmsg *msg)
{
	struct object_prog *prog;
	const void *data;
	size_t size;
	int ret;

	if (obj->nprogs == OBJECT_PROGS_MAX)
		return errmsg_set(msg, -E2BIG, "too many programs in the BPF "
				  "object");
	prog = &obj->progs[obj->nprogs];
	ret = prog_type_of(sec_name, prog);
	if (ret)
		return errmsg_set(msg, ret, "unknown program section '%s'",
				  sec_name);
	ret = elf_section_data(&obj->elf, idx, &data, &size);
	if (ret || !data || size == 0 || size % sizeof(struct bpf_insn))
		return errmsg_set(msg, -EINVAL, "bad program section '%s'",
				  sec_name);
	prog->insns = malloc(size);
	if (!prog->insns)
		return errmsg_set(msg, -ENOMEM, "out of memory");
	memcpy(prog->insns, data, size);
	prog->insn_cnt = size / sizeof(struct bpf_insn);
	prog->sec_idx = idx;
	prog->fd = -1;
	copy_name(prog->sec_name, sizeof(prog->sec_name), sec_name);
	copy_name(prog->name, sizeof(prog->name), sec_name);
	obj->nprogs++;
	return 0;
}

static struct object_map *new_map(struct bpf_object *obj, const char *name,
				  int sec_idx, uint64_t sec_off)
{
	struct object_map *map;

	if (obj->nmaps == OBJECT_MAPS_MAX)
		return NULL;
	map = &obj->maps[obj->nmaps++];
	copy_name(map->name, sizeof(map->name), name);
	map->spec.name = map->name;
	map->sec_idx = sec_idx;
	map->sec_off = sec_off;
	map->fd = -1;
	return map;
}

static int add_map_def(struct bpf_object *obj, int sec_idx, const void *sec,
		       size_t sec_size, const Elf64_Sym *sym, const char *name,
		       struct errmsg *msg)
{
	struct object_map *map;
	struct map_def def;

	if (sym->st_value > sec_size || sec_size - sym->st_value < sizeof(def))
		return errmsg_set(msg, -EINVAL, "map '%s' outside its section",
				  name);
	memcpy(&def, (const uint8_t *)sec + sym->st_value, sizeof(def));
	map = new_map(obj, name, sec_idx, sym->st_value);
	if (!map)
		return errmsg_set(msg, -E2BIG, "too many maps in the BPF "
				  "object");
	map->spec.type = def.type;
	map->spec.key_size = def.key_size;
	map->spec.value_size = def.value_size;
	map->spec.max_entries = def.max_entries;
	map->spec.flags = def.flags;
	return 0;
}

/* Global constants become one single-entry array map holding the whole
 * section; BPF_F_RDONLY_PROG plus freezing lets the verifier read them as
 * known values. */
static int add_rodata_map(struct bpf_object *obj, int idx,
			  struct errmsg *msg)
{
	struct object_map *map;
	const void *data;
	size_t size;

	if (elf_section_data(&obj->elf, idx, &data, &size) || !data || !size)
		return errmsg_set(msg, -EINVAL, "bad .rodata section");
	map = new_map(obj, RODATA_MAP_NAME, idx, 0);
	if (!map)
		return errmsg_set(msg, -E2BIG, "too many maps in the BPF "
				  "object");
	map->data = malloc(size);
	if (!map->data)
		return errmsg_set(msg, -ENOMEM, "out of memory");
	memcpy(map->data, data, size);
	map->spec.type = BPF_MAP_TYPE_ARRAY;
	map->spec.key_size = sizeof(uint32_t);
	map->spec.value_size = (uint32_t)size;
	map->spec.max_entries = 1;
	map->spec.flags = BPF_F_RDONLY_PROG;
	obj->rodata = obj->nmaps - 1;
	return 0;
}

static int collect_maps(struct bpf_object *obj, struct errmsg *msg)
{
	int maps_idx = elf_find_section(&obj->elf, "maps");
	const void *sec = NULL;
	size_t sec_size = 0, i;
	int ret;

	if (maps_idx < 0)
		return 0;
	if (elf_section_data(&obj->elf, maps_idx, &sec, &sec_size) || !sec)
		return errmsg_set(msg, -EINVAL, "bad maps section");
	for (i = 0; i < obj->elf.nsyms; i++) {
		Elf64_Sym sym;
		const char *name;

		ret = elf_symbol(&obj->elf, i, &sym, &name);
		if (ret)
			return errmsg_set(msg, ret, "bad symbol %zu", i);
		if (sym.st_shndx != maps_idx ||
		    ELF64_ST_TYPE(sym.st_info) != STT_OBJECT)
			continue;
		ret = add_map_def(obj, maps_idx, sec, sec_size, &sym, name,
				  msg);
		if (ret)
			return ret;
	}
	return 0;
}

/* Names each program after its function symbol (the section name is only
 * where clang put it). */
static void name_progs(struct bpf_object *obj)
{
	size_t i;
	int p;

	for (i = 0; i < obj->elf.nsyms; i++) {
		Elf64_Sym sym;
		const char *name;

		if (elf_symbol(&obj->elf, i, &sym, &name) ||
		    ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value)
			continue;
		for (p = 0; p < obj->nprogs; p++)
			if (obj->progs[p].sec_idx == sym.st_shndx)
				copy_name(obj->progs[p].name,
					  sizeof(obj->progs[p].name), name);
	}
}

static int read_license(struct bpf_object *obj, int idx)
{
	const void *data;
	size_t size;

	if (elf_section_data(&obj->elf, idx, &data, &size) || !data)
		return -EINVAL;
	if (size >= sizeof(obj->license))
		size = sizeof(obj->license) - 1;
	memcpy(obj->license, data, size);
	obj->license[size] = '\0';
	return 0;
}

static int classify_section(struct bpf_object *obj, int idx,
			    struct errmsg *msg)
{
	const char *name = elf_section_name(&obj->elf, idx);
	Elf64_Shdr sh;

	if (!name || elf_section(&obj->elf, idx, &sh))
		return errmsg_set(msg, -EINVAL, "bad section %d", idx);
	if (strcmp(name, "license") == 0 && read_license(obj, idx))
		return errmsg_set(msg, -EINVAL, "bad license section");
	if (strcmp(name, ".rodata") == 0)
		return add_rodata_map(obj, idx, msg);
	if (strcmp(name, ".data") == 0 || strcmp(name, ".bss") == 0)
		return errmsg_set(msg, -ENOTSUP, "writable globals (%s) are "
				  "not supported", name);
	if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) &&
	    sh.sh_size > 0) {
		if (strcmp(name, ".text") == 0)
			return errmsg_set(msg, -ENOTSUP, "BPF-to-BPF calls "
					  "are not supported: mark functions "
					  "inline");
		return add_prog(obj, idx, name, msg);
	}
	return 0;
}

static int load_own_btf(struct bpf_object *obj, struct errmsg *msg)
{
	const void *data;
	size_t size;
	int idx, ret;

	idx = elf_find_section(&obj->elf, ".BTF");
	if (idx < 0 || elf_section_data(&obj->elf, idx, &data, &size) || !data)
		return errmsg_set(msg, -ENOENT, "BPF object has no .BTF");
	ret = btf_load_raw(&obj->btf, data, size);
	if (ret)
		return errmsg_set(msg, ret, "BPF object's .BTF is corrupt");
	idx = elf_find_section(&obj->elf, ".BTF.ext");
	if (idx >= 0 &&
	    elf_section_data(&obj->elf, idx, &obj->btf_ext, &obj->btf_ext_len))
		return errmsg_set(msg, -EINVAL, "bad .BTF.ext section");
	return 0;
}

int object_open(struct bpf_object *obj, const void *buf, size_t len,
		struct errmsg *msg)
{
	int idx, ret;

	memset(obj, 0, sizeof(*obj));
	obj->rodata = -1;
	if (lz4_is_frame(buf, len)) {
		ret = lz4_frame_decode(buf, len, &obj->image, &len);
		if (ret)
			return errmsg_set(msg, ret, "embedded BPF object: bad "
					  "LZ4 frame");
		buf = obj->image;
	}
	ret = elf_open(&obj->elf, buf, len, EM_BPF);
	if (ret) {
		ret = errmsg_set(msg, ret, "embedded BPF object is not a "
				 "valid BPF ELF file");
		goto out;
	}
	for (idx = 1; idx < obj->elf.shnum; idx++) {
		ret = classify_section(obj, idx, msg);
		if (ret)
			goto out;
	}
	ret = collect_maps(obj, msg);
	if (ret)
		goto out;
	name_progs(obj);
	ret = load_own_btf(obj, msg);
	if (ret)
		goto out;
	if (obj->nprogs == 0)
		ret = errmsg_set(msg, -ENOENT, "BPF object has no program");
out:
	if (ret)
		object_close(obj);
	return ret;
}

struct object_map *object_map(struct bpf_object *obj, const char *name)
{
	int i;

	for (i = 0; i < obj->nmaps; i++)
		if (strcmp(obj->maps[i].name, name) == 0)
			return &obj->maps[i];
	return NULL;
}

int object_set_rodata(struct bpf_object *obj, const char *name,
		      const void *value, size_t size)
{
	struct object_map *rodata;
	size_t i;

	if (obj->rodata < 0)
		return -ENOENT;
	rodata = &obj->maps[obj->rodata];
	for (i = 0; i < obj->elf.nsyms; i++) {
		Elf64_Sym sym;
		const char *sym_name;

		if (elf_symbol(&obj->elf, i, &sym, &sym_name) ||
		    sym.st_shndx != rodata->sec_idx ||
		    strcmp(sym_name, name) != 0)
			continue;
		if (sym.st_size != size ||
		    sym.st_value > rodata->spec.value_size ||
		    rodata->spec.value_size - sym.st_value < size)
			return -EINVAL;
		memcpy(rodata->data + sym.st_value, value, size);
		return 0;
	}
	return -ENOENT;
}

int object_set_max_entries(struct bpf_object *obj, const char *name,
			   uint32_t max_entries)
{
	struct object_map *map = object_map(obj, name);

	if (!map)
		return -ENOENT;
	map->spec.max_entries = max_entries;
	return 0;
}

struct core_ctx {
	struct bpf_object *obj;
	const struct core_target *target;
	struct errmsg *msg;
	bool relo_failed;     /* the error is a relocation's, msg says which */
};

static struct object_prog *prog_by_section(struct bpf_object *obj,
					   const char *sec_name)
{
	int i;

	for (i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].sec_name, sec_name) == 0)
			return &obj->progs[i];
	return NULL;
}

/* core_calculate and core_patch fill the message: it names the field. */
static int apply_core_relo(void *arg, const char *sec_name,
			   const struct bpf_core_relo *relo)
{
	struct core_ctx *ctx = arg;
	struct object_prog *prog = prog_by_section(ctx->obj, sec_name);
	struct core_result res;
	int ret;

	if (!prog) {
		ctx->relo_failed = true;
		return errmsg_set(ctx->msg, -EINVAL, "CO-RE relocation for "
				  "unknown section '%s'", sec_name);
	}
	ret = core_calculate(ctx->obj->btf, relo, ctx->target, &res, ctx->msg);
	if (ret == 0)
		ret = core_patch(prog->insns, prog->insn_cnt, relo, &res,
				 ctx->msg);
	/* core.c names the field in its message. */
	if (ret)
		ctx->relo_failed = true;
	return ret;
}

int object_core_relocate(struct bpf_object *obj,
			 const struct core_target *target,
			 struct errmsg *msg)
{
	struct core_ctx ctx = { obj, target, msg, false };
	int ret;

	if (!obj->btf_ext)
		return 0;
	ret = btf_ext_for_each_core_relo(obj->btf, obj->btf_ext,
					 obj->btf_ext_len, apply_core_relo,
					 &ctx);
	/* The walk's own errors (no relocation's) mean a corrupt .BTF.ext. */
	if (ret && !ctx.relo_failed)
		return errmsg_set(msg, ret, "BPF object's .BTF.ext is corrupt: "
				  "%s", strerror(-ret));
	return ret;
}

void object_replace_helper(struct bpf_object *obj, int32_t from, int32_t to)
{
	int p;
	size_t i;

	for (p = 0; p < obj->nprogs; p++) {
		struct object_prog *prog = &obj->progs[p];

		for (i = 0; i < prog->insn_cnt; i++) {
			struct bpf_insn *insn = &prog->insns[i];

			if (insn->code == (BPF_JMP | BPF_CALL) &&
			    insn->src_reg == 0 && insn->imm == from)
				insn->imm = to;
		}
	}
}

static int create_map(struct object_map *map, struct errmsg *msg)
{
	uint32_t key = 0;
	int ret;

	ret = sys_map_create(&map->spec);
	if (ret < 0)
		return errmsg_set(msg, ret, "cannot create BPF map %s: %s",
				  map->name, strerror(-ret));
	map->fd = ret;
	if (!map->data)
		return 0;
	ret = sys_map_update(map->fd, &key, map->data, BPF_ANY);
	if (ret == 0)
		ret = sys_map_freeze(map->fd);
	if (ret)
		return errmsg_set(msg, ret, "cannot fill BPF map %s: %s",
				  map->name, strerror(-ret));
	return 0;
}

int object_create_maps(struct bpf_object *obj, struct errmsg *msg)
{
	int i, ret;

	for (i = 0; i < obj->nmaps; i++) {
		if (obj->maps[i].fd >= 0)
			continue;
		ret = create_map(&obj->maps[i], msg);
		if (ret)
			return ret;
	}
	return 0;
}

static struct object_map *map_at(struct bpf_object *obj, int sec_idx,
				 uint64_t sec_off)
{
	int i;

	for (i = 0; i < obj->nmaps; i++)
		if (obj->maps[i].sec_idx == sec_idx &&
		    (obj->maps[i].data || obj->maps[i].sec_off == sec_off))
			return &obj->maps[i];
	return NULL;
}

/* A map reference is an ld_imm64 whose symbol is a map definition (the fd
 * goes in imm) or a .rodata variable (fd in imm, offset in the second
 * half's imm). */
static int patch_map_ref(struct bpf_object *obj, struct object_prog *prog,
			 const Elf64_Rel *rel, struct errmsg *msg)
{
	size_t at = rel->r_offset / sizeof(struct bpf_insn);
	struct bpf_insn *insn;
	struct object_map *map;
	const char *name;
	Elf64_Sym sym;

	if (rel->r_offset % sizeof(struct bpf_insn) || at + 1 >= prog->insn_cnt)
		return errmsg_set(msg, -EINVAL, "relocation outside program %s",
				  prog->name);
	insn = &prog->insns[at];
	if (insn->code != LD_IMM64 ||
	    elf_symbol(&obj->elf, ELF64_R_SYM(rel->r_info), &sym, &name))
		return errmsg_set(msg, -EINVAL, "bad relocation at insn %zu of "
				  "%s", at, prog->name);
	map = map_at(obj, sym.st_shndx, sym.st_value);
	if (!map || map->fd < 0)
		return errmsg_set(msg, -EINVAL, "relocation of %s to '%s', "
				  "which is not a map", prog->name, name);
	if (map->data) {
		uint64_t off = sym.st_value + (uint32_t)insn->imm;

		if (off >= map->spec.value_size)
			return errmsg_set(msg, -EINVAL, "relocation of %s to "
					  ".rodata offset %llu, past its %u "
					  "bytes", prog->name,
					  (unsigned long long)off,
					  map->spec.value_size);
		insn->src_reg = BPF_PSEUDO_MAP_VALUE;
		insn[1].imm = (int32_t)off;
	} else {
		insn->src_reg = BPF_PSEUDO_MAP_FD;
	}
	insn->imm = map->fd;
	return 0;
}

static int find_rel_section(const struct bpf_object *obj, int prog_idx)
{
	int idx;

	for (idx = 1; idx < obj->elf.shnum; idx++) {
		Elf64_Shdr sh;

		if (elf_section(&obj->elf, idx, &sh) == 0 &&
		    sh.sh_type == SHT_REL && sh.sh_info == (uint32_t)prog_idx)
			return idx;
	}
	return -ENOENT;
}

static int relocate_prog(struct bpf_object *obj, struct object_prog *prog,
			 struct errmsg *msg)
{
	int idx = find_rel_section(obj, prog->sec_idx);
	size_t count = 0, i;
	int ret;

	if (idx < 0)
		return 0;
	ret = elf_rel_count(&obj->elf, idx, &count);
	if (ret)
		return errmsg_set(msg, ret, "bad relocation section for %s",
				  prog->name);
	for (i = 0; i < count; i++) {
		Elf64_Rel rel;

		ret = elf_rel(&obj->elf, idx, i, &rel);
		if (ret)
			return errmsg_set(msg, ret, "bad relocation %zu for %s",
					  i, prog->name);
		ret = patch_map_ref(obj, prog, &rel, msg);
		if (ret)
			return ret;
	}
	return 0;
}

/* Loads `load` again with the verifier's log on, into obj->verifier_log.
 * Should that load pass (it has been seen to), its program is closed: the
 * caller reports the first refusal. */
static void fetch_verifier_log(struct bpf_object *obj,
			       struct sys_prog_load *load)
{
	int fd;

	load->log_buf = malloc(VERIFIER_LOG_SIZE);
	if (!load->log_buf)
		return;
	load->log_size = VERIFIER_LOG_SIZE;
	load->log_level = 1;
	fd = sys_prog_load(load);
	if (fd >= 0) {
		close(fd);
		load->log_buf[0] = '\0';
	}
	free(obj->verifier_log);
	obj->verifier_log = load->log_buf;
	obj->verifier_log_len = strnlen(load->log_buf, VERIFIER_LOG_SIZE);
}

/* The first attempt asks for no log: a verifier log costs time and memory
 * on every successful start. Only a refusal is retried with the log on. */
/* Errors of the system rather than of the program: no verifier log to
 * fetch, and "the verifier refused" would be false. EAGAIN is left after
 * the retries (sys.c). */
static bool is_verifier_refusal(int err)
{
	switch (err) {
	case -EPERM: case -EMFILE: case -ENFILE: case -ENOMEM:
	case -EAGAIN: case -EINTR:
		return false;
	default:
		return true;
	}
}

static int load_prog(struct bpf_object *obj, struct object_prog *prog,
		     struct errmsg *msg)
{
	struct sys_prog_load load = {
		.type = prog->type,
		.name = prog->name,
		.insns = prog->insns,
		.insn_cnt = prog->insn_cnt,
		.license = obj->license,
		.expected_attach_type = prog->expected_attach_type,
		.attach_btf_id = prog->attach_btf_id,
	};
	int ret;

	ret = sys_prog_load(&load);
	if (ret >= 0) {
		prog->fd = ret;
		return 0;
	}
	if (!is_verifier_refusal(ret))
		return errmsg_set(msg, ret, "loading BPF program %s: %s",
				  prog->name, strerror(-ret));
	fetch_verifier_log(obj, &load);
	return errmsg_set(msg, ret, "the kernel's verifier refused BPF "
			  "program %s: %s", prog->name, strerror(-ret));
}

static struct object_prog *find_prog(struct bpf_object *obj, const char *name)
{
	int i;

	for (i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return &obj->progs[i];
	return NULL;
}

int object_load_program(struct bpf_object *obj, const char *name,
			struct errmsg *msg)
{
	struct object_prog *prog = find_prog(obj, name);
	int ret;

	if (!prog)
		return errmsg_set(msg, -ENOENT, "BPF object has no program %s",
				  name);
	if (prog->fd >= 0)
		return 0;
	ret = relocate_prog(obj, prog, msg);
	if (ret == 0)
		ret = load_prog(obj, prog, msg);
	return ret;
}

int object_probe_program(struct bpf_object *obj, const char *name)
{
	struct object_prog *prog = find_prog(obj, name);
	struct errmsg msg;
	int ret;

	if (!prog)
		return -ENOENT;
	errmsg_init(&msg);
	ret = object_load_program(obj, name, &msg);
	free(obj->verifier_log);
	obj->verifier_log = NULL;
	obj->verifier_log_len = 0;
	if (prog->fd >= 0)
		close(prog->fd);
	prog->fd = -1;
	return ret;
}

int object_set_attach_btf_id(struct bpf_object *obj, const char *name,
			     uint32_t btf_id)
{
	struct object_prog *prog = find_prog(obj, name);

	if (!prog)
		return -ENOENT;
	prog->attach_btf_id = btf_id;
	return 0;
}

int object_set_autoload(struct bpf_object *obj, const char *name, bool load)
{
	struct object_prog *prog = find_prog(obj, name);

	if (!prog)
		return -ENOENT;
	prog->skip = !load;
	return 0;
}

int object_load(struct bpf_object *obj, struct errmsg *msg)
{
	int i, ret;

	for (i = 0; i < obj->nprogs; i++) {
		if (obj->progs[i].skip)
			continue;
		ret = relocate_prog(obj, &obj->progs[i], msg);
		if (ret == 0)
			ret = load_prog(obj, &obj->progs[i], msg);
		if (ret)
			return ret;
	}
	return 0;
}

int object_map_fd(struct bpf_object *obj, const char *name)
{
	const struct object_map *map = object_map(obj, name);

	return map ? map->fd : -ENOENT;
}

int object_prog_fd(const struct bpf_object *obj, const char *name)
{
	int i;

	for (i = 0; i < obj->nprogs; i++)
		if (strcmp(obj->progs[i].name, name) == 0)
			return obj->progs[i].fd;
	return -ENOENT;
}

void object_close(struct bpf_object *obj)
{
	int i;

	for (i = 0; i < obj->nprogs; i++) {
		if (obj->progs[i].fd >= 0)
			close(obj->progs[i].fd);
		free(obj->progs[i].insns);
	}
	for (i = 0; i < obj->nmaps; i++) {
		if (obj->maps[i].fd >= 0)
			close(obj->maps[i].fd);
		free(obj->maps[i].data);
	}
	btf_free(obj->btf);
	free(obj->verifier_log);
	free(obj->image);
	memset(obj, 0, sizeof(*obj));
	obj->rodata = -1;
}
