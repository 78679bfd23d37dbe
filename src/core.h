/* CO-RE field relocations: given a relocation record that clang left in the
 * object's .BTF.ext, compute what the running kernel needs (calculate), then
 * rewrite the one instruction (patch). Split in two, as libbpf does, so the
 * calculation can be tested without instructions and the patch step can
 * refuse an instruction that does not hold the value the compiler left.
 *
 * Targets: types are resolved against the kernel's BTF by name (ignoring a
 * local "___flavour" suffix), walking the access string member by member and
 * descending into anonymous structs and unions. One local type is special:
 * the tracepoint record (struct named `ctx_type`, e.g.
 * "trace_event_raw_kfree_skb") resolves against the tracefs format file,
 * which is authoritative for the running kernel and present without BTF.
 *
 * Supported kinds: FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS,
 * FIELD_SIGNED; bitfield kinds and type/enum relocations are refused with
 * -EOPNOTSUPP.
 *
 * Nothing inexact gets through: two candidate types that both hold the
 * field but disagree, and a scalar field whose size in the kernel differs
 * from the program's where the instruction cannot follow, are refused.
 * Every refusal leaves one line in the errmsg naming the field, e.g.
 * "CO-RE: sock_common.skc_state is 4 bytes in the kernel, the program
 * reads 1". */
#ifndef TCPDROP_CORE_H
#define TCPDROP_CORE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "errmsg.h"
#include "tpformat.h"

#define CORE_FIELD_NAME_MAX 128

struct core_target {
	const struct btf *btf;        /* kernel BTF, may be NULL */
	const char *ctx_type;         /* local struct resolved via ctx_fmt */
	const struct tp_format *ctx_fmt;
};

struct core_result {
	uint64_t orig;   /* value computed from the local (compile-time) BTF */
	uint64_t value;  /* value for the target kernel */
	bool poison;     /* field absent in target: the insn must never run */
	/* FIELD_BYTE_OFFSET of a scalar (integer, enum, pointer, float) found
	 * in the target: its size in bytes in the program and in the kernel;
	 * both 0 otherwise (no size rule). narrowable: a direct load may be
	 * narrowed to new_size (both unsigned or pointers, kernel's narrower
	 * and 1, 2 or 4 bytes). */
	uint32_t orig_size, new_size;
	bool narrowable;
	char field[CORE_FIELD_NAME_MAX];  /* "sock_common.skc_state" */
};

/* Calculate. Takes the program's BTF, one record, the target; fills `res`.
 * Returns 0 (poison set when the target lacks the field and kind !=
 * FIELD_EXISTS), -EOPNOTSUPP for unsupported kinds, bitfields and accesses
 * that cannot be looked up by name, -EINVAL for a malformed record or
 * candidates that disagree. On error `msg` says why. A target without BTF
 * lacks every field but those of the ctx type. */
int core_calculate(const struct btf *local, const struct bpf_core_relo *relo,
		   const struct core_target *target, struct core_result *res,
		   struct errmsg *msg);

/* Patch insns[relo->insn_off / 8] (of `insn_cnt`) with `res`. The
 * instruction must be an ALU/ALU64 with an immediate, an LDX/ST/STX (whose
 * `off` is patched), or the first half of an ld_imm64, and its current
 * immediate/offset must equal res->orig, else -EINVAL. A poisoned result
 * turns the instruction (both slots of an ld_imm64) into a call to the
 * invalid helper 0xbad2310, which the verifier rejects only if the
 * instruction is reachable. A value that does not fit the field is
 * -ERANGE. Only FIELD_BYTE_OFFSET may name a load or store. Where the
 * field's size differs (orig_size != new_size), a direct load of the whole
 * field is narrowed to new_size if res->narrowable; anything else is
 * -EINVAL. On error nothing is changed and `msg` says why. */
int core_patch(struct bpf_insn *insns, size_t insn_cnt,
	       const struct bpf_core_relo *relo, const struct core_result *res,
	       struct errmsg *msg);

#endif
