/* The whole pipeline from the embedded object to readable rings: read the
 * kernel's facts, prepare and load the object, attach it to skb:kfree_skb,
 * open one perf ring per online CPU and an epoll set over them.
 * tracer_free() undoes every step that was done, in reverse, from any
 * state: after it nothing of ours is left in the kernel. */
#ifndef TCPDROP_TRACER_H
#define TCPDROP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "errmsg.h"
#include "filter.h"
#include "kernel.h"
#include "kprobe.h"
#include "layout.h"
#include "discover.h"
#include "ring.h"
#include "selfcheck.h"

struct tracer_config {
	uint16_t family;      /* 0 for both, AF_INET or AF_INET6 */
	bool stack;           /* collect kernel stacks */
	size_t ring_pages;    /* per CPU, power of two */
	const char *btf_path; /* NULL: search the usual places */
	const struct filter *filter; /* NULL: no filter */
	bool no_discovery;    /* --no-discovery: no BTF means degraded */
	/* Count in the kernel (kcount.h): no rings, no records. */
	bool count_in_kernel;
	bool count_netns;     /* ... keeping each drop's namespace */
	/* -w: packet bytes per record, 1 to TCPDROP_SNAP_MAX; 0: none. The
	 * packet needs BTF or a discovered layout: without, a usage error. */
	uint32_t snaplen;
	/* The rows show whole seconds, no finer (text rows with -t hms, no
	 * -w): a drop may take the time of an earlier drop of the same tick
	 * on its CPU, in the right second (config tick_time). */
	bool whole_seconds;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC, in ns, as the rows' times are
	 * turned into wall-clock time with it (report.h): where the wall
	 * clock's seconds begin for whole_seconds. */
	int64_t realtime_offset_ns;
};

/* Without kernel BTF: what discovery found (discover.h), or why not. */
struct tracer_discovery {
	bool tried;           /* no BTF, and not --no-discovery */
	bool found;           /* rows are full: the layout below is used */
	struct layout layout;
	struct discover_stats stats;
	char why[512];        /* tried and not found: why */
};

/* What a drain hands each record to (report.c's functions in the run). */
struct tracer_sink {
	ring_sample_fn sample;
	ring_lost_fn lost;
	/* A record that broke the ring's framing on CPU `cpu`; the ring
	 * was reset past it and the drain goes on. */
	void (*corrupt)(void *ctx, int cpu);
	void *ctx;
};

/* Opaque: the run loop and the diagnostics use the functions below. */
struct tracer;

/* A tracer with nothing started: tracer_free() is safe at once. NULL
 * when out of memory. */
struct tracer *tracer_new(void);

/* Runs the pipeline. Returns 0, or -errno with `msg` always filled: what
 * failed and why (a step that gave no message of its own is named, with
 * the errno), and whatever was done in the kernel is already undone; what
 * the failure left to say (the verifier's log, whether it was a usage
 * error) stays readable until tracer_free(). */
int tracer_start(struct tracer *t, const struct tracer_config *cfg,
		 struct errmsg *msg);

/* Registers an fd of the caller's in the tracer's epoll set; `tag` comes
 * back in epoll_event.data.u64. Ring i is registered with tag i, and
 * tags below 2^32 are reserved for rings. 0 or -errno. */
int tracer_watch_fd(struct tracer *t, int fd, uint32_t events, uint64_t tag);

/* epoll_wait() on that set: the number of events, 0 on a timeout or a
 * signal, -errno on an error. */
int tracer_wait(struct tracer *t, struct epoll_event *events, int max,
		int timeout_ms);

/* Reads what is in ring `index` (a tag), or in every ring for -1, into
 * `sink`. 0, or the first non-zero return of sink->sample (which stops
 * the drain), or -ENOMEM. */
int tracer_drain(struct tracer *t, int index, const struct tracer_sink *sink);

/* The records the program could not write because a ring was full, as it
 * counted them itself since the start: exact at any time. 0 or -errno. */
/* Sends the records that wait in the tp_btf program's per-CPU batches
 * to the ring buffer, for the next tracer_drain() (batch.h; `settle`
 * after tracer_detach()). 0 where there are none, or -errno. */
int tracer_flush(struct tracer *t, bool settle);

int tracer_read_lost(struct tracer *t, uint64_t *lost);

/* The runs of tcpdrop's programs the kernel skipped because one of them
 * was already running on that CPU (a free inside a traced one:
 * recursion_misses of bpf_prog_info, 5.12+; 0 before): frees that were
 * never seen, drops or not, so not in `lost`. 0 or -errno. */
int tracer_read_missed(struct tracer *t, uint64_t *missed);

/* The maps of the in-kernel counts (count_in_kernel), for kcount.h.
 * 0 or -ENOENT. */
struct kcount_maps;
int tracer_count_maps(struct tracer *t, struct kcount_maps *maps);

/* Adds a namespace inode to the set -N NAME filters on (filter.h
 * netns_by_name). 0, or -errno (-E2BIG: TCPDROP_NETNS_SET_MAX already). */
int tracer_add_netns(struct tracer *t, uint32_t inode);

/* Detaches the program: no drop is recorded after it, and what is in
 * the rings stays there to be drained. Safe twice. */
void tracer_detach(struct tracer *t);

/* What was found about the kernel; valid from a successful start until
 * tracer_free() (its BTF is already released). */
const struct kernel_facts *tracer_kernel(const struct tracer *t);

/* The kernel's BTF was found: rows have packet headers. */
bool tracer_has_btf(const struct tracer *t);

/* The last start failed because of the options (exit 2), e.g. a filter
 * this kernel cannot evaluate. */
bool tracer_usage_error(const struct tracer *t);

/* The verifier's log when it refused the program, else NULL; `len` is
 * its length in bytes, without a terminating NUL. */
const char *tracer_verifier_log(const struct tracer *t, size_t *len);

/* The kprobe on tcp_drop() (kprobe.h), for -v: 0 when attached, -ENOTSUP
 * when not wanted on this kernel, -ENOENT (no such function), -EOPNOTSUPP
 * (no kprobes) or another -errno. */
int tracer_kprobe(const struct tracer *t, const struct kprobe **kp);
/* Discovery's outcome, for -v and the degraded mode's line. */
const struct tracer_discovery *tracer_discovery(const struct tracer *t);

/* 0 when the program on skb:kfree_skb is the tp_btf one, else -errno
 * why not: -ENOENT no kernel BTF of its own, -EOPNOTSUPP a stack or the
 * packet (-w) is taken, -ENODATA no reasons on this kernel (the caller's frames are
 * taken), -ECANCELED TCPDROP_NO_TP_BTF, or the verifier's refusal. For
 * -v. */
int tracer_tp_btf(const struct tracer *t);

/* Whether the tp_btf program reads the packet's headers with plain loads
 * (newer kernels' verifiers take them; bpf/config.h direct_packet). */
bool tracer_direct_packet(const struct tracer *t);

/* Whether the tp_btf program batches its records (batch.h). */
bool tracer_batches(const struct tracer *t);

/* What the self-check did (selfcheck.h), for -v. */
const struct selfcheck *tracer_selfcheck(const struct tracer *t);

/* The rings: how many, and the data bytes of each; `ringbuf` when the
 * records go to the one BPF ring buffer (then nrings is 1). */
void tracer_rings(const struct tracer *t, int *nrings, uint64_t *bytes,
		  bool *ringbuf);

/* Undoes every step that was done, in reverse, and frees `t`; NULL is
 * fine. After it nothing of ours is left in the kernel. */
void tracer_free(struct tracer *t);

#endif
