/* CO-RE: a hand-built local BTF (what clang would record for the BPF
 * program's partial structs) against a hand-built target BTF that nests
 * the same fields at other offsets inside anonymous unions and structs,
 * against hand-filled tracefs formats (5.10 and 6.12 layouts of
 * skb:kfree_skb), and against the running kernel's BTF when readable. Then
 * every instruction class through core_patch(). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf.h"
#include "btf_build.h"
#include "check.h"
#include "core.h"
#include "elf.h"

extern const unsigned char tcpdrop_bpf_object[] __attribute__((weak));
extern const unsigned char tcpdrop_bpf_object_end[] __attribute__((weak));

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* The message of the last refusal; tests that check one read it. */
static struct errmsg em;
#define POISON_CALL_IMM 0xbad2310


/* Every access string a test uses, put in the local string section. */
static const char *const access_strings[] = {
	"0", "0:0", "0:1", "0:2", "0:3", "0:4", "0:0:0", "0:0:1", "0:0:2",
	"0:0:3", "0:0:4", "1:1", "1:0", "0:", ":1", "0::1", "a", "0:99",
	"0:1x", "4294967296:0", "0:0:0:0",
};

/* Local ids: what clang records for the program's own declarations:
 *
 *   struct sk_buff___x { unsigned char *head; unsigned short
 *       network_header; u16_t transport_header; unsigned int len;
 *       unsigned int missing_field; };
 *   struct sock_common___x { unsigned char skc_state, skc_reuse; };
 *   struct sock___x { struct sock_common___x __sk_common; };
 *   struct arr_holder { int vals[4]; };  struct arr_small___l { same };
 *   struct trace_event_raw_kfree_skb { void *skbaddr, *location, *rx_sk;
 *       unsigned short protocol; unsigned int reason; };
 *   struct sk_buff___y { int head; };
 *   struct anon_local { union { int a; }; };
 *   struct loop { int x; }; */
enum {
	L_UCHAR = 1, L_PTR_UCHAR, L_USHORT, L_UINT, L_U16_T, L_SK_BUFF,
	L_SOCK_COMMON, L_SOCK, L_INT, L_INT4, L_ARR_HOLDER, L_ARR_SMALL,
	L_VOIDP, L_KFREE_SKB, L_SK_BUFF_Y, L_ANON_UNION, L_ANON_LOCAL, L_LOOP,
};

static void build_local(struct bb *b)
{
	size_t i;

	bb_init(b);
	bb_int(b, "unsigned char", 1, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, L_UCHAR);
	bb_int(b, "unsigned short", 2, 0);
	bb_int(b, "unsigned int", 4, 0);
	bb_type(b, "u16_t", BTF_KIND_TYPEDEF, 0, false, L_USHORT);
	bb_struct(b, "sk_buff___x", 24, 5);
	bb_member(b, "head", L_PTR_UCHAR, 0);
	bb_member(b, "network_header", L_USHORT, 64);
	bb_member(b, "transport_header", L_U16_T, 80);
	bb_member(b, "len", L_UINT, 96);
	bb_member(b, "missing_field", L_UINT, 128);
	bb_struct(b, "sock_common___x", 2, 2);
	bb_member(b, "skc_state", L_UCHAR, 0);
	bb_member(b, "skc_reuse", L_UCHAR, 8);
	bb_struct(b, "sock___x", 2, 1);
	bb_member(b, "__sk_common", L_SOCK_COMMON, 0);
	bb_int(b, "int", 4, BTF_INT_SIGNED);
	bb_array(b, L_INT, 4);
	bb_struct(b, "arr_holder", 16, 1);
	bb_member(b, "vals", L_INT4, 0);
	bb_struct(b, "arr_small___l", 16, 1);
	bb_member(b, "vals", L_INT4, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, 0);
	bb_struct(b, "trace_event_raw_kfree_skb", 32, 5);
	bb_member(b, "skbaddr", L_VOIDP, 0);
	bb_member(b, "location", L_VOIDP, 64);
	bb_member(b, "rx_sk", L_VOIDP, 128);
	bb_member(b, "protocol", L_USHORT, 192);
	bb_member(b, "reason", L_UINT, 224);
	bb_struct(b, "sk_buff___y", 4, 1);
	bb_member(b, "head", L_INT, 0);
	bb_type(b, NULL, BTF_KIND_UNION, 1, false, 4);
	bb_member(b, "a", L_INT, 0);
	bb_struct(b, "anon_local", 4, 1);
	bb_member(b, NULL, L_ANON_UNION, 0);
	bb_struct(b, "loop", 4, 1);
	bb_member(b, "x", L_INT, 0);
	for (i = 0; i < sizeof(access_strings) / sizeof(access_strings[0]); i++)
		bb_str(b, access_strings[i]);
	bb_finish(b);
}

/* The target, shaped like the kernel's: sk_buff's headers inside an
 * anonymous struct inside an anonymous union (struct_group()), with a
 * typedef'd type; sock_common with kind_flag member offsets and a
 * bitfield; a same-named union and a flavoured decoy that lack fields.
 *
 *   struct sk_buff {                          48 bytes
 *       struct sk_buff *next;                 @0
 *       int len;                              @8
 *       union {                               @12
 *           struct { __u16 mac_header, transport_header,
 *                    network_header; };       @12 @14 @16
 *           struct { ... } headers;
 *       };
 *       unsigned char *head;                  @24
 *   };
 *   struct sock_common { unsigned short skc_family; unsigned char
 *       skc_state; unsigned char skc_reuse:4; };  (kind_flag)
 *   union sock { int x; };                    (wrong kind, skipped)
 *   struct sock { int pad; struct sock_common __sk_common; }; @8
 *   struct arr_holder___v1 { int other; };    (decoy: no vals)
 *   struct arr_holder { unsigned long long pad; int vals[8]; };
 *   struct arr_small { int vals[2]; };
 *   struct trace_event_raw_kfree_skb { struct trace_entry ent;
 *       void *skbaddr; void *location; unsigned short protocol; };
 *   struct anon_local { int pad; int a; }; */
