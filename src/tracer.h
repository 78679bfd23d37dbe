/* The whole pipeline from the embedded object to readable rings: read the
 * kernel's facts, prepare and load the object, attach it to skb:kfree_skb,
 * open one perf ring per online CPU and an epoll set over them.
 * tracer_stop() undoes every step that was done, in reverse, from any
 * state: after it nothing of ours is left in the kernel. */
#ifndef TCPDROP_TRACER_H
#define TCPDROP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"
#include "filter.h"
#include "kernel.h"
#include "object.h"
#include "ring.h"

struct tracer_config {
	uint16_t family;      /* 0 for both, AF_INET or AF_INET6 */
	bool stack;           /* collect kernel stacks */
	size_t ring_pages;    /* per CPU, power of two */
	const char *btf_path; /* NULL: search the usual places */
	const struct filter *filter; /* NULL: no filter */
};

struct tracer {
	struct kernel_facts kernel;
	bool kernel_read;
	struct bpf_object obj;
	bool obj_open;
	int perf_fd;          /* the tracepoint attachment */
	int stack_map_fd;     /* owned by obj */
	struct perf_ring *rings;
	int nrings;
	int epoll_fd;
	bool have_btf;        /* false: degraded mode, no packet headers */
	bool usage_error;     /* the failure was the options' (exit 2): a
			       * filter this kernel cannot evaluate */
	char *verifier_log;   /* set when the verifier refused the program;
			       * kept by tracer_stop(), freed by the caller */
	size_t verifier_log_len;
};

/* Sets every fd to -1 so that tracer_stop() is safe at once. */
void tracer_init(struct tracer *t);

/* Runs the pipeline. Returns 0, or -errno with `msg` always filled: what
 * failed and why (a step that gave no message of its own is named, with
 * the errno), and whatever was done is already undone. */
int tracer_start(struct tracer *t, const struct tracer_config *cfg,
		 struct errmsg *msg);

/* Registers an fd of the caller's in the tracer's epoll set; `tag` comes
 * back in epoll_event.data.u64. Ring i is registered with tag i. */
int tracer_watch_fd(struct tracer *t, int fd, uint32_t events, uint64_t tag);

void tracer_stop(struct tracer *t);

#endif
