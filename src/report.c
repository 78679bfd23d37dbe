#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "json.h"
#include "metrics.h"
#include "netns.h"
#include "symcache.h"
#include "pcapng.h"

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int report_init(struct report *r, enum report_mode mode)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->kallsyms_path = "/proc/kallsyms";
	r->realtime_offset_ns = clock_ns(CLOCK_REALTIME) -
				clock_ns(CLOCK_MONOTONIC);
	if (mode == REPORT_COUNT)
		return count_new(&r->counts);
	return 0;
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

/* kallsyms is read only when the first address must be named: text rows
 * with -S on a kernel with reasons never pay for it. */
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

void report_load_symbols(struct report *r)
{
	symbols(r);
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

/* One frame's name into `buf`, from the cache of names already made. */
static void name_frame(struct report *r, uint64_t addr, char *buf,
		       size_t size)
{
	const char *known;

	if (!r->symcache && !r->symcache_failed) {
		r->symcache = symcache_new();
		r->symcache_failed = !r->symcache;
	}
	known = r->symcache ? symcache_get(r->symcache, addr) : NULL;
	if (known && strlen(known) < size) {
		memcpy(buf, known, strlen(known) + 1);
		return;
	}
	name_address(r, addr, buf, size);
	/* Numbers only until kallsyms is read: not worth keeping. */
	if (r->symcache && r->ksyms)
		symcache_put(r->symcache, addr, buf);
}

/* Names the `n` frames that follow the record (innermost first) into
 * r->frames; returns how many it named. */
static int name_stack(struct report *r, const uint64_t *frames, int n)
{
	int i, named = 0;

	for (i = 0; i < n && i < REPORT_STACK_DEPTH && frames[i]; i++) {
		/* Before 5.x kernels settled it, a tracepoint's stack could
		 * start with its caller twice (seen on 5.10): once from the
		 * saved registers, once from the unwinder. */
		if (i == 1 && frames[1] == frames[0])
			continue;
		name_frame(r, frames[i], r->frames[named], REPORT_FRAME_MAX);
		r->frame_names[named] = r->frames[named];
		named++;
	}
	return named;
}

void report_function_name(struct report *r, uint64_t addr, char *buf,
			  size_t size)
{
	const struct ksyms *ks = symbols(r);
	const struct ksym *sym = ks ? ksyms_lookup(ks, addr) : NULL;

	if (sym)
		snprintf(buf, size, "%s", sym->name);
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)addr);
}

/* The namespace's names, for rows with -n (looked up on the monotonic
 * clock: the cache's retry interval must not jump with the wall clock). */
static const struct netns_info *names_of(struct report *r, uint32_t netns)
{
	int64_t ms;

	if (!r->names)
		return NULL;
	ms = clock_ns(CLOCK_MONOTONIC) / 1000000;
	return netns_lookup(r->names, netns, ms);
}

static int write_text(struct report *r, const struct drop_view *d)
{
	int ret = output_row(r->out, &r->style, d);

	if (ret || !r->want_stack)
		return ret;
	return output_stack(r->out, d->stack, d->nstack);
}

/* Functions that only free the packet for their caller: kfree_skb() and
 * the parts the compiler split it into (kfree_skb.part.0 on Debian's arm64
 * 5.10), and their 5.17+ successors; the tracepoint's own frames count as
 * such too. */
static const char *const free_wrappers[] = {
	"kfree_skb", "__kfree_skb", "kfree_skb_reason", "kfree_skb_list",
	"kfree_skb_list_reason", "sk_skb_reason_drop",
};

/* The tracepoint's own machinery, below kfree_skb in a stack taken from
 * the program: __traceiter_kfree_skb (5.10+), __bpf_trace_kfree_skb,
 * perf_trace_kfree_skb and the BPF run functions. */
static const char *const tracing_prefixes[] = {
	"__traceiter_", "__bpf_trace_", "perf_trace_", "trace_call_bpf",
	"bpf_trace_run",
};

static bool is_tracing_frame(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(tracing_prefixes) / sizeof(tracing_prefixes[0]);
	     i++)
		if (strncmp(name, tracing_prefixes[i],
			    strlen(tracing_prefixes[i])) == 0)
			return true;
	return false;
}

bool report_is_free_wrapper(const char *name)
{
	size_t i, len;

	if (is_tracing_frame(name))
		return true;
	for (i = 0; i < sizeof(free_wrappers) / sizeof(free_wrappers[0]); i++) {
		len = strlen(free_wrappers[i]);
		/* "kfree_skb", or a compiler's clone: "kfree_skb.part.0". */
		if (strncmp(name, free_wrappers[i], len) == 0 &&
		    (name[len] == '\0' || name[len] == '.'))
			return true;
	}
	return false;
}

static bool in_free_wrapper(const struct ksyms *ks, uint64_t addr)
{
	const struct ksym *sym = ksyms_lookup(ks, addr);

	return sym && !sym->module && report_is_free_wrapper(sym->name);
}

