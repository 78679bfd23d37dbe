/* Attaching a loaded program to a tracepoint through perf_event_open(),
 * the interface every kernel since 4.7 has. The event is opened disabled,
 * given the program, and only then enabled, so no event fires without it. */
#ifndef TCPDROP_ATTACH_H
#define TCPDROP_ATTACH_H

#include <linux/perf_event.h>
#include <stdint.h>

/* A disabled event of `type` and `config` that samples every hit; the
 * caller may set more (a kprobe's config1, config2). */
void attach_event_attr(struct perf_event_attr *attr, uint32_t type,
		       uint64_t config);

/* Opens the event described by `attr` (disabled) on all processes, gives
 * it `prog_fd` and enables it: the perf event fd, or -errno with nothing
 * left open. */
int attach_event(struct perf_event_attr *attr, int prog_fd);

/* Returns the perf event fd (the attachment lives as long as it does), or
 * -errno. Nothing stays open on failure. */
int attach_tracepoint(int prog_fd, uint32_t tracepoint_id);

/* Disables and closes; safe with fd < 0. */
void detach(int perf_fd);

#endif
