#include "tracer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "attach.h"
#include "cpus.h"
#include "event.h"

extern const unsigned char tcpdrop_bpf_object[];
extern const unsigned char tcpdrop_bpf_object_end[];

#define PROG_NAME "tcpdrop_kfree_skb"
#define CTX_TYPE "trace_event_raw_kfree_skb"

void tracer_init(struct tracer *t)
{
	memset(t, 0, sizeof(*t));
	t->perf_fd = -1;
	t->stack_map_fd = -1;
	t->epoll_fd = -1;
}

/* Before 5.11 BPF maps are charged to RLIMIT_MEMLOCK, whose default is
 * tiny. Raising it may be refused (containers); then carry on: kernels that
 * charge the memory cgroup do not need it. */
static void raise_memlock_limit(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_MEMLOCK, &unlimited);
}

/* One constant of the program's .rodata (bpf/tcpdrop.bpf.c's cfg_*). */
struct setting {
	const char *name;
	const void *value;
	size_t size;
};

#define SETTING(name, value) { name, &(value), sizeof(value) }

static int set_all(struct bpf_object *obj, const struct setting *settings,
		   size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = object_set_rodata(obj, settings[i].name,
					settings[i].value, settings[i].size);
		if (ret)
			return ret;
	}
	return 0;
}

static int configure(struct tracer *t, const struct tracer_config *cfg,
		     int possible_cpus)
{
	const struct kernel_facts *k = &t->kernel;
	uint32_t family = cfg->family, want_stack = cfg->stack;
	uint32_t min_drop = k->reason_min_drop, have_btf = k->btf != NULL;
	const struct setting settings[] = {
		SETTING("cfg_family", family),
		SETTING("cfg_want_stack", want_stack),
		SETTING("cfg_reason_min_drop", min_drop),
		SETTING("cfg_have_btf", have_btf),
	};
	int ret = set_all(&t->obj, settings,
			  sizeof(settings) / sizeof(settings[0]));

	if (ret == 0)
		ret = object_set_max_entries(&t->obj, "tcpdrop_events",
					     (uint32_t)possible_cpus);
	if (ret == 0 && !k->has_probe_read_kernel)
		object_replace_helper(&t->obj, TCPDROP_HELPER_PROBE_READ_KERNEL,
				      TCPDROP_HELPER_PROBE_READ);
	return ret;
}

static int set_filter(struct tracer *t, const struct filter *f,
		      const uint32_t reasons[FILTER_REASONS_MAX])
{
	const struct setting settings[] = {
		SETTING("cfg_nports", f->any_port.count),
		SETTING("cfg_ports", f->any_port.ports),
		SETTING("cfg_nsports", f->sport.count),
		SETTING("cfg_sports", f->sport.ports),
		SETTING("cfg_ndports", f->dport.count),
		SETTING("cfg_dports", f->dport.ports),
		SETTING("cfg_naddrs", f->naddrs),
		SETTING("cfg_addrs", f->addrs),
		SETTING("cfg_nreasons", f->nreasons),
		{ "cfg_reasons", reasons, sizeof(uint32_t) * FILTER_REASONS_MAX },
		SETTING("cfg_state_mask", f->state_mask),
		SETTING("cfg_netns", f->netns),
	};

	return set_all(&t->obj, settings, sizeof(settings) / sizeof(settings[0]));
}

/* A filter the kernel cannot evaluate is the user's error (exit 2), not
 * a reason to show everything. */
static int apply_filter(struct tracer *t, const struct filter *f,
			struct errmsg *msg)
{
	uint32_t reasons[FILTER_REASONS_MAX] = { 0 };
	int ret;

	if (!f)
		return 0;
	t->usage_error = true;
	if (filter_needs_btf(f) && !t->kernel.btf)
		return errmsg_set(msg, -EINVAL, "port, address, state and netns "
				  "filters need the kernel's BTF, and none was "
				  "found (give --btf FILE)");
	ret = filter_resolve_reasons(f, &t->kernel.kfree_skb, reasons, msg);
	if (ret)
		return ret;
	t->usage_error = false;
	ret = set_filter(t, f, reasons);
	if (ret)
		return errmsg_set(msg, ret, "BPF object lacks a filter setting: "
				  "%s", strerror(-ret));
	return 0;
}

/* Adds the likely cause to a refused map creation. */
static int explain_map_failure(int ret, struct errmsg *msg)
{
	size_t len = strlen(msg->text);

	if (ret == -EPERM)
		snprintf(msg->text + len, sizeof(msg->text) - len,
			 " (before Linux 5.11 BPF maps count against 'ulimit "
			 "-l'; raise it)");
	return ret;
}

static int load_object(struct tracer *t, const struct tracer_config *cfg,
		       int possible_cpus, struct errmsg *msg)
{
	struct core_target target = {
		.btf = t->kernel.btf,
		.ctx_type = CTX_TYPE,
		.ctx_fmt = &t->kernel.kfree_skb,
	};
	size_t len = (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object);
	int ret;

	ret = object_open(&t->obj, tcpdrop_bpf_object, len, msg);
	if (ret)
		return ret;
	t->obj_open = true;
	ret = configure(t, cfg, possible_cpus);
	if (ret)
		return errmsg_set(msg, ret, "BPF object lacks a setting: %s",
				  strerror(-ret));
	ret = apply_filter(t, cfg->filter, msg);
	if (ret)
		return ret;
	ret = object_core_relocate(&t->obj, &target, msg);
	if (ret)
		return ret;
	raise_memlock_limit();
	ret = object_create_maps(&t->obj, msg);
	if (ret)
		return explain_map_failure(ret, msg);
	ret = object_load(&t->obj, msg);
	if (ret) {
		/* Kept past tracer_stop(), which closes the object. */
		t->verifier_log = t->obj.verifier_log;
		t->verifier_log_len = t->obj.verifier_log_len;
		t->obj.verifier_log = NULL;
		return ret;
	}
	t->stack_map_fd = object_map_fd(&t->obj, "tcpdrop_stacks");
	return 0;
}

