/* Turns each record from the rings into what output.c prints: copies it
 * out of the ring, names the reason, fetches and symbolizes the kernel
 * stack (loading /proc/kallsyms on the first stack only), and keeps the
 * counts printed at exit. */
#ifndef TCPDROP_REPORT_H
#define TCPDROP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kernel.h"
#include "ksym.h"

struct report {
	FILE *out;                      /* rows */
	FILE *diag;                     /* one-time warnings */
	const struct kernel_facts *kernel;
	int stack_map_fd;               /* -1: no stacks */
	int64_t realtime_offset_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	const char *kallsyms_path;
	struct ksyms *ksyms;            /* loaded on first use */
	bool ksyms_failed;
	uint64_t drops, lost, malformed;
};

/* Fills the clock offset; the caller sets the rest. */
void report_init(struct report *r);

/* ring_sample_fn / ring_lost_fn. report_sample returns -EPIPE or -EIO when
 * the output stream failed (a closed pipe), which ends the run. */
int report_sample(void *ctx, int cpu, const void *data, uint32_t size);
void report_lost(void *ctx, int cpu, uint64_t lost);

void report_free(struct report *r);

#endif
