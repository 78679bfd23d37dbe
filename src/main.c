/* tcpdrop: options, the run loop, signals, exit codes. Everything else is
 * in the pipeline (tracer.c) and the per-drop report (report.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "clock.h"
#include "diag.h"
#include "fleet.h"
#include "kcount.h"
#include "metrics.h"
#include "output.h"
#include "outstream.h"
#include "pcapfile.h"
#include "pcapng.h"
#include "report.h"
#include "ringsize.h"
#include "tracer.h"

#define DRAIN_TICK_MS 100
/* Rows waiting for the end of a pass: a burst is one write() of up to
 * this much, not one per line. */
#define OUTPUT_BUFFER (64 * 1024)
/* epoll tags of the fds that are not rings (rings use their index, below
 * 2^32): ours from 2^32, the metrics server's from 2^33 up (its listener
 * and one per connection: fleet.c hands them on to httpd.c). */
#define TAG_SIGNAL (1ull << 32)
#define TAG_STDOUT (TAG_SIGNAL + 1)
#define TAG_FLEET (2ull << 32)

/* `call` failed with errno: the line says which call and why (a bare
 * "cannot set up signals" once hid an EMFILE behind EPERM). */
static int signal_setup_failed(struct errmsg *msg, const char *call)
{
	int err = errno;

	return errmsg_set(msg, -err, "cannot set up signals: %s: %s", call,
			  strerror(err));
}

/* Signals are blocked from the start and read through a signalfd in the
 * loop, so one arriving during set-up waits until every step is done and
 * ends the run through the same cleanup path. Returns the signalfd, or
 * -errno with `msg` naming the call that failed. */
static int block_signals(struct errmsg *msg)
{
	struct sigaction hup;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* SIGHUP ignored at start is nohup's doing: it stays ignored. A
	 * blocked signal is queued even when ignored, so blocking it would
	 * end a run that was asked to outlive its terminal. */
	if (sigaction(SIGHUP, NULL, &hup) || hup.sa_handler != SIG_IGN)
		sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return signal_setup_failed(msg, "sigprocmask");
	/* A closed pipe shows up as EPIPE from the write instead. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return signal_setup_failed(msg, "SIGPIPE");
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return signal_setup_failed(msg, "signalfd");
	return fd;
}

/* With stdout a pipe, its reader going away is an EPOLLERR on our end:
 * the run ends even when no drop is being written. */
static void watch_stdout(struct tracer *t)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		tracer_watch_fd(t, STDOUT_FILENO, 0, TAG_STDOUT);
}

/* One run, from the Tracing line to the summary. */
struct run {
	struct tracer *t;
	struct report *r;
	const struct options *opts;
	FILE *out;                /* stdout, as outstream.c writes it */
	struct outstream *os;
	struct fleet *fleet;      /* metrics, netns names; NULL: none */
	struct kcount *kcount;    /* counting in the kernel; NULL: records */
	/* -w: the pcapng file's stream (run->out itself for -w -), and
	 * its writer; pcap NULL without -w. */
	int pcap_fd;              /* -w FILE's, -1 otherwise */
	FILE *pcap_out;
	struct outstream *pcap_os;
	struct pcapng_writer *pcap;
	int signal_fd;
	int64_t end_ms;           /* --duration's deadline; 0: none */
	int64_t next_counts_ms;   /* next count table; 0: only at exit */
	int64_t next_drain_ms;
	int64_t next_kcount_ms;   /* next read of the kernel's counts */
};

/* Reads ring `ring` (-1: all) into the report. */
static int drain(struct run *run, int ring)
{
	struct tracer_sink sink = {
		report_sample, report_lost, report_corrupt, run->r,
	};

	return tracer_drain(run->t, ring, &sink);
}

/* The records waiting in the program's per-CPU batches into the ring,
 * then every ring into the report. A failed flush is said; its records
 * wait for the next. */
static int flush_and_drain(struct run *run, bool settle)
{
	int ret = tracer_flush(run->t, settle);

	if (ret)
		fprintf(stderr, "tcpdrop: cannot flush the program's batches: "
			"%s\n", strerror(-ret));
	return drain(run, -1);
}

/* The kernel's counts into the report (kcount.h). A failed read is said
 * and the next one picks up what it missed. */
