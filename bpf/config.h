/* Every setting of the BPF program, shared by both sides: one struct, kept
 * in one `const volatile` variable of the program's .rodata (tcpdrop_cfg),
 * filled by the loader in one step before the map is frozen. Frozen, it is
 * a constant to the verifier, which then prunes the branches of the
 * filters that are not in use.
 *
 * Fixed-width fields, no holes: the static assertions below run on both
 * sides (clang -target bpf and the host compiler), so a layout that
 * differs between them is a compile error, not a wrong filter at run time.
 * A count of 0 or a mask of 0 means "any". */
#ifndef TCPDROP_CONFIG_H
#define TCPDROP_CONFIG_H

#include "event.h"

#define TCPDROP_PORTS_MAX 8
#define TCPDROP_ADDRS_MAX 4
#define TCPDROP_REASONS_MAX 16
/* The name of the .rodata variable that holds struct tcpdrop_config. */
#define TCPDROP_CONFIG_NAME "tcpdrop_cfg"
#define TCPDROP_SELFCHECK_DROPS 2

/* A network, pre-masked: addr & mask == addr. IPv4 uses bytes 0-3. */
struct tcpdrop_cidr {
	__u8 addr[16];
	__u8 mask[16];
	__u16 family;     /* AF_INET or AF_INET6 */
	__u16 pad;
};

struct tcpdrop_config {
	__u32 family;            /* 0 for both, AF_INET or AF_INET6 */
	__u32 reason_min_drop;   /* NOT_SPECIFIED's value on this kernel */
	__u32 want_stack;        /* copy the kernel stack into each record */
	/* Without want_stack: still copy the innermost TCPDROP_CALLER_FRAMES
	 * frames, for user space to find the caller of a free wrapper when
	 * the location is what the rows show (kernels without reasons). */
	__u32 want_caller;
	/* 0 when the kernel's BTF could not be found: every sk_buff and
	 * sock access is then poisoned by the loader and must stay
	 * unreachable; only what the tracepoint record itself holds is
	 * reported, for every IP protocol. */
	__u32 have_btf;
	__u32 nports, nsports, ndports;
	__u16 ports[TCPDROP_PORTS_MAX];   /* -p: either end, host order */
	__u16 sports[TCPDROP_PORTS_MAX];
	__u16 dports[TCPDROP_PORTS_MAX];
	__u32 naddrs;
	struct tcpdrop_cidr addrs[TCPDROP_ADDRS_MAX]; /* -a: either end */
	__u32 nreasons;
	__u32 reasons[TCPDROP_REASONS_MAX]; /* raw enum skb_drop_reason */
	__u32 state_mask;        /* bit n: TCP state n; bit 0: no socket */
	__u32 netns;             /* namespace inode; 0: any */
	/* The ports of the self-check's drops (src/selfcheck.c), host
	 * order: from selfcheck_sport to selfcheck_dport + i, drop i of
	 * TCPDROP_SELFCHECK_DROPS; the program keeps the first of each in
	 * its self-check phase, and leaves these packets out after it. */
	__u16 selfcheck_sport;
	__u16 selfcheck_dport;
	/* Count in the kernel (tcpdrop_counts) instead of sending records;
	 * with count_netns the key keeps the namespace. */
	__u32 count_in_kernel;
	__u32 count_netns;
	/* -N NAME: the namespace is one of tcpdrop_netns_set's keys. */
	__u32 netns_by_name;
	/* -s with -w: packet bytes to copy into each record, 1 to
	 * TCPDROP_SNAP_MAX; 0: none (no -w). Only with have_btf. */
	__u32 snaplen;
	/* Records go to tcpdrop_ring (BPF_MAP_TYPE_RINGBUF, 5.8+) instead
	 * of the per-CPU perf rings of tcpdrop_events. */
	__u32 ringbuf;
	/* The task's name read from bpf_get_current_task_btf() (5.11+,
	 * the kernel's own BTF): two loads instead of a helper that copies
	 * it byte by byte. */
	__u32 task_btf;
	/* The tp_btf program reads the packet's first bytes with plain loads
	 * through skb->head: the verifier takes it (tcpdrop_probe_packet). */
	__u32 direct_packet;
	/* The rows show whole seconds only (text, -t hms, no -w): the tp_btf
	 * program may give a drop the time of an earlier drop of the same
	 * tick on its CPU (tcpdrop.bpf.c, drop_time()). */
	__u32 tick_time;
};

_Static_assert(sizeof(struct tcpdrop_cidr) == 36, "tcpdrop_cidr has holes");
_Static_assert(sizeof(struct tcpdrop_config) ==
	       8 * 4 + 3 * 2 * TCPDROP_PORTS_MAX + 4 +
	       36 * TCPDROP_ADDRS_MAX + 4 + 4 * TCPDROP_REASONS_MAX + 4 + 4 +
	       2 + 2 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4,
	       "tcpdrop_config has holes");
_Static_assert(__builtin_offsetof(struct tcpdrop_config, addrs) % 4 == 0,
	       "tcpdrop_config.addrs is misaligned");

#endif
