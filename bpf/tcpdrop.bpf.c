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
#include "config.h"
#include "event.h"
#include "regs.h"

#define CORE __attribute__((preserve_access_index))
/* One program, no BPF-to-BPF calls: every helper function is inlined. */
#define INLINE static inline __attribute__((always_inline))

/* The tracepoint stores ntohs(skb->protocol). */
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define IPPROTO_HOPOPTS 0
#define IPPROTO_TCP 6
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_AH 51
#define IPPROTO_DSTOPTS 60
/* The bytes of TCP's header a row needs: ports, and the flags in byte
 * 13. A shorter one (a cut-off first fragment) is not decoded. */
#define TCP_HEADER_MIN 14
/* IPv6 extension headers walked before giving up on a packet. The kernel
 * itself has no bound, but a TCP packet with more than a few is an attack
 * or a test, and the loop must be unrolled. */
#define IPV6_EXT_MAX 8
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

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
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
	unsigned short skc_num;   /* local port, host order */
	unsigned short skc_family;
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
	int skb_iif;
	unsigned short transport_header;
	unsigned short network_header;
	unsigned int tail;      /* sk_buff_data_t: an offset on 64-bit */
	unsigned char *head;
	unsigned char *data;    /* absent from a discovered layout */
	unsigned short protocol; /* __be16 */
} CORE;

/* Filled in by the loader (bpf/config.h) before the program is loaded. */
const volatile struct tcpdrop_config tcpdrop_cfg = {};

struct tcpdrop_map_def tcpdrop_events SEC("maps") = {
	.type = 4,             /* BPF_MAP_TYPE_PERF_EVENT_ARRAY */
	.key_size = sizeof(int),
	.value_size = sizeof(int),
	.max_entries = 0,      /* one per CPU, set by the loader */
};

/* The BPF ring buffer (5.8+), shared by all CPUs: where it exists the
 * records go here, at a tenth of the cost of bpf_perf_event_output()
 * (README, "How it works"). max_entries (bytes) is set by the loader; on
 * older kernels the loader makes it a small array, never used. */
struct tcpdrop_map_def tcpdrop_ring SEC("maps") = {
	.type = 27,            /* BPF_MAP_TYPE_RINGBUF */
	.key_size = 0,
	.value_size = 0,
	.max_entries = 0,
};

/* The record is built here, not on the 512-byte BPF stack: with its stack
 * frames it is about 1 KiB. One slot per CPU; a tracepoint program is not
 * preempted by another run of itself on the same CPU. */
struct tcpdrop_record {
	struct tcpdrop_event ev;
	__u64 frames[TCPDROP_STACK_BUF];
	/* Room for the packet (-w) right after the frames taken, wherever
	 * they end: the frames' bytes are bounded by TCPDROP_STACK_BUF * 8,
	 * the packet's by TCPDROP_SNAP_BUF (both masks). */
	unsigned char packet_room[TCPDROP_SNAP_BUF];
	/* Ring buffer bytes this CPU wrote since it last woke the reader
	 * (ring_wakeup()); kept from record to record. */
	__u64 unwoken;
	/* drop_time()'s last reading of the clock on this CPU, and the
	 * tick it belongs to (0: none to reuse). */
	__u64 tick_jiffies;
	__u64 tick_ns;
	/* The tp_btf program's batch (tcpdrop_batch_state says how many),
	 * kept from drop to drop until it is full or user space flushes
	 * it (tcpdrop_flush). */
	struct tcpdrop_event batch[TCPDROP_BATCH_MAX];
};

struct tcpdrop_map_def tcpdrop_scratch SEC("maps") = {
	.type = 6,             /* BPF_MAP_TYPE_PERCPU_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct tcpdrop_record),
	.max_entries = 1,
};

/* The state of each CPU's batch (event.h), apart from the batch itself
 * so that user space reads 8 bytes a CPU to learn which to flush. */
struct tcpdrop_map_def tcpdrop_batch_state SEC("maps") = {
	.type = 6,             /* BPF_MAP_TYPE_PERCPU_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct tcpdrop_batch_state),
	.max_entries = 1,
};

/* Records bpf_perf_event_output() could not write (a full ring), counted
 * here by the program itself: exact, and readable at any time, where the
 * ring's own PERF_RECORD_LOST comes only with that ring's next record. */
struct tcpdrop_map_def tcpdrop_lost SEC("maps") = {
	.type = 6,             /* BPF_MAP_TYPE_PERCPU_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

/* Count mode's keys and how many drops each (event.h). A hash map the
 * kernel preallocates (max_entries set by the loader, 1 when records are
 * sent instead): a tracing program must not allocate on some kernels. */
struct tcpdrop_map_def tcpdrop_counts SEC("maps") = {
	.type = 1,             /* BPF_MAP_TYPE_HASH */
	.key_size = sizeof(struct tcpdrop_count_key),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

/* The namespaces of -N NAME, keys only (the value is unused), added by
 * user space as the name resolves (src/main.c). */
struct tcpdrop_map_def tcpdrop_netns_set SEC("maps") = {
	.type = 1,             /* BPF_MAP_TYPE_HASH */
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = TCPDROP_NETNS_SET_MAX,
};

/* The epoch the keys are counted under, set by user space. */
struct tcpdrop_map_def tcpdrop_count_epoch SEC("maps") = {
	.type = 2,             /* BPF_MAP_TYPE_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 1,
};

/* Drops counted in no key because tcpdrop_counts was full: with them the
 * counts still add up to every drop. */
struct tcpdrop_map_def tcpdrop_count_full SEC("maps") = {
	.type = 6,             /* BPF_MAP_TYPE_PERCPU_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

/* The records of the self-check's drops, kept by tcpdrop_selfcheck. */
struct tcpdrop_map_def tcpdrop_check SEC("maps") = {
	.type = 2,             /* BPF_MAP_TYPE_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct tcpdrop_event),
	.max_entries = TCPDROP_SELFCHECK_DROPS,
};

/* The program's phase, set by user space (src/tracer.c): the self-check
 * first, then tracing. Before anything is traced, the program proves on
 * the running kernel that it decodes a known packet exactly (a wrong BTF
 * would make it read plausible nonsense): it keeps the first drop of each
 * of the self-check's two (src/selfcheck.c), decoded the way every drop
 * is, before any filter, for user space to compare with what it sent.
 * One program for both: a second one would cost a detach, which waits for
 * an RCU tasks-trace grace period (20 to 90 ms), or stay attached. */
struct tcpdrop_map_def tcpdrop_phase SEC("maps") = {
	.type = 2,             /* BPF_MAP_TYPE_ARRAY */
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct tcpdrop_phase),
	.max_entries = 1,
};

INLINE const struct tcpdrop_phase *phase_of(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tcpdrop_phase, &zero);
}

#define READ(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))
/* A field that a layout discovered without BTF may lack (src/btfgen.c):
 * absent, it stays 0, and its poisoned access is never reached. */
#define READ_IF(dst, src) do { if (field_exists(src)) READ(dst, src); } while (0)
/* A kernel field read by a load of its own where the verifier knows the
 * pointer's BTF type (`direct`: the tp_btf program, 5.5+; the JIT makes
 * it a load that cannot fault, BPF_PROBE_MEM, about 1 ns), else with
 * bpf_probe_read_kernel() (about 30 ns). `direct` is a constant in each
 * program: only one of the two is compiled into it. */
#define LOAD(direct, dst, src) do { \
	if (direct) (dst) = (src); else READ(dst, src); } while (0)
#define LOAD_IF(direct, dst, src) do { \
	if (field_exists(src)) LOAD(direct, dst, src); } while (0)
#define cfg tcpdrop_cfg

/* SKB_NOT_DROPPED_YET and SKB_CONSUMED come before NOT_SPECIFIED in every
 * kernel that has reasons; a subsystem in the high 16 bits (6.4+) is a
 * drop. */
INLINE int is_not_a_drop(unsigned int reason)
{
	return reason != TCPDROP_NO_REASON && reason < cfg.reason_min_drop;
}

/* The tracepoint's record, for its fields' existence only (CO-RE against
 * the format file): the tp_btf program's arguments follow the same
 * kernel versions. */
#define TP_RECORD ((struct trace_event_raw_kfree_skb *)0)

/* The linear part of the packet: head + [0, tail). Headers are looked for
 * there only, so a short or truncated packet is never decoded from bytes
 * that are not its own. */
struct packet {
	const unsigned char *head;
	unsigned int tail;
};

INLINE int read_at(const struct packet *p, unsigned int off, void *dst,
		   unsigned int len)
{
	if (off > p->tail || p->tail - off < len)
		return -1;
	return bpf_probe_read_kernel(dst, len, p->head + off) ? -1 : 0;
}

/* IPv4: protocol 6, header length from IHL (options included). A non-first
 * fragment carries no TCP header: it is not decoded, and not a row. Gives
 * the TCP header's offset from head. `ip` is the 20-byte fixed header. */
INLINE int parse_ipv4(const unsigned char *ip, unsigned int nh,
		      struct tcpdrop_event *ev, unsigned int *th)
{
	unsigned int ihl = (ip[0] & 0x0f) * 4;

