// SPDX-License-Identifier: GPL-2.0
/* tcpdrop's BPF program: on every skb:kfree_skb, keep the TCP packets the
 * kernel really dropped, read their IP and TCP headers from the packet itself
 * (skb->sk is NULL for most received packets) and send one tcpdrop_event to
 * user space.
 *
 * Every kernel structure below is a local, partial copy marked
 * preserve_access_index: clang records each field access as a CO-RE
 * relocation, and the loader rewrites the offsets for the running kernel
 * (kernel BTF for sk_buff and sock, the tracefs format file for the
 * tracepoint record). Nothing about their layout is assumed here. */
#include "bpf_helpers.h"
#include "event.h"

#define CORE __attribute__((preserve_access_index))
/* One program, no BPF-to-BPF calls: every helper function is inlined. */
#define INLINE static inline __attribute__((always_inline))

/* The tracepoint stores ntohs(skb->protocol). */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define IPPROTO_TCP 6
#define AF_INET 2
#define AF_INET6 10
#define NO_HEADER 0xffff      /* skb->*_header when unset */

/* The record of skb:kfree_skb. rx_sk (6.11+) and reason (5.17+) may be
 * absent: every access to them is guarded by field_exists(). */
struct trace_event_raw_kfree_skb {
	void *skbaddr;
	void *location;
	void *rx_sk;
	unsigned short protocol;
	unsigned int reason;
} CORE;

struct ns_common {
	unsigned int inum;
} CORE;

struct net {
	struct ns_common ns;
} CORE;

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
	possible_net_t nd_net;
} CORE;

struct sock_common {
	unsigned char skc_state;
	possible_net_t skc_net;
} CORE;

struct sock {
	struct sock_common __sk_common;
} CORE;

struct sk_buff {
	struct sock *sk;
	struct net_device *dev;
	unsigned int len;
	unsigned short transport_header;
	unsigned short network_header;
	unsigned char *head;
} CORE;

/* Set by the loader before the program is loaded; the .rodata map is frozen
 * so the verifier treats them as constants and prunes dead branches. */
const volatile unsigned int cfg_family;          /* 0, AF_INET, AF_INET6 */
const volatile unsigned int cfg_reason_min_drop; /* NOT_SPECIFIED's value */
const volatile unsigned int cfg_want_stack;
/* 0 when the kernel's BTF could not be found: every sk_buff and sock access
 * is then poisoned by the loader and must stay unreachable; only what the
 * tracepoint record itself holds is reported, for every IP protocol. */
const volatile unsigned int cfg_have_btf;

/* Filters, filled from the options by src/filter.c (the array sizes are
 * FILTER_*_MAX there). A count of 0 or a mask of 0 means "any". */
#define PORTS_MAX 8
#define ADDRS_MAX 4
#define REASONS_MAX 16

struct cidr {
	unsigned char addr[16];   /* pre-masked */
	unsigned char mask[16];
	unsigned short family;
	unsigned short pad;
};

const volatile unsigned int cfg_nports, cfg_nsports, cfg_ndports;
const volatile unsigned short cfg_ports[PORTS_MAX];
const volatile unsigned short cfg_sports[PORTS_MAX];
const volatile unsigned short cfg_dports[PORTS_MAX];
const volatile unsigned int cfg_naddrs;
const volatile struct cidr cfg_addrs[ADDRS_MAX];
const volatile unsigned int cfg_nreasons;
const volatile unsigned int cfg_reasons[REASONS_MAX];
const volatile unsigned int cfg_state_mask;  /* bit n: state n, bit 0: none */
const volatile unsigned int cfg_netns;

struct tcpdrop_map_def tcpdrop_events SEC("maps") = {
	.type = 4,             /* BPF_MAP_TYPE_PERF_EVENT_ARRAY */
	.key_size = sizeof(int),
	.value_size = sizeof(int),
	.max_entries = 0,      /* one per CPU, set by the loader */
};

struct tcpdrop_map_def tcpdrop_stacks SEC("maps") = {
	.type = 7,             /* BPF_MAP_TYPE_STACK_TRACE */
	.key_size = sizeof(unsigned int),
	.value_size = 127 * sizeof(unsigned long long), /* PERF_MAX_STACK_DEPTH */
	.max_entries = 1024,
};

