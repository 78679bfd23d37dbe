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
#include "diag.h"
#include "output.h"
#include "report.h"
#include "tracer.h"

#define RING_PAGES 64
#define DRAIN_TICK_MS 100
/* epoll tags of the fds that are not rings (rings use their index). */
#define TAG_SIGNAL (1ull << 32)
#define TAG_STDOUT (TAG_SIGNAL + 1)

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
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
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

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int drain_all(struct tracer *t, struct report *r)
{
	struct tracer_sink sink = {
		report_sample, report_lost, report_corrupt, r,
	};

	return tracer_drain(t, -1, &sink);
}

static int drain_one(struct tracer *t, int ring, struct report *r)
{
	struct tracer_sink sink = {
		report_sample, report_lost, report_corrupt, r,
	};

	return tracer_drain(t, ring, &sink);
}

/* Milliseconds until the first of `deadlines` (0 = none), -1 for none at
 * all, 0 when one has passed. */
static int next_timeout(const int64_t *deadlines, int n)
{
	int64_t now = now_ms(), soonest = 0;
	int i;

	for (i = 0; i < n; i++)
		if (deadlines[i] && (!soonest || deadlines[i] < soonest))
			soonest = deadlines[i];
	if (!soonest)
		return -1;
	return soonest <= now ? 0 : (int)(soonest - now);
}

/* Prints the counts when their interval is up. */
static int tick_counts(struct report *r, int64_t *next, unsigned interval)
{
	if (!*next || now_ms() < *next)
		return 0;
	*next += (int64_t)interval * 1000;
	return report_print_counts(r);
}

/* The rings wake us only when a quarter full (tracer.c): drops that come
 * one at a time are read on this tick instead, so a row shows within it. */
static int tick_drain(struct tracer *t, struct report *r, int64_t *next)
{
	if (now_ms() < *next)
		return 0;
	*next = now_ms() + DRAIN_TICK_MS;
	return drain_all(t, r);
}

/* Returns when a signal, the duration, or a closed stdout ends the run
 * (0), or on an error (-errno). */
static int run_loop(struct tracer *t, struct report *r,
		    const struct options *opts)
{
	/* End of the run, next count print, next drain. */
	int64_t deadlines[3] = { 0, 0, now_ms() + DRAIN_TICK_MS };
	struct epoll_event events[16];

	if (opts->duration)
		deadlines[0] = now_ms() + (int64_t)opts->duration * 1000;
	if (opts->count && opts->count_interval)
		deadlines[1] = now_ms() + (int64_t)opts->count_interval * 1000;
	for (;;) {
		int n, i, ret;

		ret = tick_drain(t, r, &deadlines[2]);
		if (ret == 0)
			ret = tick_counts(r, &deadlines[1],
					  opts->count_interval);
		if (ret)
			return ret;
		if (deadlines[0] && now_ms() >= deadlines[0])
			return 0;
		n = tracer_wait(t, events, 16, next_timeout(deadlines, 3));
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;

			if (tag == TAG_SIGNAL || tag == TAG_STDOUT)
				return 0;
			ret = drain_one(t, (int)tag, r);
			if (ret)
				return ret;
		}
	}
}

/* The Tracing line goes where it does not mix with data: stdout for text
 * rows and tables (as the tool we replace did), stderr for JSON. */
static int announce(const struct options *opts)
{
	FILE *where = opts->json ? stderr : stdout;

	fprintf(where, "Tracing TCP drops. Hit Ctrl-C to end.\n");
	fflush(where);
	if (opts->json || opts->count)
		return 0;
	return output_header(stdout, &opts->style);
}

static enum report_mode mode_of(const struct options *opts)
{
	if (opts->count)
		return REPORT_COUNT;
	return opts->json ? REPORT_JSON : REPORT_ROWS;
}

static int start(struct tracer *t, const struct options *opts)
{
	struct tracer_config cfg = {
		.family = opts->family,
		/* Counts need no stacks: the kernel takes none. */
		.stack = opts->stack && !opts->count,
		.ring_pages = RING_PAGES,
		.btf_path = opts->btf_path,
		.filter = &opts->filter,
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
		diag_degraded();
	return 0;
}

static void setup_report(struct report *r, const struct tracer *t,
			 const struct options *opts)
{
	r->out = stdout;
	r->diag = stderr;
	r->json = opts->json;
	r->style = opts->style;
	r->count_interval = opts->count_interval;
	r->kernel = tracer_kernel(t);
	r->want_stack = opts->stack && !opts->count;
}

/* The closing line on stderr; the rows without a stack are counted only
 * where rows have stacks. */
static void print_summary(const struct report *r)
{
	fprintf(stderr, "tcpdrop: %llu drops traced, %llu lost",
		(unsigned long long)r->drops, (unsigned long long)r->lost);
	if (r->want_stack)
		fprintf(stderr, ", %llu without a stack",
			(unsigned long long)r->no_stack);
	fputc('\n', stderr);
}

/* From the Tracing line to the summary; the exit status. */
static int run(struct tracer *t, struct report *r, const struct options *opts,
	       int signal_fd)
{
	/* What a failure after start() stopped; named on the last line. */
	const char *what = "cannot set up signals: epoll_ctl";
	int ret;

	setup_report(r, t, opts);
	/* Unwatched, the signalfd would leave Ctrl-C without effect. */
	ret = tracer_watch_fd(t, signal_fd, EPOLLIN, TAG_SIGNAL);
	if (ret == 0) {
		what = "tracing failed";
		watch_stdout(t);
		ret = announce(opts);
	}
	if (ret == 0)
		ret = run_loop(t, r, opts);
	/* Detach first, then read what is still in the rings. */
	tracer_detach(t);
	if (ret == 0)
		ret = drain_all(t, r);
	if (ret == 0 && opts->count)
		ret = report_print_counts(r);
	fflush(stdout);
	print_summary(r);
	if (ret && ret != -EPIPE && ret != -EIO) {
		fprintf(stderr, "tcpdrop: %s: %s\n", what, strerror(-ret));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int trace(const struct options *opts, int signal_fd)
{
	struct tracer *t = NULL;
	struct report r;
	int status = EXIT_FAILURE;

	if (report_init(&r, mode_of(opts)) || !(t = tracer_new())) {
		fprintf(stderr, "tcpdrop: out of memory\n");
		goto out;
	}
	status = start(t, opts);
	if (status == 0)
		status = run(t, &r, opts, signal_fd);
out:
	tracer_free(t);
	report_free(&r);
	return status;
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
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal_fd = block_signals(&msg);
	if (signal_fd < 0) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		return EXIT_FAILURE;
	}
	if (kernel_check_privileges(&msg)) {
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
		return EXIT_FAILURE;
	}
	ret = trace(&opts, signal_fd);
	close(signal_fd);
	return ret;
}
