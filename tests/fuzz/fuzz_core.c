/* CO-RE: core_calculate and core_patch with one side fixed and the other
 * from the input. The first byte chooses:
 *
 *   bit 0  the input BTF is the local (compile-time) one, relocated
 *          against the fixed BTF below; else it is the target (kernel)
 *          BTF, and the fixed one is local
 *   bit 1  the target also has a tracepoint format for the ctx struct
 *   bit 2  (local mode) the target has no BTF at all
 *
 * then a 16-bit length and that many bytes of BTF, then bpf_core_relo
 * records (16 bytes each). In target mode a fixed list of relocations
 * against the fixed BTF runs too, so that the fuzzer starts with
 * relocations that resolve. Every result is patched into each kind of
 * instruction, and a patch that succeeds must have written the value. */
#include <errno.h>
#include <stdbool.h>

#include "btf.h"
#include "btf_build.h"
#include "core.h"
#include "fuzz.h"
#include "tpformat.h"

#define RELOS_MAX 64
#define CTX_TYPE "trace_event_raw_kfree_skb"
#define POISON_HELPER 0xbad2310

/* The fixed BTF, shaped like the kernel's where it matters to CO-RE: an
 * anonymous union of an anonymous struct (struct_group()), a typedef, an
 * array, an enum, a float, a kind_flag struct with a bitfield, a const
 * root, a flavoured name, a union that shares a struct's name, and the
 * tracepoint record that resolves against a format file. */
enum {
	F_UCHAR = 1, F_PUCHAR, F_USHORT, F_UINT, F_U16, F_INT, F_INT4, F_VOIDP,
	F_HDRS, F_HDRU, F_SKB, F_ENUM, F_SKC, F_SOCK, F_CTX, F_FLOAT, F_CONST,
	F_UNION,
};

static const char *const access_strings[] = {
	"0", "1", "0:0", "0:1", "0:2", "0:2:0", "0:2:0:1", "0:2:1:0", "0:3",
	"0:3:2", "0:3:9", "0:4", "0:5", "0:0:1", "0:0:0", "0:1x", "0:",
	"2147483647:0",
};

static void build_fixed(struct bb *b)
{
	size_t i;

	bb_init(b);
	bb_int(b, "unsigned char", 1, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, F_UCHAR);
	bb_int(b, "unsigned short", 2, 0);
	bb_int(b, "unsigned int", 4, 0);
	bb_type(b, "u16_t", BTF_KIND_TYPEDEF, 0, false, F_USHORT);
	bb_int(b, "int", 4, BTF_INT_SIGNED);
	bb_array(b, F_INT, 4);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, 0);
	bb_struct(b, NULL, 4, 2);
	bb_member(b, "mac_header", F_U16, 0);
	bb_member(b, "transport_header", F_U16, 16);
	bb_type(b, NULL, BTF_KIND_UNION, 2, false, 4);
	bb_member(b, NULL, F_HDRS, 0);
	bb_member(b, "headers", F_HDRS, 0);
	bb_struct(b, "sk_buff___x", 48, 6);
	bb_member(b, "head", F_PUCHAR, 0);
	bb_member(b, "len", F_UINT, 64);
	bb_member(b, NULL, F_HDRU, 96);
	bb_member(b, "vals", F_INT4, 128);
	bb_member(b, "state", F_ENUM, 256);
	bb_member(b, "tstamp", F_FLOAT, 320);
	bb_type(b, "drop_state", BTF_KIND_ENUM, 2, true, 4);
	bb_enum_val(b, "DS_A", -1);
	bb_enum_val(b, "DS_B", 2);
	bb_type(b, "sock_common", BTF_KIND_STRUCT, 2, true, 4);
	bb_member(b, "skc_state", F_UCHAR, 0);
	bb_member(b, "skc_reuse", F_UCHAR, 4u << 24 | 8);
	bb_struct(b, "sock", 4, 1);
	bb_member(b, "__sk_common", F_SKC, 0);
	bb_struct(b, CTX_TYPE, 40, 4);
	bb_member(b, "skbaddr", F_VOIDP, 64);
	bb_member(b, "location", F_VOIDP, 128);
	bb_member(b, "protocol", F_USHORT, 256);
	bb_member(b, "reason", F_UINT, 288);
	bb_type(b, "double", BTF_KIND_FLOAT, 0, false, 8);
	bb_type(b, NULL, BTF_KIND_CONST, 0, false, F_SKB);
	bb_type(b, "sock", BTF_KIND_UNION, 1, false, 4);
	bb_member(b, "x", F_INT, 0);
	for (i = 0; i < sizeof(access_strings) / sizeof(access_strings[0]); i++)
		bb_str(b, access_strings[i]);
	bb_finish(b);
}

static const char ctx_format[] =
	"name: kfree_skb\n"
	"ID: 1\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:void * location;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned short protocol;\toffset:32;\tsize:2;\tsigned:0;\n"
	"\tfield:enum skb_drop_reason reason;\toffset:36;\tsize:4;\tsigned:0;\n";

static struct bb fixed_bb;
static struct btf *fixed;
static struct tp_format fixed_fmt;

static void init_once(void)
{
	if (fixed)
		return;
	build_fixed(&fixed_bb);
	if (btf_load_raw(&fixed, fixed_bb.blob, fixed_bb.len) != 0 ||
	    tp_format_parse(&fixed_fmt, ctx_format, sizeof(ctx_format) - 1))
		abort();
}