/* The reader is woken when a ring is this part full; main.c's loop also
 * drains every ring on a short timer, for drops that come one by one. */
#define RING_WAKEUP_PART 4

static int open_ring(struct tracer *t, int cpu, size_t pages)
{
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct perf_ring *ring = &t->rings[t->nrings];
	int events_fd = object_map_fd(&t->obj, "tcpdrop_events");
	int ret;

	/* Ring memory is locked memory; where the limit is low, a smaller
	 * ring still works. */
	do {
		ret = ring_open(ring, cpu, pages,
				(uint32_t)(pages * page_size / RING_WAKEUP_PART));
		pages /= 2;
	} while (ret == -EPERM && pages >= 1);
	if (ret)
		return ret;
	t->nrings++;
	ret = sys_map_update(events_fd, &cpu, &ring->fd, BPF_ANY);
	if (ret == 0)
		ret = tracer_watch_fd(t, ring->fd, EPOLLIN,
				      (uint64_t)(t->nrings - 1));
	return ret;
}

static int open_rings(struct tracer *t, const struct tracer_config *cfg,
		      const bool *online, int ncpus, struct errmsg *msg)
{
	int cpu, ret;

	t->rings = calloc((size_t)ncpus, sizeof(*t->rings));
	if (!t->rings)
		return errmsg_set(msg, -ENOMEM, "out of memory");
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (!online[cpu])
			continue;
		ret = open_ring(t, cpu, cfg->ring_pages);
		if (ret)
			return errmsg_set(msg, ret, "cannot open the perf ring "
					  "of CPU %d: %s", cpu, strerror(-ret));
	}
	return 0;
}

static int attach(struct tracer *t, struct errmsg *msg)
{
	int prog_fd = object_prog_fd(&t->obj, PROG_NAME);
	int ret;

	if (prog_fd < 0)
		return errmsg_set(msg, prog_fd, "BPF object has no program "
				  "%s", PROG_NAME);
	ret = attach_tracepoint(prog_fd, t->kernel.kfree_skb.id);
	if (ret < 0)
		return errmsg_set(msg, ret, "cannot attach to tracepoint "
				  "skb:kfree_skb: %s", strerror(-ret));
	t->perf_fd = ret;
	return 0;
}

static int read_cpus(bool *possible, bool *online, int *npossible,
		     struct errmsg *msg)
{
	int ret = cpus_possible(possible, CPUS_MAX);

	if (ret < 0)
		return errmsg_set(msg, ret, "cannot read the possible CPUs: %s",
				  strerror(-ret));
	*npossible = ret;
	ret = cpus_online(online, CPUS_MAX);
	if (ret < 0)
		return errmsg_set(msg, ret, "cannot read the online CPUs: %s",
				  strerror(-ret));
	return 0;
}

/* Rings before the attachment: the "Tracing" line must mean that every
 * drop from now on is seen. `step` names the step under way, for a
 * failure that left no message of its own. */
int tracer_start(struct tracer *t, const struct tracer_config *cfg,
		 struct errmsg *msg)
{
	static bool possible[CPUS_MAX], online[CPUS_MAX];
	const char *step = "reading the kernel's tracepoint and BTF";
	int npossible = 0, ret;

	errmsg_init(msg);
	ret = kernel_facts_read(&t->kernel, cfg->btf_path, msg);
	if (ret)
		goto out;
	t->kernel_read = true;
	step = "reading the CPU lists";
	ret = read_cpus(possible, online, &npossible, msg);
	if (ret)
		goto out;
	step = "loading the BPF program";
	ret = load_object(t, cfg, npossible, msg);
	if (ret)
		goto out;
	/* Kernel BTF (megabytes) only served the relocation: give it back
	 * before the long run. */
	t->have_btf = t->kernel.btf != NULL;
	btf_free(t->kernel.btf);
	t->kernel.btf = NULL;
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epoll_fd < 0) {
		ret = errmsg_set(msg, -errno, "epoll_create1: %s",
				 strerror(errno));
		goto out;
	}
	step = "opening the perf rings";
	ret = open_rings(t, cfg, online, npossible, msg);
	if (ret)
		goto out;
	step = "attaching to skb:kfree_skb";
	ret = attach(t, msg);
out:
	if (ret) {
		errmsg_fallback(msg, ret, step);
		tracer_stop(t);
	}
	return ret;
}

int tracer_watch_fd(struct tracer *t, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return 0;
}

void tracer_stop(struct tracer *t)
{
	int i;

	detach(t->perf_fd);
	t->perf_fd = -1;
	for (i = 0; i < t->nrings; i++)
		ring_close(&t->rings[i]);
	free(t->rings);
	t->rings = NULL;
	t->nrings = 0;
	if (t->epoll_fd >= 0)
		close(t->epoll_fd);
	t->epoll_fd = -1;
	if (t->obj_open)
		object_close(&t->obj);
	t->obj_open = false;
	t->stack_map_fd = -1;
	if (t->kernel_read)
		kernel_facts_free(&t->kernel);
	t->kernel_read = false;
}
