#include "discover.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "attach.h"
#include "event.h"
#include "object.h"

extern const unsigned char tcpdrop_disc_object[];
extern const unsigned char tcpdrop_disc_object_end[];

#define PROG_NAME "tcpdrop_discover"
#define CTX_TYPE "trace_event_raw_kfree_skb"
#define STEP_TIMEOUT_MS 3000
#define ATTEMPTS 3

enum op { OP_SYN4 = 1, OP_SYN6, OP_TX4, OP_TS_OFF, OP_QUIT };

struct cmd {
	int op;
	uint16_t sport, dport;
};

struct reply {
	int err;            /* errno of the step that failed, 0 if none */
	char step[40];
	uint32_t netns;
};

struct child {
	pid_t pid;
	int cmd_fd, rep_fd;
	uint32_t netns;
};

struct disc {
	struct bpf_object obj;
	bool obj_open;
	int perf_fd;
	int plan_fd, rec_fd;
	struct disc_plan plan;
	struct disc_record *rec;
	char comm[16];
	uint32_t port_seed;
	bool corrupt;
	int drops;
};

/* --- the child ---------------------------------------------------------- */

static int fail(struct reply *rep, const char *step)
{
	rep->err = errno ? errno : EIO;
	snprintf(rep->step, sizeof(rep->step), "%s", step);
	return -1;
}

static int set_lo(bool up, struct reply *rep)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return fail(rep, "socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ret = fail(rep, "SIOCGIFFLAGS lo");
	} else if (!!(ifr.ifr_flags & IFF_UP) != up) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			ret = fail(rep, "SIOCSIFFLAGS lo");
	}
	close(fd);
	return ret;
}

static void loopback(int family, uint16_t port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	}
}

/* A SYN to a port nobody listens on: on loopback the drop happens before
 * connect() returns. The socket is left open until the child exits. */
static int syn(int family, const struct cmd *c, struct reply *rep)
{
	struct sockaddr_storage src, dst;
	socklen_t len;
	int fd;

	if (set_lo(true, rep))
		return -1;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(rep, "socket");
	loopback(family, c->sport, &src, &len);
	loopback(family, c->dport, &dst, &len);
	if (bind(fd, (struct sockaddr *)&src, len))
		return fail(rep, "bind");
	if (connect(fd, (struct sockaddr *)&dst, len) &&
	    errno != EINPROGRESS && errno != ECONNREFUSED)
		return fail(rep, "connect");
	return 0;
}

/* An ESTABLISHED connection on loopback, then loopback down under it:
 * the next segment finds no route and is freed on its way out, with
 * skb->sk set (ip_queue_xmit(), every kernel from 2.6 to 6.18). */
static int tx(const struct cmd *c, struct reply *rep)
{
	struct sockaddr_storage src, dst;
	socklen_t len;
	int l, s, a, one = 1;
	char data[100];

	if (set_lo(true, rep))
		return -1;
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || s < 0)
		return fail(rep, "socket");
	loopback(AF_INET, c->sport, &src, &len);
	loopback(AF_INET, c->dport, &dst, &len);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&dst, len) || listen(l, 1))
		return fail(rep, "listen");
	if (bind(s, (struct sockaddr *)&src, len))
		return fail(rep, "bind");
	if (connect(s, (struct sockaddr *)&dst, len))
		return fail(rep, "connect");
	a = accept(l, NULL, NULL);
	if (a < 0)
		return fail(rep, "accept");
	if (set_lo(false, rep))
		return -1;
	memset(data, 'x', sizeof(data));
	if (send(s, data, sizeof(data), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN)
		return fail(rep, "send");
	return 0;
}

/* Timestamps off in this namespace: a SYN 12 bytes shorter. */
static int ts_off(struct reply *rep)
{
	int fd = open("/proc/sys/net/ipv4/tcp_timestamps", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, "0\n", 2) != 2) {
		close(fd);
		return 0;
	}
	close(fd);
	return 0;
}

