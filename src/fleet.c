#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "event.h"
#include "metrics.h"
#include "netns.h"
#include "report.h"

/* The Makefile defines it; the fuzz builds do not need it. */
#ifndef TCPDROP_VERSION
#define TCPDROP_VERSION "unknown"
#endif

struct fleet {
	struct fleet_options opts;
	int listen_fd;
	struct httpd *httpd;
	struct metrics *metrics;
	struct netns_resolver *names;
	struct report *report;
	struct fleet_hooks hooks;
	struct buf page;
	char kernel[65];
	int64_t next_file_ms;
	uint64_t file_errors;
	bool file_failing;          /* said once until it works again */
	/* -N NAME: the inodes handed to the kernel's set, and when the name
	 * is looked up next. */
	uint32_t netns_added[TCPDROP_NETNS_SET_MAX];
	int nnetns_added;
	int64_t next_netns_ms;
};

/* "port" or "netns" at p[0..len): its METRICS_LABEL_* bit, 0 for none. */
static unsigned label_bit(const char *p, size_t len)
{
	if (len == 4 && strncmp(p, "port", 4) == 0)
		return METRICS_LABEL_PORT;
	if (len == 5 && strncmp(p, "netns", 5) == 0)
		return METRICS_LABEL_NETNS;
	return 0;
}