static void build_target(struct bb *b)
{
	enum {
		UCHAR = 1, PTR_UCHAR, USHORT, U16, INT, ANON_HDRS, ANON_UNION,
		VOIDP, SK_BUFF, SOCK_COMMON, SOCK_UNION, SOCK, INT8, ULL,
		ARR_DECOY, ARR_HOLDER, INT2, ARR_SMALL, TRACE_ENTRY, KFREE_SKB,
		ANON_LOCAL,
	};

	bb_init(b);
	bb_int(b, "unsigned char", 1, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, UCHAR);
	bb_int(b, "unsigned short", 2, 0);
	bb_type(b, "__u16", BTF_KIND_TYPEDEF, 0, false, USHORT);
	bb_int(b, "int", 4, BTF_INT_SIGNED);
	bb_struct(b, NULL, 6, 3);
	bb_member(b, "mac_header", U16, 0);
	bb_member(b, "transport_header", U16, 16);
	bb_member(b, "network_header", U16, 32);
	bb_type(b, NULL, BTF_KIND_UNION, 2, false, 6);
	bb_member(b, NULL, ANON_HDRS, 0);
	bb_member(b, "headers", ANON_HDRS, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, 0);
	bb_struct(b, "sk_buff", 48, 4);
	bb_member(b, "next", VOIDP, 0);
	bb_member(b, "len", INT, 64);
	bb_member(b, NULL, ANON_UNION, 96);
	bb_member(b, "head", PTR_UCHAR, 192);
	bb_type(b, "sock_common", BTF_KIND_STRUCT, 3, true, 4);
	bb_member(b, "skc_family", USHORT, 0);
	bb_member(b, "skc_state", UCHAR, 16);
	bb_member(b, "skc_reuse", UCHAR, 4u << 24 | 24);
	bb_type(b, "sock", BTF_KIND_UNION, 1, false, 4);
	bb_member(b, "x", INT, 0);
	bb_struct(b, "sock", 12, 2);
	bb_member(b, "pad", INT, 0);
	bb_member(b, "__sk_common", SOCK_COMMON, 64);
	bb_array(b, INT, 8);
	bb_int(b, "unsigned long long", 8, 0);
	bb_struct(b, "arr_holder___v1", 4, 1);
	bb_member(b, "other", INT, 0);
	bb_struct(b, "arr_holder", 40, 2);
	bb_member(b, "pad", ULL, 0);
	bb_member(b, "vals", INT8, 64);
	bb_array(b, INT, 2);
	bb_struct(b, "arr_small", 8, 1);
	bb_member(b, "vals", INT2, 0);
	bb_struct(b, "trace_entry", 8, 1);
	bb_member(b, "type", USHORT, 0);
	bb_struct(b, "trace_event_raw_kfree_skb", 32, 4);
	bb_member(b, "ent", TRACE_ENTRY, 0);
	bb_member(b, "skbaddr", VOIDP, 64);
	bb_member(b, "location", VOIDP, 128);
	bb_member(b, "protocol", USHORT, 192);
	bb_struct(b, "anon_local", 8, 2);
	bb_member(b, "pad", INT, 0);
	bb_member(b, "a", INT, 32);
	bb_finish(b);
}

struct fixture {
	struct bb lb, tb;
	struct btf *local, *target;
};

static bool fixture_load(struct fixture *fx)
{
	build_local(&fx->lb);
	build_target(&fx->tb);
	fx->local = fx->target = NULL;
	CHECK_INT(btf_load_raw(&fx->local, fx->lb.blob, fx->lb.len), 0);
	CHECK_INT(btf_load_raw(&fx->target, fx->tb.blob, fx->tb.len), 0);
	return fx->local && fx->target;
}

static void fixture_free(struct fixture *fx)
{
	btf_free(fx->local);
	btf_free(fx->target);
}

static struct bpf_core_relo relo_for(const struct bb *lb, uint32_t type_id,
				     const char *access, uint32_t kind)
{
	struct bpf_core_relo relo = {
		.insn_off = 0,
		.type_id = type_id,
		.access_str_off = bb_find_str(lb, access),
		.kind = kind,
	};

	return relo;
}

static int calc(const struct fixture *fx, const struct core_target *target,
		uint32_t type_id, const char *access, uint32_t kind,
		struct core_result *res)
{
	struct bpf_core_relo relo = relo_for(&fx->lb, type_id, access, kind);

	return core_calculate(fx->local, &relo, target, res, &em);
}

/* Calculates and checks orig, value and poison in one line. */
#define CHECK_CALC(fx, tgt, type, access, kind, want_orig, want_value,      \
		   want_poison)                                             \
	do {                                                                 \
		struct core_result r_;                                       \
		CHECK_INT(calc(fx, tgt, type, access, kind, &r_), 0);        \
		CHECK_INT(r_.orig, want_orig);                               \
		CHECK_INT(r_.value, want_value);                             \
		CHECK_INT(r_.poison, want_poison);                           \
	} while (0)

#define CHECK_CALC_ERR(fx, tgt, type, access, kind, want_err)               \
	do {                                                                 \
		struct core_result r_;                                       \
		CHECK_INT(calc(fx, tgt, type, access, kind, &r_), want_err); \
	} while (0)

enum {
	OFF = BPF_CORE_FIELD_BYTE_OFFSET,
	SIZE = BPF_CORE_FIELD_BYTE_SIZE,
	EXISTS = BPF_CORE_FIELD_EXISTS,
	SIGNED = BPF_CORE_FIELD_SIGNED,
};

static void test_core_sk_buff_in_anonymous_unions(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	tgt.btf = fx.target;
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:0", OFF, 0, 24, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", OFF, 8, 16, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:2", OFF, 10, 14, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:3", OFF, 12, 8, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", SIZE, 2, 2, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:0", SIZE, 8, 8, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", EXISTS, 1, 1, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", SIGNED, 0, 0, false);
	/* len: unsigned locally, int in the target. */
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:3", SIGNED, 0, 1, false);
	/* skb[1].network_header: the root index scales by each side's size. */
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "1:1", OFF, 24 + 8, 48 + 16, false);
	/* The whole struct. */
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0", SIZE, 24, 48, false);
out:
	fixture_free(&fx);
}

static void test_core_missing_and_incompatible(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	tgt.btf = fx.target;
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:4", OFF, 16, 0, true);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:4", SIZE, 4, 0, true);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:4", EXISTS, 1, 0, false);
	/* int locally, pointer in the target. */
	CHECK_CALC(&fx, &tgt, L_SK_BUFF_Y, "0:0", OFF, 0, 0, true);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF_Y, "0:0", EXISTS, 1, 0, false);
	/* Through a local anonymous union to `a`: the target has `a` as a
	 * plain member. */
	CHECK_CALC(&fx, &tgt, L_ANON_LOCAL, "0:0:0", OFF, 0, 4, false);
out:
	fixture_free(&fx);
}

static void test_core_nested_and_kind_flag(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	tgt.btf = fx.target;
	/* sk->__sk_common.skc_state: 8 + 2 in the target, where the same
	 * name is first a union (skipped: the local root is a struct). */
	CHECK_CALC(&fx, &tgt, L_SOCK, "0:0:0", OFF, 0, 10, false);
	CHECK_CALC(&fx, &tgt, L_SOCK, "0:0", OFF, 0, 8, false);
	CHECK_CALC(&fx, &tgt, L_SOCK, "0:0", SIZE, 2, 4, false);
	/* skc_reuse is a 4-bit field in the target. */
	CHECK_CALC_ERR(&fx, &tgt, L_SOCK, "0:0:1", OFF, -EOPNOTSUPP);
	CHECK_CALC(&fx, &tgt, L_SOCK, "0:0:1", EXISTS, 1, 1, false);
	CHECK_CALC(&fx, &tgt, L_SOCK, "0:0:1", SIZE, 1, 1, false);
out:
	fixture_free(&fx);
}

