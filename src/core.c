#include "core.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* Helper id of the poison call: no kernel has it, so the verifier refuses
 * the program if (and only if) it can reach the instruction. The number
 * reads "bad relo" and is what libbpf uses, so people recognise it in a
 * verifier log. */
#define CORE_POISON_HELPER 0xbad2310

/* Limits on what a relocation may ask for. Real access strings are a few
 * levels deep; anonymous members nest two or three deep in the kernel and
 * a lookup visits a few hundred members. A corrupt BTF whose anonymous
 * members contain themselves would otherwise recurse without end: the
 * depth bounds the stack, the member budget the time. */
#define CORE_ACCESS_MAX 32
#define CORE_ANON_DEPTH_MAX 16
#define CORE_MEMBER_BUDGET 100000

/* One step of an access path, as matched against the target: a member by
 * name, or an array index. Anonymous local members are not steps: the
 * target may nest its members differently, and the name lookup below
 * descends into its anonymous members by itself. */
struct core_step {
	const char *name;  /* NULL for an array index */
	uint32_t index;
};

/* The local side of a relocation: the root type's essential name and
 * kind, the index into the root ("0" for ptr->field) and the steps. */
struct core_spec {
	const char *root_name;
	size_t root_name_len;
	uint32_t root_kind;
	uint32_t root_index;
	struct core_step steps[CORE_ACCESS_MAX];
	int nsteps;
};

/* Where an access path ends, in either BTF: what the four supported
 * relocation kinds need to know about the field. */
struct core_field {
	uint64_t bit_off;
	uint32_t type_id;      /* as declared, modifiers not skipped */
	uint32_t bitfield_size;
};

static bool is_composite(const struct btf_type *t)
{
	uint32_t kind = BTF_INFO_KIND(t->info);

	return kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION;
}

static bool is_int_like(uint32_t kind)
{
	return kind == BTF_KIND_INT || kind == BTF_KIND_ENUM ||
	       kind == BTF_KIND_ENUM64;
}

/* Type `id` after typedefs and qualifiers, or NULL for void and bad ids. */
static const struct btf_type *resolved_type(const struct btf *btf,
					    uint32_t id)
{
	return btf_type_by_id(btf, btf_skip_modifiers(btf, id));
}

static const struct btf_member *members_of(const struct btf_type *t)
{
	return (const struct btf_member *)(t + 1);
}

/* With kind_flag set, a member's offset word packs the bitfield size in
 * its top byte; without it, it is a plain bit offset. */
static uint32_t member_bit_offset(const struct btf_type *t,
				  const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m->offset)
				       : m->offset;
}

static uint32_t member_bitfield_size(const struct btf_type *t,
				     const struct btf_member *m)
{
	return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
}

/* "flavour" suffixes let a BPF program declare several versions of one
 * kernel struct (sk_buff___old, sk_buff___new): the part after the last
 * "___" that sits between two other characters is not part of the name. */
static size_t essential_name_len(const char *name)
{
	size_t len = strlen(name), i, essence = len;

	for (i = 1; i + 3 < len; i++) {
		if (memcmp(name + i, "___", 3) == 0 && name[i - 1] != '_' &&
		    name[i + 3] != '_')
			essence = i;
	}
	return essence;
}

/* "0:3:1" -> {0, 3, 1}. Decimal numbers separated by single colons. */
static int parse_access(const char *str, uint32_t *idx, int *n)
{
	uint64_t v;

	*n = 0;
	for (;;) {
		if (*str < '0' || *str > '9')
			return -EINVAL;
		for (v = 0; *str >= '0' && *str <= '9'; str++) {
			v = v * 10 + (uint64_t)(*str - '0');
			if (v > INT32_MAX)
				return -EINVAL;
		}
		if (*n == CORE_ACCESS_MAX)
			return -EINVAL;
		idx[(*n)++] = (uint32_t)v;
		if (*str == '\0')
			return 0;
		if (*str++ != ':')
			return -EINVAL;
	}
}

