/* The one record the BPF program sends to user space, shared by both sides.
 *
 * Fixed-width fields only, ordered by size so that the layout has no holes on
 * either side; the static assertion in src/event_check.c keeps it that way.
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
/* stack_id value when no stack was taken (-S) or the stack map was full. */
#define TCPDROP_NO_STACK (-1)
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
	__s32 stack_id;   /* key into the stack map, or TCPDROP_NO_STACK */
	__u32 netns;      /* network namespace inode, 0 if unknown */
	__u32 ifindex;    /* device the packet was on, 0 if none */
	__u32 len;        /* skb->len */
	__u32 cpu;
	__u16 family;     /* AF_INET or AF_INET6 */
	__u16 sport;      /* host byte order */
	__u16 dport;      /* host byte order */
	__u8 state;       /* TCP_ESTABLISHED.., or TCPDROP_NO_STATE */
	__u8 tcpflags;    /* TCPDROP_SYN | ... */
	__u8 saddr[16];   /* IPv4 in the first 4 bytes, network order */
	__u8 daddr[16];
	char comm[16];
};

#endif
