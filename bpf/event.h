/* The one record the BPF program sends to user space, shared by both sides.
 *
 * A record is a fixed part (struct tcpdrop_event) followed by `nframes`
 * kernel stack frames (u64 addresses, innermost first), copied into the
 * record by bpf_get_stack() (4.18+) at the time of the drop: every row
 * carries its own stack, never one looked up later by an id that another
 * drop may have reused. Then, with -w, `caplen` bytes of the packet from
 * its network header on (not padded).
 *
 * Fixed-width fields only, ordered by size so that the layout has no holes on
 * either side; the static assertions at the end keep it that way on both.
 * User space must memcpy() a record out of the perf ring before reading it:
 * ring records are only 8-byte aligned by accident of their headers. */
#ifndef TCPDROP_EVENT_H
#define TCPDROP_EVENT_H

#ifdef __bpf__
/* The BPF side has no libc; these match the uapi types. */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
#else
#include <linux/types.h>
#endif

/* reason value meaning "this kernel's tracepoint has no reason field". */
#define TCPDROP_NO_REASON 0xffffffffu
/* Frames a record can carry: PERF_MAX_STACK_DEPTH (127), the default of
 * kernel.perf_event_max_stack. The buffer has room for one more so that the
 * program can bound the copied length with a mask (see tcpdrop.bpf.c). */
#define TCPDROP_STACK_MAX 127
#define TCPDROP_STACK_BUF (TCPDROP_STACK_MAX + 1)
/* Frames taken for the caller alone (config want_caller): enough to pass
 * kfree_skb, its compiler-made parts and the tracepoint's own frame. */
#define TCPDROP_CALLER_FRAMES 8
/* The most packet bytes a record carries (-s, for -w): a whole IP packet
 * of a 1500-byte MTU. A power of two: the program bounds the copied length
 * with a mask of twice this, which every kernel's verifier tracks. More
 * would cost per-CPU scratch space and ring space for headers that the
 * linear part of a received packet rarely holds anyway. */
#define TCPDROP_SNAP_MAX 2048
#define TCPDROP_SNAP_BUF (2 * TCPDROP_SNAP_MAX)

/* tcpdrop_event.hook */
#define TCPDROP_HOOK_KFREE_SKB 0    /* tracepoint skb:kfree_skb */
#define TCPDROP_HOOK_TCP_DROP 1     /* kprobe on tcp_drop() (4.7 to 5.17) */

/* tcpdrop_event.stack: what became of the kernel stack of this drop. */
#define TCPDROP_STACK_NOT_TAKEN 0   /* -S, or a mode that shows none */
#define TCPDROP_STACK_TAKEN 1       /* nframes frames follow (maybe 0) */
#define TCPDROP_STACK_FAILED 2      /* bpf_get_stack() failed */
/* state value when neither rx_sk nor skb->sk gave a socket. TCP states
 * start at 1 (TCP_ESTABLISHED) in every kernel. */
#define TCPDROP_NO_STATE 0

/* TCP header flag bits, as in byte 13 of the header. */
#define TCPDROP_FIN 0x01
#define TCPDROP_SYN 0x02
#define TCPDROP_RST 0x04
#define TCPDROP_PSH 0x08
#define TCPDROP_ACK 0x10
#define TCPDROP_URG 0x20
#define TCPDROP_ECE 0x40
#define TCPDROP_CWR 0x80

/* bpf_probe_read_kernel (5.5+) and the older helper with the same
 * arguments, which the loader substitutes on kernels without it. */
#define TCPDROP_HELPER_PROBE_READ_KERNEL 113
#define TCPDROP_HELPER_PROBE_READ 4

struct tcpdrop_event {
	__u64 ts_ns;      /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 location;   /* kernel address that freed the packet */
	__u32 pid;        /* tgid of the task on the CPU */
	__u32 tid;
	__u32 reason;     /* raw enum skb_drop_reason, or TCPDROP_NO_REASON */
	__u32 netns;      /* network namespace inode, 0 if unknown */
	__u32 ifindex;    /* skb->dev's, else the input device's (skb_iif) */
	__u32 len;        /* skb->len */
	__u32 cpu;
	__u16 family;     /* AF_INET or AF_INET6 */
	__u16 sport;      /* host byte order */
	__u16 dport;      /* host byte order */
	__u8 state;       /* TCP_ESTABLISHED.., or TCPDROP_NO_STATE */
	__u8 tcpflags;    /* TCPDROP_SYN | ... */
	__u8 saddr[16];   /* IPv4 in the first 4 bytes, network order */
	__u8 daddr[16];
	char comm[16];    /* as the task named itself: any bytes */
	__u16 nframes;    /* stack frames that follow the record */
	__u8 stack;       /* TCPDROP_STACK_* */
	__u8 hook;        /* TCPDROP_HOOK_*: where the drop was seen */
	/* The packet's length from its network header to its end: the IPv4
	 * total length, the IPv6 payload length + 40; where that is 0 (BIG
	 * TCP, 6.3+), skb->len from the network header. 0 without -w. */
	__u32 pkt_len;
	__u16 caplen;     /* packet bytes after the frames (-w), <= pkt_len */
	__u16 pad;
};