static int add_step(struct core_spec *spec, const char *name, uint32_t index)
{
	if (spec->nsteps == CORE_ACCESS_MAX)
		return -EINVAL;
	spec->steps[spec->nsteps].name = name;
	spec->steps[spec->nsteps].index = index;
	spec->nsteps++;
	return 0;
}

/* Offset of element `index` of an array of `elem_id`, in bits. */
static int element_bit_offset(const struct btf *btf, uint32_t elem_id,
			      uint32_t index, uint64_t *bits)
{
	int size = btf_type_size(btf, elem_id);

	if (size < 0)
		return size;
	/* Only absurd BTF gets near 2^64 bits, but a wrapped offset would be
	 * patched in without a word: refuse it. */
	if (__builtin_mul_overflow((uint64_t)index, (uint64_t)size * 8, bits))
		return -ERANGE;
	return 0;
}

/* acc += bits, refusing a wrap (see element_bit_offset). */
static int add_bits(uint64_t *acc, uint64_t bits)
{
	return __builtin_add_overflow(*acc, bits, acc) ? -ERANGE : 0;
}

/* One access index applied to the local type `t`: a member index of a
 * struct/union or an element index of an array. */
static int local_step(const struct btf *local, const struct btf_type *t,
		      uint32_t index, struct core_spec *spec,
		      struct core_field *f, bool *anonymous)
{
	const struct btf_array *arr;
	const struct btf_member *m;
	const char *name;
	uint64_t bits;
	int err;

	*anonymous = false;
	if (is_composite(t)) {
		if (index >= BTF_INFO_VLEN(t->info))
			return -EINVAL;
		m = &members_of(t)[index];
		f->bit_off += member_bit_offset(t, m);
		f->bitfield_size = member_bitfield_size(t, m);
		f->type_id = m->type;
		name = btf_str(local, m->name_off);
		*anonymous = name[0] == '\0';
		return *anonymous ? 0 : add_step(spec, name, 0);
	}
	if (BTF_INFO_KIND(t->info) != BTF_KIND_ARRAY)
		return -EINVAL;
	arr = (const struct btf_array *)(t + 1);
	/* nelems 0 is a flexible array: any index is allowed. */
	if (arr->nelems && index >= arr->nelems)
		return -EINVAL;
	err = element_bit_offset(local, arr->type, index, &bits);
	if (err || add_bits(&f->bit_off, bits))
		return -EINVAL;
	f->bitfield_size = 0;
	f->type_id = arr->type;
	return add_step(spec, NULL, index);
}

/* Walks the access string through the local (compile-time) BTF: fills
 * `spec` for the target lookup and `f` with the local field, from which
 * the original value comes. */
static int parse_local(const struct btf *local,
		       const struct bpf_core_relo *relo,
		       struct core_spec *spec, struct core_field *f)
{
	uint32_t idx[CORE_ACCESS_MAX], root_id;
	const struct btf_type *t;
	bool anonymous = false;
	int n, i, err;

	memset(spec, 0, sizeof(*spec));
	memset(f, 0, sizeof(*f));
	err = parse_access(btf_str(local, relo->access_str_off), idx, &n);
	if (err)
		return err;
	root_id = btf_skip_modifiers(local, relo->type_id);
	t = btf_type_by_id(local, root_id);
	if (!t || !is_composite(t))
		return -EINVAL;
	/* Candidates are found by name: an anonymous root has none. */
	spec->root_name = btf_str(local, t->name_off);
	spec->root_name_len = essential_name_len(spec->root_name);
	if (spec->root_name_len == 0)
		return -EOPNOTSUPP;
	spec->root_kind = BTF_INFO_KIND(t->info);
	spec->root_index = idx[0];
	if (element_bit_offset(local, root_id, idx[0], &f->bit_off))
		return -EINVAL;
	f->type_id = root_id;
	for (i = 1; i < n; i++) {
		t = resolved_type(local, f->type_id);
		if (!t)
			return -EINVAL;
		err = local_step(local, t, idx[i], spec, f, &anonymous);
		if (err)
			return err;
	}
	/* An anonymous member as the last step has no name to find in the
	 * target: the lookup would stop at its parent and get it wrong. */
	return anonymous ? -EOPNOTSUPP : 0;
}