	if (ip[9] != IPPROTO_TCP || ihl < 20)
		return -1;
	if (((ip[6] & 0x1f) << 8 | ip[7]) != 0)   /* fragment offset */
		return -1;
	ev->family = AF_INET;
	__builtin_memcpy(ev->saddr, ip + 12, 4);
	__builtin_memcpy(ev->daddr, ip + 16, 4);
	*th = nh + ihl;
	return 0;
}

INLINE int read_ipv4(const struct packet *p, unsigned int nh,
		     struct tcpdrop_event *ev, unsigned int *th)
{
	unsigned char ip[20];

	if (read_at(p, nh, ip, sizeof(ip)))
		return -1;
	return parse_ipv4(ip, nh, ev, th);
}

/* One step of the IPv6 extension header chain at `off`: its length and the
 * next header, or -1 when this header ends the walk without TCP (a
 * non-first fragment, or a protocol that is not an extension header). */
INLINE int ipv6_ext_step(const struct packet *p, unsigned int off,
			 unsigned char type, unsigned char *next,
			 unsigned int *len)
{
	unsigned char ext[4];

	if (type != IPPROTO_HOPOPTS && type != IPPROTO_ROUTING &&
	    type != IPPROTO_DSTOPTS && type != IPPROTO_FRAGMENT &&
	    type != IPPROTO_AH)
		return -1;
	if (read_at(p, off, ext, sizeof(ext)))
		return -1;
	*next = ext[0];
	if (type == IPPROTO_FRAGMENT) {
		if (((ext[2] << 8 | ext[3]) & 0xfff8) != 0)
			return -1;
		*len = 8;
	} else if (type == IPPROTO_AH) {
		*len = (ext[1] + 2) * 4;          /* RFC 4302 */
	} else {
		*len = (ext[1] + 1) * 8;          /* RFC 8200 */
	}
	return 0;
}

/* IPv6: the next-header chain is walked from the fixed header. The
 * kernel's transport_header is not used: until ip6_protocol_deliver_rcu()
 * it points at the first extension header, whatever follows. */
INLINE int read_ipv6(const struct packet *p, unsigned int nh,
		     struct tcpdrop_event *ev, unsigned int *th)
{
	unsigned char ip[40];
	unsigned char type;
	unsigned int off = nh + sizeof(ip), len = 0;

	if (read_at(p, nh, ip, sizeof(ip)))
		return -1;
	type = ip[6];
#pragma clang loop unroll(full)
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		if (type == IPPROTO_TCP)
			break;
		/* Hop-by-hop comes first or not at all (RFC 8200 4.1); the
		 * kernel drops it anywhere else as IP_NOPROTO, unread. */
		if (type == IPPROTO_HOPOPTS && i > 0)
			return -1;
		if (ipv6_ext_step(p, off, type, &type, &len))
			return -1;
		off += len;
	}
	if (type != IPPROTO_TCP)
		return -1;
	ev->family = AF_INET6;
	__builtin_memcpy(ev->saddr, ip + 8, 16);
	__builtin_memcpy(ev->daddr, ip + 24, 16);
	*th = off;
	return 0;
}

INLINE void parse_tcp(const unsigned char *tcp, struct tcpdrop_event *ev)
{
	ev->sport = (unsigned short)(tcp[0] << 8 | tcp[1]);
	ev->dport = (unsigned short)(tcp[2] << 8 | tcp[3]);
	ev->tcpflags = tcp[13];
}

INLINE int read_tcp(const struct packet *p, unsigned int th,
		    struct tcpdrop_event *ev)
{
	unsigned char tcp[TCP_HEADER_MIN];

