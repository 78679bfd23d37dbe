/* A BPF program on a kernel function's entry (a kprobe), for tcp_drop().
 *
 * First through the perf kprobe PMU (4.17+:
 * /sys/bus/event_source/devices/kprobe/type): perf_event_open() names the
 * function, and the probe lives exactly as long as the fd, so nothing is
 * ever left behind. Where that PMU is missing, through tracefs: a line
 * "p:tcpdrop_PID/NAME FUNC" in kprobe_events creates an event whose id
 * the program is attached to like a tracepoint's, and "-:tcpdrop_PID/NAME"
 * removes it at the end. A run killed in between leaves its event; the
 * next run that uses tracefs removes every tcpdrop_PID group whose PID is
 * gone. */
#ifndef TCPDROP_KPROBE_H
#define TCPDROP_KPROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "errmsg.h"

#define KPROBE_PMU_TYPE "/sys/bus/event_source/devices/kprobe/type"
#define KPROBE_GROUP_PREFIX "tcpdrop_"

enum kprobe_way { KPROBE_NONE, KPROBE_PMU, KPROBE_TRACEFS };

struct kprobe {
	int fd;                  /* the perf event; -1 when not attached */
	enum kprobe_way way;
	char func[64];
	char event[96];          /* "tcpdrop_PID/FUNC", KPROBE_TRACEFS only */
};

/* Sets fd to -1: kprobe_detach() is safe at once. */
void kprobe_init(struct kprobe *kp);

/* Attaches `prog_fd` (BPF_PROG_TYPE_KPROBE) at the entry of `func`. 0, or
 * -ENOENT when the kernel has no such function (inlined, removed),
 * -EOPNOTSUPP when it has no kprobes at all, other -errno with `msg`
 * saying what failed. `force_tracefs` skips the PMU (for tests). */
int kprobe_attach(struct kprobe *kp, int prog_fd, const char *func,
		  bool force_tracefs, struct errmsg *msg);

/* Detaches and, for a tracefs event, removes it. Safe twice. */
void kprobe_detach(struct kprobe *kp);

/* In a kprobe_events text, the "-:GROUP/EVENT" lines that remove every
 * event of a KPROBE_GROUP_PREFIX group whose PID no longer runs, written
 * into `out` (NUL-terminated, cut at a whole line). Returns how many. */
size_t kprobe_stale_removals(const char *events, char *out, size_t size);

#endif