/* Count mode (-c) and an exporter without rows (-q) aggregate in the kernel:
 * no record goes through the rings, the program adds 1 to the value (a
 * __u64) of this key in the hash map tcpdrop_counts. The key holds what the
 * count tables and the metrics show, and no more, so that keys stay few.
 * Counts are never reset by user space, which reads them as they grow and
 * takes the difference (src/kcount.c); `epoch` lets it delete keys no
 * program can still touch (see there). Zero-filled before it is filled:
 * the kernel hashes and compares every byte. */
struct tcpdrop_count_key {
	__u64 location;   /* as tcpdrop_event.location */
	/* want_caller: the innermost stack frames, for user space to find
	 * the caller of a free wrapper (kernels without reasons); else 0 */
	__u64 caller[TCPDROP_CALLER_FRAMES];
	__u32 reason;     /* raw enum skb_drop_reason, or TCPDROP_NO_REASON */
	__u32 netns;      /* namespace inode with count_netns, else 0 */
	__u32 epoch;      /* tcpdrop_count_epoch when the drop was counted */
	__u16 family;     /* AF_INET, AF_INET6, 0 without packet headers */
	__u16 port;       /* local (destination) port, host order */
	__u8 addr[16];    /* local (destination) address, network order */
	__u8 state;       /* as tcpdrop_event.state */
	__u8 pad[7];
};

/* Network namespaces -N NAME stands for, at most: one a time the name
 * was found with another inode (a namespace made again, a container
 * restarted). */
#define TCPDROP_NETNS_SET_MAX 64

/* The program's phase, the one value of the map tcpdrop_phase, set by user
 * space: first the self-check (tracing 0: the self-check's drops are kept
 * in tcpdrop_check, nothing is sent), then tracing. */
struct tcpdrop_phase {
	__u32 tracing;
	/* With the BPF ring buffer: the bytes each CPU writes before it
	 * wakes the reader (0: at every record). */
	__u32 wakeup_bytes;
	/* With config tick_time: (CLOCK_REALTIME - CLOCK_MONOTONIC) modulo
	 * one second, in ns, when tracing began: where the wall clock's
	 * seconds begin on the monotonic clock. */
	__u32 wall_offset_ns;
	/* The tp_btf program gathers its records in per-CPU batches of
	 * TCPDROP_BATCH_MAX (1), or sends each at once (0): set where user
	 * space can flush a CPU's batch with tcpdrop_flush. */
	__u32 batch;
};

/* Records a batch holds: one ring buffer record carries up to this many
 * tcpdrop_event, back to back (user space takes a record's bytes past its
 * first event as more events when there is room for one). */
#define TCPDROP_BATCH_MAX 8

/* The state of a CPU's batch, the one value of the per-CPU array
 * tcpdrop_batch_state: what it holds, and whether a program is changing
 * it right now on that CPU (the tp_btf program, or tcpdrop_flush run by
 * user space on that CPU, which may interrupt each other there). User
 * space reads `len` to know which CPUs to flush. */
struct tcpdrop_batch_state {
	__u32 busy;
	__u32 len;
};

/* The frames follow at an 8-byte boundary, and the layout is the same for
 * clang -target bpf and the host compiler. */
_Static_assert(sizeof(struct tcpdrop_event) == 112,
	       "tcpdrop_event has holes or changed size");
_Static_assert(sizeof(struct tcpdrop_event) % 8 == 0,
	       "stack frames after tcpdrop_event would be misaligned");

_Static_assert(sizeof(struct tcpdrop_count_key) ==
	       8 + 8 * TCPDROP_CALLER_FRAMES + 3 * 4 + 2 * 2 + 16 + 8,
	       "tcpdrop_count_key has holes");
_Static_assert(sizeof(struct tcpdrop_phase) == 4 * 4,
	       "tcpdrop_phase has holes");

#endif