static void read_kcount(struct run *run)
{
	struct kcount_sink sink = { report_counted, report_unkept, run->r };
	int ret;

	if (!run->kcount)
		return;
	run->next_kcount_ms = monotonic_ms() + KCOUNT_EPOCH_MS;
	ret = kcount_read(run->kcount, monotonic_ms(), &sink);
	if (ret)
		fprintf(stderr, "tcpdrop: cannot read the kernel's counts: "
			"%s\n", strerror(-ret));
}

/* Milliseconds until the first deadline, -1 for none, 0 when one has
 * passed. */
static int next_timeout(const struct run *run)
{
	int64_t deadlines[5] = {
		run->end_ms, run->next_counts_ms, run->next_drain_ms,
		fleet_next_deadline(run->fleet), run->next_kcount_ms,
	};
	int64_t now = monotonic_ms(), soonest = 0;
	int i;

	for (i = 0; i < 5; i++)
		if (deadlines[i] && (!soonest || deadlines[i] < soonest))
			soonest = deadlines[i];
	if (!soonest)
		return -1;
	return soonest <= now ? 0 : (int)(soonest - now);
}

/* The program's own count of lost records, into the report; the rings'
 * reports where the map cannot be read. */
static void update_lost(struct run *run)
{
	if (tracer_read_lost(run->t, &run->r->lost))
		run->r->lost = run->r->ring_lost;
	if (tracer_read_missed(run->t, &run->r->missed))
		run->r->missed = 0;
}

/* Prints the counts when their interval is up. */
static int tick_counts(struct run *run)
{
	if (!run->next_counts_ms || monotonic_ms() < run->next_counts_ms)
		return 0;
	run->next_counts_ms += (int64_t)run->opts->count_interval * 1000;
	read_kcount(run);
	update_lost(run);
	return report_print_counts(run->r);
}

/* The rings wake us only when a quarter full (tracer.c): drops that come
 * one at a time are read on this tick instead, so a row shows within it. */
static int tick_drain(struct run *run)
{
	if (monotonic_ms() < run->next_drain_ms)
		return 0;
	run->next_drain_ms = monotonic_ms() + DRAIN_TICK_MS;
	/* Once a second, so that keys of drops long gone leave the map. */
	if (run->kcount && monotonic_ms() >= run->next_kcount_ms)
		read_kcount(run);
	return flush_and_drain(run, false);
}

/* What woke us: a ring to read, or the end of the run. 1 to end it. */
static int handle_events(struct run *run, const struct epoll_event *events,
			 int n)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		uint64_t tag = events[i].data.u64;

		if (tag == TAG_SIGNAL || tag == TAG_STDOUT)
			return 1;
		if (tag >= TAG_FLEET) {
			fleet_event(run->fleet, tag, monotonic_ms());
			continue;
		}
		ret = drain(run, (int)tag);
		if (ret)
			return ret;
	}
	return 0;
}

/* Returns 0 when a signal, the duration, or a closed stdout ends the
 * run, or -errno. The rows of each pass go out in one write, at its end:
 * a burst costs one write() per batch, and a row is out within the drain
 * tick. */
static int run_loop(struct run *run)
{
	struct epoll_event events[16];
	int n, ret;

	run->next_drain_ms = monotonic_ms() + DRAIN_TICK_MS;
	for (;;) {
		ret = tick_drain(run);
		if (ret == 0)
			ret = tick_counts(run);
		if (ret == 0)
			fleet_tick(run->fleet, monotonic_ms());
		if (ret == 0)
			ret = outstream_flush(run->out, run->os);
		if (ret == 0 && run->pcap)
			ret = pcapng_flush(run->pcap);
		if (ret)
			return ret;
		if (run->end_ms && monotonic_ms() >= run->end_ms)
			return 0;
		n = tracer_wait(run->t, events, 16, next_timeout(run));
		if (n < 0)
			return n;
		ret = handle_events(run, events, n);
		if (ret)
			return ret > 0 ? 0 : ret;
	}
}

/* No rows on stdout: -q, or -w - (the packets are stdout's). */
static bool no_rows(const struct options *opts)
{
	return opts->fleet.quiet || cli_pcap_to_stdout(opts);
}

/* The Tracing line goes where it does not mix with data: stdout for text
 * rows and tables (as the tool we replace did), stderr for JSON and for
 * no rows. */