/* Where the packet was dropped: the tracepoint's location, or where that
 * falls inside a free wrapper (its return address, on a kernel where the
 * compiler split kfree_skb), the first frame of the stack outside one. */
static uint64_t drop_place(struct report *r, const struct tcpdrop_event *ev,
			   const uint64_t *frames)
{
	const struct ksyms *ks;
	int i;

	if (!ev->nframes || !(ks = symbols(r)) ||
	    !in_free_wrapper(ks, ev->location))
		return ev->location;
	for (i = 0; i < ev->nframes && i < REPORT_STACK_DEPTH; i++)
		if (frames[i] && !in_free_wrapper(ks, frames[i]))
			return frames[i];
	return ev->location;
}

/* The drop's names: the reason, and the location where `location` is
 * wanted (JSON, the pcapng comment) or is the reason (kernels without
 * reasons). */
static void describe(struct report *r, const struct tcpdrop_event *ev,
		     bool location_wanted, struct drop_view *d,
		     char *reason_buf, size_t reason_size, char *location,
		     size_t location_size)
{
	memset(d, 0, sizeof(*d));
	d->ev = ev;
	d->when = wall_time(r, ev->ts_ns);
	if (ev->reason != TCPDROP_NO_REASON)
		d->reason = kernel_reason_name(r->kernel, ev->reason,
					       reason_buf, reason_size);
	location[0] = '\0';
	if (location_wanted || !d->reason)
		name_address(r, ev->location, location, location_size);
	d->location = location;
}

/* Names what the mode shows. */
static int write_drop(struct report *r, const struct tcpdrop_event *ev,
		      const uint64_t *frames)
{
	char reason_buf[32], location[REPORT_FRAME_MAX];
	struct drop_view d;

	describe(r, ev, r->mode == REPORT_JSON, &d, reason_buf,
		 sizeof(reason_buf), location, sizeof(location));
	d.ns = names_of(r, ev->netns);
	if (r->want_stack) {
		d.nstack = name_stack(r, frames, ev->nframes);
		d.stack = r->frame_names;
		if (d.nstack == 0)
			r->no_stack++;
	}
	if (r->mode == REPORT_JSON)
		return json_write_drop(r->out, &d);
	return write_text(r, &d);
}

/* -w: the drop's packet and its comment into the pcapng file. */
static int write_packet(struct report *r, const struct tcpdrop_event *ev,
			const uint8_t *pkt)
{
	char reason_buf[32], location[REPORT_FRAME_MAX];
	struct drop_view d;

	describe(r, ev, true, &d, reason_buf, sizeof(reason_buf), location,
		 sizeof(location));
	return pcapng_write_drop(r->pcap, &d, pkt);
}

/* What one drop becomes: counted, and written unless `write` is false
 * or the report discards. 0 or -errno of the writing. */
static int report_drop(struct report *r, const struct tcpdrop_event *ev_in,
		       const uint64_t *frames, const uint8_t *pkt, bool write)
{
	struct tcpdrop_event ev = *ev_in;
	int ret;

	r->drops++;
	if (ev.reason == TCPDROP_NO_REASON)
		ev.location = drop_place(r, &ev, frames);
	if (r->metrics) {
		struct metrics_key key;

		metrics_key_of(r->metrics, &ev, &key);
		metrics_add(r->metrics, &key, 1);
	}
	if (r->discard || !write)
		return 0;
	if (r->pcap) {
		ret = write_packet(r, &ev, pkt);
		if (ret)
			return ret;
	}
	if (r->mode == REPORT_NONE)
		return 0;
	if (r->mode == REPORT_COUNT) {
		/* A key that could not be stored still counts in the total. */
		count_add(r->counts, &ev, 1);
		return 0;
	}
	return write_drop(r, &ev, frames);
}

/* One record in the `size` bytes at `data`: the event, then ev.nframes
 * frames, then ev.caplen packet bytes, as report_drop() takes it. Sets
 * `*len` to its length, or to 0 when it does not fit there or is not one
 * (counted malformed). 0, or -errno of report_drop(). */
static int one_record(struct report *r, const uint8_t *data, uint32_t size,
		      bool write, uint32_t *len)
{
	struct tcpdrop_event ev;
	uint64_t frames[REPORT_STACK_DEPTH];
	size_t frames_len;

	*len = 0;
	if (size < sizeof(ev)) {
		r->malformed++;
		return 0;
	}
	memcpy(&ev, data, sizeof(ev));
	if (ev.nframes > REPORT_STACK_DEPTH ||
	    (size - sizeof(ev)) / sizeof(frames[0]) < ev.nframes ||
	    ev.caplen > TCPDROP_SNAP_MAX || ev.caplen > ev.pkt_len ||
	    size - sizeof(ev) - ev.nframes * sizeof(frames[0]) < ev.caplen) {
		r->malformed++;
		return 0;
	}
	frames_len = ev.nframes * sizeof(frames[0]);
	memcpy(frames, data + sizeof(ev), frames_len);
	*len = (uint32_t)(sizeof(ev) + frames_len + ev.caplen);
	return report_drop(r, &ev, frames, data + sizeof(ev) + frames_len,
			   write);
}