static void test_core_array_index(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	tgt.btf = fx.target;
	/* vals[2], vals[3]: the flavoured decoy without vals is passed over. */
	CHECK_CALC(&fx, &tgt, L_ARR_HOLDER, "0:0:2", OFF, 8, 16, false);
	CHECK_CALC(&fx, &tgt, L_ARR_HOLDER, "0:0:3", OFF, 12, 20, false);
	CHECK_CALC(&fx, &tgt, L_ARR_HOLDER, "0:0", SIZE, 16, 32, false);
	CHECK_CALC(&fx, &tgt, L_ARR_HOLDER, "0:0:1", SIZE, 4, 4, false);
	CHECK_CALC(&fx, &tgt, L_ARR_HOLDER, "0:0:1", SIGNED, 1, 1, false);
	/* The target array has 2 elements: vals[3] is not there. */
	CHECK_CALC(&fx, &tgt, L_ARR_SMALL, "0:0:1", OFF, 4, 4, false);
	CHECK_CALC(&fx, &tgt, L_ARR_SMALL, "0:0:3", OFF, 12, 0, true);
	CHECK_CALC(&fx, &tgt, L_ARR_SMALL, "0:0:3", EXISTS, 1, 0, false);
	/* Past the local array: the record itself is wrong. */
	CHECK_CALC_ERR(&fx, &tgt, L_ARR_HOLDER, "0:0:4", OFF, -EINVAL);
out:
	fixture_free(&fx);
}

static void test_core_bad_records(void)
{
	static const char *const malformed[] = {
		"0:", ":1", "0::1", "a", "0:99", "0:1x", "4294967296:0",
		"0:0:0:0",
	};
	static const uint32_t unsupported[] = {
		BPF_CORE_FIELD_LSHIFT_U64, BPF_CORE_FIELD_RSHIFT_U64,
		BPF_CORE_TYPE_ID_LOCAL, BPF_CORE_TYPE_ID_TARGET,
		BPF_CORE_TYPE_EXISTS, BPF_CORE_TYPE_SIZE,
		BPF_CORE_ENUMVAL_EXISTS, BPF_CORE_ENUMVAL_VALUE, 99,
	};
	struct core_target tgt = { 0 };
	struct bpf_core_relo relo;
	struct core_result res;
	struct fixture fx;
	size_t i;

	if (!fixture_load(&fx))
		goto out;
	tgt.btf = fx.target;
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		CHECK_CALC_ERR(&fx, &tgt, L_SK_BUFF, malformed[i], OFF,
			       -EINVAL);
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		CHECK_CALC_ERR(&fx, &tgt, L_SK_BUFF, "0:1", unsupported[i],
			       -EOPNOTSUPP);
	/* Root: void, not a struct, out of range. */
	CHECK_CALC_ERR(&fx, &tgt, 0, "0:1", OFF, -EINVAL);
	CHECK_CALC_ERR(&fx, &tgt, L_INT, "0:1", OFF, -EINVAL);
	CHECK_CALC_ERR(&fx, &tgt, 999, "0:1", OFF, -EINVAL);
	/* Empty access string, and an offset outside the strings. */
	relo = relo_for(&fx.lb, L_SK_BUFF, "0:1", OFF);
	relo.access_str_off = 0;
	CHECK_INT(core_calculate(fx.local, &relo, &tgt, &res, &em), -EINVAL);
	relo.access_str_off = 1u << 30;
	CHECK_INT(core_calculate(fx.local, &relo, &tgt, &res, &em), -EINVAL);
	/* Ending on an anonymous member, or an anonymous root: nothing to
	 * look up by name. */
	CHECK_CALC_ERR(&fx, &tgt, L_ANON_LOCAL, "0:0", OFF, -EOPNOTSUPP);
	CHECK_CALC_ERR(&fx, &tgt, L_ANON_UNION, "0:0", OFF, -EOPNOTSUPP);
	/* A root type the target does not have at all. */
	CHECK_CALC(&fx, &tgt, L_SK_BUFF_Y, "0:0", EXISTS, 1, 0, false);
	/* No kernel BTF: the kernel has none of these types, every field
	 * is absent (the program must not reach them: degraded mode). */
	tgt.btf = NULL;
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", OFF, 8, 0, true);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", EXISTS, 1, 0, false);
out:
	fixture_free(&fx);
}

static void add_field(struct tp_format *fmt, const char *name,
		      const char *type, uint32_t offset, uint32_t size,
		      bool is_signed)
{
	struct tp_field *f = &fmt->fields[fmt->nfields++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->type, sizeof(f->type), "%s", type);
	f->offset = offset;
	f->size = size;
	f->is_signed = is_signed;
}

static void add_common_fields(struct tp_format *fmt)
{
	memset(fmt, 0, sizeof(*fmt));
	snprintf(fmt->name, sizeof(fmt->name), "kfree_skb");
	add_field(fmt, "common_type", "unsigned short", 0, 2, false);
	add_field(fmt, "common_flags", "unsigned char", 2, 1, false);
	add_field(fmt, "common_preempt_count", "unsigned char", 3, 1, false);
	add_field(fmt, "common_pid", "int", 4, 4, true);
}

/* Debian 11's 5.10: no reason, no rx_sk. */
static void format_5_10(struct tp_format *fmt)
{
	add_common_fields(fmt);
	add_field(fmt, "skbaddr", "void *", 8, 8, false);
	add_field(fmt, "location", "void *", 16, 8, false);
	add_field(fmt, "protocol", "unsigned short", 24, 2, false);
}

/* 6.12: rx_sk inserted, protocol and reason moved. */
static void format_6_12(struct tp_format *fmt)
{
	add_common_fields(fmt);
	add_field(fmt, "skbaddr", "void *", 8, 8, false);
	add_field(fmt, "location", "void *", 16, 8, false);
	add_field(fmt, "rx_sk", "void *", 24, 8, false);
	add_field(fmt, "protocol", "unsigned short", 32, 2, false);
	add_field(fmt, "reason", "enum skb_drop_reason", 36, 4, false);
}

static void test_core_ctx_5_10(void)
{
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct tp_format fmt;
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	format_5_10(&fmt);
	tgt.btf = fx.target;
	tgt.ctx_fmt = &fmt;
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:0", OFF, 0, 8, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:1", OFF, 8, 16, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:3", OFF, 24, 24, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:3", SIZE, 2, 2, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:2", EXISTS, 1, 0, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", EXISTS, 1, 0, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", OFF, 28, 0, true);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:2", OFF, 16, 0, true);
	/* The format file is all it needs: no kernel BTF. */
	tgt.btf = NULL;
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:1", OFF, 8, 16, false);
	/* Only ctx->field: no other element, nothing deeper. */
	CHECK_CALC_ERR(&fx, &tgt, L_KFREE_SKB, "1:0", OFF, -EOPNOTSUPP);
	CHECK_CALC_ERR(&fx, &tgt, L_KFREE_SKB, "0", SIZE, -EOPNOTSUPP);
	/* The format's size is carried to the patch step, which compares
	 * it with the program's (test_core_width_tracepoint). */
	fmt.fields[6].size = 3;
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:3", OFF, 24, 24, false);
out:
	fixture_free(&fx);
}

