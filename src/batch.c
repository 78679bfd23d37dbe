#include "batch.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sys.h"

#define BATCH_SETTLE_TRIES 50

void batches_init(struct batches *b)
{
	memset(b, 0, sizeof(*b));
	b->prog_fd = -1;
	b->state_fd = -1;
}

static int list_cpus(struct batches *b, const bool *possible, int npossible)
{
	int i, n = 0;

	for (i = 0; i < npossible; i++)
		n += possible[i];
	b->cpu = calloc((size_t)(n ? n : 1), sizeof(*b->cpu));
	b->state = calloc((size_t)(n ? n : 1), sizeof(*b->state));
	if (!b->cpu || !b->state)
		return -ENOMEM;
	for (i = 0, n = 0; i < npossible; i++)
		if (possible[i])
			b->cpu[n++] = (uint32_t)i;
	b->nvalues = n;
	return 0;
}

int batches_open(struct batches *b, int prog_fd, int state_fd,
		 const bool *possible, int npossible)
{
	int cpu = sched_getcpu();
	int ret;

	batches_init(b);
	ret = list_cpus(b, possible, npossible);
	if (ret == 0)
		ret = cpu < 0 ? -errno : sys_prog_run_on_cpu(prog_fd,
							     (uint32_t)cpu);
	if (ret) {
		batches_close(b);
		return ret;
	}
	b->prog_fd = prog_fd;
	b->state_fd = state_fd;
	return 0;
}

bool batches_used(const struct batches *b)
{
	return b->prog_fd >= 0;
}

/* Runs the flush on each CPU whose batch holds records; `*waiting` is set
 * to how many there were. */
static int flush_pass(struct batches *b, int *waiting)
{
	uint32_t zero = 0;
	int i, ret;

	*waiting = 0;
	ret = sys_map_lookup(b->state_fd, &zero, b->state);
	if (ret)
		return ret;
	for (i = 0; i < b->nvalues; i++) {
		if (!b->state[i].len)
			continue;
		ret = sys_prog_run_on_cpu(b->prog_fd, b->cpu[i]);
		if (ret == -ENXIO)
			continue;
		if (ret)
			return ret;
		(*waiting)++;
	}
	return 0;
}

int batches_flush(struct batches *b, bool settle)
{
	struct timespec ms = { 0, 1000000 };
	int tries = settle ? BATCH_SETTLE_TRIES : 1;
	int waiting = 0, ret;

	if (!batches_used(b))
		return 0;
	do {
		ret = flush_pass(b, &waiting);
		if (ret || !waiting || !settle)
			return ret;
		nanosleep(&ms, NULL);
	} while (--tries > 0);
	return 0;
}

void batches_close(struct batches *b)
{
	free(b->cpu);
	free(b->state);
	batches_init(b);
}
