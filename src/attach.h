/* Attaching a loaded program to a tracepoint through perf_event_open(),
 * the interface every kernel since 4.7 has. The event is opened disabled,
 * given the program, and only then enabled, so no event fires without it. */
#ifndef TCPDROP_ATTACH_H
#define TCPDROP_ATTACH_H

#include <stdint.h>

/* Returns the perf event fd (the attachment lives as long as it does), or
 * -errno. Nothing stays open on failure. */
int attach_tracepoint(int prog_fd, uint32_t tracepoint_id);

/* Disables and closes; safe with fd < 0. */
void detach(int perf_fd);

#endif