static void test_core_ctx_6_12(void)
{
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct tp_format fmt;
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	format_6_12(&fmt);
	tgt.btf = fx.target;
	tgt.ctx_fmt = &fmt;
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:0", OFF, 0, 8, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:1", OFF, 8, 16, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:2", OFF, 16, 24, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:3", OFF, 24, 32, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", OFF, 28, 36, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", SIZE, 4, 4, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", EXISTS, 1, 1, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", SIGNED, 0, 0, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:2", EXISTS, 1, 1, false);
	/* nfields beyond the array is clamped, not trusted. */
	fmt.nfields = 1000;
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", OFF, 28, 36, false);
out:
	fixture_free(&fx);
}

/* Without a format file, the record resolves through BTF like any other
 * struct (the kernel's has `struct trace_entry ent` first). */
static void test_core_ctx_through_btf(void)
{
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct fixture fx;

	if (!fixture_load(&fx))
		goto out;
	tgt.btf = fx.target;
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:0", OFF, 0, 8, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:3", OFF, 24, 24, false);
	CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:4", EXISTS, 1, 0, false);
out:
	fixture_free(&fx);
}

/* Bit offset of `name` in struct/union `id`, searching anonymous members
 * breadth-first with an explicit queue: a different route to the answer
 * than core.c's depth-first recursion. */
static int independent_offset(const struct btf *btf, uint32_t id,
			      const char *name, uint64_t *bits)
{
	struct { uint32_t id; uint64_t base; } queue[64];
	int head = 0, tail = 0;
	uint32_t i;

	queue[tail].id = id;
	queue[tail++].base = 0;
	while (head < tail) {
		const struct btf_type *t = btf_type_by_id(btf, queue[head].id);
		uint64_t base = queue[head++].base;
		const struct btf_member *m = (const void *)(t + 1);
		bool kflag = BTF_INFO_KFLAG(t->info);

		for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++) {
			uint32_t off = kflag ? m->offset & 0xffffff : m->offset;
			const struct btf_type *mt = btf_type_by_id(
				btf, btf_skip_modifiers(btf, m->type));

			if (strcmp(btf_str(btf, m->name_off), name) == 0) {
				*bits = base + off;
				return 0;
			}
			if (m->name_off == 0 && mt && tail < 64 &&
			    (BTF_INFO_KIND(mt->info) == BTF_KIND_STRUCT ||
			     BTF_INFO_KIND(mt->info) == BTF_KIND_UNION)) {
				queue[tail].id = btf_skip_modifiers(btf, m->type);
				queue[tail++].base = base + off;
			}
		}
	}
	return -ENOENT;
}

static void test_core_running_kernel(void)
{
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct fixture fx;
	struct btf *kernel = NULL;
	uint64_t bits = 0, common_bits = 0;
	int skb, sock, sock_common, raw;

	if (!fixture_load(&fx))
		goto out;
	CHECK_INT(btf_load_file(&kernel, VMLINUX_BTF), 0);
	if (!kernel)
		goto out;
	tgt.btf = kernel;
	skb = btf_find(kernel, "sk_buff", BTF_KIND_STRUCT);
	sock = btf_find(kernel, "sock", BTF_KIND_STRUCT);
	sock_common = btf_find(kernel, "sock_common", BTF_KIND_STRUCT);
	CHECK(skb > 0 && sock > 0 && sock_common > 0);
	if (skb <= 0 || sock <= 0 || sock_common <= 0)
		goto out;

	CHECK_INT(independent_offset(kernel, (uint32_t)skb, "network_header",
				     &bits), 0);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", OFF, 8, bits / 8, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:1", SIZE, 2, 2, false);
	CHECK_INT(independent_offset(kernel, (uint32_t)skb, "transport_header",
				     &bits), 0);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:2", OFF, 10, bits / 8, false);
	CHECK_INT(independent_offset(kernel, (uint32_t)skb, "head", &bits), 0);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:0", OFF, 0, bits / 8, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:4", EXISTS, 1, 0, false);

	CHECK_INT(independent_offset(kernel, (uint32_t)sock, "__sk_common",
				     &common_bits), 0);
	CHECK_INT(independent_offset(kernel, (uint32_t)sock_common, "skc_state",
				     &bits), 0);
	CHECK_CALC(&fx, &tgt, L_SOCK, "0:0:0", OFF, 0,
		   (common_bits + bits) / 8, false);

	/* Without a format file the tracepoint record comes from BTF. */
	raw = btf_find(kernel, "trace_event_raw_kfree_skb", BTF_KIND_STRUCT);
	if (raw > 0) {
		CHECK_INT(independent_offset(kernel, (uint32_t)raw, "skbaddr",
					     &bits), 0);
		CHECK_CALC(&fx, &tgt, L_KFREE_SKB, "0:0", OFF, 0, bits / 8,
			   false);
	}
out:
	btf_free(kernel);
	fixture_free(&fx);
}

/* Patching. */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	struct bpf_insn i = {
		.code = code, .dst_reg = dst, .src_reg = src,
		.off = off, .imm = imm,
	};

	return i;
}

static struct bpf_core_relo relo_at(size_t idx, uint32_t kind)
{
	struct bpf_core_relo r = {
		.insn_off = (uint32_t)(idx * sizeof(struct bpf_insn)),
		.kind = kind,
	};

	return r;
}

static struct core_result result(uint64_t orig, uint64_t value)
{
	struct core_result r = { .orig = orig, .value = value };

	return r;
}

static bool insn_eq(struct bpf_insn a, struct bpf_insn b)
{
	return a.code == b.code && a.dst_reg == b.dst_reg &&
	       a.src_reg == b.src_reg && a.off == b.off && a.imm == b.imm;
}

static void test_core_patch_alu(void)
{
	struct bpf_core_relo exists = relo_at(0, EXISTS), off = relo_at(0, OFF);
	struct core_result r;
	struct bpf_insn p[1];

	/* r1 = 1 (field_exists) -> r1 = 0 */
	p[0] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1);
	r = result(1, 0);
	CHECK_INT(core_patch(p, 1, &exists, &r, &em), 0);
	CHECK(insn_eq(p[0], insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 0)));

	/* r2 += 8 -> r2 += 16 */
	p[0] = insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 8);
	r = result(8, 16);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), 0);
	CHECK(insn_eq(p[0], insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 16)));

	/* The immediate is not what the compiler left: refuse, untouched. */
	p[0] = insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 9);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), -EINVAL);
	CHECK_INT(p[0].imm, 9);

	/* A register source has no immediate to patch. */
	p[0] = insn(BPF_ALU64 | BPF_ADD | BPF_X, 2, 3, 0, 8);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), -EINVAL);

	/* 32-bit ALU takes any u32; 64-bit ALU sign-extends, so no more
	 * than INT32_MAX. */
	p[0] = insn(BPF_ALU | BPF_MOV | BPF_K, 1, 0, 0, 4);
	r = result(4, 0xffffffffu);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), 0);
	CHECK_INT(p[0].imm, -1);
	p[0] = insn(BPF_ALU | BPF_MOV | BPF_K, 1, 0, 0, 4);
	r = result(4, 0x100000000ull);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), -ERANGE);
	p[0] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 4);
	r = result(4, 0x80000000u);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), -ERANGE);
	CHECK_INT(p[0].imm, 4);
	r = result(4, 0x7fffffff);
	CHECK_INT(core_patch(p, 1, &off, &r, &em), 0);
	CHECK_INT(p[0].imm, 0x7fffffff);
}

