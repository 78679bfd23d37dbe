/* How big each CPU's perf ring is: sized from the drop rate the mode is
 * built to take without loss and the size of its records, so that the
 * ring holds RINGSIZE_HOLD_MS of drops while the reader is away (a
 * scheduling gap on a busy host), not a constant that is too small for
 * stacks and wasteful for counts. --ring-pages sets it instead. */
#ifndef TCPDROP_RINGSIZE_H
#define TCPDROP_RINGSIZE_H

#include <stddef.h>

/* Drops a second each mode is built to take on one CPU (README,
 * "Performance"): rows without stacks, rows with stacks. */
#define RINGSIZE_RATE_ROWS 300000
#define RINGSIZE_RATE_STACKS 100000
/* Frames a stack usually has in a drop from the receive path (about 20
 * to 30 from the tracepoint to the softirq or syscall entry). */
#define RINGSIZE_TYPICAL_FRAMES 25
#define RINGSIZE_HOLD_MS 20
/* Bounds of the data pages per CPU, and of all rings together: a host
 * with many CPUs gets smaller rings, not gigabytes of locked memory. */
#define RINGSIZE_MIN_PAGES 8
#define RINGSIZE_MAX_PAGES 4096
#define RINGSIZE_TOTAL_MAX ((size_t)64 << 20)

/* The data pages of one CPU's ring: a power of two, from `rate` drops a
 * second of `record_bytes` each (with its 8-byte perf header), for
 * RINGSIZE_HOLD_MS, within the bounds above for `ncpus` rings of
 * `page_size`-byte pages. */
size_t ringsize_pages(unsigned long rate, size_t record_bytes,
		      size_t page_size, int ncpus);

#endif
