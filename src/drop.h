/* One drop as the output modes see it: the record from the kernel plus
 * everything that needed kernel state to name, already resolved by
 * report.c (reason name, location symbol, stack symbols). */
#ifndef TCPDROP_DROP_H
#define TCPDROP_DROP_H

#include <stdint.h>
#include <time.h>

#include "event.h"

struct netns_info;

struct drop_view {
	const struct tcpdrop_event *ev;
	struct timespec when;        /* wall clock (CLOCK_REALTIME) time */
	const char *reason;          /* kernel's name; NULL: no reason field */
	const char *location;        /* "tcp_v4_rcv+0x91" or "0xffff..." */
	const char *const *stack;    /* frames, innermost first; NULL: none */
	int nstack;
	const struct netns_info *ns; /* the namespace's names (-n); NULL:
				      * not asked for */
};

/* The REASON column: the name, or where the packet was freed on kernels
 * whose tracepoint has no reason (before 5.17). */
static inline const char *drop_reason_text(const struct drop_view *d)
{
	return d->reason ? d->reason : d->location;
}

/* Headers were read from the packet (not in degraded mode, without BTF). */
static inline int drop_has_packet(const struct drop_view *d)
{
	return d->ev->family != 0;
}

#endif