#define READ(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

/* SKB_NOT_DROPPED_YET and SKB_CONSUMED come before NOT_SPECIFIED in every
 * kernel that has reasons; a subsystem in the high 16 bits (6.4+) is a
 * drop. */
INLINE int is_not_a_drop(struct trace_event_raw_kfree_skb *ctx,
			 struct tcpdrop_event *ev)
{
	if (!field_exists(ctx->reason)) {
		ev->reason = TCPDROP_NO_REASON;
		return 0;
	}
	ev->reason = ctx->reason;
	return ev->reason < cfg_reason_min_drop;
}

INLINE int read_ipv4(const unsigned char *nh, struct tcpdrop_event *ev,
		     unsigned int *hdr_len)
{
	unsigned char ip[20];

	if (bpf_probe_read_kernel(ip, sizeof(ip), nh))
		return -1;
	if (ip[9] != IPPROTO_TCP)
		return -1;
	ev->family = AF_INET;
	__builtin_memcpy(ev->saddr, ip + 12, 4);
	__builtin_memcpy(ev->daddr, ip + 16, 4);
	*hdr_len = (ip[0] & 0x0f) * 4;
	return 0;
}

/* A packet with extension headers has nexthdr != TCP here; the kernel's
 * transport_header still points at TCP once it has parsed them, so accept
 * those too when it is set past the fixed header. */
INLINE int read_ipv6(const unsigned char *nh, struct tcpdrop_event *ev,
		     unsigned int *hdr_len, int transport_known)
{
	unsigned char ip[40];

	if (bpf_probe_read_kernel(ip, sizeof(ip), nh))
		return -1;
	if (ip[6] != IPPROTO_TCP && !transport_known)
		return -1;
	ev->family = AF_INET6;
	__builtin_memcpy(ev->saddr, ip + 8, 16);
	__builtin_memcpy(ev->daddr, ip + 24, 16);
	*hdr_len = 40;
	return 0;
}

INLINE int read_tcp(const unsigned char *th, struct tcpdrop_event *ev)
{
	unsigned char tcp[14];

	if (bpf_probe_read_kernel(tcp, sizeof(tcp), th))
		return -1;
	ev->sport = (unsigned short)(tcp[0] << 8 | tcp[1]);
	ev->dport = (unsigned short)(tcp[2] << 8 | tcp[3]);
	ev->tcpflags = tcp[13];
	return 0;
}

/* Addresses and ports come from the packet's own headers. */
INLINE int read_headers(struct sk_buff *skb, struct tcpdrop_event *ev)
{
	unsigned char *head = 0;
	unsigned short nh_off = NO_HEADER, th_off = NO_HEADER;
	unsigned int ip_len = 0;
	unsigned char version = 0;
	int transport_known;

	READ(head, skb->head);
	READ(nh_off, skb->network_header);
	READ(th_off, skb->transport_header);
	if (!head || nh_off == NO_HEADER)
		return -1;
	if (bpf_probe_read_kernel(&version, 1, head + nh_off))
		return -1;
	transport_known = th_off != NO_HEADER && th_off > nh_off;
	version >>= 4;
	if (version == 4 && read_ipv4(head + nh_off, ev, &ip_len) == 0)
		;
	else if (version == 6 &&
		 read_ipv6(head + nh_off, ev, &ip_len, transport_known) == 0)
		;
	else
		return -1;
	if (!transport_known)
		th_off = nh_off + ip_len;
	return read_tcp(head + th_off, ev);
}

static struct sock *socket_of(struct trace_event_raw_kfree_skb *ctx,
			      struct sk_buff *skb)
{
	struct sock *sk = 0;

	if (field_exists(ctx->rx_sk))
		sk = ctx->rx_sk;
	if (!sk)
		READ(sk, skb->sk);
	return sk;
}

INLINE void read_context(struct trace_event_raw_kfree_skb *ctx,
			 struct sk_buff *skb, struct tcpdrop_event *ev)
{
	struct net_device *dev = 0;
	struct sock *sk = socket_of(ctx, skb);
	struct net *net = 0;

