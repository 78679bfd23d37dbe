#include "tracer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/membarrier.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach.h"
#include "batch.h"
#include "config.h"
#include "cpus.h"
#include "btfgen.h"
#include "discover.h"
#include "event.h"
#include "object.h"
#include "kcount.h"
#include "kprobe.h"
#include "ringbuf.h"
#include "ringsize.h"
#include "selfcheck.h"

extern const unsigned char tcpdrop_bpf_object[];
extern const unsigned char tcpdrop_bpf_object_end[];

#define PROG_NAME "tcpdrop_kfree_skb"
#define BTF_PROG_NAME "tcpdrop_kfree_skb_btf"
#define PROBE_PROG_NAME "tcpdrop_probe_packet"
#define FLUSH_PROG_NAME "tcpdrop_flush"
/* The raw tracepoint's BTF type, which a tp_btf program names to attach
 * (include/trace/bpf_probe.h, 5.5+). */
#define BTF_TRACE_TYPE "btf_trace_kfree_skb"
/* Set (to anything) by the tests and the benchmark: the tracepoint
 * program even where the tp_btf one would be used. */
#define NO_TP_BTF_ENV "TCPDROP_NO_TP_BTF"
#define KPROBE_PROG_NAME "tcpdrop_tcp_drop"
#define KPROBE_FUNC "tcp_drop"
/* Set (to anything) by the tests: attach the kprobe through tracefs's
 * kprobe_events even where the perf kprobe PMU is there. */
#define KPROBE_TRACEFS_ENV "TCPDROP_KPROBE_VIA_TRACEFS"
/* Set (to anything) by the tests: send records through the perf rings
 * even where the kernel has the BPF ring buffer, as kernels before 5.8
 * do. */
#define PERF_RING_ENV "TCPDROP_PERF_RING"
#define RING_MAP_NAME "tcpdrop_ring"
#define CTX_TYPE "trace_event_raw_kfree_skb"

struct tracer {
	struct kernel_facts kernel;
	bool kernel_read;
	struct bpf_object obj;
	bool obj_open;
	int perf_fd;          /* the tracepoint attachment */
	struct perf_ring *rings;
	int nrings;
	bool use_ringbuf;     /* records go to the BPF ring buffer */
	struct tcpdrop_config settings;  /* the program's, as last set */
	int tp_btf_status;    /* 0: tp_btf used; -errno: why not (diag) */
	struct ringbuf ringbuf;
	struct batches batches;  /* the tp_btf program's, where used */
	int epoll_fd;
	int nvalues;          /* values of a per-CPU map: possible CPUs */
	int nonline;          /* online CPUs */
	bool have_btf;        /* false: degraded mode, no packet headers */
	struct tracer_discovery disc; /* without kernel BTF: the layout */
	struct btf *layout_btf;       /* ... as a synthetic BTF */
	struct disc *disc_keep;       /* its program, released at the stop */
	struct selfcheck selfcheck;
	struct kprobe kprobe;     /* on tcp_drop(), where it is wanted */
	int kprobe_status;        /* 0 attached, -errno why not (diag) */
	bool usage_error;     /* the failure was the options' (exit 2): a
			       * filter this kernel cannot evaluate */
	char *verifier_log;   /* set when the verifier refused the program;
			       * kept past the stop, freed by tracer_free() */
	size_t verifier_log_len;
};

struct tracer *tracer_new(void)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->perf_fd = -1;
	t->epoll_fd = -1;
	t->ringbuf.map_fd = -1;
	batches_init(&t->batches);
	t->tp_btf_status = -ENOTSUP;
	kprobe_init(&t->kprobe);
	t->kprobe_status = -ENOTSUP;
	return t;
}

/* Before 5.11 BPF maps are charged to RLIMIT_MEMLOCK, whose default is
 * tiny. Raising it may be refused (containers); then carry on: kernels that
 * charge the memory cgroup do not need it. */
static void raise_memlock_limit(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	/* prlimit(), not setrlimit(): musl's setrlimit() sets every
	 * thread's limit through __synccall(), 1.5 KiB of the binary for a
	 * process that has one thread. */
	prlimit(0, RLIMIT_MEMLOCK, &unlimited, NULL);
}

/* The program's settings from the options and the kernel's facts; the
 * filter's reason names must already be resolved into `reasons`. */