	if (read_at(p, th, tcp, sizeof(tcp)))
		return -1;
	parse_tcp(tcp, ev);
	return 0;
}

/* The sk_buff fields every drop needs. Each bpf_probe_read_kernel() costs
 * about 25 ns, most of a drop's cost: where the six fields lie within
 * SKB_WINDOW_MAX bytes of each other (the sk_buff of every kernel: sk and
 * dev near the start, len, the header offsets, tail and head at the end
 * of its first 200 bytes), they are read in one, at the offsets CO-RE
 * gives (constants to the verifier once relocated), from a copy in `buf`
 * (the record's frame area, unused until the stack is taken). Otherwise,
 * or where a layout discovered without BTF lacks one, one read each. */
#define SKB_WINDOW_MAX 256
#define FIELD_OFFSET(f) __builtin_preserve_field_info(f, 0)
#define FIELD_SIZE(f) __builtin_preserve_field_info(f, 1)
#define FIELD_END(f) (FIELD_OFFSET(f) + FIELD_SIZE(f))

struct skb_view {
	const unsigned char *head;
	struct sock *sk;
	struct net_device *dev;
	unsigned int tail;
	unsigned int len;
	unsigned short nh;
};

/* The window runs from dev (the first of the six in every sk_buff) to
 * the end of head (the last); each field must lie inside it, with the
 * size read here. Constants once relocated: the verifier keeps one path. */
#define IN_WINDOW(skb, f, size) (field_exists(skb->f) && \
	FIELD_SIZE(skb->f) == (size) && \
	FIELD_OFFSET(skb->f) >= FIELD_OFFSET(skb->dev) && \
	FIELD_END(skb->f) <= FIELD_END(skb->head))

INLINE int skb_window_possible(struct sk_buff *skb)
{
	return field_exists(skb->dev) && field_exists(skb->head) &&
	       IN_WINDOW(skb, head, 8) && IN_WINDOW(skb, sk, 8) &&
	       IN_WINDOW(skb, dev, 8) && IN_WINDOW(skb, len, 4) &&
	       IN_WINDOW(skb, tail, 4) && IN_WINDOW(skb, network_header, 2) &&
	       FIELD_END(skb->head) - (FIELD_OFFSET(skb->dev) & ~7ul) <=
	       SKB_WINDOW_MAX;
}

#define AT(buf, lo, f, type) (*(type *)((unsigned char *)(buf) + \
					  (FIELD_OFFSET(f) - (lo))))

INLINE int read_skb_window(struct sk_buff *skb, void *buf,
			   struct skb_view *v)
{
	/* 8-aligned, so that every field keeps its alignment in buf. */
	unsigned long lo = FIELD_OFFSET(skb->dev) & ~7ul;

	if (bpf_probe_read_kernel(buf, FIELD_END(skb->head) - lo,
				  (unsigned char *)skb + lo))
		return -1;
	v->head = AT(buf, lo, skb->head, const unsigned char *);
	v->sk = AT(buf, lo, skb->sk, struct sock *);
	v->dev = AT(buf, lo, skb->dev, struct net_device *);
	v->len = AT(buf, lo, skb->len, unsigned int);
	v->tail = AT(buf, lo, skb->tail, unsigned int);
	v->nh = AT(buf, lo, skb->network_header, unsigned short);
	return 0;
}

INLINE void read_skb(struct sk_buff *skb, void *buf, struct skb_view *v,
		     int direct)
{
	__builtin_memset(v, 0, sizeof(*v));
	v->nh = NO_HEADER;
	if (!direct && skb_window_possible(skb) &&
	    read_skb_window(skb, buf, v) == 0)
		return;
	LOAD(direct, v->head, skb->head);
	LOAD(direct, v->tail, skb->tail);
	LOAD(direct, v->nh, skb->network_header);
	LOAD_IF(direct, v->sk, skb->sk);
	LOAD_IF(direct, v->dev, skb->dev);
	LOAD_IF(direct, v->len, skb->len);
}

/* Addresses, ports and flags come from the packet's own headers, and only
 * a packet that is TCP by its own headers is a row. The IP version must
 * agree with skb->protocol (the tracepoint's `protocol`), where that is
 * known (0: not known, as for the kprobe on a discovered layout). */
/* The packet's first 40 bytes from its network header. The tp_btf
 * program, where this kernel's verifier lets it (cfg.direct_packet, which
 * the loader learns from tcpdrop_probe_packet), reads them with five
 * 8-byte loads through skb->head, an untrusted pointer to memory there
 * (BPF_PROBE_MEM, unaligned loads are fine on x86_64 and arm64); else one
 * bpf_probe_read_kernel(), 25 ns more. */
INLINE int read_first(const struct packet *p, unsigned int nh,
		      unsigned long long first[5], int direct)
{
	const unsigned long long *src;

	if (!direct || !cfg.direct_packet)
		return read_at(p, nh, first, 40);
	if (nh > p->tail || p->tail - nh < 40)
		return -1;
	src = (const unsigned long long *)(p->head + nh);
	first[0] = src[0];
	first[1] = src[1];
	first[2] = src[2];
	first[3] = src[3];
	first[4] = src[4];
	return 0;
}

/* The packet as bpf_probe_read_kernel() reads it. In the tp_btf program
 * skb->head, loaded directly, is a pointer to memory the verifier tracks
 * (newer kernels), and every offset the IPv6 header walk can reach would
 * make a state of its own: 17,000 instructions to verify instead of
 * 6,000, 30 ms of start-up. Read as a number instead, here, off the fast
 * path (IPv4 without options needs only read_first()). */
INLINE struct packet packet_of(struct sk_buff *skb, const struct skb_view *v,
			       int direct)
{
	struct packet p = { v->head, v->tail };

	if (direct)
		READ(p.head, skb->head);
	return p;
}

INLINE int read_headers(struct sk_buff *skb, const struct skb_view *v,
			unsigned short protocol, struct tcpdrop_event *ev,
			int direct)
{
	struct packet p = { v->head, v->tail };
	unsigned short nh = v->nh;
	unsigned int th = 0;
	unsigned long long words[5];
	const unsigned char *first = (const unsigned char *)words;
	unsigned char version = 0;

	if (!p.head || nh == NO_HEADER)
		return -1;
	/* IPv4 without options, the common case: its header and the TCP
	 * header's first 20 bytes in one read. */
	if (read_first(&p, nh, words, direct) == 0 && first[0] == 0x45 &&
	    (protocol == ETH_P_IP || !protocol)) {
		if (parse_ipv4(first, nh, ev, &th))
			return -1;
		parse_tcp(first + 20, ev);
		return 0;
	}
	p = packet_of(skb, v, direct);
	if (!p.head)
		return -1;
	if (read_at(&p, nh, &version, 1))
		return -1;
	version >>= 4;
	if (version == 4 && (protocol == ETH_P_IP || !protocol)) {
		if (read_ipv4(&p, nh, ev, &th))
			return -1;
	} else if (version == 6 && (protocol == ETH_P_IPV6 || !protocol)) {
		if (read_ipv6(&p, nh, ev, &th))
			return -1;
	} else {
		return -1;
	}
	return read_tcp(&p, th, ev);
}