/* Finds member `name` in the struct/union `t`, looking inside anonymous
 * struct/union members too (the kernel wraps fields in them freely, e.g.
 * sk_buff's headers inside struct_group()). Adds the member's bit offset
 * to f->bit_off. Returns 1 found, 0 not found. */
static int find_member(const struct btf *btf, const struct btf_type *t,
		       const char *name, struct core_field *f, int depth,
		       unsigned int *budget)
{
	const struct btf_member *m = members_of(t);
	const struct btf_type *inner;
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);
	uint64_t saved = f->bit_off;

	if (depth > CORE_ANON_DEPTH_MAX)
		return 0;
	for (i = 0; i < vlen; i++, m++) {
		const char *m_name = btf_str(btf, m->name_off);

		if (*budget == 0)
			return 0;
		(*budget)--;
		if (strcmp(m_name, name) == 0) {
			f->bit_off += member_bit_offset(t, m);
			f->bitfield_size = member_bitfield_size(t, m);
			f->type_id = m->type;
			return 1;
		}
		if (m_name[0] != '\0')
			continue;
		inner = resolved_type(btf, m->type);
		if (!inner || !is_composite(inner))
			continue;
		f->bit_off = saved + member_bit_offset(t, m);
		if (find_member(btf, inner, name, f, depth + 1, budget))
			return 1;
		f->bit_off = saved;
	}
	return 0;
}

/* Applies one step to the target field; 1 matched, 0 no match. */
static int target_step(const struct btf *btf, const struct core_step *step,
		       struct core_field *f)
{
	const struct btf_type *t = resolved_type(btf, f->type_id);
	unsigned int budget = CORE_MEMBER_BUDGET;
	const struct btf_array *arr;
	uint64_t bits;

	if (!t)
		return 0;
	if (step->name) {
		if (!is_composite(t))
			return 0;
		return find_member(btf, t, step->name, f, 0, &budget);
	}
	if (BTF_INFO_KIND(t->info) != BTF_KIND_ARRAY)
		return 0;
	arr = (const struct btf_array *)(t + 1);
	if (arr->nelems && step->index >= arr->nelems)
		return 0;
	if (element_bit_offset(btf, arr->type, step->index, &bits) ||
	    add_bits(&f->bit_off, bits))
		return 0;
	f->bitfield_size = 0;
	f->type_id = arr->type;
	return 1;
}

/* Only the shape of the final field is compared: a program that reads an
 * integer must get an integer (of any width), a pointer a pointer. */
static bool fields_compatible(const struct btf *local, uint32_t local_id,
			      const struct btf *target, uint32_t target_id)
{
	const struct btf_type *lt = resolved_type(local, local_id);
	const struct btf_type *tt = resolved_type(target, target_id);
	uint32_t lk, tk;

	if (!lt || !tt)
		return false;
	lk = BTF_INFO_KIND(lt->info);
	tk = BTF_INFO_KIND(tt->info);
	if (is_int_like(lk))
		return is_int_like(tk);
	if (is_composite(lt))
		return is_composite(tt);
	switch (lk) {
	case BTF_KIND_PTR:
	case BTF_KIND_ARRAY:
	case BTF_KIND_FLOAT:
		return lk == tk;
	default:
		return false;
	}
}