static void fill_config(const struct tracer *t, const struct tracer_config *cfg,
			const uint32_t reasons[TCPDROP_REASONS_MAX],
			struct tcpdrop_config *out)
{
	memset(out, 0, sizeof(*out));
	if (cfg->filter)
		filter_to_config(cfg->filter, reasons, out);
	out->family = cfg->family;
	out->want_stack = cfg->stack;
	/* Without reasons the location is the REASON column, and a free
	 * wrapper is no place to show (tcpdrop_event.location). */
	out->want_caller = !t->kernel.has_reason;
	out->reason_min_drop = t->kernel.reason_min_drop;
	out->have_btf = t->kernel.btf != NULL || t->layout_btf != NULL;
	out->selfcheck_sport = t->selfcheck.sport;
	out->selfcheck_dport = t->selfcheck.dport;
	out->count_in_kernel = cfg->count_in_kernel;
	out->count_netns = cfg->count_netns;
	out->snaplen = cfg->snaplen;
	out->ringbuf = t->use_ringbuf;
	out->task_btf = t->kernel.has_task_btf;
	out->tick_time = cfg->whole_seconds;
}

/* A filter the kernel cannot evaluate is the user's error (exit 2), not
 * a reason to show everything. */
static int check_filter(struct tracer *t, const struct filter *f,
			uint32_t reasons[TCPDROP_REASONS_MAX],
			struct errmsg *msg)
{
	int ret;

	if (!f)
		return 0;
	t->usage_error = true;
	if (filter_needs_btf(f) && !t->kernel.btf && !t->layout_btf)
		return errmsg_set(msg, -EINVAL, "port, address, state and netns "
				  "filters need the kernel's BTF or a discovered "
				  "layout: no BTF was found, and discovery %s%s "
				  "(give --btf FILE)", t->disc.tried ? "failed: " :
				  "was not run", t->disc.tried ? t->disc.why : "");
	ret = filter_resolve_reasons(f, &t->kernel.kfree_skb, reasons, msg);
	if (ret)
		return ret;
	t->usage_error = false;
	return 0;
}

/* -w writes the packets, which the degraded mode cannot read: a usage
 * error (exit 2), as for the filters, rather than a file of empty
 * packets. */
static int check_packets(struct tracer *t, const struct tracer_config *cfg,
			 struct errmsg *msg)
{
	if (!cfg->snaplen || t->kernel.btf || t->layout_btf)
		return 0;
	t->usage_error = true;
	return errmsg_set(msg, -EINVAL, "-w needs the packets, which need the "
			  "kernel's BTF or a discovered layout: no BTF was "
			  "found, and discovery %s%s (give --btf FILE)",
			  t->disc.tried ? "failed: " : "was not run",
			  t->disc.tried ? t->disc.why : "");
}

/* Online CPUs, read before the object is loaded; never 0 (a divisor). */
static uint64_t online_cpus(const struct tracer *t)
{
	return t->nonline > 0 ? (uint64_t)t->nonline : 1;
}

/* The BPF ring buffer holds what the perf rings of every online CPU
 * would: cfg->ring_pages a CPU, rounded up to a power of two (the
 * kernel's rule), at most RINGSIZE_TOTAL_MAX. Where it is not used, the
 * loader makes its map a one-slot array that nothing reads: the
 * program's references to it must still name a map, and its code for
 * the ring is dead code to the verifier (cfg.ringbuf is 0). */
static int size_ringbuf(struct tracer *t, const struct tracer_config *cfg)
{
	struct object_map *map = object_map(&t->obj, RING_MAP_NAME);
	uint64_t want = (uint64_t)cfg->ring_pages *
			(uint64_t)sysconf(_SC_PAGESIZE) * online_cpus(t);
	uint64_t bytes = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!map)
		return -ENOENT;
	if (!t->use_ringbuf) {
		map->spec.type = BPF_MAP_TYPE_ARRAY;
		map->spec.key_size = sizeof(uint32_t);
		map->spec.value_size = sizeof(uint32_t);
		map->spec.max_entries = 1;
		return 0;
	}
	while (bytes < want && bytes < RINGSIZE_TOTAL_MAX)
		bytes *= 2;
	map->spec.max_entries = (uint32_t)bytes;
	return 0;
}

/* Fills the settings in one step, sizes the perf event array and the
 * ring buffer, and swaps in the old probe-read helper on kernels before
 * 5.5. */
