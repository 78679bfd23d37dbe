/* The registers a kprobe program sees at a function's entry, per
 * architecture: the uapi `struct pt_regs` (x86_64) and `struct
 * user_pt_regs` (arm64), whose layouts are ABI and never relocated. The
 * Makefile defines __TARGET_ARCH_<arch> for the BPF object it builds;
 * without one, the host's architecture as clang sees it is assumed.
 *
 *   KPROBE_ARG1(ctx), KPROBE_ARG2(ctx)  the first two arguments
 *   kprobe_return_address(ctx)          where the function will return to:
 *                                       the call site in its caller */
#ifndef TCPDROP_REGS_H
#define TCPDROP_REGS_H

#if !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64)
#define __TARGET_ARCH_x86
#endif

#if defined(__TARGET_ARCH_x86)
/* arch/x86/include/uapi/asm/ptrace.h (x86_64). */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax;
	unsigned long ip, cs, flags, sp, ss;
};
#define KPROBE_ARG1(ctx) ((ctx)->di)
#define KPROBE_ARG2(ctx) ((ctx)->si)

/* At the entry, before the function's own prologue, the call pushed the
 * return address: it is the word at the stack pointer. */
static inline __attribute__((always_inline)) unsigned long long
kprobe_return_address(struct pt_regs *ctx)
{
	unsigned long long ret = 0;

	bpf_probe_read_kernel(&ret, sizeof(ret), (void *)ctx->sp);
	return ret;
}
#elif defined(__TARGET_ARCH_arm64)
/* arch/arm64/include/uapi/asm/ptrace.h: struct user_pt_regs. */
struct pt_regs {
	unsigned long long regs[31];
	unsigned long long sp, pc, pstate;
};
#define KPROBE_ARG1(ctx) ((ctx)->regs[0])
#define KPROBE_ARG2(ctx) ((ctx)->regs[1])

/* At the entry the link register (x30) holds the return address. */
static inline __attribute__((always_inline)) unsigned long long
kprobe_return_address(struct pt_regs *ctx)
{
	return ctx->regs[30];
}
#endif

#endif
