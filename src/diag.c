#include "diag.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vlog.h"

void diag_verifier_log(const struct tracer *t, bool all)
{
	size_t len;
	const char *log = tracer_verifier_log(t, &len), *start;

	if (!log || !len)
		return;
	start = all ? log : vlog_tail(log, len, VLOG_TAIL_LINES);
	fprintf(stderr, "tcpdrop: verifier log%s:\n%s%s",
		start == log ? "" : " (last lines; -v shows all)", start,
		log[len - 1] == '\n' ? "" : "\n");
}

/* "at 36" or "absent", for the -v description of a record field. */
static const char *field_place(const struct tp_format *fmt, const char *name,
			       char *buf, size_t size)
{
	const struct tp_field *f = tp_format_field(fmt, name);

	if (!f)
		return "absent";
	snprintf(buf, size, "at %u", f->offset);
	return buf;
}

static void diag_selfcheck(const struct selfcheck *sc)
{
	if (sc->skipped) {
		fprintf(stderr, "tcpdrop: self-check: not run (%s)\n",
			sc->skipped_why);
		return;
	}
	fprintf(stderr, "tcpdrop: self-check: a SYN 127.0.0.1:%u -> "
		"127.0.0.1:%u and a RST to 127.0.0.1:%u in network namespace %u "
		"read back exactly, in %lld.%03lld ms\n", sc->sport, sc->dport,
		sc->dport + 1, sc->netns,
		(long long)sc->elapsed_us / 1000,
		(long long)sc->elapsed_us % 1000);
}

/* -v: whether tcp_drop() is probed, and why not. */
static void diag_kprobe(const struct tracer *t)
{
	const struct kprobe *kp;
	int status = tracer_kprobe(t, &kp);

	if (status == 0)
		fprintf(stderr, "tcpdrop: kprobe on %s() attached (%s)\n",
			kp->func, kp->way == KPROBE_PMU ? "perf kprobe PMU" :
			"tracefs kprobe_events");
	else if (status == -ENOTSUP)
		fprintf(stderr, "tcpdrop: no kprobe on tcp_drop(): not needed "
			"on this kernel (its drops reach skb:kfree_skb) or no "
			"BTF\n");
	else if (status == -ENOENT)
		fprintf(stderr, "tcpdrop: no kprobe on tcp_drop(): the kernel "
			"has no such function (inlined or removed)\n");
	else if (status == -EOPNOTSUPP)
		fprintf(stderr, "tcpdrop: no kprobe on tcp_drop(): the kernel "
			"has no kprobes\n");
	else
		fprintf(stderr, "tcpdrop: no kprobe on tcp_drop(): %s\n",
			strerror(-status));
}

/* -v: what discovery found, each offset. */
static void diag_discovery(const struct tracer_discovery *d)
{
	char text[1024];

	if (!d->tried)
		return;
	if (!d->found) {
		fprintf(stderr, "tcpdrop: discovery: failed after %d known "
			"drops, in %lld.%03lld ms: %s\n", d->stats.drops,
			(long long)d->stats.elapsed_us / 1000,
			(long long)d->stats.elapsed_us % 1000, d->why);
		return;
	}
	layout_describe(&d->layout, text, sizeof(text));
	fprintf(stderr, "tcpdrop: discovery: %d known drops, %lld.%03lld ms: "
		"%s\n", d->stats.drops,
		(long long)d->stats.elapsed_us / 1000,
		(long long)d->stats.elapsed_us % 1000, text);
}

#define TEXT(x) #x
#define VALUE_TEXT(x) TEXT(x)
#define BATCH_MAX_TEXT VALUE_TEXT(TCPDROP_BATCH_MAX)

/* Which program is on skb:kfree_skb, and why not the faster one. */
static void diag_program(const struct tracer *t)
{
	int status = tracer_tp_btf(t);

	if (status == 0) {
		fprintf(stderr, "tcpdrop: program tp_btf/kfree_skb (fields "
			"read by plain loads, the packet's headers %s%s)\n",
			tracer_direct_packet(t) ? "too" :
			"with bpf_probe_read_kernel()",
			tracer_batches(t) ? "; records sent in batches of "
			BATCH_MAX_TEXT " a CPU" : "");
		return;
	}
	fprintf(stderr, "tcpdrop: program tracepoint/skb/kfree_skb (not "
		"tp_btf: %s)\n", status == -ENOENT ? "no BTF of the kernel's own" :
		status == -EOPNOTSUPP ? "stacks or packets (-w) are taken" :
		status == -ENODATA ? "no reasons here: the caller's frames "
		"are taken" :
		status == -ECANCELED ? "TCPDROP_NO_TP_BTF is set" :
		"the verifier refused it");
}

/* -v: what was found about this kernel, for bug reports. */
void diag_kernel_facts(const struct tracer *t)
{
	const struct kernel_facts *k = tracer_kernel(t);
	char reason[16], rx_sk[16];
	uint64_t ring_bytes;
	bool ringbuf;
	int nrings;

	fprintf(stderr, "tcpdrop: skb:kfree_skb id %u (tracefs %s), reason %s,"
		" rx_sk %s, %zu reason names, drops from reason %u\n",
		k->kfree_skb.id, k->tracefs.root,
		field_place(&k->kfree_skb, "reason", reason, sizeof(reason)),
		field_place(&k->kfree_skb, "rx_sk", rx_sk, sizeof(rx_sk)),
		k->kfree_skb.nsymbols, k->reason_min_drop);
	tracer_rings(t, &nrings, &ring_bytes, &ringbuf);
	fprintf(stderr, "tcpdrop: BTF %s, helper %s, ",
		k->btf_path[0] ? k->btf_path : "none",
		k->has_probe_read_kernel ? "probe_read_kernel" : "probe_read");
	if (ringbuf)
		fprintf(stderr, "a BPF ring buffer of %llu KiB\n",
			(unsigned long long)ring_bytes / 1024);
	else if (nrings)
		fprintf(stderr, "%d perf rings of %llu KiB\n", nrings,
			(unsigned long long)ring_bytes / 1024);
	else
		fprintf(stderr, "counts in the kernel (no ring)\n");
	diag_program(t);
	diag_discovery(tracer_discovery(t));
	diag_selfcheck(tracer_selfcheck(t));
	diag_kprobe(t);
}

void diag_unchecked_btf(const struct tracer *t)
{
	const struct selfcheck *sc = tracer_selfcheck(t);
	const char *path = tracer_kernel(t)->btf_path;

	/* The kernel's own BTF in sysfs cannot be another kernel's. */
	if (!sc->skipped || !path[0] || !strcmp(path, "/sys/kernel/btf/vmlinux"))
		return;
	fprintf(stderr, "tcpdrop: the self-check could not run (%s): rows are "
		"not proven against the BTF from %s\n", sc->skipped_why, path);
}

/* One line: no BTF, and, when discovery was tried, why it failed. */
void diag_degraded(const struct tracer_discovery *d)
{
	fprintf(stderr, "tcpdrop: no kernel BTF (looked in %s)%s%s: without "
		"it, rows have no addresses, ports, state or flags and show "
		"drops of every IP protocol; give --btf FILE (a vmlinux with "
		".BTF, or this kernel's raw BTF)\n", kernel_btf_places,
		d->tried ? " and discovery failed: " : "",
		d->tried ? d->why : "");
}
