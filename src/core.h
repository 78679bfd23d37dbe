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
 * -EOPNOTSUPP. */
#ifndef TCPDROP_CORE_H
#define TCPDROP_CORE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf.h"
#include "tpformat.h"

struct core_target {
	const struct btf *btf;        /* kernel BTF, may be NULL */
	const char *ctx_type;         /* local struct resolved via ctx_fmt */
	const struct tp_format *ctx_fmt;
};

struct core_result {
	uint64_t orig;   /* value computed from the local (compile-time) BTF */
	uint64_t value;  /* value for the target kernel */
	bool poison;     /* field absent in target: the insn must never run */
};

/* Calculate. Returns 0 (result filled; poison set when the target lacks
 * the field and kind != FIELD_EXISTS), -EOPNOTSUPP for unsupported kinds,
 * -EINVAL for a malformed record or access string. A target without BTF
 * lacks every field but those of the ctx type. */
int core_calculate(const struct btf *local, const struct bpf_core_relo *relo,
		   const struct core_target *target, struct core_result *res);

/* Patch insns[relo->insn_off / 8] (of `insn_cnt`). The instruction must be
 * an ALU/ALU64 with an immediate, an LDX/ST/STX (whose `off` is patched), or
 * the first half of an ld_imm64, and its current immediate/offset must equal
 * res->orig, else -EINVAL. A poisoned result turns the instruction (both
 * slots of an ld_imm64) into a call to the invalid helper 0xbad2310, which
 * the verifier rejects only if the instruction is reachable. A value that
 * does not fit the field is -ERANGE. Only FIELD_BYTE_OFFSET may name a
 * load or store, and only its `off` changes, never its access size. */
int core_patch(struct bpf_insn *insns, size_t insn_cnt,
	       const struct bpf_core_relo *relo, const struct core_result *res);

#endif