/* The socket of a drop seen by the tracepoint: rx_sk (6.11+), the
 * receiving socket; without it (0) the caller takes skb->sk. */
INLINE struct sock *socket_of(struct trace_event_raw_kfree_skb *ctx)
{
	if (field_exists(ctx->rx_sk))
		return ctx->rx_sk;
	return 0;
}

/* A socket is this drop's only if it is a TCP/IP one (skb->sk before
 * ip_rcv_core() orphans a packet can be any sender's socket: AF_PACKET,
 * or a TCP socket of the peer namespace across veth), bound to one end of
 * the packet (`num`: its local port, host order), in the namespace where
 * the packet was dropped (`same_netns`: the socket's is the device's, or
 * no device tells). */
INLINE int socket_matches(unsigned short family, unsigned short num,
			  int same_netns, const struct tcpdrop_event *ev)
{
	/* tcp_drop()'s own socket argument is the drop's, whatever it
	 * holds: a reset socket is already unhashed, its port 0. */
	if (ev->hook == TCPDROP_HOOK_TCP_DROP)
		return 1;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (num != ev->sport && num != ev->dport)
		return 0;
	return same_netns;
}

/* The tracepoint and kprobe programs read the device's and the socket's
 * fields here, once the headers made the drop a row, and only those the
 * row needs: each is a bpf_probe_read_kernel(). */
INLINE void read_context(struct sk_buff *skb, const struct skb_view *v,
			 struct sock *sk, struct tcpdrop_event *ev)
{
	struct net_device *dev = v->dev;
	struct net *net = 0, *sk_net = 0;
	unsigned short family = 0, num = 0;

	ev->len = v->len;
	if (dev) {
		READ_IF(ev->ifindex, dev->ifindex);
		READ_IF(net, dev->nd_net.net);
	} else {
		/* tcp_v4_rcv() and tcp_v6_rcv() clear skb->dev before the
		 * socket layer; the input device's index stays in skb_iif,
		 * set by __netif_receive_skb_core(). */
		READ_IF(ev->ifindex, skb->skb_iif);
	}
	if (sk) {
		READ_IF(family, sk->__sk_common.skc_family);
		READ_IF(num, sk->__sk_common.skc_num);
		READ_IF(sk_net, sk->__sk_common.skc_net.net);
	}
	if (sk && socket_matches(family, num, !net || sk_net == net, ev)) {
		READ_IF(ev->state, sk->__sk_common.skc_state);
		if (!net)
			net = sk_net;
	}
	if (net)
		READ_IF(ev->netns, net->ns.inum);
}

/* The socket's fields a row needs, as numbers (its namespace by inode),
 * read by the tp_btf program at its entry (read_sock()). */
struct sock_view {
	unsigned int netns;       /* 0: no socket, or no namespace */
	unsigned short family;    /* 0: no socket */
	unsigned short num;
	unsigned char state;
};

/* What the tp_btf program reads at its entry, before any branch. */
struct entry_view {
	struct skb_view skb;
	struct sock_view sock;
};

/* The verifier checks a load of a pointer field (skc_net.net) from a
 * pointer it trusts against the kernel's lists of trusted fields, by
 * name: a search through all of the kernel's BTF each time
 * (btf_nested_type_is_trusted(), about 1 ms here). Where that load was,
 * after the header walk's branches, it took 10 of the 16 ms that the
 * tp_btf program's verification took; at the program's entry, before
 * any branch, it is checked once. Only numbers are kept, so that the
 * paths through the NULL checks meet again. */
INLINE void read_sock(struct sock *sk, struct sock_view *sv)
{
	struct net *net = 0;

	__builtin_memset(sv, 0, sizeof(*sv));
	if (!sk)
		return;
	LOAD_IF(1, sv->family, sk->__sk_common.skc_family);
	LOAD_IF(1, sv->num, sk->__sk_common.skc_num);
	LOAD_IF(1, sv->state, sk->__sk_common.skc_state);
	LOAD_IF(1, net, sk->__sk_common.skc_net.net);
	if (net)
		LOAD_IF(1, sv->netns, net->ns.inum);
}

/* read_context() for the tp_btf program: the device's fields as plain
 * loads (through a pointer the verifier does not trust: no search), the
 * socket's from read_sock(). An inode of a live namespace is never 0. */
INLINE void context_direct(struct sk_buff *skb, const struct skb_view *v,
			   const struct sock_view *sv,
			   struct tcpdrop_event *ev)
{
	struct net_device *dev = v->dev;
	struct net *net = 0;
	unsigned int netns = 0;

	ev->len = v->len;
	if (dev) {
		LOAD_IF(1, ev->ifindex, dev->ifindex);
		LOAD_IF(1, net, dev->nd_net.net);
	} else {
		LOAD_IF(1, ev->ifindex, skb->skb_iif);
	}
	if (net)
		LOAD_IF(1, netns, net->ns.inum);
	ev->netns = netns;
	if (socket_matches(sv->family, sv->num, !netns || sv->netns == netns,
			   ev)) {
		ev->state = sv->state;
		if (!netns)
			ev->netns = sv->netns;
	}
}

/* Loops are unrolled: kernels before 5.3 refuse back-edges, and with the
 * counts known to the verifier the unused iterations are pruned. */
INLINE int port_in(const volatile unsigned short *list, unsigned int n,
		   unsigned short port)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < TCPDROP_PORTS_MAX; i++)
		if (i < n && list[i] == port)
			return 1;
	return 0;
}

INLINE int ports_wanted(const struct tcpdrop_event *ev)
{
	if (cfg.nports && !port_in(cfg.ports, cfg.nports, ev->sport) &&
	    !port_in(cfg.ports, cfg.nports, ev->dport))
		return 0;
	if (cfg.nsports && !port_in(cfg.sports, cfg.nsports, ev->sport))
		return 0;
	if (cfg.ndports && !port_in(cfg.dports, cfg.ndports, ev->dport))
		return 0;
	return 1;
}

/* Compared a 32-bit word at a time (addresses and masks are 4-byte
 * aligned in both structs, config.h): a quarter of the instructions of a
 * byte loop, which the unrolling multiplies by TCPDROP_ADDRS_MAX, the
 * two ends and each program. */