/* Follows the whole spec from target type `root_id`. 1 matched, 0 not. */
static int match_candidate(const struct btf *local,
			   const struct core_field *local_f,
			   const struct btf *target, uint32_t root_id,
			   const struct core_spec *spec, struct core_field *f)
{
	int root_size = btf_type_size(target, root_id), i;

	if (root_size < 0)
		return 0;
	f->bit_off = (uint64_t)spec->root_index * (uint64_t)root_size * 8;
	f->type_id = root_id;
	f->bitfield_size = 0;
	for (i = 0; i < spec->nsteps; i++) {
		if (!target_step(target, &spec->steps[i], f))
			return 0;
	}
	return fields_compatible(local, local_f->type_id, target, f->type_id);
}

static bool names_match(const struct btf *btf, const struct btf_type *t,
			const struct core_spec *spec)
{
	const char *name = btf_str(btf, t->name_off);

	/* The prefix test first: it rejects almost every type cheaply. */
	return strncmp(name, spec->root_name, spec->root_name_len) == 0 &&
	       essential_name_len(name) == spec->root_name_len;
}

/* Tries every target struct/union whose essential name is the local
 * root's; the first one along which the whole path resolves wins. A
 * linear scan: a few dozen relocations over ~150k kernel types is a few
 * milliseconds, and it needs no index. */
static int resolve_btf(const struct btf *local, const struct core_field *lf,
		       const struct btf *target, const struct core_spec *spec,
		       struct core_field *f)
{
	uint32_t id, count = btf_type_count(target);
	const struct btf_type *t;

	for (id = 1; id <= count; id++) {
		t = btf_type_by_id(target, id);
		if (BTF_INFO_KIND(t->info) != spec->root_kind ||
		    !names_match(target, t, spec))
			continue;
		if (match_candidate(local, lf, target, id, spec, f))
			return 1;
	}
	return 0;
}

static bool is_ctx_type(const struct core_target *target,
			const struct core_spec *spec)
{
	return target->ctx_type && target->ctx_fmt &&
	       strlen(target->ctx_type) == spec->root_name_len &&
	       memcmp(target->ctx_type, spec->root_name,
		      spec->root_name_len) == 0;
}

/* fields[] is read directly (not through tpformat.c) so that this file
 * depends only on the struct. Names are bounded by their array. */
static const struct tp_field *ctx_field(const struct tp_format *fmt,
					const char *name)
{
	int i, n = fmt->nfields;

	if (strlen(name) >= TP_NAME_MAX)
		return NULL;
	if (n > TP_FIELDS_MAX)
		n = TP_FIELDS_MAX;
	for (i = 0; i < n; i++) {
		if (strncmp(fmt->fields[i].name, name, TP_NAME_MAX) == 0)
			return &fmt->fields[i];
	}
	return NULL;
}

/* The format file has sizes, not types: an integer must have an integer's
 * size, a pointer a pointer's. */
static bool ctx_compatible(const struct btf *local, uint32_t local_id,
			   const struct tp_field *tf)
{
	const struct btf_type *lt = resolved_type(local, local_id);

	if (!lt)
		return false;
	if (is_int_like(BTF_INFO_KIND(lt->info)))
		return tf->size == 1 || tf->size == 2 || tf->size == 4 ||
		       tf->size == 8;
	if (BTF_INFO_KIND(lt->info) == BTF_KIND_PTR)
		return tf->size == sizeof(uint64_t);
	return tf->size > 0;
}

/* The tracepoint record: ctx->field only, one level, as the program only
 * ever reads scalars and pointers straight out of it. Returns 1 found, 0
 * absent, -EOPNOTSUPP for a deeper access. */
static int resolve_ctx(const struct btf *local, const struct core_field *lf,
		       const struct tp_format *fmt,
		       const struct core_spec *spec, struct tp_field *out)
{
	const struct tp_field *tf;

	if (spec->root_index != 0 || spec->nsteps != 1 ||
	    !spec->steps[0].name)
		return -EOPNOTSUPP;
	tf = ctx_field(fmt, spec->steps[0].name);
	if (!tf || !ctx_compatible(local, lf->type_id, tf))
		return 0;
	*out = *tf;
	return 1;
}