static int announce(struct run *run)
{
	const struct options *opts = run->opts;
	FILE *where = opts->json || no_rows(opts) ? stderr : run->out;

	fprintf(where, "Tracing TCP drops. Hit Ctrl-C to end.\n");
	if (!opts->json && !opts->count && !no_rows(opts))
		output_header(run->out, &opts->style);
	fflush(stderr);
	return outstream_flush(run->out, run->os);
}

static enum report_mode mode_of(const struct options *opts)
{
	if (no_rows(opts))
		return REPORT_NONE;
	if (opts->count)
		return REPORT_COUNT;
	return opts->json ? REPORT_JSON : REPORT_ROWS;
}

/* Counts and a run without rows (-q, -w -) show no stacks: the kernel
 * takes none. */
static bool wants_stacks(const struct options *opts)
{
	return opts->stack && !opts->count && !no_rows(opts);
}

/* Counts and an exporter without rows need no record per drop: the
 * program counts in the kernel, and no drop is lost to a full ring. */
static bool counts_in_kernel(const struct options *opts)
{
	/* -w writes each drop's packet: that needs its record. */
	return (opts->count || opts->fleet.quiet) && !opts->pcap_path;
}

/* Data pages of each CPU's ring: --ring-pages, else from the rate the
 * mode is built for and its records' size (ringsize.h). */
static size_t ring_pages(const struct options *opts)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);

	if (opts->ring_pages)
		return opts->ring_pages;
	if (wants_stacks(opts))
		return ringsize_pages(RINGSIZE_RATE_STACKS,
				      sizeof(struct tcpdrop_event) +
				      RINGSIZE_TYPICAL_FRAMES * 8, page, ncpus);
	/* Kernels without reasons add the caller's 8 frames (event.h):
	 * their rings hold about 13 ms of drops at that rate, not 20. */
	return ringsize_pages(RINGSIZE_RATE_ROWS, sizeof(struct tcpdrop_event),
			      page, ncpus);
}

/* `realtime_offset_ns`: the report's CLOCK_REALTIME - CLOCK_MONOTONIC,
 * which the program's seconds must agree with. */
static int start(struct tracer *t, const struct options *opts,
		 int64_t realtime_offset_ns)
{
	struct tracer_config cfg = {
		.family = opts->family,
		.stack = wants_stacks(opts),
		.ring_pages = ring_pages(opts),
		.btf_path = opts->btf_path,
		.filter = &opts->filter,
		.no_discovery = opts->no_discovery,
		.count_in_kernel = counts_in_kernel(opts),
		.count_netns = (opts->fleet.labels & METRICS_LABEL_NETNS) != 0,
		.snaplen = opts->pcap_path ? opts->snaplen : 0,
		.whole_seconds = !opts->json && !opts->pcap_path &&
				 opts->style.time == TIME_HMS,
		.realtime_offset_ns = realtime_offset_ns,
	};
	struct errmsg msg;
	int ret = tracer_start(t, &cfg, &msg);

	if (ret) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		diag_verifier_log(t, opts->verbose);
		if (tracer_usage_error(t))
			cli_print_usage_hint(stderr);
		return tracer_usage_error(t) ? EXIT_USAGE : EXIT_FAILURE;
	}
	if (opts->verbose)
		diag_kernel_facts(t);
	if (!tracer_has_btf(t))
		diag_degraded(tracer_discovery(t));
	diag_unchecked_btf(t);
	return 0;
}

static void setup_report(struct run *run)
{
	const struct options *opts = run->opts;
	struct report *r = run->r;

	r->out = run->out;
	r->diag = stderr;
	r->json = opts->json;
	r->style = opts->style;
	r->count_interval = opts->count_interval;
	r->kernel = tracer_kernel(run->t);
	r->want_stack = wants_stacks(opts);
	r->pcap = run->pcap;
	/* Records that will name an address: a stack, JSON's location, the
	 * location as REASON on a kernel without reasons, a packet's
	 * comment. Counts name theirs at print time, with nothing waiting
	 * in a ring. */
	if (r->pcap || ((r->mode == REPORT_ROWS || r->mode == REPORT_JSON) &&
			(r->want_stack || opts->json ||
			 !r->kernel->has_reason)))
		report_load_symbols(r);
}