INLINE int addr_in(const volatile struct tcpdrop_cidr *net, unsigned short family,
		   const unsigned char *addr)
{
	const volatile __u32 *want = (const volatile __u32 *)net->addr;
	const volatile __u32 *mask = (const volatile __u32 *)net->mask;
	const __u32 *have = (const __u32 *)addr;

	if (net->family != family)
		return 0;
#pragma clang loop unroll(full)
	for (int i = 0; i < 4; i++)
		if ((have[i] & mask[i]) != want[i])
			return 0;
	return 1;
}

INLINE int addrs_wanted(const struct tcpdrop_event *ev)
{
	if (!cfg.naddrs)
		return 1;
#pragma clang loop unroll(full)
	for (int i = 0; i < TCPDROP_ADDRS_MAX; i++)
		if (i < cfg.naddrs &&
		    (addr_in(&cfg.addrs[i], ev->family, ev->saddr) ||
		     addr_in(&cfg.addrs[i], ev->family, ev->daddr)))
			return 1;
	return 0;
}

INLINE int reason_wanted(unsigned int reason)
{
	if (!cfg.nreasons)
		return 1;
#pragma clang loop unroll(full)
	for (int i = 0; i < TCPDROP_REASONS_MAX; i++)
		if (i < cfg.nreasons && cfg.reasons[i] == reason)
			return 1;
	return 0;
}

INLINE int socket_wanted(const struct tcpdrop_event *ev)
{
	if (cfg.state_mask &&
	    (ev->state >= 32 || !(cfg.state_mask & (1u << ev->state))))
		return 0;
	if (cfg.netns_by_name) {
		__u32 netns = ev->netns;   /* a key from the stack */

		return netns &&
		       bpf_map_lookup_elem(&tcpdrop_netns_set, &netns);
	}
	return !cfg.netns || ev->netns == cfg.netns;
}

INLINE int family_wanted(unsigned short protocol)
{
	if (protocol == ETH_P_IP)
		return cfg.family != AF_INET6;
	if (protocol == ETH_P_IPV6)
		return cfg.family != AF_INET;
	return 0;
}

/* Copies this drop's kernel stack, or only its innermost frames (for the
 * caller of a free wrapper), into the record. Gives the bytes copied,
 * bounded for the verifier: at most TCPDROP_STACK_MAX frames were asked
 * for, and the mask keeps the bound within the buffer on every kernel's
 * verifier, however it tracks ranges. */
INLINE unsigned int take_stack(void *ctx, struct tcpdrop_record *rec)
{
	long ret;

	if (cfg.want_stack)
		ret = bpf_get_stack(ctx, rec->frames, TCPDROP_STACK_MAX * 8, 0);
	else if (cfg.want_caller)
		ret = bpf_get_stack(ctx, rec->frames,
				    TCPDROP_CALLER_FRAMES * 8, 0);
	else
		return 0;
	if (ret < 0) {
		rec->ev.stack = TCPDROP_STACK_FAILED;
		return 0;
	}
	rec->ev.stack = TCPDROP_STACK_TAKEN;
	rec->ev.nframes = (unsigned short)(ret / 8);
	return (unsigned int)ret & (TCPDROP_STACK_BUF * 8 - 1);
}

/* The packet's length from its network header to its end, from its own
 * IP header: the IPv4 total length, or the IPv6 payload length + 40. A
 * BIG TCP packet (6.3+) has 0 there; skb->len counts from skb->data,
 * which need not be the network header, so it is corrected by their
 * distance where skb->data is known (not in a discovered layout). */
INLINE unsigned int packet_length(struct sk_buff *skb, const struct packet *p,
				  unsigned int nh, const struct tcpdrop_event *ev,
				  int direct)
{
	unsigned char ip[6];
	const unsigned char *data = 0;
	unsigned int len;

	if (read_at(p, nh, ip, sizeof(ip)))
		return 0;
	if (ev->family == AF_INET) {
		len = ip[2] << 8 | ip[3];
	} else {
		len = ip[4] << 8 | ip[5];
		if (len)
			len += 40;
	}
	if (len)
		return len;
	LOAD_IF(direct, data, skb->data);
	if (data)
		return ev->len - (unsigned int)((p->head + nh) - data);
	return ev->len;
}

/* v &= mask, in a way the compiler cannot drop or move to a copy of v
 * even where it knows v to be smaller already: the verifier then sees the
 * bound on the very register the helper gets (clang otherwise clamps a
 * 32-bit copy and passes another, unbounded, one). */
#define VERIFIER_BOUND(v, mask) asm volatile("%0 &= %1" : "+r"(v) : "i"(mask))

/* Copies the first cfg.snaplen bytes of the packet, from its network
 * header, into the record right after the `stack_len` bytes of frames:
 * only from the linear part (head..tail), never past the packet's own
 * end (Ethernet padding). Sets ev->pkt_len and ev->caplen; gives the
 * bytes copied, bounded by a mask for every kernel's verifier. */
INLINE unsigned int take_packet(struct sk_buff *skb, const struct skb_view *v,
				struct tcpdrop_record *rec,
				unsigned int stack_len, int direct)
{
	struct tcpdrop_event *ev = &rec->ev;
	struct packet p = packet_of(skb, v, direct);
	unsigned short nh = v->nh;
	unsigned long long caplen, off = stack_len;

	if (!p.head || nh == NO_HEADER || nh > p.tail)
		return 0;
	ev->pkt_len = packet_length(skb, &p, nh, ev, direct);
	caplen = p.tail - nh;
	if (caplen > ev->pkt_len)
		caplen = ev->pkt_len;
	if (caplen > cfg.snaplen)
		caplen = cfg.snaplen;
	if (caplen > TCPDROP_SNAP_MAX)
		caplen = TCPDROP_SNAP_MAX;
	VERIFIER_BOUND(caplen, TCPDROP_SNAP_BUF - 1);
	VERIFIER_BOUND(off, TCPDROP_STACK_BUF * 8 - 1);
	if (!caplen || bpf_probe_read_kernel((unsigned char *)rec->frames + off,
					     caplen, p.head + nh))
		return 0;
	ev->caplen = (unsigned short)caplen;
	return caplen;
}

/* Per CPU, so no atomic add is needed: the kernel never runs this program
 * twice at once on one CPU (bpf_prog_active guards tracepoint programs). */
INLINE void count_lost(unsigned int n)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&tcpdrop_lost, &zero);

	if (lost)
		*lost += n;
}

