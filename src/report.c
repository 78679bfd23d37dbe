#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "output.h"
#include "sys.h"

/* PERF_MAX_STACK_DEPTH: the value size of the BPF stack map. */
#define STACK_DEPTH 127
#define FRAME_MAX 256

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->stack_map_fd = -1;
	r->kallsyms_path = "/proc/kallsyms";
	r->realtime_offset_ns = clock_ns(CLOCK_REALTIME) -
				clock_ns(CLOCK_MONOTONIC);
}

static struct timespec wall_time(const struct report *r, uint64_t mono_ns)
{
	int64_t ns = (int64_t)mono_ns + r->realtime_offset_ns;
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000),
		.tv_nsec = (long)(ns % 1000000000),
	};

	return ts;
}

/* kallsyms is read only when the first address must be named: most runs
 * with -S never pay for it. */
static const struct ksyms *symbols(struct report *r)
{
	int ret;

	if (r->ksyms || r->ksyms_failed)
		return r->ksyms;
	ret = ksyms_load(&r->ksyms, r->kallsyms_path);
	if (ret) {
		r->ksyms_failed = true;
		fprintf(r->diag, "tcpdrop: cannot read kernel symbols from %s "
			"(%s); addresses are shown as numbers\n",
			r->kallsyms_path, strerror(-ret));
	}
	return r->ksyms;
}

static void name_address(struct report *r, uint64_t addr, char *buf,
			 size_t size)
{
	const struct ksyms *ks = symbols(r);

	if (ks)
		ksyms_format(ks, addr, buf, size);
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)addr);
}

/* The stack map is a hash keyed by stack id: an entry that is not deleted
 * after use keeps its slot, and a full map loses later stacks. */
static int print_stack(struct report *r, int32_t stack_id)
{
	uint64_t frames[STACK_DEPTH];
	char frame[FRAME_MAX];
	int i, ret;

	if (stack_id == TCPDROP_NO_STACK ||
	    sys_map_lookup(r->stack_map_fd, &stack_id, frames)) {
		ret = output_stack_frame(r->out, "[stack unavailable]");
		return ret ? ret : output_stack_end(r->out);
	}
	sys_map_delete(r->stack_map_fd, &stack_id);
	for (i = 0; i < STACK_DEPTH && frames[i]; i++) {
		/* Before 5.x kernels settled it, a tracepoint's stack could
		 * start with its caller twice (seen on 5.10): once from the
		 * saved registers, once from the unwinder. */
		if (i == 1 && frames[1] == frames[0])
			continue;
		name_address(r, frames[i], frame, sizeof(frame));
		ret = output_stack_frame(r->out, frame);
		if (ret)
			return ret;
	}
	return output_stack_end(r->out);
}

static const char *reason_text(struct report *r,
			       const struct tcpdrop_event *ev, char *buf,
			       size_t size)
{
	/* Kernels before 5.17 have no reason: where the packet was freed is
	 * the best explanation they give. */
	if (ev->reason == TCPDROP_NO_REASON) {
		name_address(r, ev->location, buf, size);
		return buf;
	}
	return kernel_reason_name(r->kernel, ev->reason, buf, size);
}

int report_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct report *r = ctx;
	struct tcpdrop_event ev;
	char reason[FRAME_MAX];
	struct drop_row row;
	int ret;

	if (size < sizeof(ev)) {
		r->malformed++;
		return 0;
	}
	memcpy(&ev, data, sizeof(ev));
	r->drops++;
	row.ev = &ev;
	row.when = wall_time(r, ev.ts_ns);
	row.reason = reason_text(r, &ev, reason, sizeof(reason));
	ret = output_row(r->out, &row);
	if (ret == 0 && r->stack_map_fd >= 0)
		ret = print_stack(r, ev.stack_id);
	return ret;
}

void report_lost(void *ctx, int cpu, uint64_t lost)
{
	struct report *r = ctx;

	r->lost += lost;
}

void report_free(struct report *r)
{
	ksyms_free(r->ksyms);
	r->ksyms = NULL;
}