static int open_kcount(struct run *run)
{
	struct kcount_maps maps;
	int ret;

	if (!counts_in_kernel(run->opts))
		return 0;
	ret = tracer_count_maps(run->t, &maps);
	if (ret == 0)
		ret = kcount_new(&run->kcount, &maps);
	if (ret == 0)
		return 0;
	fprintf(stderr, "tcpdrop: cannot count in the kernel: %s\n",
		strerror(-ret));
	return EXIT_FAILURE;
}

/* fleet.c's view of the run: its epoll set, and the report made current
 * before a metrics page is made. */
static int watch_fd(void *ctx, int fd, uint32_t events, uint64_t tag)
{
	struct run *run = ctx;

	return tracer_watch_fd(run->t, fd, events, tag);
}

static int add_netns(void *ctx, uint32_t inode)
{
	struct run *run = ctx;

	return tracer_add_netns(run->t, inode);
}

static void refresh(void *ctx)
{
	struct run *run = ctx;

	flush_and_drain(run, false);
	read_kcount(run);
	update_lost(run);
}

static int attach_fleet(struct run *run)
{
	struct fleet_hooks hooks = {
		watch_fd, refresh, add_netns, run, TAG_FLEET,
	};
	struct errmsg msg;

	errmsg_init(&msg);
	if (fleet_attach(run->fleet, run->r, &hooks, &msg) == 0)
		return 0;
	fprintf(stderr, "tcpdrop: %s\n", msg.text);
	return EXIT_FAILURE;
}

/* The closing line on stderr; the rows without a stack are counted only
 * where rows have stacks. */
static void print_summary(const struct report *r)
{
	fprintf(stderr, "tcpdrop: %llu drops traced, %llu lost",
		(unsigned long long)r->drops, (unsigned long long)r->lost);
	if (r->unkept)
		fprintf(stderr, ", %llu of them in no key (the kernel's count "
			"map was full)", (unsigned long long)r->unkept);
	if (r->want_stack)
		fprintf(stderr, ", %llu without a stack",
			(unsigned long long)r->no_stack);
	if (r->missed)
		fprintf(stderr, ", %llu frees the kernel did not let the program "
			"see (one inside another on the same CPU)",
			(unsigned long long)r->missed);
	fputc('\n', stderr);
}

/* A write error that ends the run normally: the reader went away, or a
 * stop signal or the end of --duration came while it did not read. */
static bool output_ended(int ret)
{
	return ret == -EPIPE || ret == OUTSTREAM_STOPPED ||
	       ret == OUTSTREAM_EXPIRED;
}

/* The report's writers say -EIO or -EPIPE for any failed write; the
 * stream knows the real error. */
static int real_error(const struct run *run, int ret)
{
	int err = outstream_error(run->os);

	if (!err && run->pcap_os)
		err = outstream_error(run->pcap_os);
	return (ret == -EIO || ret == -EPIPE) && err ? err : ret;
}

/* After the run: detach, then read what is still in the rings, so that
 * the summary counts every drop the program saw: traced + lost is then
 * exactly what passed the filters. With the output gone the records are
 * counted, not written. */
static int finish(struct run *run, int ret)
{
	int end;

	tracer_detach(run->t);
	if (ret)
		run->r->discard = true;
	end = flush_and_drain(run, true);
	read_kcount(run);
	update_lost(run);
	if (ret == 0)
		ret = real_error(run, end);
	if (ret == 0 && run->opts->count)
		ret = real_error(run, report_print_counts(run->r));
	fleet_finish(run->fleet);
	if (ret == 0)
		ret = outstream_flush(run->out, run->os);
	if (ret == 0 && run->pcap)
		ret = real_error(run, pcapng_flush(run->pcap));
	return ret;
}