/* One instruction of each class core_patch knows, each holding `orig` the
 * way the compiler would leave it, and one it must refuse. */
enum { I_ALU64, I_ALU, I_LDX, I_LD64, I_LD64_HI, I_EXIT, I_COUNT };

static void make_insns(struct bpf_insn *insns, uint64_t orig)
{
	memset(insns, 0, I_COUNT * sizeof(*insns));
	insns[I_ALU64].code = BPF_ALU64 | BPF_ADD | BPF_K;
	insns[I_ALU64].imm = (int32_t)(uint32_t)orig;
	insns[I_ALU].code = BPF_ALU | BPF_MOV | BPF_K;
	insns[I_ALU].imm = (int32_t)(uint32_t)orig;
	insns[I_LDX].code = BPF_LDX | BPF_MEM | BPF_W;
	insns[I_LDX].src_reg = 1;
	insns[I_LDX].off = (int16_t)orig;
	insns[I_LD64].code = BPF_LD | BPF_IMM | BPF_DW;
	insns[I_LD64].imm = (int32_t)(uint32_t)orig;
	insns[I_LD64_HI].imm = (int32_t)(uint32_t)(orig >> 32);
	insns[I_EXIT].code = BPF_JMP | BPF_EXIT;
}

static bool is_poison_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) && insn->imm == POISON_HELPER;
}

/* What the patched instruction now holds, read the way the CPU will. */
static uint64_t patched_value(const struct bpf_insn *insns, int slot)
{
	switch (slot) {
	case I_ALU64:
		return (uint64_t)(int64_t)insns[slot].imm;
	case I_ALU:
		return (uint32_t)insns[slot].imm;
	case I_LDX:
		return (uint64_t)(int64_t)insns[slot].off;
	default:
		return (uint32_t)insns[slot].imm |
		       (uint64_t)(uint32_t)insns[slot + 1].imm << 32;
	}
}

static void patch_all(const struct bpf_core_relo *relo,
		      const struct core_result *res)
{
	struct bpf_insn insns[I_COUNT];
	struct bpf_core_relo r = *relo;
	struct errmsg msg;
	int slot, err;

	/* The record's own insn_off first: any value must be refused
	 * cleanly or land inside the array. */
	make_insns(insns, res->orig);
	core_patch(insns, I_COUNT, relo, res, &msg);
	for (slot = 0; slot < I_COUNT; slot++) {
		make_insns(insns, res->orig);
		r.insn_off = (uint32_t)(slot * sizeof(struct bpf_insn));
		msg.text[0] = '\0';
		err = core_patch(insns, I_COUNT, &r, res, &msg);
		if (slot == I_EXIT || slot == I_LD64_HI)
			FUZZ_CHECK(err == -EINVAL);
		/* Every refusal says why. */
		FUZZ_CHECK(!err || msg.text[0] != '\0');
		if (err)
			continue;
		if (res->poison)
			FUZZ_CHECK(is_poison_call(&insns[slot]));
		else
			FUZZ_CHECK(patched_value(insns, slot) == res->value);
	}
}

static void relocate(const struct btf *local, const struct bpf_core_relo *relo,
		     const struct core_target *target)
{
	struct core_result res;
	struct errmsg msg = { "" };
	int err = core_calculate(local, relo, target, &res, &msg);

	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -EOPNOTSUPP);
	FUZZ_CHECK(!err || msg.text[0] != '\0');
	if (err == 0) {
		FUZZ_CHECK(!res.poison || relo->kind != BPF_CORE_FIELD_EXISTS);
		patch_all(relo, &res);
	}
}

/* Every access string on every root the fixed BTF has, in each kind
 * (and one unsupported kind). */
static void fixed_relos(const struct core_target *target)
{
	static const uint32_t roots[] = {
		F_SKB, F_CONST, F_SOCK, F_SKC, F_CTX, F_UNION, F_INT,
	};
	struct bpf_core_relo relo = { 0 };
	size_t r, a;
	uint32_t kind;

	for (r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
		for (a = 0; a < sizeof(access_strings) / sizeof(access_strings[0]); a++) {
			relo.type_id = roots[r];
			relo.access_str_off = bb_find_str(&fixed_bb,
							  access_strings[a]);
			for (kind = BPF_CORE_FIELD_BYTE_OFFSET;
			     kind <= BPF_CORE_FIELD_LSHIFT_U64; kind++) {
				relo.kind = kind;
				relocate(fixed, &relo, target);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct core_target target = { 0 };
	struct bpf_core_relo relo;
	const struct btf *local;
	struct btf *input;
	size_t len, i;
	unsigned flags;

	init_once();
	flags = (unsigned)fuzz_take(&data, &size, 1);
	len = (size_t)fuzz_take(&data, &size, 2);
	if (len > size)
		len = size;
	if (btf_load_raw(&input, data, len) != 0)
		return 0;
	data += len;
	size -= len;

	if (flags & 2) {
		target.ctx_type = CTX_TYPE;
		target.ctx_fmt = &fixed_fmt;
	}
	if (flags & 1) {
		local = input;
		target.btf = flags & 4 ? NULL : fixed;
	} else {
		local = fixed;
		target.btf = input;
		fixed_relos(&target);
	}
	for (i = 0; i < RELOS_MAX && size >= sizeof(relo); i++) {
		memcpy(&relo, data, sizeof(relo));
		data += sizeof(relo);
		size -= sizeof(relo);
		relocate(local, &relo, &target);
	}
	btf_free(input);
	return 0;
}