	READ(ev->len, skb->len);
	READ(dev, skb->dev);
	if (dev) {
		READ(ev->ifindex, dev->ifindex);
		READ(net, dev->nd_net.net);
	}
	if (sk) {
		READ(ev->state, sk->__sk_common.skc_state);
		if (!net)
			READ(net, sk->__sk_common.skc_net.net);
	}
	if (net)
		READ(ev->netns, net->ns.inum);
}

/* Loops are unrolled: kernels before 5.3 refuse back-edges, and with the
 * counts known to the verifier the unused iterations are pruned. */
INLINE int port_in(const volatile unsigned short *list, unsigned int n,
		   unsigned short port)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < PORTS_MAX; i++)
		if (i < n && list[i] == port)
			return 1;
	return 0;
}

INLINE int ports_wanted(const struct tcpdrop_event *ev)
{
	if (cfg_nports && !port_in(cfg_ports, cfg_nports, ev->sport) &&
	    !port_in(cfg_ports, cfg_nports, ev->dport))
		return 0;
	if (cfg_nsports && !port_in(cfg_sports, cfg_nsports, ev->sport))
		return 0;
	if (cfg_ndports && !port_in(cfg_dports, cfg_ndports, ev->dport))
		return 0;
	return 1;
}

INLINE int addr_in(const volatile struct cidr *net, unsigned short family,
		   const unsigned char *addr)
{
	if (net->family != family)
		return 0;
#pragma clang loop unroll(full)
	for (int i = 0; i < 16; i++)
		if ((addr[i] & net->mask[i]) != net->addr[i])
			return 0;
	return 1;
}

INLINE int addrs_wanted(const struct tcpdrop_event *ev)
{
	if (!cfg_naddrs)
		return 1;
#pragma clang loop unroll(full)
	for (int i = 0; i < ADDRS_MAX; i++)
		if (i < cfg_naddrs &&
		    (addr_in(&cfg_addrs[i], ev->family, ev->saddr) ||
		     addr_in(&cfg_addrs[i], ev->family, ev->daddr)))
			return 1;
	return 0;
}

INLINE int reason_wanted(unsigned int reason)
{
	if (!cfg_nreasons)
		return 1;
#pragma clang loop unroll(full)
	for (int i = 0; i < REASONS_MAX; i++)
		if (i < cfg_nreasons && cfg_reasons[i] == reason)
			return 1;
	return 0;
}

INLINE int socket_wanted(const struct tcpdrop_event *ev)
{
	if (cfg_state_mask &&
	    (ev->state >= 32 || !(cfg_state_mask & (1u << ev->state))))
		return 0;
	return !cfg_netns || ev->netns == cfg_netns;
}

INLINE int family_wanted(unsigned short protocol)
{
	if (protocol == ETH_P_IP)
		return cfg_family != AF_INET6;
	if (protocol == ETH_P_IPV6)
		return cfg_family != AF_INET;
	return 0;
}

SEC("tracepoint/skb/kfree_skb")
int tcpdrop_kfree_skb(struct trace_event_raw_kfree_skb *ctx)
{
	struct tcpdrop_event ev;
	struct sk_buff *skb = ctx->skbaddr;
	unsigned long long id;

	__builtin_memset(&ev, 0, sizeof(ev));
	if (!family_wanted(ctx->protocol) || is_not_a_drop(ctx, &ev) ||
	    !reason_wanted(ev.reason))
		return 0;
	if (cfg_have_btf) {
		if (read_headers(skb, &ev))
			return 0;
		read_context(ctx, skb, &ev);
		if (!ports_wanted(&ev) || !addrs_wanted(&ev) ||
		    !socket_wanted(&ev))
			return 0;
	}
	ev.ts_ns = bpf_ktime_get_ns();
	ev.location = (unsigned long long)ctx->location;
	id = bpf_get_current_pid_tgid();
	ev.pid = id >> 32;
	ev.tid = (unsigned int)id;
	ev.cpu = bpf_get_smp_processor_id();
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	ev.stack_id = cfg_want_stack ? bpf_get_stackid(ctx, &tcpdrop_stacks, 0)
				     : TCPDROP_NO_STACK;
	if (ev.stack_id < 0)
		ev.stack_id = TCPDROP_NO_STACK;
	bpf_perf_event_output(ctx, &tcpdrop_events, BPF_F_CURRENT_CPU, &ev,
			      sizeof(ev));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