/* From the Tracing line to the summary; the exit status. */
static int run_traced(struct run *run)
{
	/* What a failure after start() stopped; named on the last line. */
	const char *what = "cannot set up signals: epoll_ctl";
	int ret;

	setup_report(run);
	/* Unwatched, the signalfd would leave Ctrl-C without effect. */
	ret = tracer_watch_fd(run->t, run->signal_fd, EPOLLIN, TAG_SIGNAL);
	if (ret == 0) {
		what = "tracing failed";
		watch_stdout(run->t);
		ret = announce(run);
	}
	if (ret == 0)
		ret = run_loop(run);
	ret = finish(run, real_error(run, ret));
	print_summary(run->r);
	if (ret && !output_ended(ret)) {
		if (outstream_error(run->os))
			what = "cannot write the output";
		else if (run->pcap_os && outstream_error(run->pcap_os))
			what = "cannot write the pcapng file";
		fprintf(stderr, "tcpdrop: %s: %s\n", what, strerror(-ret));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* -w: the file (or stdout's stream), opened before anything is loaded
 * so that a path that cannot be written fails at once, and started with
 * its section and interface blocks. 0, or EXIT_FAILURE after one line. */
/* --duration also bounds the wait for a FIFO's reader. */
static int64_t pcap_deadline(const struct options *opts)
{
	return opts->duration ? monotonic_ms() +
				(int64_t)opts->duration * 1000 : 0;
}

/* -w: opens the file (or takes stdout for -w -), before anything is
 * loaded, so that a path that cannot be written fails at once. 0 with
 * run->pcap_out set, 0 with it NULL when a stop signal or the end of
 * --duration came while a FIFO had no reader, or EXIT_FAILURE after
 * saying why. */
static int open_pcap(struct run *run)
{
	const char *path = run->opts->pcap_path;
	int ret;

	if (!path)
		return 0;
	if (cli_pcap_to_stdout(run->opts)) {
		run->pcap_out = run->out;
		run->pcap_os = run->os;
		return 0;
	}
	run->pcap_fd = pcapfile_open(path, run->signal_fd,
				     pcap_deadline(run->opts), DRAIN_TICK_MS);
	/* Stopped while a FIFO waited for its reader: no run, and not a
	 * failure. */
	if (run->pcap_fd == -ECANCELED || run->pcap_fd == -ETIMEDOUT) {
		run->pcap_fd = -1;
		return 0;
	}
	if (run->pcap_fd < 0) {
		fprintf(stderr, "tcpdrop: cannot open %s: %s\n", path,
			strerror(-run->pcap_fd));
		run->pcap_fd = -1;
		return EXIT_FAILURE;
	}
	ret = outstream_open(run->pcap_fd, run->signal_fd, OUTPUT_BUFFER,
			     &run->pcap_out, &run->pcap_os);
	if (ret) {
		fprintf(stderr, "tcpdrop: cannot set up the output: %s\n",
			strerror(-ret));
		return EXIT_FAILURE;
	}
	return 0;
}

/* -w, once the program is loaded and attached: the file is truncated
 * only now, so that a run refused at start (-r BOGUS, the verifier) leaves
 * an existing file as it was, as tcpdump's bad filter does; then its
 * first two blocks. 0 with run->pcap = w, or EXIT_FAILURE after saying
 * why. */
static int start_pcap(struct run *run, struct pcapng_writer *w)
{
	const char *path = run->opts->pcap_path;
	int ret = 0;

	if (!path)
		return 0;
	if (run->pcap_fd >= 0)
		ret = pcapfile_truncate(run->pcap_fd);
	if (ret == 0)
		ret = pcapng_writer_start(w, run->pcap_out, run->pcap_os,
					  OUTPUT_BUFFER, run->opts->snaplen,
					  "tcpdrop " TCPDROP_VERSION);
	if (ret) {
		fprintf(stderr, "tcpdrop: cannot write %s: %s\n",
			cli_pcap_to_stdout(run->opts) ? "the output" : path,
			strerror(-ret));
		return EXIT_FAILURE;
	}
	run->pcap = w;
	return 0;
}

/* Closes -w FILE's stream and fd; stdout's is closed with run->out. */
static void close_pcap(struct run *run)
{
	if (run->pcap_os && run->pcap_os != run->os)
		outstream_close(run->pcap_out, run->pcap_os);
	if (run->pcap_fd >= 0)
		close(run->pcap_fd);
}

static int trace(const struct options *opts, int signal_fd)
{
	static struct pcapng_writer pcap_writer;
	struct report r;
	struct run run = {
		.r = &r, .opts = opts, .signal_fd = signal_fd, .pcap_fd = -1,
	};
	int status = EXIT_FAILURE, ret;
	struct errmsg msg;

	errmsg_init(&msg);
	if (report_init(&r, mode_of(opts)) || !(run.t = tracer_new())) {
		fprintf(stderr, "tcpdrop: out of memory\n");
		goto out;
	}
	ret = outstream_open(STDOUT_FILENO, signal_fd, OUTPUT_BUFFER,
			     &run.out, &run.os);
	if (ret) {
		fprintf(stderr, "tcpdrop: cannot set up the output: %s\n",
			strerror(-ret));
		goto out;
	}
	/* Before anything is loaded: a taken metrics port or a file that
	 * cannot be written fails at once. */
	if (fleet_open(&run.fleet, &opts->fleet, &msg)) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		goto out;
	}
	status = open_pcap(&run);
	if (status || (opts->pcap_path && !run.pcap_out))
		goto out;
	status = start(run.t, opts, r.realtime_offset_ns);
	if (status == 0)
		status = open_kcount(&run);
	if (status == 0)
		status = attach_fleet(&run);
	if (status == 0)
		status = start_pcap(&run, &pcap_writer);
	if (status)
		goto out;
	if (opts->duration)
		run.end_ms = monotonic_ms() + (int64_t)opts->duration * 1000;
	if (opts->count && opts->count_interval)
		run.next_counts_ms = monotonic_ms() +
				     (int64_t)opts->count_interval * 1000;
	outstream_set_deadline(run.os, run.end_ms);
	status = run_traced(&run);
out:
	close_pcap(&run);
	outstream_close(run.out, run.os);
	kcount_free(run.kcount);
	fleet_free(run.fleet);
	tracer_free(run.t);
	report_free(&r);
	return status;
}

/* -N NAME or a container ID: the kernel filters on a set of inodes that
 * fleet.c fills, now and as the name comes to name a namespace (made
 * after the start, or again). None by that name yet is said, and the run
 * goes on; an ID prefix of several containers is a usage error. */
static int resolve_netns_name(struct options *opts)
{
	struct errmsg msg;
	uint32_t inode = 0;
	int ret;

	if (!opts->fleet.netns_ref)
		return 0;
	errmsg_init(&msg);
	opts->filter.netns_by_name = true;
	ret = fleet_resolve_netns(&opts->fleet, &inode, &msg);
	if (ret == -ENOENT) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		return 0;
	}
	if (ret) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		cli_print_usage_hint(stderr);
	}
	return ret;
}