static void test_core_patch_memory(void)
{
	struct bpf_core_relo off = relo_at(1, OFF), size = relo_at(1, SIZE);
	struct core_result r;
	struct bpf_insn p[2];

	p[0] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	/* r2 = *(u16 *)(r1 + 8) -> + 16; the access size stays. */
	p[1] = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 8, 0);
	r = result(8, 16);
	CHECK_INT(core_patch(p, 2, &off, &r, &em), 0);
	CHECK(insn_eq(p[1], insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 16, 0)));

	p[1] = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 8, 0);
	r = result(8, 0x7fff);
	CHECK_INT(core_patch(p, 2, &off, &r, &em), 0);
	CHECK_INT(p[1].off, 0x7fff);
	p[1] = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 8, 0);
	r = result(8, 0x8000);
	CHECK_INT(core_patch(p, 2, &off, &r, &em), -ERANGE);
	CHECK_INT(p[1].off, 8);
	r = result(12, 16);
	CHECK_INT(core_patch(p, 2, &off, &r, &em), -EINVAL);
	/* A load holds an offset, never a size or an existence flag. */
	r = result(8, 16);
	CHECK_INT(core_patch(p, 2, &size, &r, &em), -EINVAL);

	/* *(u32 *)(r10 + 4) = 7: the offset changes, the stored imm not. */
	p[1] = insn(BPF_ST | BPF_MEM | BPF_W, 10, 0, 4, 7);
	r = result(4, 12);
	CHECK_INT(core_patch(p, 2, &off, &r, &em), 0);
	CHECK(insn_eq(p[1], insn(BPF_ST | BPF_MEM | BPF_W, 10, 0, 12, 7)));

	/* *(u64 *)(r1 + 4) = r3 */
	p[1] = insn(BPF_STX | BPF_MEM | BPF_DW, 1, 3, 4, 0);
	r = result(4, 20);
	CHECK_INT(core_patch(p, 2, &off, &r, &em), 0);
	CHECK(insn_eq(p[1], insn(BPF_STX | BPF_MEM | BPF_DW, 1, 3, 20, 0)));
}

static void test_core_patch_ld_imm64(void)
{
	struct bpf_core_relo relo = relo_at(0, SIZE);
	struct core_result r;
	struct bpf_insn p[3];

	p[0] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 4);
	p[1] = insn(0, 0, 0, 0, 1);
	p[2] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	r = result(0x100000004ull, 0x200000008ull);
	CHECK_INT(core_patch(p, 3, &relo, &r, &em), 0);
	CHECK(insn_eq(p[0], insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 8)));
	CHECK(insn_eq(p[1], insn(0, 0, 0, 0, 2)));
	/* Again with the old value: it is no longer there. */
	CHECK_INT(core_patch(p, 3, &relo, &r, &em), -EINVAL);
	CHECK_INT(p[0].imm, 8);

	/* Low half only in the first slot: 0xffffffff reads as u32. */
	p[0] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, -1);
	p[1] = insn(0, 0, 0, 0, 0);
	r = result(0xffffffffull, 1);
	CHECK_INT(core_patch(p, 3, &relo, &r, &em), 0);
	CHECK_INT(p[0].imm, 1);
	CHECK_INT(p[1].imm, 0);

	/* The last slot of the program: no room for the second half. */
	p[1] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 1);
	relo = relo_at(1, SIZE);
	r = result(1, 2);
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), -EINVAL);

	/* A map reference, and a malformed second half. */
	relo = relo_at(0, SIZE);
	p[0] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, 1);
	p[1] = insn(0, 0, 0, 0, 0);
	CHECK_INT(core_patch(p, 3, &relo, &r, &em), -EINVAL);
	p[0] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 1);
	p[1] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	CHECK_INT(core_patch(p, 3, &relo, &r, &em), -EINVAL);
}

static void test_core_patch_bounds(void)
{
	struct bpf_core_relo relo = relo_at(2, OFF);
	struct core_result r = result(8, 16);
	struct bpf_insn p[2];

	p[0] = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 8);
	p[1] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), -EINVAL);
	relo.insn_off = UINT32_MAX - 7;
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), -EINVAL);
	relo.insn_off = 4;                  /* inside an instruction */
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), -EINVAL);
	relo.insn_off = 0;
	CHECK_INT(core_patch(p, 0, &relo, &r, &em), -EINVAL);
	/* Instruction classes that carry no relocatable field. */
	relo = relo_at(1, OFF);
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), -EINVAL);
	p[1] = insn(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 8);
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), -EINVAL);
	CHECK_INT(p[0].imm, 8);
}

static void test_core_patch_poison(void)
{
	struct bpf_insn call = insn(BPF_JMP | BPF_CALL, 0, 0, 0, POISON_CALL_IMM);
	struct bpf_core_relo relo = relo_at(0, OFF);
	struct core_result r = { .orig = 8, .value = 0, .poison = true };
	struct bpf_insn p[3];

	/* The orig check does not apply: the instruction goes anyway. */
	p[0] = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 28, 0);
	p[1] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), 0);
	CHECK(insn_eq(p[0], call));
	CHECK(insn_eq(p[1], insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)));

	p[0] = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 8);
	CHECK_INT(core_patch(p, 2, &relo, &r, &em), 0);
	CHECK(insn_eq(p[0], call));

	/* Both slots of an ld_imm64. */
	p[0] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 8);
	p[1] = insn(0, 0, 0, 0, 0);
	p[2] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	CHECK_INT(core_patch(p, 3, &relo, &r, &em), 0);
	CHECK(insn_eq(p[0], call));
	CHECK(insn_eq(p[1], call));
	CHECK(insn_eq(p[2], insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)));

	/* ... but not half of one, nor an instruction of another class. */
	p[0] = insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 8);
	CHECK_INT(core_patch(p, 1, &relo, &r, &em), -EINVAL);
	CHECK_INT(p[0].code, BPF_LD | BPF_IMM | BPF_DW);
	p[0] = insn(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 0);
	CHECK_INT(core_patch(p, 1, &relo, &r, &em), -EINVAL);
}

/* Candidates: the target has `sk_buff` with transport_header (u16) at
 * 180, the flavour `sk_buff___v2` with it at `off2` as `type2`, and
 * `sk_buff___v3` without it (not a match, not counted). */
