/* Turns each record from the rings into what the chosen output mode
 * prints: copies it out of the ring, names the reason and the location,
 * fetches and symbolizes the kernel stack (loading /proc/kallsyms on the
 * first address to name only), then writes a text row, a JSON line, or
 * adds it to the counts. Keeps the totals printed at exit. */
#ifndef TCPDROP_REPORT_H
#define TCPDROP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "count.h"
#include "event.h"
#include "kernel.h"
#include "ksym.h"
#include "output.h"

/* The most frames a record carries (bpf/event.h). */
#define REPORT_STACK_DEPTH TCPDROP_STACK_MAX
#define REPORT_FRAME_MAX 192

/* REPORT_NONE (-q): rows go nowhere; the drops still count (metrics). */
enum report_mode { REPORT_ROWS, REPORT_JSON, REPORT_COUNT, REPORT_NONE };

struct metrics;
struct netns_resolver;
struct pcapng_writer;

struct report {
	FILE *out;                      /* rows, JSON lines or counts */
	FILE *diag;                     /* one-time warnings */
	enum report_mode mode;
	bool json;                      /* counts as JSON */
	struct output_style style;
	unsigned count_interval;        /* seconds, for the JSON counts */
	const struct kernel_facts *kernel;
	bool want_stack;                /* rows show the kernel stack */
	int64_t realtime_offset_ns;     /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	const char *kallsyms_path;
	struct ksyms *ksyms;            /* loaded on first use */
	bool ksyms_failed;
	struct symcache *symcache;      /* frame names made before */
	bool symcache_failed;
	struct count_table *counts;     /* REPORT_COUNT */
	bool discard;                   /* count records, write nothing: the
					 * output is gone */
	struct metrics *metrics;        /* every drop counted into it; NULL:
					 * no metrics */
	struct netns_resolver *names;   /* rows name their namespace (-n);
					 * NULL: they do not */
	struct pcapng_writer *pcap;     /* -w: every drop's packet written
					 * there too; NULL: no -w */
	uint64_t drops, malformed;
	uint64_t lost;                  /* as the program counted them; the
					 * caller keeps it current */
	uint64_t lost_printed;          /* lost when counts were last printed */
	uint64_t ring_lost;             /* as the rings reported them */
	uint64_t missed;                /* frees the kernel ran none of our
					 * programs for (a recursion guard);
					 * the caller keeps it current */
	uint64_t no_stack;              /* rows whose stack the kernel
					 * could not give */
	uint64_t unkept;                /* counted in the kernel in no key:
					 * its map was full */
	char frames[REPORT_STACK_DEPTH][REPORT_FRAME_MAX];
	const char *frame_names[REPORT_STACK_DEPTH];
};

/* Sets the defaults and the clock offset; allocates the count tables in
 * REPORT_COUNT mode. 0 or -ENOMEM. */
int report_init(struct report *r, enum report_mode mode);

/* ring_sample_fn / ring_lost_fn. report_sample returns -EPIPE or -EIO when
 * the output stream failed (a closed pipe), which ends the run, or the
 * -errno of a failed write of the pcapng file (-ENOSPC, ...). A record
 * is the event, its frames, then its packet bytes (event.h). */
int report_sample(void *ctx, int cpu, const void *data, uint32_t size);
void report_lost(void *ctx, int cpu, uint64_t lost);

/* kcount_sink's: `n` more drops under a key of the kernel's counts, or in
 * none (its map was full); into the counts and the metrics. */
void report_counted(void *ctx, const struct tcpdrop_count_key *key,
		    uint64_t n);
void report_unkept(void *ctx, uint64_t n);

/* tracer_sink.corrupt: one line on r->diag, and the record is skipped. */
void report_corrupt(void *ctx, int cpu);

/* kfree_skb() and the other functions that only free a packet for their
 * caller, also under a compiler's clone name ("kfree_skb.part.0"), and the
 * tracepoint's own frames ("__traceiter_kfree_skb"): a drop location
 * inside one is replaced by the first caller outside them. */
bool report_is_free_wrapper(const char *name);

/* The function `addr` is in ("tcp_v4_rcv"), without an offset; "0x..."
 * where no symbol matches. */
void report_function_name(struct report *r, uint64_t addr, char *buf,
			  size_t size);

/* Reads kallsyms now (about 100 ms of a 2-core machine) rather than at
 * the first address to name: a burst that starts the run would fill the
 * rings in that time. A failure is said once on r->diag, as later. */
void report_load_symbols(struct report *r);

/* REPORT_COUNT: prints the counts since the last print and resets them. */
int report_print_counts(struct report *r);

void report_free(struct report *r);

#endif