int fleet_parse_labels(const char *arg, unsigned *labels, struct errmsg *msg)
{
	const char *p = arg;
	unsigned bit;
	size_t len;

	for (;;) {
		len = strcspn(p, ",");
		bit = label_bit(p, len);
		if (!bit)
			return errmsg_set(msg, -EINVAL, "invalid metrics label "
					  "list '%s': want port, netns or both",
					  arg);
		/* A label named twice is a typo, as a repeated option is. */
		if (*labels & bit)
			return errmsg_set(msg, -EINVAL, "invalid metrics label "
					  "list '%s': '%.*s' is named twice",
					  arg, (int)len, p);
		*labels |= bit;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* /run/netns as the host sees it. tcpdrop may move into a mount namespace
 * of its own for tracefs (tracefs.c), a copy whose mounts follow the
 * host's only where the host's are shared: on a system whose mounts are
 * private (a busybox init), a namespace bind-mounted there later would be
 * unseen. A path through a descriptor of the host's root, taken before,
 * keeps the host's view. */
static char netns_dir[48] = NETNS_DIR;

void fleet_pin_netns_dir(void)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		snprintf(netns_dir, sizeof(netns_dir), "/proc/self/fd/%d%s", fd,
			 NETNS_DIR);
}

int fleet_resolve_netns(const struct fleet_options *o, uint32_t *inode,
			struct errmsg *msg)
{
	if (!o->netns_ref)
		return 0;
	return netns_find(NETNS_PROC_DIR, netns_dir, o->netns_ref, inode, msg);
}

int fleet_open(struct fleet **out, const struct fleet_options *o,
	       struct errmsg *msg)
{
	struct fleet *f;
	struct utsname u;
	int ret = 0;

	*out = NULL;
	if (!o->serve && !o->file && !o->names && !o->netns_ref)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return errmsg_set(msg, -ENOMEM, "out of memory");
	f->opts = *o;
	f->listen_fd = -1;
	if (uname(&u) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s", u.release);
	if (o->serve || o->file)
		ret = metrics_new(&f->metrics, o->labels);
	if (ret == 0 && (o->names || (o->labels & METRICS_LABEL_NETNS)))
		ret = netns_resolver_new(&f->names, NETNS_PROC_DIR, netns_dir);
	if (ret) {
		fleet_free(f);
		return errmsg_set(msg, ret, "out of memory");
	}
	/* A file that cannot be written fails before anything is loaded,
	 * as a taken port does. */
	if (o->file) {
		ret = metrics_check_file(o->file, msg);
		if (ret) {
			fleet_free(f);
			return ret;
		}
	}
	if (o->serve) {
		f->listen_fd = httpd_listen(&o->addr, msg);
		if (f->listen_fd < 0) {
			ret = f->listen_fd;
			fleet_free(f);
			return ret;
		}
	}
	*out = f;
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- naming for the page ---------------------------------------------- */

static const char *reason_name(void *ctx, uint32_t reason, char *buf,
			       size_t size)
{
	struct fleet *f = ctx;

	return kernel_reason_name(f->report->kernel, reason, buf, size);
}

static void location_name(void *ctx, uint64_t addr, char *buf, size_t size)
{
	struct fleet *f = ctx;

	report_function_name(f->report, addr, buf, size);
}

static void netns_name(void *ctx, uint32_t inode, char *buf, size_t size)
{
	struct fleet *f = ctx;

	if (f->names)
		netns_label(netns_lookup(f->names, inode, mono_ms()), buf,
			    size);
}

static int render(void *ctx, struct buf *out)
{
	struct fleet *f = ctx;
	struct metrics_namer names = {
		reason_name, location_name, netns_name, f,
	};
	struct metrics_self self = {
		.version = TCPDROP_VERSION,
		.kernel = f->kernel,
		.file = f->opts.file != NULL,
		.file_errors = f->file_errors,
	};

	/* The page counts every record the rings hold now. */
	f->hooks.refresh(f->hooks.ctx);
	self.lost = f->report->lost;
	if (f->httpd) {
		self.http = true;
		self.http_codes = httpd_codes;
		self.http_responses = httpd_stats(f->httpd)->responses;
		self.http_ncodes = HTTPD_NCODES;
		self.http_refused = httpd_stats(f->httpd)->refused;
	}
	return metrics_render(f->metrics, &names, &self, out);
}

static int write_file(struct fleet *f, struct errmsg *msg)
{
	int ret;

	buf_reset(&f->page);
	ret = render(f, &f->page);
	if (ret)
		return errmsg_set(msg, ret, "cannot make the metrics page: %s",
				  strerror(-ret));
	return metrics_write_file(f->opts.file, f->page.data, f->page.len,
				  msg);
}

/* The earlier of two deadlines, 0 meaning none. */
static int64_t sooner(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

int64_t fleet_next_deadline(const struct fleet *f)
{
	if (!f)
		return 0;
	return sooner(sooner(f->httpd ? httpd_next_deadline(f->httpd) : 0,
			     f->next_file_ms), f->next_netns_ms);
}

/* -N NAME now: a namespace of that name not handed to the kernel yet is
 * (a namespace made again, or first made after the start, a container
 * restarted). The set holds TCPDROP_NETNS_SET_MAX; past that, said once. */
static void look_up_netns(struct fleet *f)
{
	struct errmsg msg;
	uint32_t inode = 0;
	int i, ret;

	errmsg_init(&msg);
	if (fleet_resolve_netns(&f->opts, &inode, &msg) || !inode)
		return;
	for (i = 0; i < f->nnetns_added; i++)
		if (f->netns_added[i] == inode)
			return;
	if (f->nnetns_added == TCPDROP_NETNS_SET_MAX) {
		fprintf(stderr, "tcpdrop: -N %s: a namespace of that name made "
			"%d times; later ones are not traced\n",
			f->opts.netns_ref, TCPDROP_NETNS_SET_MAX);
		f->nnetns_added++;
		return;
	}
	if (f->nnetns_added > TCPDROP_NETNS_SET_MAX)
		return;
	ret = f->hooks.add_netns(f->hooks.ctx, inode);
	if (ret == 0)
		f->netns_added[f->nnetns_added++] = inode;
}

/* A failure is said once, and again only after a write worked. */
static void rewrite_file(struct fleet *f)
{
	struct errmsg msg;

	errmsg_init(&msg);
	if (write_file(f, &msg) == 0) {
		f->file_failing = false;
		return;
	}
	f->file_errors++;
	if (!f->file_failing)
		fprintf(stderr, "tcpdrop: %s\n", msg.text);
	f->file_failing = true;
}

static int watch(void *ctx, int fd, uint32_t events, uint64_t tag)
{
	struct fleet *f = ctx;

	return f->hooks.watch(f->hooks.ctx, fd, events, tag);
}

int fleet_attach(struct fleet *f, struct report *r,
		 const struct fleet_hooks *hooks, struct errmsg *msg)
{
	struct httpd_ops ops = { watch, render, f };
	int ret;

	if (!f)
		return 0;
	f->report = r;
	f->hooks = *hooks;
	if (f->opts.netns_ref) {
		look_up_netns(f);
		f->next_netns_ms = mono_ms() + FLEET_NETNS_LOOKUP_MS;
	}
	r->metrics = f->metrics;
	if (f->opts.names)
		r->names = f->names;
	if (f->listen_fd >= 0) {
		ret = httpd_new(&f->httpd, f->listen_fd, &ops, hooks->tag_base);
		f->listen_fd = -1;
		if (ret)
			return errmsg_set(msg, ret, "--metrics: %s",
					  strerror(-ret));
	}
	if (f->opts.file) {
		/* A file that cannot be written at all is an error now. */
		ret = write_file(f, msg);
		if (ret)
			return ret;
		f->next_file_ms = mono_ms() + (int64_t)f->opts.interval * 1000;
	}
	return 0;
}

void fleet_event(struct fleet *f, uint64_t tag, int64_t now_ms)
{
	if (f && f->httpd)
		httpd_event(f->httpd, tag, now_ms);
}

void fleet_tick(struct fleet *f, int64_t now_ms)
{
	if (!f)
		return;
	if (f->httpd)
		httpd_expire(f->httpd, now_ms);
	if (f->next_file_ms && now_ms >= f->next_file_ms) {
		f->next_file_ms = now_ms + (int64_t)f->opts.interval * 1000;
		rewrite_file(f);
	}
	if (f->next_netns_ms && now_ms >= f->next_netns_ms) {
		f->next_netns_ms = now_ms + FLEET_NETNS_LOOKUP_MS;
		look_up_netns(f);
	}
}

void fleet_finish(struct fleet *f)
{
	if (f && f->opts.file && f->report)
		rewrite_file(f);
}

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	if (f->report) {
		f->report->metrics = NULL;
		f->report->names = NULL;
	}
	httpd_free(f->httpd);
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	metrics_free(f->metrics);
	netns_resolver_free(f->names);
	buf_free(&f->page);
	free(f);
}