static void build_twins(struct bb *b, uint32_t off2, bool u32)
{
	enum { U16 = 1, U32 };

	bb_init(b);
	bb_int(b, "unsigned short", 2, 0);
	bb_int(b, "unsigned int", 4, 0);
	bb_struct(b, "sk_buff", 200, 1);
	bb_member(b, "transport_header", U16, 180 * 8);
	bb_struct(b, "sk_buff___v2", 200, 1);
	bb_member(b, "transport_header", u32 ? U32 : U16, off2 * 8);
	bb_struct(b, "sk_buff___v3", 8, 1);
	bb_member(b, "other", U16, 0);
	bb_finish(b);
}

/* Replaces the fixture's target with `b`. */
static bool use_target(struct fixture *fx, struct bb *b)
{
	btf_free(fx->target);
	fx->target = NULL;
	CHECK_INT(btf_load_raw(&fx->target, b->blob, b->len), 0);
	return fx->target != NULL;
}

static void test_core_ambiguous_candidates(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;
	struct bb twins;

	if (!fixture_load(&fx))
		goto out;
	/* Two candidates, two offsets: no exact answer. */
	build_twins(&twins, 184, false);
	if (!use_target(&fx, &twins))
		goto out;
	tgt.btf = fx.target;
	CHECK_CALC_ERR(&fx, &tgt, L_SK_BUFF, "0:2", OFF, -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.transport_header: 2 candidate "
		  "types disagree (offsets 180 and 184)");
	/* They agree that it exists, and on its size. */
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:2", EXISTS, 1, 1, false);
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:2", SIZE, 2, 2, false);

	/* Same offset, other size: the load would differ. */
	build_twins(&twins, 180, true);
	if (!use_target(&fx, &twins))
		goto out;
	tgt.btf = fx.target;
	CHECK_CALC_ERR(&fx, &tgt, L_SK_BUFF, "0:2", OFF, -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.transport_header: 2 candidate "
		  "types disagree (sizes 2 and 4)");
	CHECK_CALC_ERR(&fx, &tgt, L_SK_BUFF, "0:2", SIZE, -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.transport_header: 2 candidate "
		  "types disagree (sizes 2 and 4)");

	/* Candidates that agree are one answer. */
	build_twins(&twins, 180, false);
	if (!use_target(&fx, &twins))
		goto out;
	tgt.btf = fx.target;
	CHECK_CALC(&fx, &tgt, L_SK_BUFF, "0:2", OFF, 10, 180, false);
out:
	fixture_free(&fx);
}

/* The target for the size rule, against the fixture's local types:
 *
 *   struct sk_buff { unsigned char *head;       @0
 *       unsigned short len;                     @8   (program: u32 @12)
 *       unsigned short network_header;          @10  (same size)
 *       unsigned int transport_header; };       @12  (program: u16 @10)
 *   struct sock_common { unsigned int skc_state; };  (program: u8)
 *   struct sock { struct sock_common __sk_common; };
 *   struct arr_holder { short vals[4]; };        (program: int vals[4]) */
static void build_widths(struct bb *b)
{
	enum { UCHAR = 1, PTR_UCHAR, USHORT, UINT, SHORT, SK_BUFF,
	       SOCK_COMMON, SOCK, SHORT4 };

	bb_init(b);
	bb_int(b, "unsigned char", 1, 0);
	bb_type(b, NULL, BTF_KIND_PTR, 0, false, UCHAR);
	bb_int(b, "unsigned short", 2, 0);
	bb_int(b, "unsigned int", 4, 0);
	bb_int(b, "short", 2, BTF_INT_SIGNED);
	bb_struct(b, "sk_buff", 16, 4);
	bb_member(b, "head", PTR_UCHAR, 0);
	bb_member(b, "len", USHORT, 64);
	bb_member(b, "network_header", USHORT, 80);
	bb_member(b, "transport_header", UINT, 96);
	bb_struct(b, "sock_common", 4, 1);
	bb_member(b, "skc_state", UINT, 0);
	bb_struct(b, "sock", 4, 1);
	bb_member(b, "__sk_common", SOCK_COMMON, 0);
	bb_array(b, SHORT, 4);
	bb_struct(b, "arr_holder", 8, 1);
	bb_member(b, "vals", SHORT4, 0);
	bb_finish(b);
}

/* Calculates the field offset of `access` in local `type` and patches the
 * one instruction `*in` with it: what a loader does. */
static int relocate_insn(const struct fixture *fx,
			 const struct core_target *tgt, uint32_t type,
			 const char *access, struct bpf_insn *in)
{
	struct bpf_core_relo relo = relo_for(&fx->lb, type, access, OFF);
	struct core_result r;
	int err;

	em.text[0] = '\0';
	err = core_calculate(fx->local, &relo, tgt, &r, &em);
	return err ? err : core_patch(in, 1, &relo, &r, &em);
}

static void test_core_width_direct_load(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;
	struct bb widths;
	struct bpf_insn p;

	if (!fixture_load(&fx))
		goto out;
	build_widths(&widths);
	if (!use_target(&fx, &widths))
		goto out;
	tgt.btf = fx.target;

	/* r2 = *(u32 *)(r1 + 12), skb->len: a u16 in the kernel. Every u16
	 * fits the program's u32, zero-extended: the load becomes a u16
	 * load at 8. */
	p = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 12, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:3", &p), 0);
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 8, 0)));
	CHECK_INT(BPF_SIZE(p.code), BPF_H);

	/* The same size on both sides: only the offset changes. */
	p = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 8, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:1", &p), 0);
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 10, 0)));

	/* transport_header grew from u16 to u32: the program's u16 cannot
	 * hold it. Refused, the instruction untouched. */
	p = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 10, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:2", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.transport_header is 4 bytes in "
		  "the kernel, the program reads 2");
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 10, 0)));

	/* A signed int narrowed to a short would need sign extension. */
	p = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 4, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_ARR_HOLDER, "0:0:1", &p),
		  -EINVAL);
	CHECK_STR(em.text, "CO-RE: arr_holder.vals[1] is 2 bytes in the "
		  "kernel, the program reads 4");

	/* A load of one byte of len is not the load the compiler emits for
	 * the field: nothing to narrow it to. */
	p = insn(BPF_LDX | BPF_MEM | BPF_B, 2, 1, 12, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:3", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.len: instruction 0 reads 1 of the "
		  "field's 4 bytes");

	/* A store would write the wrong width. */
	p = insn(BPF_STX | BPF_MEM | BPF_W, 1, 2, 12, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:3", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.len is 2 bytes in the kernel, the "
		  "program writes 4");

	/* Still the compiler's rule: an offset that is not the one it left
	 * is not patched, whatever the sizes. */
	p = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 16, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:3", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.len: instruction 0 holds 16, not "
		  "12 as compiled");
out:
	fixture_free(&fx);
}

/* An address computed from the offset (r1 += off) goes to a probe read
 * of sizeof the program's field: that size cannot be changed here. */
