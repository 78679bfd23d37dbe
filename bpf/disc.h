/* The discovery program's plan and record, shared by both sides
 * (bpf/discover.bpf.c, src/discover.c, src/layout.c).
 *
 * Without kernel BTF, tcpdrop finds the few offsets it needs in struct
 * sk_buff, sock_common, net and net_device by reading raw kernel memory
 * around known drops that it makes itself. The program reads nothing by
 * name: user space writes a plan of up to DISC_READS reads into the
 * disc_plan map, and the program carries it out on the next drop made by
 * the task whose comm is plan.comm, into the one disc_record.
 *
 * Read i copies DISC_CHUNK bytes from an address: the sk_buff itself
 * (from == DISC_FROM_SKB), or the 8-byte value at byte `off` of an
 * earlier read `from` (a pointer), plus `add`. A NULL pointer or a failed
 * copy leaves ok[i] at 0. */
#ifndef TCPDROP_DISC_H
#define TCPDROP_DISC_H

#include "event.h"

#define DISC_CHUNK 512
#define DISC_READS 48
#define DISC_FROM_SKB 0xffffffffu
/* The 8-byte slots of struct sk_buff looked at: its first 256 bytes hold
 * head, data, sk and dev on every kernel from 4.x to 6.18. */
#define DISC_SKB_SLOTS 32
#define DISC_MAP_PLAN "disc_plan"
#define DISC_MAP_RECORD "disc_record"

struct disc_read {
	__u32 from;
	__u32 off;
	__u32 add;
	__u32 pad;
};

struct disc_plan {
	char comm[16];      /* the drop maker's comm, NUL-padded */
	__u32 armed;
	__u32 nreads;
	struct disc_read reads[DISC_READS];
};

struct disc_record {
	__u64 skbaddr;
	__u32 protocol;     /* the tracepoint's, host order */
	__u32 taken;        /* set by the program on its one record */
	__u64 addr[DISC_READS];
	__u8 ok[DISC_READS];
	__u8 buf[DISC_READS][DISC_CHUNK];
};

_Static_assert(sizeof(struct disc_plan) == 24 + 16 * DISC_READS,
	       "disc_plan has holes");
_Static_assert(sizeof(struct disc_record) ==
	       16 + 9 * DISC_READS + DISC_CHUNK * DISC_READS,
	       "disc_record has holes");

#endif
