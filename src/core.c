#include "core.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
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
 * kind, the index into the root ("0" for ptr->field) and the steps. The
 * owner is the innermost named struct or union the path goes through:
 * messages name a field as owner.steps[owner_step..], the way a reader
 * of the kernel's headers would look it up ("sock_common.skc_state"). */
struct core_spec {
	const char *root_name;
	size_t root_name_len;
	uint32_t root_kind;
	uint32_t root_index;
	struct core_step steps[CORE_ACCESS_MAX];
	int nsteps;
	const char *owner;
	size_t owner_len;
	int owner_step;
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
 * "___" that sits between two other characters is not part of the name
 * (btf_essential_len). */
static size_t essential_name_len(const char *name)
{
	return btf_essential_len(name);
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

/* A member of the named struct/union `name` is the next step: it becomes
 * the owner. An anonymous one is part of the owner already. */
static void set_owner(struct core_spec *spec, const char *name)
{
	if (name[0] == '\0')
		return;
	spec->owner = name;
	spec->owner_len = essential_name_len(name);
	spec->owner_step = spec->nsteps;
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
		if (*anonymous)
			return 0;
		set_owner(spec, btf_str(local, t->name_off));
		return add_step(spec, name, 0);
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
	spec->owner = spec->root_name;
	spec->owner_len = spec->root_name_len;
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

/* Only the shape of the final field is compared here: a program that
 * reads an integer must get an integer, a pointer a pointer. Their widths
 * are compared when the instruction is known (core_patch). */
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

/* "sock_common.skc_state", "arr_holder.vals[3]": the owner, then each
 * step after it. Truncated to `size`, which is only for messages. */
static void field_label(const struct core_spec *spec, char *buf, size_t size)
{
	const struct core_step *s;
	size_t len;
	int i;

	len = (size_t)snprintf(buf, size, "%.*s", (int)spec->owner_len,
			       spec->owner);
	for (i = spec->owner_step; i < spec->nsteps && len < size; i++) {
		s = &spec->steps[i];
		if (s->name)
			len += (size_t)snprintf(buf + len, size - len, ".%s",
						s->name);
		else
			len += (size_t)snprintf(buf + len, size - len, "[%u]",
						s->index);
	}
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

/* The size rule covers scalars: integers, enums, pointers, floats. A
 * struct, union or array is a container that the program declares only
 * in part, so its size is expected to differ; what the program reads
 * inside it has relocations of its own. */
struct core_width {
	uint32_t size;       /* bytes; 0 where the rule does not apply */
	bool zero_extends;   /* unsigned integer or pointer */
};

static void btf_width(const struct btf *btf, uint32_t id,
		      struct core_width *w)
{
	const struct btf_type *t = resolved_type(btf, id);
	uint32_t kind = t ? BTF_INFO_KIND(t->info) : BTF_KIND_UNKN;
	int size;

	w->size = 0;
	w->zero_extends = false;
	if (!is_int_like(kind) && kind != BTF_KIND_PTR &&
	    kind != BTF_KIND_FLOAT)
		return;
	size = btf_type_size(btf, id);
	if (size <= 0)
		return;
	w->size = (uint32_t)size;
	w->zero_extends = kind == BTF_KIND_PTR ||
			  (is_int_like(kind) && !is_signed_type(btf, id));
}

/* What the kernel has for the field: the relocation's value, and the
 * field's width for the size rule. */
struct core_answer {
	uint64_t value;
	struct core_width width;
};

/* Everything one relocation's calculation works with. */
struct core_calc {
	const struct btf *local;
	const struct bpf_core_relo *relo;
	const struct core_target *target;
	struct core_spec spec;
	struct core_field lf;        /* the field in the local BTF */
	struct core_result *res;
	struct errmsg *msg;
};

/* The answer of one target candidate along which the path resolved. */
static int btf_answer(const struct core_calc *c, const struct core_field *f,
		      struct core_answer *a)
{
	int err = btf_field_value(c->target->btf, f, c->relo->kind, &a->value);

	if (err == -EOPNOTSUPP)
		return errmsg_set(c->msg, err, "CO-RE: %s is a bitfield in "
				  "the kernel", c->res->field);
	if (err)
		return errmsg_set(c->msg, err, "CO-RE: %s has no size in the "
				  "kernel", c->res->field);
	btf_width(c->target->btf, f->type_id, &a->width);
	return 0;
}

/* Candidates agree on the value and, for an offset, on the field's size,
 * which decides how the instruction is patched. */
static bool answers_agree(uint32_t kind, const struct core_answer *a,
			  const struct core_answer *b)
{
	return a->value == b->value &&
	       (kind != BPF_CORE_FIELD_BYTE_OFFSET ||
		a->width.size == b->width.size);
}

static const char *kind_values(uint32_t kind)
{
	switch (kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET:
		return "offsets";
	case BPF_CORE_FIELD_BYTE_SIZE:
		return "sizes";
	case BPF_CORE_FIELD_EXISTS:
		return "existence";
	default: /* BPF_CORE_FIELD_SIGNED */
		return "signedness";
	}
}

/* Two candidate types hold the field differently: nothing tells which
 * one the kernel uses, so there is no exact answer. */
static int disagree(const struct core_calc *c, int matches,
		    const struct core_answer *a, const struct core_answer *b)
{
	if (a->value != b->value)
		return errmsg_set(c->msg, -EINVAL, "CO-RE: %s: %d candidate "
				  "types disagree (%s %llu and %llu)",
				  c->res->field, matches,
				  kind_values(c->relo->kind),
				  (unsigned long long)a->value,
				  (unsigned long long)b->value);
	return errmsg_set(c->msg, -EINVAL, "CO-RE: %s: %d candidate types "
			  "disagree (sizes %u and %u)", c->res->field, matches,
			  a->width.size, b->width.size);
}

/* Tries every target struct/union whose essential name is the local
 * root's (sk_buff, sk_buff___old, ...). All those along which the whole
 * path resolves must agree, as libbpf requires; kernel BTF has one. The
 * candidates come from the BTF's name index (btf_find_next), in id order.
 * Returns 1 found (answer in `a`), 0 absent, or -errno with the message
 * set. */
static int resolve_btf(const struct core_calc *c, struct core_answer *a)
{
	const struct btf *target = c->target->btf;
	int id = 0;
	struct core_answer cand, other = { 0 };
	const struct btf_type *t;
	struct core_field f;
	bool differ = false;
	int matches = 0, err;

	while ((id = btf_find_next(target, c->spec.root_name,
				   c->spec.root_name_len, (int)c->spec.root_kind,
				   (uint32_t)id)) > 0) {
		t = btf_type_by_id(target, (uint32_t)id);
		if (!t || !names_match(target, t, &c->spec) ||
		    !match_candidate(c->local, &c->lf, target, (uint32_t)id,
				     &c->spec, &f))
			continue;
		err = btf_answer(c, &f, matches ? &cand : a);
		if (err)
			return err;
		if (matches++ && !differ &&
		    !answers_agree(c->relo->kind, a, &cand)) {
			other = cand;
			differ = true;
		}
	}
	if (differ)
		return disagree(c, matches, a, &other);
	return matches > 0;
}

/* The tracepoint record: ctx->field only, one level, as the program only
 * ever reads scalars and pointers straight out of it. The format file has
 * sizes, not types: the size rule is what checks that the field is the
 * one the program means. Returns 1 found, 0 absent, -errno. */
static int resolve_ctx(const struct core_calc *c, struct core_answer *a)
{
	const struct core_spec *spec = &c->spec;
	const struct tp_field *tf;

	if (spec->root_index != 0 || spec->nsteps != 1 ||
	    !spec->steps[0].name)
		return errmsg_set(c->msg, -EOPNOTSUPP, "CO-RE: %s: only a "
				  "field of the tracepoint record itself can be "
				  "relocated", c->res->field);
	tf = ctx_field(c->target->ctx_fmt, spec->steps[0].name);
	if (!tf)
		return 0;
	a->value = ctx_field_value(tf, c->relo->kind);
	a->width.size = tf->size;
	a->width.zero_extends = !tf->is_signed;
	return 1;
}

/* For a field offset, the field's size on each side, and whether a direct
 * load may be narrowed to the kernel's: zero extension keeps an unsigned
 * value or a pointer, and every value of a narrower field fits the
 * program's type. A wider field may hold values the program's type cannot,
 * and a signed one would need sign extension: core_patch refuses both. */
static void set_widths(const struct core_calc *c, const struct core_answer *a)
{
	uint32_t n = a->width.size;
	struct core_width lw;

	btf_width(c->local, c->lf.type_id, &lw);
	if (c->relo->kind != BPF_CORE_FIELD_BYTE_OFFSET || lw.size == 0)
		return;
	c->res->orig_size = lw.size;
	c->res->new_size = n;
	c->res->narrowable = lw.zero_extends && a->width.zero_extends &&
			     n < lw.size && (n == 1 || n == 2 || n == 4);
}

static const char *relo_type_name(const struct core_calc *c)
{
	const struct btf_type *t = btf_type_by_id(c->local, c->relo->type_id);

	return t ? btf_str(c->local, t->name_off) : "?";
}

/* The local side: the path, the field's name for messages, and the value
 * the compiler left in the instruction. */
static int local_value(struct core_calc *c)
{
	int err = parse_local(c->local, c->relo, &c->spec, &c->lf);

	if (err)
		return errmsg_set(c->msg, err, "CO-RE: struct %s access %s: %s",
				  relo_type_name(c),
				  btf_str(c->local, c->relo->access_str_off),
				  err == -EOPNOTSUPP ?
				  "an anonymous type or member cannot be found "
				  "by name" : "malformed relocation record");
	field_label(&c->spec, c->res->field, sizeof(c->res->field));
	err = btf_field_value(c->local, &c->lf, c->relo->kind, &c->res->orig);
	if (err == -EOPNOTSUPP)
		return errmsg_set(c->msg, err, "CO-RE: %s is a bitfield in "
				  "the program", c->res->field);
	if (err)
		return errmsg_set(c->msg, err, "CO-RE: %s has no size in the "
				  "program", c->res->field);
	return 0;
}

int core_calculate(const struct btf *local, const struct bpf_core_relo *relo,
		   const struct core_target *target, struct core_result *res,
		   struct errmsg *msg)
{
	struct core_calc c = {
		.local = local, .relo = relo, .target = target, .res = res,
		.msg = msg,
	};
	struct core_answer a = { 0 };
	int found, err;

	memset(res, 0, sizeof(*res));
	if (!kind_supported(relo->kind))
		return errmsg_set(msg, -EOPNOTSUPP, "CO-RE: struct %s access "
				  "%s: relocation kind %u is not supported",
				  relo_type_name(&c),
				  btf_str(local, relo->access_str_off),
				  relo->kind);
	err = local_value(&c);
	if (err)
		return err;
	if (is_ctx_type(target, &c.spec))
		found = resolve_ctx(&c, &a);
	else if (target->btf)
		found = resolve_btf(&c, &a);
	else
		/* Without kernel BTF no kernel type is known: every field is
		 * absent, and the program must not reach code that reads one
		 * (tcpdrop's degraded mode). */
		found = 0;
	if (found < 0)
		return found;
	if (found) {
		res->value = a.value;
		set_widths(&c, &a);
	} else if (relo->kind != BPF_CORE_FIELD_EXISTS) {
		/* An absent field is an answer for FIELD_EXISTS, and a dead
		 * end for everything else: poison it. */
		res->poison = true;
	}
	return 0;
}

/* Patching. */

/* The one instruction a relocation names, and what to say about it. */
struct patch_site {
	struct bpf_insn *insn;
	size_t idx;
	const struct bpf_core_relo *relo;
	const struct core_result *res;
	struct errmsg *msg;
};

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

static int not_relocatable(const struct patch_site *p)
{
	return errmsg_set(p->msg, -EINVAL, "CO-RE: %s: instruction %zu (code "
			  "0x%02x) cannot take this relocation", p->res->field,
			  p->idx, p->insn->code);
}

/* libbpf's rule: an instruction that does not hold what the compiler
 * left is not the one the record describes; patching it would corrupt
 * the program. */
static int not_as_compiled(const struct patch_site *p, long long current)
{
	return errmsg_set(p->msg, -EINVAL, "CO-RE: %s: instruction %zu holds "
			  "%lld, not %llu as compiled", p->res->field, p->idx,
			  current, (unsigned long long)p->res->orig);
}

static int out_of_range(const struct patch_site *p)
{
	return errmsg_set(p->msg, -ERANGE, "CO-RE: %s: %llu does not fit "
			  "instruction %zu", p->res->field,
			  (unsigned long long)p->res->value, p->idx);
}

static int width_refused(const struct patch_site *p)
{
	uint8_t cls = BPF_CLASS(p->insn->code);

	return errmsg_set(p->msg, -EINVAL, "CO-RE: %s is %u bytes in the "
			  "kernel, the program %s %u", p->res->field,
			  p->res->new_size,
			  cls == BPF_ST || cls == BPF_STX ? "writes" : "reads",
			  p->res->orig_size);
}

static bool width_changed(const struct core_result *res)
{
	return res->orig_size != res->new_size;
}

/* ALU64 sign-extends its 32-bit immediate, ALU (32-bit) does not: read
 * and check the value the way the CPU will. An offset added to a pointer
 * gives an address whose reader (a probe read of sizeof the local field)
 * cannot be seen from here: a field of another size is refused. */
static int patch_alu_imm(const struct patch_site *p)
{
	struct bpf_insn *insn = p->insn;
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	uint64_t current = alu64 ? (uint64_t)(int64_t)insn->imm
				 : (uint64_t)(uint32_t)insn->imm;
	uint64_t max = alu64 ? INT32_MAX : UINT32_MAX;

	if (BPF_SRC(insn->code) != BPF_K)
		return not_relocatable(p);
	if (current != p->res->orig)
		return not_as_compiled(p, alu64 ? (long long)(int64_t)current
						: (long long)current);
	if (p->res->value > max)
		return out_of_range(p);
	if (width_changed(p->res))
		return width_refused(p);
	insn->imm = (int32_t)(uint32_t)p->res->value;
	return 0;
}

static uint32_t mem_bytes(uint8_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static uint8_t mem_size_bits(uint32_t bytes)
{
	switch (bytes) {
	case 1:
		return BPF_B;
	case 2:
		return BPF_H;
	case 4:
		return BPF_W;
	default:
		return BPF_DW;
	}
}

/* The opcode for a field whose size may differ in the kernel. Only a
 * direct load (BPF_LDX | BPF_MEM) of the whole local field can follow:
 * it is narrowed to the kernel's size where core_calculate found that
 * keeps the value. Stores and other loads are refused. */
static int resized_code(const struct patch_site *p, uint8_t *code)
{
	uint8_t c = p->insn->code;

	*code = c;
	if (!width_changed(p->res))
		return 0;
	if (BPF_CLASS(c) == BPF_LDX && BPF_MODE(c) == BPF_MEM &&
	    mem_bytes(c) != p->res->orig_size)
		return errmsg_set(p->msg, -EINVAL, "CO-RE: %s: instruction %zu "
				  "reads %u of the field's %u bytes",
				  p->res->field, p->idx, mem_bytes(c),
				  p->res->orig_size);
	if (BPF_CLASS(c) != BPF_LDX || BPF_MODE(c) != BPF_MEM ||
	    !p->res->narrowable)
		return width_refused(p);
	*code = (uint8_t)(BPF_CLASS(c) | BPF_MODE(c) |
			  mem_size_bits(p->res->new_size));
	return 0;
}

/* A load or store with the field offset in `off`; its access size is
 * rewritten only by resized_code(). */
static int patch_mem(const struct patch_site *p)
{
	struct bpf_insn *insn = p->insn;
	uint8_t code;
	int err;

	if (p->relo->kind != BPF_CORE_FIELD_BYTE_OFFSET)
		return not_relocatable(p);
	if ((uint64_t)(int64_t)insn->off != p->res->orig)
		return not_as_compiled(p, insn->off);
	if (p->res->value > INT16_MAX)
		return out_of_range(p);
	err = resized_code(p, &code);
	if (err)
		return err;
	insn->off = (int16_t)p->res->value;
	insn->code = code;
	return 0;
}

/* A 64-bit constant: low half in the first slot, high half in the second,
 * whose other fields must be zero. src_reg 0 excludes map references. */
static int patch_ld_imm64(const struct patch_site *p)
{
	struct bpf_insn *insn = p->insn, *hi = insn + 1;
	uint64_t current;

	if (insn->src_reg != 0 || hi->code != 0 || hi->dst_reg != 0 ||
	    hi->src_reg != 0 || hi->off != 0)
		return not_relocatable(p);
	current = (uint64_t)(uint32_t)insn->imm |
		  (uint64_t)(uint32_t)hi->imm << 32;
	if (current != p->res->orig)
		return not_as_compiled(p, (long long)current);
	if (width_changed(p->res))
		return width_refused(p);
	insn->imm = (int32_t)(uint32_t)p->res->value;
	hi->imm = (int32_t)(uint32_t)(p->res->value >> 32);
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
	       const struct bpf_core_relo *relo, const struct core_result *res,
	       struct errmsg *msg)
{
	struct patch_site p = { NULL, 0, relo, res, msg };

	if (relo->insn_off % sizeof(struct bpf_insn) != 0 ||
	    relo->insn_off / sizeof(struct bpf_insn) >= insn_cnt)
		return errmsg_set(msg, -EINVAL, "CO-RE: %s: relocation at byte "
				  "%u is outside the program", res->field,
				  relo->insn_off);
	p.idx = relo->insn_off / sizeof(struct bpf_insn);
	p.insn = &insns[p.idx];
	switch (BPF_CLASS(p.insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		return res->poison ? poison(p.insn) : patch_alu_imm(&p);
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		return res->poison ? poison(p.insn) : patch_mem(&p);
	case BPF_LD:
		if (!is_ld_imm64(p.insn) || p.idx + 1 >= insn_cnt)
			return not_relocatable(&p);
		return res->poison ? poison(p.insn) : patch_ld_imm64(&p);
	default:
		return not_relocatable(&p);
	}
}