static void test_core_width_probe_read(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;
	struct bb widths;
	struct bpf_insn p;

	if (!fixture_load(&fx))
		goto out;
	build_widths(&widths);
	if (!use_target(&fx, &widths))
		goto out;
	tgt.btf = fx.target;

	/* &sk->__sk_common.skc_state: a u8 in the program. */
	p = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SOCK, "0:0:0", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: sock_common.skc_state is 4 bytes in the "
		  "kernel, the program reads 1");
	CHECK(insn_eq(p, insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 0)));

	/* Narrower is no better: the read would take 2 bytes too many. */
	p = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 12);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:3", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: sk_buff.len is 2 bytes in the kernel, the "
		  "program reads 4");

	/* The same through an ld_imm64 constant. */
	{
		struct bpf_insn wide[2] = {
			insn(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, 12),
			insn(0, 0, 0, 0, 0),
		};
		struct bpf_core_relo relo = relo_for(&fx.lb, L_SK_BUFF, "0:3",
						     OFF);
		struct core_result r;

		CHECK_INT(core_calculate(fx.local, &relo, &tgt, &r, &em), 0);
		CHECK_INT(core_patch(wide, 2, &relo, &r, &em), -EINVAL);
		CHECK_STR(em.text, "CO-RE: sk_buff.len is 2 bytes in the "
			  "kernel, the program reads 4");
		CHECK_INT(wide[0].imm, 12);
	}

	/* Same sizes (network_header; head, a pointer): the address is
	 * fine. */
	p = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 8);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:1", &p), 0);
	CHECK_INT(p.imm, 10);
	p = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_SK_BUFF, "0:0", &p), 0);
	CHECK_INT(p.imm, 0);
out:
	fixture_free(&fx);
}

/* The record's fields have the format file's `size:`, and `signed:`. */
static void test_core_width_tracepoint(void)
{
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct tp_format fmt;
	struct fixture fx;
	struct bpf_insn p;

	if (!fixture_load(&fx))
		goto out;
	tgt.ctx_fmt = &fmt;

	/* protocol as a 4-byte field: the program's u16 cannot hold it. */
	format_6_12(&fmt);
	fmt.fields[7].size = 4;
	p = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 24, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:3", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: trace_event_raw_kfree_skb.protocol is 4 "
		  "bytes in the kernel, the program reads 2");
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 24, 0)));
	/* A size no integer has. */
	fmt.fields[7].size = 3;
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:3", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: trace_event_raw_kfree_skb.protocol is 3 "
		  "bytes in the kernel, the program reads 2");

	/* reason as an unsigned 2-byte field: the u32 load narrows. */
	format_6_12(&fmt);
	fmt.fields[8].size = 2;
	p = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 28, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:4", &p), 0);
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 36, 0)));
	/* ... but not a signed one. */
	fmt.fields[8].is_signed = true;
	p = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 28, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:4", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: trace_event_raw_kfree_skb.reason is 2 "
		  "bytes in the kernel, the program reads 4");

	/* A 4-byte pointer (a 32-bit kernel's) read by a u64 load narrows;
	 * a probe read of the pointer would not. */
	format_6_12(&fmt);
	fmt.fields[4].size = 4;
	p = insn(BPF_LDX | BPF_MEM | BPF_DW, 2, 1, 0, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:0", &p), 0);
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 8, 0)));
	p = insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:0", &p), -EINVAL);
	CHECK_STR(em.text, "CO-RE: trace_event_raw_kfree_skb.skbaddr is 4 "
		  "bytes in the kernel, the program reads 8");

	/* The real layouts: every size as the program's. */
	format_6_12(&fmt);
	p = insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 24, 0);
	CHECK_INT(relocate_insn(&fx, &tgt, L_KFREE_SKB, "0:3", &p), 0);
	CHECK(insn_eq(p, insn(BPF_LDX | BPF_MEM | BPF_H, 2, 1, 32, 0)));
out:
	fixture_free(&fx);
}

/* The embedded program's own relocations, end to end: every record
 * resolves against the running kernel plus a format file, and every
 * instruction it names holds what the compiler left. */
struct embedded_walk {
	const struct elf_file *ef;
	const struct btf *local;
	const struct core_target *target;
	char sec[128];
	struct bpf_insn *insns;
	size_t insn_cnt;
	int relos, poisoned, resized, failures;
};

static int load_section_insns(struct embedded_walk *w, const char *sec_name)
{
	const void *data;
	size_t size;
	int idx = elf_find_section(w->ef, sec_name);

	free(w->insns);
	w->insns = NULL;
	w->insn_cnt = 0;
	snprintf(w->sec, sizeof(w->sec), "%s", sec_name);
	if (idx < 0 || elf_section_data(w->ef, idx, &data, &size) || !data)
		return -ENOENT;
	w->insns = malloc(size ? size : 1);
	memcpy(w->insns, data, size);
	w->insn_cnt = size / sizeof(struct bpf_insn);
	return 0;
}

static int apply_relo(void *ctx, const char *sec_name,
		      const struct bpf_core_relo *relo)
{
	struct embedded_walk *w = ctx;
	struct core_result res;
	int err;

	if (strcmp(w->sec, sec_name) != 0 &&
	    load_section_insns(w, sec_name) != 0) {
		w->failures++;
		return 0;
	}
	w->relos++;
	err = core_calculate(w->local, relo, w->target, &res, &em);
	if (err == 0)
		err = core_patch(w->insns, w->insn_cnt, relo, &res, &em);
	if (err) {
		printf("     %s insn %u: %d\n", sec_name, relo->insn_off / 8, err);
		w->failures++;
	}
	w->poisoned += res.poison;
	w->resized += res.orig_size != res.new_size;
	return 0;
}

static int embedded_relocate(const struct core_target *target, int *relos,
			     int *poisoned, int *resized)
{
	struct embedded_walk w = { 0 };
	struct elf_file ef;
	struct btf *local = NULL;
	const void *btf_data, *ext;
	size_t btf_len, ext_len;
	int err;

	err = elf_open(&ef, tcpdrop_bpf_object,
		       (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object),
		       EM_BPF);
	if (!err)
		err = elf_section_data(&ef, elf_find_section(&ef, ".BTF"),
				       &btf_data, &btf_len);
	if (!err)
		err = elf_section_data(&ef, elf_find_section(&ef, ".BTF.ext"),
				       &ext, &ext_len);
	if (!err)
		err = btf_load_raw(&local, btf_data, btf_len);
	if (err)
		return err;
	w.ef = &ef;
	w.local = local;
	w.target = target;
	err = btf_ext_for_each_core_relo(local, ext, ext_len, apply_relo, &w);
	*relos = w.relos;
	*poisoned = w.poisoned;
	*resized = w.resized;
	free(w.insns);
	btf_free(local);
	return err ? err : -w.failures;
}

