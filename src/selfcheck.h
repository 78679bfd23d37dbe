/* The self-check: before tracing, tcpdrop proves on the running kernel
 * that its decoder reads known packets exactly. A BTF file of another
 * kernel (--btf) gives offsets that load and run but read nonsense: rows
 * that lie, or no rows at all. So a child process, in a network namespace
 * of its own, sends two segments of exact bytes through a raw socket while
 * the program is attached in its self-check phase (tcpdrop_phase): a SYN
 * with SELFCHECK_PAYLOAD
 * bytes of data from 127.0.0.1:SPORT to the closed port 127.0.0.1:DPORT,
 * and a RST to a listener on 127.0.0.1:DPORT+1. The kernel drops both,
 * and the records the program kept must hold exactly: the tuples, the
 * flags, the length (TCP header and data), the child's namespace and its
 * loopback device, and where the tracepoint hands over the receiving
 * socket (rx_sk, 6.11+) the listener's state. The drops stay in that
 * namespace, which dies with the child. */
#ifndef TCPDROP_SELFCHECK_H
#define TCPDROP_SELFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "errmsg.h"
#include "event.h"

/* Data bytes in the SYN: skb->len at its drop is 20 + this. */
#define SELFCHECK_PAYLOAD 4

/* What the SYN was, and whether it could be sent at all. */
struct selfcheck {
	uint16_t sport, dport;   /* host order; chosen by selfcheck_init() */
	uint32_t netns;          /* the child's namespace inode */
	uint32_t ifindex;        /* its loopback's */
	bool skipped;            /* no namespace could be made here */
	/* Facts the layout does not have (discovery without BTF): their
	 * fields read 0 and are not compared. Set after selfcheck_init(). */
	bool no_netns, no_ifindex;
	char skipped_why[96];
	int64_t elapsed_us;
};

/* Picks the ports: a random pair, so that no other drop has them. */
void selfcheck_init(struct selfcheck *sc);

/* Makes the drop, with the program already attached: 0, or -errno with
 * `msg` saying why. A kernel that refuses a new network namespace (no
 * CAP_SYS_ADMIN) is not an error: sc->skipped says why. */
int selfcheck_make_drop(struct selfcheck *sc, struct errmsg *msg);

/* What the kernel can show of the drops, from its tracepoint's fields. */
struct selfcheck_kernel {
	bool has_reason;     /* 5.17+ */
	bool has_rx_sk;      /* 6.11+: the listener's state must be read */
};

/* Compares what the program kept (`got`, one record a drop, all zero
 * where it kept nothing) with the drops that were made: 0, or -EPROTO
 * with `msg` naming the first field that differs. */
int selfcheck_compare(const struct selfcheck *sc,
		      const struct selfcheck_kernel *k,
		      const struct tcpdrop_event got[TCPDROP_SELFCHECK_DROPS],
		      struct errmsg *msg);

#endif
