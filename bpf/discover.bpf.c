// SPDX-License-Identifier: GPL-2.0
/* tcpdrop's discovery program, run for a few milliseconds at start-up when
 * the kernel has no BTF: on the known drops that tcpdrop's own child
 * process makes, it copies raw kernel memory as the plan says (bpf/disc.h),
 * for user space to find the sk_buff, sock, net and net_device offsets in
 * (src/layout.c). It reads no kernel structure by name; only the
 * tracepoint record's fields are relocated, from the format file. */
#include "bpf_helpers.h"
#include "disc.h"

#define CORE __attribute__((preserve_access_index))
#define INLINE static inline __attribute__((always_inline))

struct trace_event_raw_kfree_skb {
	void *skbaddr;
	unsigned short protocol;
} CORE;

struct tcpdrop_map_def disc_plan SEC("maps") = {
	.type = 2,             /* BPF_MAP_TYPE_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct disc_plan),
	.max_entries = 1,
};

struct tcpdrop_map_def disc_record SEC("maps") = {
	.type = 2,             /* BPF_MAP_TYPE_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct disc_record),
	.max_entries = 1,
};

INLINE int comm_is(const char *want)
{
	char comm[16];

	if (bpf_get_current_comm(comm, sizeof(comm)))
		return 0;
#pragma clang loop unroll(full)
	for (int i = 0; i < 16; i++) {
		if (comm[i] != want[i])
			return 0;
		if (!comm[i])
			break;
	}
	return 1;
}

SEC("tracepoint/skb/kfree_skb")
int tcpdrop_discover(struct trace_event_raw_kfree_skb *ctx)
{
	struct disc_plan *plan;
	struct disc_record *rec;
	__u32 zero = 0, n;

	plan = bpf_map_lookup_elem(&disc_plan, &zero);
	if (!plan || !plan->armed || !comm_is(plan->comm))
		return 0;
	rec = bpf_map_lookup_elem(&disc_record, &zero);
	if (!rec || rec->taken)
		return 0;
	rec->taken = 1;
	rec->skbaddr = (__u64)ctx->skbaddr;
	rec->protocol = ctx->protocol;
	n = plan->nreads;
#pragma clang loop unroll(full)
	for (int i = 0; i < DISC_READS; i++) {
		__u32 from = plan->reads[i].from;
		__u64 base = 0;

		if (i >= n)
			break;
		if (from == DISC_FROM_SKB) {
			base = rec->skbaddr;
		} else if (from < i) {
			__u32 off = plan->reads[i].off & (DISC_CHUNK - 8);

			bpf_probe_read_kernel(&base, sizeof(base),
					      &rec->buf[from][off]);
		}
		if (!base)
			continue;
		base += plan->reads[i].add;
		rec->addr[i] = base;
		rec->ok[i] = bpf_probe_read_kernel(rec->buf[i], DISC_CHUNK,
						   (void *)base) == 0;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