/* The ring buffer wakes the reader only when this CPU has written
 * phase->wakeup_bytes since it last did (user space makes that a quarter
 * of the ring over the online CPUs, as a perf ring's watermark): a wakeup
 * is an irq_work, a self-IPI that costs more than the drop, and the ring
 * buffer's own policy wakes at every record once the reader has caught
 * up. Counted here, not with bpf_ringbuf_query(): a helper call costs
 * 15 to 20 ns. Drops that come one by one are read at the reader's
 * 100 ms tick. */
INLINE unsigned long long ring_wakeup(struct tcpdrop_record *rec,
				      const struct tcpdrop_phase *phase,
				      unsigned long long size)
{
	/* With the ring's 8-byte header, rounded up to 8
	 * (kernel/bpf/ringbuf.c, BPF_RINGBUF_HDR_SZ). */
	rec->unwoken += (size + 8 + 7) & ~7ull;
	if (phase && rec->unwoken < phase->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	rec->unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

/* Sends the record's first `size` bytes to user space; a record that
 * does not fit (a full ring) is counted lost. */
INLINE void send_record(void *ctx, struct tcpdrop_record *rec,
			const struct tcpdrop_phase *phase,
			unsigned long long size)
{
	long ret;

	if (cfg.ringbuf)
		ret = bpf_ringbuf_output(&tcpdrop_ring, rec, size,
					 ring_wakeup(rec, phase, size));
	else
		ret = bpf_perf_event_output(ctx, &tcpdrop_events,
					    BPF_F_CURRENT_CPU, rec, size);
	if (ret)
		count_lost(1);
}

/* Sends the first `len` records of this CPU's batch as one ring buffer
 * record; if it does not fit, all `len` are lost. */
INLINE void send_batch(struct tcpdrop_record *rec, unsigned int len,
		       unsigned long long flags)
{
	unsigned long long size = len * sizeof(struct tcpdrop_event);

	if (bpf_ringbuf_output(&tcpdrop_ring, rec->batch, size, flags))
		count_lost(len);
}

/* Volatile, and ordered against the batch's contents by compiler
 * barriers: the only other party, the tp_btf program or tcpdrop_flush
 * interrupting this one, runs on this CPU, which sees its own stores in
 * program order, so the order clang emits is the order that counts. */
INLINE volatile struct tcpdrop_batch_state *batch_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tcpdrop_batch_state, &zero);
}

#define COMPILER_BARRIER() asm volatile("" ::: "memory")

/* Marks this CPU's batch busy and gives how many records it holds:
 * never more than TCPDROP_BATCH_MAX - 1 (a full one is sent at once), a
 * bound the verifier sees for the copy's place. */
INLINE unsigned long long batch_enter(volatile struct tcpdrop_batch_state *b)
{
	unsigned long long len;

	b->busy = 1;
	COMPILER_BARRIER();
	len = b->len;
	VERIFIER_BOUND(len, TCPDROP_BATCH_MAX - 1);
	return len;
}

/* Sets how many records the batch holds, then frees it. */
INLINE void batch_leave(volatile struct tcpdrop_batch_state *b,
			unsigned long long len)
{
	b->len = (__u32)len;
	COMPILER_BARRIER();
	b->busy = 0;
}

/* The tp_btf program's records go into a per-CPU batch, and the batch
 * into the ring buffer when it is full: bpf_ringbuf_output() costs
 * about 35 ns a call on top of its copy (its lock, the producer
 * position the CPUs share, a locked exchange that waits for the
 * record's cache lines), once a batch instead of once a drop. User
 * space flushes the batches that are not full on its drain tick
 * (tcpdrop_flush), so a drop still shows within it. When tcpdrop_flush
 * has interrupted, or been interrupted by, this program on this CPU
 * (`busy`), the record goes alone. */
INLINE void send_batched(void *ctx, struct tcpdrop_record *rec,
			 const struct tcpdrop_phase *phase)
{
	volatile struct tcpdrop_batch_state *b = batch_state();
	unsigned long long len;

	if (!b || b->busy) {
		send_record(ctx, rec, phase, sizeof(rec->ev));
		return;
	}
	len = batch_enter(b);
	__builtin_memcpy(&rec->batch[len], &rec->ev, sizeof(rec->ev));
	len++;
	if (len == TCPDROP_BATCH_MAX) {
		send_batch(rec, len, ring_wakeup(rec, phase,
						 len * sizeof(rec->ev)));
		len = 0;
	}
	batch_leave(b, len);
}

/* Adds this drop to its key in tcpdrop_counts (event.h). A key seen for
 * the first time is inserted; when two CPUs insert the same key at once,
 * the one that loses adds to the winner's. A full map counts in
 * tcpdrop_count_full. */