/* Integers whose bits do not fill their storage, or that start inside a
 * byte, are bitfields even without a kind_flag struct. */
static bool is_bitfield(const struct btf *btf, const struct core_field *f)
{
	const struct btf_type *t = resolved_type(btf, f->type_id);
	uint32_t enc;

	if (f->bitfield_size || f->bit_off % 8)
		return true;
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_INT)
		return false;
	memcpy(&enc, t + 1, sizeof(enc));
	return BTF_INT_OFFSET(enc) != 0 || BTF_INT_BITS(enc) != t->size * 8;
}

static bool is_signed_type(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = resolved_type(btf, id);
	uint32_t enc;

	if (!t)
		return false;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		memcpy(&enc, t + 1, sizeof(enc));
		return BTF_INT_ENCODING(enc) & BTF_INT_SIGNED;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return BTF_INFO_KFLAG(t->info);
	default:
		return false;
	}
}

/* The value a relocation of `kind` wants for a field found in BTF. */
static int btf_field_value(const struct btf *btf, const struct core_field *f,
			   uint32_t kind, uint64_t *value)
{
	int size;

	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		if (is_bitfield(btf, f))
			return -EOPNOTSUPP;
		*value = f->bit_off / 8;
		return 0;
	case BPF_CORE_FIELD_BYTE_SIZE:
		size = btf_type_size(btf, f->type_id);
		if (size < 0)
			return -EINVAL;
		*value = (uint64_t)size;
		return 0;
	case BPF_CORE_FIELD_EXISTS:
		*value = 1;
		return 0;
	default: /* BPF_CORE_FIELD_SIGNED */
		*value = is_signed_type(btf, f->type_id);
		return 0;
	}
}

static uint64_t ctx_field_value(const struct tp_field *tf, uint32_t kind)
{
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		return tf->offset;
	case BPF_CORE_FIELD_BYTE_SIZE:
		return tf->size;
	case BPF_CORE_FIELD_EXISTS:
		return 1;
	default: /* BPF_CORE_FIELD_SIGNED */
		return tf->is_signed;
	}
}

static bool kind_supported(uint32_t kind)
{
	return kind == BPF_CORE_FIELD_BYTE_OFFSET ||
	       kind == BPF_CORE_FIELD_BYTE_SIZE ||
	       kind == BPF_CORE_FIELD_EXISTS || kind == BPF_CORE_FIELD_SIGNED;
}

int core_calculate(const struct btf *local, const struct bpf_core_relo *relo,
		   const struct core_target *target, struct core_result *res)
{
	struct core_field lf, tf;
	struct tp_field ctx_f;
	struct core_spec spec;
	int found, err;

	memset(res, 0, sizeof(*res));
	if (!kind_supported(relo->kind))
		return -EOPNOTSUPP;
	err = parse_local(local, relo, &spec, &lf);
	if (err)
		return err;
	err = btf_field_value(local, &lf, relo->kind, &res->orig);
	if (err)
		return err;
	if (is_ctx_type(target, &spec)) {
		found = resolve_ctx(local, &lf, target->ctx_fmt, &spec, &ctx_f);
		if (found < 0)
			return found;
		if (found)
			res->value = ctx_field_value(&ctx_f, relo->kind);
	} else if (target->btf) {
		found = resolve_btf(local, &lf, target->btf, &spec, &tf);
		if (found) {
			err = btf_field_value(target->btf, &tf, relo->kind,
					      &res->value);
			if (err)
				return err;
		}
	} else {
		/* Without kernel BTF no kernel type is known: every field is
		 * absent, and the program must not reach code that reads one
		 * (tcpdrop's degraded mode). */
		found = 0;
	}
	/* An absent field is an answer for FIELD_EXISTS, and a dead end
	 * for everything else: poison it. */
	if (!found && relo->kind != BPF_CORE_FIELD_EXISTS)
		res->poison = true;
	return 0;
}