/* The perf ring pads a raw sample (its 4-byte size and the record) to 8
 * bytes: up to 7 bytes after the last record. */
#define PERF_SAMPLE_PAD_MAX 7

/* A ring's record holds one record, or a batch of them back to back (the
 * tp_btf program's, bpf/event.h): bytes left after a record that can
 * hold another event are the next one; a few more than padding, but too
 * few for one, are malformed. The ring has handed over the whole batch:
 * after a write fails, its other records are counted, not written, and
 * the first error is given. */
int report_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct report *r = ctx;
	const uint8_t *p = data;
	uint32_t len;
	int ret, first = 0;

	do {
		ret = one_record(r, p, size, !first, &len);
		if (ret && !first)
			first = ret;
		p += len;
		size -= len;
	} while (len && size >= sizeof(struct tcpdrop_event));
	if (len && size > PERF_SAMPLE_PAD_MAX)
		r->malformed++;
	return first;
}

/* A key of the kernel's counts as the record it stands for: the local end
 * is the destination, and its caller frames find the drop's place. */
static void event_of_key(struct report *r, const struct tcpdrop_count_key *key,
			 struct tcpdrop_event *ev)
{
	uint64_t frames[TCPDROP_CALLER_FRAMES];
	int n = 0;

	memcpy(frames, key->caller, sizeof(frames));
	memset(ev, 0, sizeof(*ev));
	ev->location = key->location;
	ev->reason = key->reason;
	ev->netns = key->netns;
	ev->family = key->family;
	ev->dport = key->port;
	ev->state = key->state;
	memcpy(ev->daddr, key->addr, sizeof(ev->daddr));
	while (n < TCPDROP_CALLER_FRAMES && frames[n])
		n++;
	ev->nframes = (uint16_t)n;
	if (ev->reason == TCPDROP_NO_REASON)
		ev->location = drop_place(r, ev, frames);
}

void report_counted(void *ctx, const struct tcpdrop_count_key *key,
		    uint64_t n)
{
	struct report *r = ctx;
	struct tcpdrop_event ev;

	event_of_key(r, key, &ev);
	r->drops += n;
	if (r->metrics) {
		struct metrics_key mkey;

		metrics_key_of(r->metrics, &ev, &mkey);
		metrics_add(r->metrics, &mkey, n);
	}
	if (r->mode == REPORT_COUNT)
		count_add(r->counts, &ev, n);
}

void report_unkept(void *ctx, uint64_t n)
{
	struct report *r = ctx;

	r->drops += n;
	r->unkept += n;
	if (r->metrics)
		metrics_add_other(r->metrics, n);
	if (r->mode == REPORT_COUNT)
		count_add_unkept(r->counts, n);
}

void report_lost(void *ctx, int cpu, uint64_t lost)
{
	struct report *r = ctx;

	r->ring_lost += lost;
}

void report_corrupt(void *ctx, int cpu)
{
	struct report *r = ctx;

	r->malformed++;
	if (cpu < 0)   /* RINGBUF_NO_CPU: the one BPF ring buffer */
		fprintf(r->diag, "tcpdrop: corrupt record in the BPF ring "
			"buffer, skipped with what followed it\n");
	else
		fprintf(r->diag, "tcpdrop: corrupt record in the ring of CPU "
			"%d, skipped\n", cpu);
}

static const char *count_reason_name(void *ctx, uint32_t reason, char *buf,
				     size_t size)
{
	struct report *r = ctx;

	if (reason == TCPDROP_NO_REASON)
		return "-";
	return kernel_reason_name(r->kernel, reason, buf, size);
}

static void count_location_name(void *ctx, uint64_t addr, char *buf,
				size_t size)
{
	name_address(ctx, addr, buf, size);
}

int report_print_counts(struct report *r)
{
	struct count_namer names = {
		count_reason_name, count_location_name, r,
	};
	struct timespec now;
	uint64_t lost = r->lost - r->lost_printed;

	clock_gettime(CLOCK_REALTIME, &now);
	r->lost_printed = r->lost;
	if (r->json)
		return count_print_json(r->out, r->counts, &names, &now, lost,
					r->count_interval);
	return count_print_text(r->out, r->counts, &names, &now, lost);
}

void report_free(struct report *r)
{
	ksyms_free(r->ksyms);
	r->ksyms = NULL;
	symcache_free(r->symcache);
	r->symcache = NULL;
	count_free(r->counts);
	r->counts = NULL;
}