INLINE void count_drop(void *ctx, const struct tcpdrop_event *ev)
{
	struct tcpdrop_count_key key;
	__u32 zero = 0, *epoch;
	__u64 one = 1, *n, *full;
	long ret;

	__builtin_memset(&key, 0, sizeof(key));
	epoch = bpf_map_lookup_elem(&tcpdrop_count_epoch, &zero);
	if (epoch)
		key.epoch = *epoch;
	key.location = ev->location;
	key.reason = ev->reason;
	key.family = ev->family;
	key.port = ev->dport;
	__builtin_memcpy(key.addr, ev->daddr, sizeof(key.addr));
	key.state = ev->state;
	if (cfg.count_netns)
		key.netns = ev->netns;
	/* Zero-filled by the helper on failure and past the last frame. */
	if (cfg.want_caller)
		bpf_get_stack(ctx, key.caller, sizeof(key.caller), 0);
	n = bpf_map_lookup_elem(&tcpdrop_counts, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	ret = bpf_map_update_elem(&tcpdrop_counts, &key, &one, BPF_NOEXIST);
	if (ret == 0)
		return;
	n = ret == -EEXIST ? bpf_map_lookup_elem(&tcpdrop_counts, &key) : 0;
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	full = bpf_map_lookup_elem(&tcpdrop_count_full, &zero);
	if (full)
		*full += 1;
}

/* The drop's time on the monotonic clock, in ns. Where the rows show
 * whole seconds (config tick_time, the tp_btf program), a drop in the
 * same tick (jiffies) as the one before it on this CPU takes that one's
 * time: bpf_ktime_get_ns() costs about 55 ns on a VM with return thunks
 * (the helper, the clocksource's indirect call, three returns), a
 * quarter of the program, and bpf_jiffies64() one inlined load. Two
 * drops of one tick are less than a tick apart (at most 10 ms, HZ 100),
 * plus however late the timer interrupt that advances jiffies is: a time
 * TICK_TIME_GUARD_NS or more before the wall clock's next second is in
 * the same second as every drop after it in its tick. A time nearer the
 * next second is not reused: 5% of drops read the clock for that. */
#define NSEC_PER_SEC 1000000000ull
#define TICK_TIME_GUARD_NS 50000000ull
INLINE unsigned long long drop_time(struct tcpdrop_record *rec,
				    const struct tcpdrop_phase *phase,
				    int direct)
{
	unsigned long long jiffies, now, in_second;

	if (!direct || !cfg.tick_time || !phase)
		return bpf_ktime_get_ns();
	jiffies = bpf_jiffies64();
	if (jiffies == rec->tick_jiffies)
		return rec->tick_ns;
	/* After jiffies: `now` is in this tick or a later one. */
	now = bpf_ktime_get_ns();
	in_second = (now + phase->wall_offset_ns) % NSEC_PER_SEC;
	rec->tick_jiffies =
		in_second < NSEC_PER_SEC - TICK_TIME_GUARD_NS ? jiffies : 0;
	rec->tick_ns = now;
	return now;
}

/* The task on the CPU: its ids and name. In the tp_btf program (`direct`)
 * on 5.11+ they are loads from bpf_get_current_task_btf(): one helper
 * call instead of three (each call costs 15 to 20 ns, return thunks
 * included), and comm in two 8-byte loads (the helper copies it byte by
 * byte). task->tgid is what user space calls the PID, task->pid the
 * thread's (as bpf_get_current_pid_tgid() gives them). */
INLINE void read_task(struct tcpdrop_record *rec,
		      const struct tcpdrop_phase *phase, int direct)
{
	struct tcpdrop_event *ev = &rec->ev;
	unsigned long long id, comm[2];
	struct task_struct *task;

	ev->ts_ns = drop_time(rec, phase, direct);
	ev->cpu = bpf_get_smp_processor_id();
	if (direct && cfg.task_btf) {
		task = bpf_get_current_task_btf();
		ev->pid = task->tgid;
		ev->tid = task->pid;
		comm[0] = *(const unsigned long long *)task->comm;
		comm[1] = *(const unsigned long long *)(task->comm + 8);
		__builtin_memcpy(ev->comm, comm, sizeof(ev->comm));
		return;
	}
	id = bpf_get_current_pid_tgid();
	ev->pid = id >> 32;
	ev->tid = (unsigned int)id;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* Before 5.18 tcp_drop() also frees a RST that did its work: the one that
 * refused a connect() (tcp_rcv_synsent_state_process()) or reset an
 * ESTABLISHED connection (tcp_validate_incoming()); the socket is CLOSE
 * by then. 5.18+ frees those with consume_skb(), no drop; neither is one
 * here. */
#define TCP_STATE_CLOSE 7
INLINE int reset_its_socket(const struct tcpdrop_event *ev)
{
	return ev->hook == TCPDROP_HOOK_TCP_DROP &&
	       (ev->tcpflags & TCPDROP_RST) && ev->state == TCP_STATE_CLOSE;
}

/* A packet between the self-check's ports on 127.0.0.1, either way: once
 * its namespace is gone, where a drop happened is no longer known (netns
 * 0), but these ports say whose it was. */
INLINE int is_selfcheck_packet(const struct tcpdrop_event *ev)
{
	const unsigned char loopback[4] = { 127, 0, 0, 1 };
	__u16 s = cfg.selfcheck_sport, d = cfg.selfcheck_dport;

	if (!s || ev->family != AF_INET ||
	    __builtin_memcmp(ev->saddr, loopback, 4) ||
	    __builtin_memcmp(ev->daddr, loopback, 4))
		return 0;
	return (ev->sport == s && (__u16)(ev->dport - d) < TCPDROP_SELFCHECK_DROPS) ||
	       (ev->dport == s && (__u16)(ev->sport - d) < TCPDROP_SELFCHECK_DROPS);
}

/* The SYN to the closed port, then the RST to the listener: the first of
 * each is kept. */
INLINE int keep_selfcheck_drop(const struct tcpdrop_event *ev)
{
	struct tcpdrop_event *kept;
	__u32 slot;

	if (!cfg.selfcheck_sport || ev->sport != cfg.selfcheck_sport)
		return 0;
	slot = (__u32)ev->dport - cfg.selfcheck_dport;
	if (slot >= TCPDROP_SELFCHECK_DROPS)
		return 0;
	kept = bpf_map_lookup_elem(&tcpdrop_check, &slot);
	if (kept && !kept->family)
		__builtin_memcpy(kept, ev, sizeof(*ev));
	return 0;
}

/* What both hooks do once they know the drop: decode the packet and its
 * socket, filter, and send the record with its stack. `ev` is rec->ev,
 * with reason and hook already set. In the self-check phase
 * (`selfcheck`), the decoded drop is kept instead, before any filter;
 * after it, the self-check's own packets are not the host's drops. */
INLINE int report_drop(void *ctx, struct tcpdrop_record *rec,
		       const struct tcpdrop_phase *phase,
		       struct sk_buff *skb, const struct entry_view *entry,
		       struct sock *sk,
		       unsigned short protocol, unsigned long long location,
		       int selfcheck, int direct)
{
	struct tcpdrop_event *ev = &rec->ev;
	unsigned long long stack_len, pkt_bytes = 0;
	struct skb_view v;

	if (cfg.have_btf) {
		if (entry)
			v = entry->skb;
		else
			read_skb(skb, rec->frames, &v, direct);
		if (read_headers(skb, &v, protocol, ev, direct))
			return 0;
		if (!selfcheck && cfg.family && ev->family != cfg.family)
			return 0;
		if (entry)
			context_direct(skb, &v, &entry->sock, ev);
		else
			read_context(skb, &v, sk ? sk : v.sk, ev);
		if (selfcheck)
			return keep_selfcheck_drop(ev);
		/* The self-check's namespace, torn down after tracing began,
		 * purges its sockets' queues: not the host's drops. (Not its
		 * inode: the next namespace made takes the freed number.) */
		if (is_selfcheck_packet(ev))
			return 0;
		if (reset_its_socket(ev) || !ports_wanted(ev) ||
		    !addrs_wanted(ev) || !socket_wanted(ev))
			return 0;
	}
	ev->location = location;
	if (cfg.count_in_kernel) {
		count_drop(ctx, ev);
		return 0;
	}
	read_task(rec, phase, direct);
	/* The tp_btf program is loaded only where no stack is taken. */
	stack_len = direct ? 0 : take_stack(ctx, rec);
	if (cfg.have_btf && cfg.snaplen) {
		pkt_bytes = take_packet(skb, &v, rec, stack_len, direct);
		VERIFIER_BOUND(pkt_bytes, TCPDROP_SNAP_BUF - 1);
		VERIFIER_BOUND(stack_len, TCPDROP_STACK_BUF * 8 - 1);
	}
	if (direct && cfg.ringbuf && !cfg.snaplen && phase && phase->batch)
		send_batched(ctx, rec, phase);
	else
		send_record(ctx, rec, phase,
			    sizeof(*ev) + stack_len + pkt_bytes);
	return 0;
}

INLINE struct tcpdrop_record *new_record(unsigned char hook)
{
	__u32 zero = 0;
	struct tcpdrop_record *rec = bpf_map_lookup_elem(&tcpdrop_scratch,
							 &zero);

	if (rec) {
		__builtin_memset(&rec->ev, 0, sizeof(rec->ev));
		rec->ev.hook = hook;
	}
	return rec;
}

/* What both programs on skb:kfree_skb do with its arguments: `protocol`
 * in host order, `reason` TCPDROP_NO_REASON on kernels without one. */
INLINE int kfree_skb_drop(void *ctx, struct sk_buff *skb,
			  const struct entry_view *entry,
			  struct sock *rx_sk, unsigned short protocol,
			  unsigned int reason, unsigned long long location,
			  int direct)
{
	const struct tcpdrop_phase *phase = phase_of();
	struct tcpdrop_record *rec;
	int selfcheck = !phase || phase->tracing == 0;

	if (selfcheck && !cfg.have_btf)
		return 0;
	/* The self-check's drops are drops on every kernel: only their
	 * reason is wanted here. */
	if (!selfcheck && (!family_wanted(protocol) || is_not_a_drop(reason) ||
			   !reason_wanted(reason)))
		return 0;
	rec = new_record(TCPDROP_HOOK_KFREE_SKB);
	if (!rec)
		return 0;
	rec->ev.reason = reason;
	return report_drop(ctx, rec, phase, skb, entry,
			   cfg.have_btf ? rx_sk : 0, protocol, location,
			   selfcheck, direct);
}

SEC("tracepoint/skb/kfree_skb")
int tcpdrop_kfree_skb(struct trace_event_raw_kfree_skb *ctx)
{
	unsigned int reason = TCPDROP_NO_REASON;

	if (field_exists(ctx->reason))
		reason = ctx->reason;
	return kfree_skb_drop(ctx, ctx->skbaddr, 0, socket_of(ctx),
			      ctx->protocol, reason,
			      (unsigned long long)ctx->location, 0);
}

/* The same tracepoint as a BTF-typed raw tracepoint (5.5+, where the
 * kernel has its BTF): the arguments of trace_kfree_skb() (skb, location,
 * reason from 5.17, rx_sk from 6.11), skb a pointer whose type the
 * verifier knows, so that its fields are plain loads. Loaded instead of
 * tcpdrop_kfree_skb where no stack is taken (src/tracer.c): its stack
 * would begin with the frames of the raw tracepoint's own call. */
SEC("tp_btf/kfree_skb")
int tcpdrop_kfree_skb_btf(unsigned long long *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	struct sock *rx_sk = 0;
	unsigned int reason = TCPDROP_NO_REASON;
	unsigned short protocol;
	struct entry_view entry;

	if (field_exists(TP_RECORD->reason))
		reason = (unsigned int)ctx[2];
	if (field_exists(TP_RECORD->rx_sk))
		rx_sk = (struct sock *)ctx[3];
	protocol = skb->protocol;
	protocol = (unsigned short)(protocol >> 8 | protocol << 8);
	/* Before any branch: see read_sock(). */
	read_skb(skb, 0, &entry.skb, 1);
	read_sock(rx_sk ? rx_sk : entry.skb.sk, &entry.sock);
	return kfree_skb_drop(ctx, skb, &entry, rx_sk, protocol, reason,
			      ctx[1], 1);
}

/* Never attached: loaded once and unloaded by the loader to learn whether
 * this kernel's verifier takes a plain load through skb->head in a tp_btf
 * program (a pointer to memory it cannot check, read with BPF_PROBE_MEM;
 * kernels before that see a number there and refuse). Sets
 * cfg.direct_packet (src/tracer.c). */
SEC("tp_btf/probe_packet")
int tcpdrop_probe_packet(unsigned long long *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	const unsigned char *head = skb->head;

	return *(const unsigned long long *)(head + skb->network_header) == 0;
}

/* Never attached: user space runs it with BPF_PROG_TEST_RUN on a CPU
 * (BPF_F_TEST_RUN_ON_CPU, 5.10+; in an IPI there, or in user space's
 * own context when that is the CPU) to send that CPU's batch, on its
 * drain tick and at the end (src/tracer.c, tracer_flush()). A batch the
 * tp_btf program is changing (`busy`) is left for the next tick. */
SEC("raw_tp/tcpdrop_flush")
int tcpdrop_flush(void *ctx)
{
	volatile struct tcpdrop_batch_state *b = batch_state();
	__u32 zero = 0;
	struct tcpdrop_record *rec = bpf_map_lookup_elem(&tcpdrop_scratch,
							 &zero);
	unsigned long long len;

	if (!cfg.ringbuf || !b || !rec || b->busy || !b->len)
		return 0;
	len = batch_enter(b);
	send_batch(rec, (unsigned int)len, BPF_RB_NO_WAKEUP);
	batch_leave(b, 0);
	return 0;
}

/* tcp_drop(sk, skb): from 4.7 to 5.17 it frees with __kfree_skb(), which
 * skb:kfree_skb never sees: out-of-window and old segments, PAWS rejects,
 * receive queue pruning. Attached only where the tracepoint has no reason
 * field, where that is so (src/kprobe.c). The location is its caller. */
SEC("kprobe/tcp_drop")
int tcpdrop_tcp_drop(struct pt_regs *ctx)
{
	struct sock *sk = (struct sock *)KPROBE_ARG1(ctx);
	struct sk_buff *skb = (struct sk_buff *)KPROBE_ARG2(ctx);
	struct tcpdrop_record *rec;
	unsigned short protocol = 0;

	if (!cfg.have_btf)
		return 0;
	/* Absent from a discovered layout: the IP version tells then. */
	READ_IF(protocol, skb->protocol);
	protocol = (unsigned short)(protocol >> 8 | protocol << 8);
	if (protocol && !family_wanted(protocol))
		return 0;
	rec = new_record(TCPDROP_HOOK_TCP_DROP);
	if (!rec)
		return 0;
	rec->ev.reason = TCPDROP_NO_REASON;
	return report_drop(ctx, rec, phase_of(), skb, 0, sk, protocol,
			   kprobe_return_address(ctx), 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