static void child_main(const char *comm, int cmd_fd, int rep_fd)
{
	struct reply rep;
	struct stat st;
	struct cmd c;

	memset(&rep, 0, sizeof(rep));
	errno = 0;
	if (unshare(CLONE_NEWNET))
		fail(&rep, "unshare(CLONE_NEWNET)");
	else if (stat("/proc/self/ns/net", &st))
		fail(&rep, "/proc/self/ns/net");
	else if (prctl(PR_SET_NAME, comm, 0, 0, 0))
		fail(&rep, "prctl(PR_SET_NAME)");
	else if (set_lo(true, &rep) == 0)
		rep.netns = (uint32_t)st.st_ino;
	if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep) || rep.err)
		_exit(1);
	while (read(cmd_fd, &c, sizeof(c)) == sizeof(c)) {
		memset(&rep, 0, sizeof(rep));
		errno = 0;
		if (c.op == OP_SYN4)
			syn(AF_INET, &c, &rep);
		else if (c.op == OP_SYN6)
			syn(AF_INET6, &c, &rep);
		else if (c.op == OP_TX4)
			tx(&c, &rep);
		else if (c.op == OP_TS_OFF)
			ts_off(&rep);
		else
			_exit(0);
		if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
			_exit(1);
	}
	_exit(0);
}

static int get_reply(struct child *ch, struct reply *rep)
{
	struct pollfd p = { .fd = ch->rep_fd, .events = POLLIN };
	int ret = poll(&p, 1, STEP_TIMEOUT_MS);

	if (ret == 0)
		return -ETIMEDOUT;
	if (ret < 0)
		return -errno;
	if (read(ch->rep_fd, rep, sizeof(*rep)) != (ssize_t)sizeof(*rep))
		return -EIO;
	return 0;
}

static void child_end(struct disc *d, struct child *ch)
{
	if (ch->pid <= 0)
		return;
	close(ch->cmd_fd);
	close(ch->rep_fd);
	kill(ch->pid, SIGKILL);
	while (waitpid(ch->pid, NULL, 0) < 0 && errno == EINTR)
		;
	ch->pid = -1;
}

