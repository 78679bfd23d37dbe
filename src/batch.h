/* The tp_btf program's per-CPU batches of records (bpf/event.h,
 * TCPDROP_BATCH_MAX): it sends a CPU's batch to the ring buffer when the
 * batch is full; what waits in a batch that is not full, user space sends
 * on its drain tick and at the end, by running the program tcpdrop_flush
 * on that CPU (BPF_PROG_TEST_RUN with BPF_F_TEST_RUN_ON_CPU, 5.10+). */
#ifndef TCPDROP_BATCH_H
#define TCPDROP_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

struct batches {
	int prog_fd;          /* tcpdrop_flush (the object's); -1: none */
	int state_fd;         /* tcpdrop_batch_state (the object's) */
	int nvalues;          /* possible CPUs: the per-CPU map's values */
	uint32_t *cpu;        /* the CPU of each value, ascending */
	struct tcpdrop_batch_state *state;   /* nvalues, as last read */
};

/* No batches: batches_flush() does nothing, batches_close() is safe. */
void batches_init(struct batches *b);

/* Batches over the program `prog_fd` (tcpdrop_flush, loaded) and the map
 * `state_fd` (tcpdrop_batch_state), both kept open by their owner, on the
 * possible CPUs of `possible` (npossible entries, cpus.h). Runs the flush
 * once on the calling thread's CPU, where every batch is still empty, to
 * learn whether this kernel can. 0, or -errno and no batches: -ENOMEM,
 * -EINVAL (the kernel cannot run it on a CPU), or what BPF_PROG_TEST_RUN
 * gave. */
int batches_open(struct batches *b, int prog_fd, int state_fd,
		 const bool *possible, int npossible);

/* True where batches_open() succeeded. */
bool batches_used(const struct batches *b);

/* Sends every record waiting in a CPU's batch to the ring buffer, for the
 * next drain to read. A batch that the tp_btf program is changing at that
 * moment on its CPU stays for the next call; with `settle` (after the
 * detach: no program run lasts long) such a batch is tried again,
 * BATCH_SETTLE_TRIES times, 1 ms apart. A CPU that is offline keeps its
 * batch. 0 or -errno of the map read or of a run. */
int batches_flush(struct batches *b, bool settle);

void batches_close(struct batches *b);

#endif