/* With fd 0, 1 or 2 closed at start, the next fd we open would take its
 * number, and rows meant for stdout would go into a BPF map or a ring.
 * /dev/null fills the gap; writes to it then go nowhere, as they would. */
static void fill_standard_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 &&
	       fd <= STDERR_FILENO)
		fcntl(fd, F_SETFD, 0);
	if (fd > STDERR_FILENO)
		close(fd);
}

int main(int argc, char **argv)
{
	struct options opts;
	struct errmsg msg;
	int signal_fd, ret;

	fill_standard_fds();
	errmsg_init(&msg);
	/* First of all: a SIGINT sent while the options are read or -N is
	 * looked up in /proc (a scan of every process) then ends the run
	 * through the loop. Left unblocked there, it was lost when the
	 * shell that started us in the background had set it to SIG_IGN
	 * (POSIX sh does, for `tcpdrop &`); blocked, Linux keeps it pending
	 * for the signalfd even so. */
	signal_fd = block_signals(&msg);
	if (signal_fd < 0) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		return EXIT_FAILURE;
	}

	if (cli_parse(argc, argv, &opts, &msg)) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		cli_print_usage_hint(stderr);
		return EXIT_USAGE;
	}
	if (opts.action == CLI_HELP) {
		cli_print_help(stdout);
		return EXIT_SUCCESS;
	}
	if (opts.action == CLI_VERSION) {
		printf("tcpdrop %s\n", TCPDROP_VERSION);
		return EXIT_SUCCESS;
	}
	fleet_pin_netns_dir();
	if (resolve_netns_name(&opts))
		return EXIT_USAGE;
	/* -w /dev/stdout with rows: two writers on one stream. */
	if (opts.pcap_path && !cli_pcap_to_stdout(&opts) &&
	    pcapfile_check_target(opts.pcap_path, !no_rows(&opts), &msg)) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		cli_print_usage_hint(stderr);
		return EXIT_USAGE;
	}
	if (kernel_check_privileges(&msg)) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		return EXIT_FAILURE;
	}
	ret = trace(&opts, signal_fd);
	close(signal_fd);
	return ret;
}