static int child_start(struct disc *d, struct child *ch, struct errmsg *msg)
{
	int cmd[2], rep[2], ret;
	struct reply r;

	if (pipe2(cmd, O_CLOEXEC))
		return errmsg_set(msg, -errno, "pipe: %s", strerror(errno));
	if (pipe2(rep, O_CLOEXEC)) {
		ret = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return errmsg_set(msg, ret, "pipe: %s", strerror(-ret));
	}
	ch->pid = fork();
	if (ch->pid == 0) {
		close(cmd[1]);
		close(rep[0]);
		child_main(d->comm, cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	ch->cmd_fd = cmd[1];
	ch->rep_fd = rep[0];
	if (ch->pid < 0) {
		ret = -errno;
		close(ch->cmd_fd);
		close(ch->rep_fd);
		return errmsg_set(msg, ret, "fork: %s", strerror(-ret));
	}
	ret = get_reply(ch, &r);
	if (ret)
		return errmsg_set(msg, ret, "the child that makes the known "
				  "drops did not report: %s", strerror(-ret));
	if (r.err)
		return errmsg_set(msg, -r.err, "%s: %s", r.step,
				  strerror(r.err));
	ch->netns = r.netns;
	return 0;
}

/* --- the parent --------------------------------------------------------- */

static void next_ports(struct disc *d, uint16_t *sport, uint16_t *dport)
{
	d->port_seed = d->port_seed * 1103515245u + 12345u;
	*sport = (uint16_t)(40000 + (d->port_seed >> 8) % 20000);
	d->port_seed = d->port_seed * 1103515245u + 12345u;
	*dport = (uint16_t)(1024 + (d->port_seed >> 8) % 30000);
	if (*dport == *sport)
		(*dport)++;
}

static void fill_pkt(struct layout_pkt *k, int op, uint16_t sport,
		     uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->sport = sport;
	k->dport = dport;
	if (op == OP_SYN6) {
		k->family = AF_INET6;
		memcpy(k->saddr, &in6addr_loopback, 16);
		memcpy(k->daddr, &in6addr_loopback, 16);
	} else {
		uint32_t lo = htonl(INADDR_LOOPBACK);

		k->family = AF_INET;
		memcpy(k->saddr, &lo, 4);
		memcpy(k->daddr, &lo, 4);
	}
}

/* One known drop made with the plan in d->plan; the record is in d->rec
 * and the packet that was sent in `k`. */
static int make_drop(struct disc *d, struct child *ch, int op,
		     struct layout_pkt *k, struct errmsg *msg)
{
	uint32_t zero = 0;
	struct reply r;
	struct cmd c = { .op = op };
	int attempt, ret;

	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		next_ports(d, &c.sport, &c.dport);
		memset(d->rec, 0, sizeof(*d->rec));
		ret = sys_map_update(d->rec_fd, &zero, d->rec, BPF_ANY);
		d->plan.armed = 1;
		if (ret == 0)
			ret = sys_map_update(d->plan_fd, &zero, &d->plan,
					     BPF_ANY);
		if (ret)
			return errmsg_set(msg, ret, "cannot update its maps: %s",
					  strerror(-ret));
		if (write(ch->cmd_fd, &c, sizeof(c)) != sizeof(c))
			return errmsg_set(msg, -EIO, "the child that makes the "
					  "known drops is gone");
		ret = get_reply(ch, &r);
		if (ret)
			return errmsg_set(msg, ret, "the child that makes the "
					  "known drops did not report: %s",
					  strerror(-ret));
		d->plan.armed = 0;
		sys_map_update(d->plan_fd, &zero, &d->plan, BPF_ANY);
		if (r.err)
			return errmsg_set(msg, -r.err, "making a known drop: "
					  "%s: %s", r.step, strerror(r.err));
		d->drops++;
		ret = sys_map_lookup(d->rec_fd, &zero, d->rec);
		if (ret)
			return errmsg_set(msg, ret, "cannot read its record: %s",
					  strerror(-ret));
		if (d->rec->taken)
			break;
	}
	/* The fingerprint of another packet: the search must then fail. */
	fill_pkt(k, op, d->corrupt ? (uint16_t)(c.sport + 1) : c.sport,
		 c.dport);
	return 0;
}

static int command(struct child *ch, int op, struct errmsg *msg)
{
	struct cmd c = { .op = op };
	struct reply r;
	int ret;

	if (write(ch->cmd_fd, &c, sizeof(c)) != sizeof(c))
		return errmsg_set(msg, -EIO, "the child that makes the known "
				  "drops is gone");
	ret = get_reply(ch, &r);
	if (ret)
		return errmsg_set(msg, ret, "the child did not report: %s",
				  strerror(-ret));
	return 0;
}

/* The socket's own view of a transmitted segment: local first. */
static void as_socket(struct layout_pkt *k)
{
	(void)k;   /* loopback both ways: saddr == daddr */
}

static int search(struct disc *d, struct layout *l, struct errmsg *msg)
{
	struct layout_search *s = calloc(1, sizeof(*s));
	struct child ch = { .pid = -1 };
	struct layout_pkt k;
	int ret;

	if (!s)
		return errmsg_set(msg, -ENOMEM, "out of memory");
	layout_search_init(s);
	/* The first namespace: find. */
	ret = child_start(d, &ch, msg);
	if (ret)
		goto out;
	layout_plan_base(&d->plan);
	ret = make_drop(d, &ch, OP_SYN4, &k, msg);
	if (ret == 0)
		ret = layout_narrow_syn(s, l, d->rec, &k, msg);
	if (ret)
		goto out;
	ret = make_drop(d, &ch, OP_TX4, &k, msg);
	as_socket(&k);
	if (ret == 0)
		ret = layout_narrow_tx(s, l, d->rec, &k, msg);
	if (ret)
		goto out;
	layout_plan_net(&d->plan, l);
	ret = make_drop(d, &ch, OP_TX4, &k, msg);
	if (ret == 0)
		ret = layout_narrow_net(s, l, d->rec,
					d->corrupt ? ch.netns + 1 : ch.netns,
					msg);
	if (ret)
		goto out;
	layout_plan_dev(&d->plan, s);
	ret = make_drop(d, &ch, OP_SYN4, &k, msg);
	if (ret == 0)
		ret = layout_narrow_dev(s, l, d->rec, msg);
	if (ret)
		goto out;
	child_end(d, &ch);
	/* The second namespace, other packets: verify. */
	ret = child_start(d, &ch, msg);
	if (ret == 0)
		ret = command(&ch, OP_TS_OFF, msg);
	if (ret)
		goto out;
	layout_plan_verify_tx(&d->plan, l, s);
	ret = make_drop(d, &ch, OP_TX4, &k, msg);
	if (ret == 0)
		ret = layout_verify_tx(s, l, d->rec, &k, ch.netns, msg);
	if (ret)
		goto out;
	layout_plan_verify_syn(&d->plan, l, s);
	ret = make_drop(d, &ch, OP_SYN6, &k, msg);
	if (ret == -EAFNOSUPPORT || ret == -EADDRNOTAVAIL)
		ret = make_drop(d, &ch, OP_SYN4, &k, msg);
	if (ret == 0)
		ret = layout_verify_syn(s, l, d->rec, &k, ch.netns, msg);
out:
	child_end(d, &ch);
	free(s);
	return ret;
}

static int load(struct disc *d, const struct tp_format *fmt, uint32_t tp_id,
		bool has_probe_read_kernel, struct errmsg *msg)
{
	struct core_target target = { .btf = NULL, .ctx_type = CTX_TYPE,
				      .ctx_fmt = fmt };
	size_t len = (size_t)(tcpdrop_disc_object_end - tcpdrop_disc_object);
	int ret, prog_fd;

	ret = object_open(&d->obj, tcpdrop_disc_object, len, msg);
	if (ret)
		return ret;
	d->obj_open = true;
	if (!has_probe_read_kernel)
		object_replace_helper(&d->obj, TCPDROP_HELPER_PROBE_READ_KERNEL,
				      TCPDROP_HELPER_PROBE_READ);
	ret = object_core_relocate(&d->obj, &target, msg);
	if (ret == 0)
		ret = object_create_maps(&d->obj, msg);
	if (ret == 0)
		ret = object_load(&d->obj, msg);
	if (ret)
		return ret;
	d->plan_fd = object_map_fd(&d->obj, DISC_MAP_PLAN);
	d->rec_fd = object_map_fd(&d->obj, DISC_MAP_RECORD);
	prog_fd = object_prog_fd(&d->obj, PROG_NAME);
	if (d->plan_fd < 0 || d->rec_fd < 0 || prog_fd < 0)
		return errmsg_set(msg, -ENOENT, "its BPF object lacks a map or "
				  "its program");
	ret = attach_tracepoint(prog_fd, tp_id);
	if (ret < 0)
		return errmsg_set(msg, ret, "cannot attach to skb:kfree_skb: %s",
				  strerror(-ret));
	d->perf_fd = ret;
	return 0;
}

/* Detaching a program from a tracepoint costs an RCU grace period
 * (about 20 ms here, more on a busy host), so the program stays attached,
 * disarmed (one array lookup per drop), until the caller is done. */
void discover_release(struct disc *d)
{
	if (!d)
		return;
	detach(d->perf_fd);
	if (d->obj_open)
		object_close(&d->obj);
	free(d->rec);
	free(d);
}

int discover_run(const struct tp_format *fmt, uint32_t tp_id,
		 bool has_probe_read_kernel, struct layout *out,
		 struct discover_stats *stats, struct disc **keep,
		 struct errmsg *msg)
{
	struct disc *d = calloc(1, sizeof(*d));
	int64_t start = monotonic_us();
	struct errmsg inner;
	int ret;

	*keep = NULL;
	layout_init(out);
	memset(stats, 0, sizeof(*stats));
	if (!d)
		return errmsg_set(msg, -ENOMEM, "out of memory");
	errmsg_init(&inner);
	d->perf_fd = -1;
	d->rec = calloc(1, sizeof(*d->rec));
	d->port_seed = (uint32_t)start * 2654435761u ^ (uint32_t)getpid();
	d->corrupt = getenv(DISCOVER_FAIL_ENV) != NULL;
	snprintf(d->comm, sizeof(d->comm), "tcpdisc%u", (unsigned)getpid());
	memcpy(d->plan.comm, d->comm, sizeof(d->plan.comm));
	if (!d->rec)
		ret = errmsg_set(&inner, -ENOMEM, "out of memory");
	else
		ret = load(d, fmt, tp_id, has_probe_read_kernel, &inner);
	if (ret == 0)
		ret = search(d, out, &inner);
	stats->drops = d->drops;
	free(d->rec);
	d->rec = NULL;
	*keep = d;
	stats->elapsed_us = monotonic_us() - start;
	if (ret) {
		errmsg_fallback(&inner, ret, "discovery");
		layout_init(out);
		return errmsg_set(msg, ret, "%s", inner.text);
	}
	return 0;
}
