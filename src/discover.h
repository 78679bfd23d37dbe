/* Discovery: where the kernel has no BTF, find the layout facts the
 * tracer needs (layout.h) from known drops that tcpdrop makes itself.
 *
 * A child process, in network namespaces of its own (two, one after the
 * other), makes the drops on command: a SYN to a closed port on loopback
 * (received, no socket), and a segment of an ESTABLISHED socket that
 * cannot leave (loopback taken down under it: ip_queue_xmit() finds no
 * route and frees it with skb->sk set). The discovery program
 * (bpf/discover.bpf.c), attached meanwhile, copies raw memory around each
 * drop as the plan says; src/layout.c finds the offsets in it, and
 * verifies each on a second, different drop in the second namespace.
 * The drops stay in those namespaces, which die with the child; the
 * tracer is not attached yet, so they are never rows. */
#ifndef TCPDROP_DISCOVER_H
#define TCPDROP_DISCOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "errmsg.h"
#include "layout.h"
#include "tpformat.h"

/* Environment variable for tests: when set, discovery looks for a packet
 * other than the one it sent, and so must fail. */
#define DISCOVER_FAIL_ENV "TCPDROP_TEST_DISCOVERY_FAIL"

struct discover_stats {
	int64_t elapsed_us;
	int drops;            /* known drops made */
};

/* The discovery program, still attached but disarmed. */
struct disc;

/* Runs discovery. `fmt` and `tp_id` are skb:kfree_skb's; helper 113 is
 * replaced by 4 where the kernel lacks it. 0 with `out` filled (unknown
 * facts are LAYOUT_UNKNOWN; head, tail, len and network_header are always
 * found), or -errno with `msg` saying why. */
int discover_run(const struct tp_format *fmt, uint32_t tp_id,
		 bool has_probe_read_kernel, struct layout *out,
		 struct discover_stats *stats, struct disc **keep,
		 struct errmsg *msg);

/* Detaches and closes what discover_run() left in `*keep` (on success
 * and failure alike): call it once the tracer is attached, or at exit.
 * NULL is fine. */
void discover_release(struct disc *keep);

#endif