/* Patching. */

static bool is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static void make_poison_call(struct bpf_insn *insn)
{
	memset(insn, 0, sizeof(*insn));
	insn->code = BPF_JMP | BPF_CALL;
	insn->imm = CORE_POISON_HELPER;
}

/* ALU64 sign-extends its 32-bit immediate, ALU (32-bit) does not: read
 * and check the value the way the CPU will. */
static int patch_alu_imm(struct bpf_insn *insn, const struct core_result *res)
{
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	uint64_t current = alu64 ? (uint64_t)(int64_t)insn->imm
				 : (uint64_t)(uint32_t)insn->imm;
	uint64_t max = alu64 ? INT32_MAX : UINT32_MAX;

	if (BPF_SRC(insn->code) != BPF_K || current != res->orig)
		return -EINVAL;
	if (res->value > max)
		return -ERANGE;
	insn->imm = (int32_t)(uint32_t)res->value;
	return 0;
}

/* A load or store with the field offset in `off`. Only the offset is
 * rewritten, not the access size: the relocated field is read with the
 * width the program was compiled with. */
static int patch_mem_off(struct bpf_insn *insn,
			 const struct bpf_core_relo *relo,
			 const struct core_result *res)
{
	if (relo->kind != BPF_CORE_FIELD_BYTE_OFFSET ||
	    (uint64_t)(int64_t)insn->off != res->orig)
		return -EINVAL;
	if (res->value > INT16_MAX)
		return -ERANGE;
	insn->off = (int16_t)res->value;
	return 0;
}

/* A 64-bit constant: low half in the first slot, high half in the second,
 * whose other fields must be zero. src_reg 0 excludes map references. */
static int patch_ld_imm64(struct bpf_insn *insn, const struct core_result *res)
{
	struct bpf_insn *hi = insn + 1;
	uint64_t current;

	if (insn->src_reg != 0 || hi->code != 0 || hi->dst_reg != 0 ||
	    hi->src_reg != 0 || hi->off != 0)
		return -EINVAL;
	current = (uint64_t)(uint32_t)insn->imm |
		  (uint64_t)(uint32_t)hi->imm << 32;
	if (current != res->orig)
		return -EINVAL;
	insn->imm = (int32_t)(uint32_t)res->value;
	hi->imm = (int32_t)(uint32_t)(res->value >> 32);
	return 0;
}

/* A poisoned ld_imm64 gets the call in both slots. Its second slot is not
 * an instruction of its own (code 0): once the first slot is a call, the
 * verifier would meet it as opcode 0x00 in its pass over every instruction,
 * reachable or not, and refuse the whole program ("unknown opcode 00").
 * Any valid instruction would do there; a second poison call keeps the
 * slot count (so jump offsets hold) and, should control ever reach it,
 * fails the same recognisable way. */
static int poison(struct bpf_insn *insn)
{
	bool wide = is_ld_imm64(insn);

	make_poison_call(insn);
	if (wide)
		make_poison_call(insn + 1);
	return 0;
}

int core_patch(struct bpf_insn *insns, size_t insn_cnt,
	       const struct bpf_core_relo *relo, const struct core_result *res)
{
	struct bpf_insn *insn;
	size_t idx;

	if (relo->insn_off % sizeof(struct bpf_insn) != 0)
		return -EINVAL;
	idx = relo->insn_off / sizeof(struct bpf_insn);
	if (idx >= insn_cnt)
		return -EINVAL;
	insn = &insns[idx];
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return res->poison ? poison(insn) : patch_alu_imm(insn, res);
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		return res->poison ? poison(insn)
				   : patch_mem_off(insn, relo, res);
	case BPF_LD:
		if (!is_ld_imm64(insn) || idx + 1 >= insn_cnt)
			return -EINVAL;
		return res->poison ? poison(insn) : patch_ld_imm64(insn, res);
	default:
		return -EINVAL;
	}
}