static int configure(struct tracer *t, const struct tracer_config *cfg,
		     int possible_cpus, struct errmsg *msg)
{
	uint32_t reasons[TCPDROP_REASONS_MAX] = { 0 };
	struct tcpdrop_config *settings = &t->settings;
	int ret = check_filter(t, cfg->filter, reasons, msg);

	if (ret == 0)
		ret = check_packets(t, cfg, msg);
	if (ret)
		return ret;
	fill_config(t, cfg, reasons, settings);
	ret = object_set_rodata(&t->obj, TCPDROP_CONFIG_NAME, settings,
				sizeof(*settings));
	if (ret == 0)
		ret = object_set_max_entries(&t->obj, "tcpdrop_events",
					     (uint32_t)possible_cpus);
	if (ret == 0)
		ret = size_ringbuf(t, cfg);
	/* Preallocated kernel memory: only when it is used. */
	if (ret == 0 && cfg->count_in_kernel)
		ret = object_set_max_entries(&t->obj, "tcpdrop_counts",
					     KCOUNT_MAX_KEYS);
	if (ret)
		return errmsg_set(msg, ret, "the embedded BPF object does not "
				  "match this build (%s): rebuild tcpdrop",
				  strerror(-ret));
	if (!t->kernel.has_probe_read_kernel)
		object_replace_helper(&t->obj, TCPDROP_HELPER_PROBE_READ_KERNEL,
				      TCPDROP_HELPER_PROBE_READ);
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
	else if (ret == -ENOMEM)
		snprintf(msg->text + len, sizeof(msg->text) - len,
			 " (BPF maps are charged to the memory cgroup: its "
			 "limit is too small for them)");
	return ret;
}

/* Before 5.11 the BPF ring buffer counts against RLIMIT_MEMLOCK, which
 * a container may refuse to raise (-EPERM), and from 5.11 against the
 * memory cgroup, whose limit may be small (-ENOMEM): a smaller ring still
 * works, as a smaller perf ring does (open_ring). object_create_maps()
 * goes on from the map that failed. */
static int create_maps(struct tracer *t, struct errmsg *msg)
{
	struct object_map *ring = object_map(&t->obj, RING_MAP_NAME);
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
	int ret = object_create_maps(&t->obj, msg);

	while ((ret == -EPERM || ret == -ENOMEM) && t->use_ringbuf && ring &&
	       ring->fd < 0 && ring->spec.max_entries > page) {
		ring->spec.max_entries /= 2;
		errmsg_init(msg);
		ret = object_create_maps(&t->obj, msg);
	}
	return ret;
}

/* The tp_btf program reads the sk_buff with plain loads, about half the
 * tracepoint program's cost (README, "How it works" and "Benchmarks"). It needs the
 * kernel's own BTF (the verifier types its arguments with it, so an
 * outside --btf file will not do), 5.5+, and a row without a stack: a
 * stack taken there begins with the raw tracepoint's own frames. The
 * kernels without reasons take 8 caller frames (want_caller). Its
 * verifier run is about as long as the tracepoint program's (7 ms against
 * 6 ms here for -S; README "Benchmarks"). Gives the BTF id to attach
 * to, or -errno why not. */
static int tp_btf_target(const struct tracer *t, const struct tracer_config *cfg)
{
	if (getenv(NO_TP_BTF_ENV))
		return -ECANCELED;
	if (!t->kernel.btf || strcmp(t->kernel.btf_path, KERNEL_BTF_PATH))
		return -ENOENT;
	/* With -w's packet copy the tp_btf program takes 60 ms to verify
	 * (16,000 instructions; the tracepoint program 17 ms): not worth
	 * its 100 ns a drop for a capture. */
	if (cfg->stack || cfg->snaplen)
		return -EOPNOTSUPP;
	if (!t->kernel.has_reason)
		return -ENODATA;
	return btf_find(t->kernel.btf, BTF_TRACE_TYPE, BTF_KIND_TYPEDEF);
}

/* Whether the tp_btf program may read the packet with plain loads
 * (cfg.direct_packet): its probe program, loaded and unloaded before the
 * maps are made, while the settings can still change. A probe the
 * verifier refuses costs a load of a few instructions. */
static void probe_direct_packet(struct tracer *t, int btf_id)
{
	if (btf_id <= 0)
		return;
	object_set_attach_btf_id(&t->obj, PROBE_PROG_NAME, (uint32_t)btf_id);
	if (object_probe_program(&t->obj, PROBE_PROG_NAME) != 0)
		return;
	t->settings.direct_packet = 1;
	object_set_rodata(&t->obj, TCPDROP_CONFIG_NAME, &t->settings,
			  sizeof(t->settings));
}

/* The program on skb:kfree_skb, as load_kfree_skb() chose it. */
static const char *kfree_skb_prog(const struct tracer *t)
{
	return t->tp_btf_status == 0 ? BTF_PROG_NAME : PROG_NAME;
}