static void test_core_embedded_object(void)
{
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct btf *kernel = NULL;
	struct tp_format fmt;
	int relos = 0, poisoned = 0, resized = 0;

	CHECK_INT(btf_load_file(&kernel, VMLINUX_BTF), 0);
	if (!kernel)
		return;
	tgt.btf = kernel;
	tgt.ctx_fmt = &fmt;
	/* This kernel's BTF with the newest record layout: all fields are
	 * there. */
	format_6_12(&fmt);
	CHECK_INT(embedded_relocate(&tgt, &relos, &poisoned, &resized), 0);
	CHECK(relos > 0);
	CHECK_INT(poisoned, 0);
	/* Every field the program reads has the program's size here: no
	 * load needed narrowing. */
	CHECK_INT(resized, 0);
	/* The 5.10 record: reason and rx_sk reads are poisoned, and every
	 * patch still applies. */
	format_5_10(&fmt);
	CHECK_INT(embedded_relocate(&tgt, &relos, &poisoned, &resized), 0);
	CHECK(poisoned > 0);
	CHECK_INT(resized, 0);
	btf_free(kernel);
}

static uint32_t prng(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void flip_some(uint8_t *buf, size_t len, uint32_t *state)
{
	int k;

	for (k = 1 + (int)(prng(state) % 3); k > 0; k--)
		buf[prng(state) % len] ^= (uint8_t)(1u << (prng(state) % 8));
}

/* A target struct whose 64 anonymous members are the struct itself: the
 * search for a member must give up, not run for 64^16 steps or overflow
 * the stack. */
static void test_core_self_containing_struct(void)
{
	struct core_target tgt = { 0 };
	struct fixture fx;
	struct bb loop;
	int i;

	if (!fixture_load(&fx))
		goto out;
	btf_free(fx.target);
	fx.target = NULL;
	bb_init(&loop);
	bb_struct(&loop, "loop", 4, 64);
	for (i = 0; i < 64; i++)
		bb_member(&loop, NULL, 1, 0);
	bb_finish(&loop);
	CHECK_INT(btf_load_raw(&fx.target, loop.blob, loop.len), 0);
	tgt.btf = fx.target;
	CHECK_CALC(&fx, &tgt, L_LOOP, "0:0", EXISTS, 1, 0, false);
	CHECK_CALC(&fx, &tgt, L_LOOP, "0:0", OFF, 0, 0, true);
out:
	fixture_free(&fx);
}

/* An offset past 2^64 bits is refused, not wrapped: struct huge { char
 * a[0x7fffffff][]; } accessed at a[0x7fffffff]. */
static void test_core_offset_overflow(void)
{
	struct core_target tgt = { 0 };
	struct bpf_core_relo relo = { 0 };
	struct core_result res;
	struct btf *local = NULL;
	struct bb b;
	uint32_t chr, row, rows, huge;

	bb_init(&b);
	chr = bb_int(&b, "char", 1, 0);
	row = bb_array(&b, chr, 0x7fffffff);
	rows = bb_array(&b, row, 0);
	huge = bb_struct(&b, "huge", 0, 1);
	bb_member(&b, "a", rows, 0);
	bb_str(&b, "0:0:2147483647");
	bb_str(&b, "0:0:1");
	bb_finish(&b);
	CHECK_INT(btf_load_raw(&local, b.blob, b.len), 0);
	if (!local)
		return;
	relo.type_id = huge;
	relo.kind = BPF_CORE_FIELD_BYTE_OFFSET;
	relo.access_str_off = bb_find_str(&b, "0:0:2147483647");
	CHECK_INT(core_calculate(local, &relo, &tgt, &res, &em), -EINVAL);
	/* One step short of overflowing is fine: 0x7fffffff bytes in. */
	relo.access_str_off = bb_find_str(&b, "0:0:1");
	CHECK_INT(core_calculate(local, &relo, &tgt, &res, &em), 0);
	CHECK_INT(res.orig, 0x7fffffff);
	btf_free(local);
}

/* Corrupt local or target BTF that still loads: calculation must not
 * crash or loop, whatever it answers. */
static void test_core_fuzz_flips(void)
{
	static const struct { uint32_t type; const char *access; } relos[] = {
		{ L_SK_BUFF, "0:1" }, { L_SK_BUFF, "1:1" }, { L_SOCK, "0:0:0" },
		{ L_ARR_HOLDER, "0:0:3" }, { L_ARR_SMALL, "0:0:3" },
		{ L_KFREE_SKB, "0:4" }, { L_SK_BUFF_Y, "0:0" },
	};
	uint32_t state = 0xdeadbeef;
	struct core_target tgt = { .ctx_type = "trace_event_raw_kfree_skb" };
	struct tp_format fmt;
	struct core_result res;
	struct fixture fx;
	struct btf *local, *target;
	uint8_t lcopy[8192], tcopy[8192];
	uint32_t kind;
	size_t i;
	int round, used = 0;

	build_local(&fx.lb);
	build_target(&fx.tb);
	format_6_12(&fmt);
	for (round = 0; round < 5000; round++) {
		memcpy(lcopy, fx.lb.blob, fx.lb.len);
		memcpy(tcopy, fx.tb.blob, fx.tb.len);
		flip_some(round % 2 ? lcopy : tcopy,
			  round % 2 ? fx.lb.len : fx.tb.len, &state);
		if (btf_load_raw(&local, lcopy, fx.lb.len))
			continue;
		if (btf_load_raw(&target, tcopy, fx.tb.len)) {
			btf_free(local);
			continue;
		}
		used++;
		tgt.btf = target;
		tgt.ctx_fmt = round % 3 ? &fmt : NULL;
		for (i = 0; i < sizeof(relos) / sizeof(relos[0]); i++) {
			for (kind = OFF; kind <= SIGNED; kind++) {
				struct bpf_core_relo relo = relo_for(
					&fx.lb, relos[i].type,
					relos[i].access, kind);

				core_calculate(local, &relo, &tgt, &res, &em);
			}
		}
		btf_free(target);
		btf_free(local);
	}
	CHECK(used > 100);
}

int main(void)
{
	bool vmlinux = access(VMLINUX_BTF, R_OK) == 0;
	bool embedded = tcpdrop_bpf_object && tcpdrop_bpf_object_end;

	RUN(test_core_sk_buff_in_anonymous_unions);
	RUN(test_core_missing_and_incompatible);
	RUN(test_core_nested_and_kind_flag);
	RUN(test_core_array_index);
	RUN(test_core_bad_records);
	RUN(test_core_ctx_5_10);
	RUN(test_core_ctx_6_12);
	RUN(test_core_ctx_through_btf);
	RUN(test_core_patch_alu);
	RUN(test_core_patch_memory);
	RUN(test_core_patch_ld_imm64);
	RUN(test_core_patch_bounds);
	RUN(test_core_patch_poison);
	RUN(test_core_ambiguous_candidates);
	RUN(test_core_width_direct_load);
	RUN(test_core_width_probe_read);
	RUN(test_core_width_tracepoint);
	RUN(test_core_self_containing_struct);
	RUN(test_core_offset_overflow);
	RUN(test_core_fuzz_flips);
	if (vmlinux)
		RUN(test_core_running_kernel);
	else
		SKIP(test_core_running_kernel, VMLINUX_BTF " is not readable");
	if (vmlinux && embedded)
		RUN(test_core_embedded_object);
	else
		SKIP(test_core_embedded_object,
		     "needs " VMLINUX_BTF " and the embedded BPF object");
	return check_exit_code();
}