/* Loads the program chosen for skb:kfree_skb: the tp_btf one where
 * tp_btf_target() gave its BTF id (`btf_id` > 0), and the tracepoint one
 * where it gave why not, or where the verifier refused the tp_btf one
 * (said with -v). */
static int load_kfree_skb(struct tracer *t, int btf_id, struct errmsg *msg)
{
	int ret;

	t->tp_btf_status = btf_id < 0 ? btf_id : 0;
	if (btf_id > 0) {
		object_set_attach_btf_id(&t->obj, BTF_PROG_NAME,
					 (uint32_t)btf_id);
		ret = object_load_program(&t->obj, BTF_PROG_NAME, msg);
		if (ret == 0)
			return 0;
		t->tp_btf_status = ret;
		free(t->obj.verifier_log);
		t->obj.verifier_log = NULL;
		errmsg_init(msg);
	}
	return object_load_program(&t->obj, PROG_NAME, msg);
}

static int load_object(struct tracer *t, const struct tracer_config *cfg,
		       int possible_cpus, struct errmsg *msg)
{
	struct core_target target = {
		.btf = t->kernel.btf ? t->kernel.btf : t->layout_btf,
		.ctx_type = CTX_TYPE,
		.ctx_fmt = &t->kernel.kfree_skb,
	};
	size_t len = (size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object);
	int btf_id, ret;

	ret = object_open(&t->obj, tcpdrop_bpf_object, len, msg);
	if (ret)
		return ret;
	t->obj_open = true;
	ret = configure(t, cfg, possible_cpus, msg);
	if (ret)
		return ret;
	ret = object_core_relocate(&t->obj, &target, msg);
	if (ret)
		return ret;
	btf_id = tp_btf_target(t, cfg);
	probe_direct_packet(t, btf_id);
	ret = create_maps(t, msg);
	if (ret)
		return explain_map_failure(ret, msg);
	/* Loaded on its own, later, where it is wanted (load_kprobe). */
	object_set_autoload(&t->obj, KPROBE_PROG_NAME, false);
	ret = load_kfree_skb(t, btf_id, msg);
	if (ret) {
		/* Kept past the stop, which closes the object. */
		t->verifier_log = t->obj.verifier_log;
		t->verifier_log_len = t->obj.verifier_log_len;
		t->obj.verifier_log = NULL;
	}
	return ret;
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

/* The one BPF ring buffer, read through its own mapping; its epoll tag
 * is 0, as the first perf ring's would be. */
static int open_ringbuf(struct tracer *t, struct errmsg *msg)
{
	struct object_map *map = object_map(&t->obj, RING_MAP_NAME);
	int ret;

	if (!map)
		return errmsg_set(msg, -ENOENT, "the BPF object has no map %s",
				  RING_MAP_NAME);
	ret = ringbuf_open(&t->ringbuf, map->fd, map->spec.max_entries);
	if (ret == 0)
		ret = tracer_watch_fd(t, map->fd, EPOLLIN, 0);
	if (ret)
		return errmsg_set(msg, ret, "cannot map the BPF ring buffer: "
				  "%s", strerror(-ret));
	return 0;
}

static int open_rings(struct tracer *t, const struct tracer_config *cfg,
		      const bool *online, int ncpus, struct errmsg *msg)
{
	int cpu, ret;

	if (t->use_ringbuf)
		return open_ringbuf(t, msg);
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

/* From 4.7 to 5.17, tcp_drop() frees with __kfree_skb(), unseen by
 * skb:kfree_skb; from 5.18 it goes through kfree_skb_reason(), seen.
 * Kernels without the tracepoint's reason field (before 5.17) are the
 * ones to probe: the same drop is never reported twice. */
static bool want_kprobe(const struct tracer *t)
{
	return t->have_btf && !t->kernel.has_reason;
}

/* The kprobe is an addition: where the kernel has no tcp_drop (inlined,
 * removed) or no kprobes, tracing goes on without it, and -v says so. A
 * failure of another kind is said once on stderr. */
static void attach_kprobe(struct tracer *t)
{
	struct errmsg msg;
	int ret;

	errmsg_init(&msg);
	if (!want_kprobe(t))
		return;
	ret = object_load_program(&t->obj, KPROBE_PROG_NAME, &msg);
	if (ret == 0)
		ret = kprobe_attach(&t->kprobe,
				    object_prog_fd(&t->obj, KPROBE_PROG_NAME),
				    KPROBE_FUNC, getenv(KPROBE_TRACEFS_ENV) != NULL,
				    &msg);
	t->kprobe_status = ret;
	if (ret && ret != -ENOENT && ret != -EOPNOTSUPP)
		fprintf(stderr, "tcpdrop: no kprobe on %s(), its drops are not "
			"seen: %s\n", KPROBE_FUNC, errmsg_is_set(&msg) ?
			msg.text : strerror(-ret));
}

static int attach(struct tracer *t, struct errmsg *msg)
{
	int prog_fd = object_prog_fd(&t->obj, kfree_skb_prog(t));
	int ret;

	if (prog_fd < 0)
		return errmsg_set(msg, prog_fd, "BPF object has no program "
				  "%s", kfree_skb_prog(t));
	if (t->tp_btf_status == 0)
		ret = sys_raw_tracepoint_open(prog_fd);
	else
		ret = attach_tracepoint(prog_fd, t->kernel.kfree_skb.id);
	if (ret < 0)
		return errmsg_set(msg, ret, "cannot attach to tracepoint "
				  "skb:kfree_skb: %s", strerror(-ret));
	t->perf_fd = ret;
	return 0;
}

/* The kernel copies a per-CPU value for each possible CPU
 * (for_each_possible_cpu in bpf_percpu_array_copy()). */
static int count_cpus(const bool *mask, int n)
{
	int i, count = 0;

	for (i = 0; i < n; i++)
		count += mask[i];
	return count;
}

static int read_cpus(struct tracer *t, bool *possible, bool *online,
		     int *npossible, struct errmsg *msg)
{
	int ret = cpus_possible(possible, CPUS_MAX);

	if (ret < 0)
		return errmsg_set(msg, ret, "cannot read the possible CPUs: %s",
				  strerror(-ret));
	*npossible = ret;
	t->nvalues = count_cpus(possible, ret);
	ret = cpus_online(online, CPUS_MAX);
	if (ret < 0)
		return errmsg_set(msg, ret, "cannot read the online CPUs: %s",
				  strerror(-ret));
	t->nonline = count_cpus(online, ret);
	return 0;
}

/* The tp_btf program batches its records where they go to the ring
 * buffer and user space can flush a batch on its CPU (batch.h). Without
 * that, each record goes at once, as in the tracepoint program. */
static void open_batches(struct tracer *t, const bool *possible,
			 int npossible)
{
	struct errmsg msg;

	if (t->tp_btf_status != 0 || !t->ringbuf.data)
		return;
	errmsg_init(&msg);
	if (object_load_program(&t->obj, FLUSH_PROG_NAME, &msg) != 0)
		return;
	batches_open(&t->batches, object_prog_fd(&t->obj, FLUSH_PROG_NAME),
		     object_map_fd(&t->obj, "tcpdrop_batch_state"), possible,
		     npossible);
}

/* The records the program kept in its self-check phase, compared with the drop that was
 * made. A mismatch means the BTF is not this kernel's. */
static int check_record(struct tracer *t, struct errmsg *msg)
{
	struct tcpdrop_event got[TCPDROP_SELFCHECK_DROPS];
	struct selfcheck_kernel k = {
		t->kernel.has_reason, t->kernel.has_rx_sk,
	};
	int fd = object_map_fd(&t->obj, "tcpdrop_check");
	char why[sizeof(msg->text)];
	uint32_t i;
	int ret = 0;

	memset(got, 0, sizeof(got));
	for (i = 0; ret == 0 && i < TCPDROP_SELFCHECK_DROPS; i++)
		ret = sys_map_lookup(fd, &i, &got[i]);
	if (ret)
		return errmsg_set(msg, ret, "self-check: cannot read its "
				  "records: %s", strerror(-ret));
	ret = selfcheck_compare(&t->selfcheck, &k, got, msg);
	if (ret == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", msg->text);
	return errmsg_set(msg, ret, "the BTF from %s does not describe the "
			  "running kernel: %s (give this kernel's BTF with "
			  "--btf FILE)", t->kernel.btf_path, why);
}

/* The rows' CLOCK_REALTIME - CLOCK_MONOTONIC modulo one second, in ns:
 * where the wall clock's seconds begin on the monotonic clock that the
 * program's times are read on (tcpdrop_phase.wall_offset_ns). */
static uint32_t wall_offset_in_second(int64_t realtime_offset_ns)
{
	int64_t ns = realtime_offset_ns % 1000000000;

	return (uint32_t)(ns < 0 ? ns + 1000000000 : ns);
}

/* The program's phase (event.h): the self-check until the rings are ready,
 * then tracing. */
static int start_tracing(struct tracer *t, const struct tracer_config *cfg)
{
	int fd = object_map_fd(&t->obj, "tcpdrop_phase");
	struct tcpdrop_phase phase = { .tracing = 1 };
	uint32_t zero = 0;

	/* A quarter of the ring in all, as the perf rings' watermark. */
	if (t->ringbuf.data)
		phase.wakeup_bytes = (uint32_t)(t->ringbuf.size /
				     RING_WAKEUP_PART / online_cpus(t));
	phase.wall_offset_ns = wall_offset_in_second(cfg->realtime_offset_ns);
	phase.batch = batches_used(&t->batches);
	return fd < 0 ? fd : sys_map_update(fd, &zero, &phase, BPF_ANY);
}

/* Attaches the program, still in its self-check phase, where it keeps the
 * self-check's drops and sends nothing, and proves the decoder on known
 * drops (selfcheck.h). */
static int run_selfcheck(struct tracer *t, struct errmsg *msg)
{
	int ret = attach(t, msg);

	if (ret)
		return ret;
	if (!t->kernel.btf && !t->layout_btf) {
		t->selfcheck.skipped = true;
		snprintf(t->selfcheck.skipped_why,
			 sizeof(t->selfcheck.skipped_why), "no BTF");
		return 0;
	}
	ret = selfcheck_make_drop(&t->selfcheck, msg);
	if (ret == 0 && !t->selfcheck.skipped)
		ret = check_record(t, msg);
	return ret;
}

/* Before the object is loaded again: the old program off the tracepoint
 * (closing its fd alone would leave it attached). */
static void detach_program(struct tracer *t)
{
	detach(t->perf_fd);
	t->perf_fd = -1;
}

/* Without kernel BTF: the layout from known drops (discover.h), as a
 * synthetic BTF for the relocation. A failure is not the run's: it runs
 * degraded, and the reason is kept for the one line that says so. */
static void discover(struct tracer *t, const struct tracer_config *cfg)
{
	struct tracer_discovery *d = &t->disc;
	struct errmsg why;
	int ret;

	layout_init(&d->layout);
	if (cfg->no_discovery)
		return;
	d->tried = true;
	errmsg_init(&why);
	ret = discover_run(&t->kernel.kfree_skb, t->kernel.kfree_skb.id,
			   t->kernel.has_probe_read_kernel, &d->layout,
			   &d->stats, &t->disc_keep, &why);
	if (ret == 0) {
		ret = btfgen_load(&d->layout, &t->layout_btf);
		if (ret)
			errmsg_set(&why, ret, "its BTF: %s", strerror(-ret));
	}
	if (ret) {
		snprintf(d->why, sizeof(d->why), "%.500s", why.text);
		layout_init(&d->layout);
		return;
	}
	d->found = true;
	t->selfcheck.no_netns = d->layout.ns_inum == LAYOUT_UNKNOWN;
	t->selfcheck.no_ifindex = d->layout.ifindex == LAYOUT_UNKNOWN &&
				  d->layout.skb_iif == LAYOUT_UNKNOWN;
}

/* The self-check refused the discovered layout: it is looked for once
 * more, from new known drops, before running degraded. A fact that
 * matched by coincidence (the namespace pointer of a net_device, seen
 * once in about a hundred starts in a TCG guest) does not match twice. */
static int rediscover(struct tracer *t, const struct tracer_config *cfg,
		      int npossible, struct errmsg *msg)
{
	int ret;

	btf_free(t->layout_btf);
	t->layout_btf = NULL;
	detach_program(t);
	object_close(&t->obj);
	t->obj_open = false;
	discover_release(t->disc_keep);
	t->disc_keep = NULL;
	t->disc.found = false;
	discover(t, cfg);
	if (!t->layout_btf)
		return -ENOENT;
	errmsg_init(msg);
	ret = load_object(t, cfg, npossible, msg);
	return ret ? ret : run_selfcheck(t, msg);
}

/* The self-check refused the discovered layout: run degraded, the
 * object loaded again without it. */
static int discovery_refused(struct tracer *t, const struct tracer_config *cfg,
			     int npossible, struct errmsg *msg)
{
	int ret;

	snprintf(t->disc.why, sizeof(t->disc.why), "the self-check refused "
		 "what it found: %.400s", msg->text);
	t->disc.found = false;
	layout_init(&t->disc.layout);
	btf_free(t->layout_btf);
	t->layout_btf = NULL;
	detach_program(t);
	object_close(&t->obj);
	t->obj_open = false;
	t->selfcheck.skipped = true;
	errmsg_init(msg);
	ret = load_object(t, cfg, npossible, msg);
	return ret ? ret : attach(t, msg);
}

static void tracer_stop(struct tracer *t);

/* The program is attached for the self-check, and turned to tracing only
 * once the rings are ready: the "Tracing" line must mean that every drop
 * from now on is seen. `step` names the step under way, for a failure
 * that left no message of its own. */
int tracer_start(struct tracer *t, const struct tracer_config *cfg,
		 struct errmsg *msg)
{
	static bool possible[CPUS_MAX], online[CPUS_MAX];
	const char *step = "reading the kernel's tracepoint and BTF";
	int npossible = 0, ret;

	errmsg_init(msg);
	selfcheck_init(&t->selfcheck);
	raise_memlock_limit();
	ret = kernel_facts_read(&t->kernel, cfg->btf_path, msg);
	if (ret)
		goto out;
	t->kernel_read = true;
	/* Probed only where records are sent: counts need no ring. */
	t->use_ringbuf = !cfg->count_in_kernel && !getenv(PERF_RING_ENV) &&
			 kernel_has_ringbuf();
	if (!t->kernel.btf)
		discover(t, cfg);
	step = "reading the CPU lists";
	ret = read_cpus(t, possible, online, &npossible, msg);
	if (ret)
		goto out;
	step = "loading the BPF program";
	ret = load_object(t, cfg, npossible, msg);
	if (ret)
		goto out;
	step = "the self-check";
	ret = run_selfcheck(t, msg);
	if (ret && t->layout_btf)
		ret = rediscover(t, cfg, npossible, msg);
	if (ret && t->disc.tried)
		ret = discovery_refused(t, cfg, npossible, msg);
	if (ret)
		goto out;
	/* Kernel BTF (megabytes) only served the relocation: give it back
	 * before the long run. */
	t->have_btf = t->kernel.btf != NULL || t->layout_btf != NULL;
	btf_free(t->kernel.btf);
	t->kernel.btf = NULL;
	btf_free(t->layout_btf);
	t->layout_btf = NULL;
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (t->epoll_fd < 0) {
		ret = errmsg_set(msg, -errno, "epoll_create1: %s",
				 strerror(errno));
		goto out;
	}
	step = t->use_ringbuf ? "mapping the BPF ring buffer" :
				"opening the perf rings";
	/* Counting in the kernel, the program sends no record. */
	if (!cfg->count_in_kernel)
		ret = open_rings(t, cfg, online, npossible, msg);
	if (ret)
		goto out;
	open_batches(t, possible, npossible);
	step = "starting to trace";
	attach_kprobe(t);
	ret = start_tracing(t, cfg);
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

int tracer_wait(struct tracer *t, struct epoll_event *events, int max,
		int timeout_ms)
{
	int n = epoll_wait(t->epoll_fd, events, max, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n;
}

static int drain_ring(struct perf_ring *ring, const struct tracer_sink *sink)
{
	int ret = ring_drain(ring, sink->sample, sink->lost, sink->ctx);

	if (ret == -EINVAL) {
		sink->corrupt(sink->ctx, ring->cpu);
		return 0;
	}
	return ret;
}

static int drain_ringbuf(struct tracer *t, const struct tracer_sink *sink)
{
	int ret = ringbuf_drain(&t->ringbuf, sink->sample, sink->ctx);

	if (ret == -EINVAL) {
		sink->corrupt(sink->ctx, RINGBUF_NO_CPU);
		return 0;
	}
	return ret;
}

int tracer_drain(struct tracer *t, int index, const struct tracer_sink *sink)
{
	int i, ret;

	if (t->ringbuf.data)
		return drain_ringbuf(t, sink);
	if (index >= 0)
		return index < t->nrings ? drain_ring(&t->rings[index], sink)
					 : 0;
	for (i = 0; i < t->nrings; i++) {
		ret = drain_ring(&t->rings[i], sink);
		if (ret)
			return ret;
	}
	return 0;
}

int tracer_flush(struct tracer *t, bool settle)
{
	return batches_flush(&t->batches, settle);
}

int tracer_read_lost(struct tracer *t, uint64_t *lost)
{
	int fd = object_map_fd(&t->obj, "tcpdrop_lost");
	uint32_t zero = 0;

	if (fd < 0)
		return -ENOENT;
	return sys_map_sum_percpu(fd, &zero, t->nvalues, lost);
}

static uint64_t prog_misses(int prog_fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (prog_fd < 0 || sys_obj_info(prog_fd, &info, &len))
		return 0;
	/* A kernel before 5.12 fills less and leaves the rest 0. */
	return info.recursion_misses;
}

int tracer_read_missed(struct tracer *t, uint64_t *missed)
{
	if (!t->obj_open)
		return -ENOENT;
	*missed = prog_misses(object_prog_fd(&t->obj, kfree_skb_prog(t))) +
		  prog_misses(object_prog_fd(&t->obj, KPROBE_PROG_NAME));
	return 0;
}

int tracer_count_maps(struct tracer *t, struct kcount_maps *maps)
{
	maps->counts = object_map_fd(&t->obj, "tcpdrop_counts");
	maps->epoch = object_map_fd(&t->obj, "tcpdrop_count_epoch");
	maps->full = object_map_fd(&t->obj, "tcpdrop_count_full");
	maps->nvalues = t->nvalues;
	if (maps->counts < 0 || maps->epoch < 0 || maps->full < 0)
		return -ENOENT;
	return 0;
}

int tracer_add_netns(struct tracer *t, uint32_t inode)
{
	int fd = object_map_fd(&t->obj, "tcpdrop_netns_set");
	uint32_t one = 1;

	return fd < 0 ? fd : sys_map_update(fd, &inode, &one, BPF_ANY);
}

/* Closing a raw tracepoint's link does not wait for the program's runs
 * in flight on other CPUs (a perf event's detach does): one could still
 * put a record into a batch after the last flush, or leave a ring buffer
 * record reserved past the last drain. They run under RCU, so a grace
 * period is the wait: membarrier()'s global command is synchronize_rcu()
 * (kernel/sched/membarrier.c, 4.3+). Where it is refused (nohz_full
 * CPUs), the final flush's retries are what is left. */
static void wait_for_program_runs(void)
{
	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
}

void tracer_detach(struct tracer *t)
{
	bool raw_tp = t->perf_fd >= 0 && t->tp_btf_status == 0;

	detach(t->perf_fd);
	t->perf_fd = -1;
	if (raw_tp)
		wait_for_program_runs();
	if (t->kprobe.fd >= 0) {
		/* The program stops; the event itself goes with the stop. */
		detach(t->kprobe.fd);
		t->kprobe.fd = -1;
	}
}

const struct kernel_facts *tracer_kernel(const struct tracer *t)
{
	return &t->kernel;
}

bool tracer_has_btf(const struct tracer *t)
{
	return t->have_btf;
}

bool tracer_usage_error(const struct tracer *t)
{
	return t->usage_error;
}

const char *tracer_verifier_log(const struct tracer *t, size_t *len)
{
	*len = t->verifier_log_len;
	return t->verifier_log;
}

int tracer_kprobe(const struct tracer *t, const struct kprobe **kp)
{
	*kp = &t->kprobe;
	return t->kprobe_status;
}

const struct tracer_discovery *tracer_discovery(const struct tracer *t)
{
	return &t->disc;
}

int tracer_tp_btf(const struct tracer *t)
{
	return t->tp_btf_status;
}

bool tracer_direct_packet(const struct tracer *t)
{
	return t->tp_btf_status == 0 && t->settings.direct_packet;
}

bool tracer_batches(const struct tracer *t)
{
	return batches_used(&t->batches);
}

const struct selfcheck *tracer_selfcheck(const struct tracer *t)
{
	return &t->selfcheck;
}

void tracer_rings(const struct tracer *t, int *nrings, uint64_t *bytes,
		  bool *ringbuf)
{
	*ringbuf = t->ringbuf.data != NULL;
	*nrings = *ringbuf ? 1 : t->nrings;
	*bytes = *ringbuf ? t->ringbuf.size :
		 t->nrings ? t->rings[0].data_size : 0;
}

/* Undoes the kernel side, in reverse order; the facts and the verifier
 * log stay for the caller's messages. */
static void tracer_stop(struct tracer *t)
{
	int i;

	tracer_detach(t);
	kprobe_detach(&t->kprobe);
	discover_release(t->disc_keep);
	t->disc_keep = NULL;
	batches_close(&t->batches);
	ringbuf_close(&t->ringbuf);
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
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	tracer_stop(t);
	if (t->kernel_read)
		kernel_facts_free(&t->kernel);
	btf_free(t->layout_btf);
	free(t->verifier_log);
	free(t);
}
