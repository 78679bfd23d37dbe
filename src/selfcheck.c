#include "selfcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* How long the child may take; it makes no blocking call but fork. */
#define CHILD_TIMEOUT_MS 2000

/* What the child tells the parent through the pipe. */
struct child_report {
	int err;            /* errno of the step that failed, 0 if none */
	char step[32];      /* that step */
	uint32_t netns;
	uint32_t ifindex;
};

void selfcheck_init(struct selfcheck *sc)
{
	uint32_t r = (uint32_t)monotonic_us() * 2654435761u ^ (uint32_t)getpid();

	memset(sc, 0, sizeof(*sc));
	sc->sport = (uint16_t)(40000 + r % 20000);
	sc->dport = (uint16_t)(1024 + (r >> 16) % 30000);
}

static int child_fail(struct child_report *rep, const char *step)
{
	rep->err = errno ? errno : EIO;
	snprintf(rep->step, sizeof(rep->step), "%s", step);
	return -1;
}

/* A new namespace has its loopback down. */
static int bring_lo_up(struct child_report *rep)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return child_fail(rep, "socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		return child_fail(rep, "SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return child_fail(rep, "SIOCSIFFLAGS lo");
	if (ioctl(fd, SIOCGIFINDEX, &ifr))
		return child_fail(rep, "SIOCGIFINDEX lo");
	rep->ifindex = (uint32_t)ifr.ifr_ifindex;
	close(fd);
	return 0;
}

/* Internet checksum (RFC 1071) of `len` bytes, added to `sum`. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* A TCP segment 127.0.0.1:sport -> 127.0.0.1:dport with `flags` and
 * SELFCHECK_PAYLOAD bytes of data, its checksum right, sent through a raw
 * socket: the kernel builds the IPv4 header. Exact bytes, so that the
 * length the kernel drops (TCP header and data) is known. */
static int send_segment(int raw, uint16_t sport, uint16_t dport,
			uint8_t flags, struct child_report *rep)
{
	uint8_t seg[20 + SELFCHECK_PAYLOAD] = { 0 }, pseudo[12] = {
		127, 0, 0, 1, 127, 0, 0, 1, 0, IPPROTO_TCP, 0, sizeof(seg) };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint16_t sum;

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	seg[0] = (uint8_t)(sport >> 8);
	seg[1] = (uint8_t)sport;
	seg[2] = (uint8_t)(dport >> 8);
	seg[3] = (uint8_t)dport;
	seg[7] = 1;                          /* sequence number 1 */
	seg[12] = 5 << 4;                    /* 20-byte header */
	seg[13] = flags;
	seg[14] = 0xff;                      /* window */
	memcpy(seg + 20, "tcpd", SELFCHECK_PAYLOAD);
	sum = csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)), seg,
				 sizeof(seg)));
	memcpy(seg + 16, &sum, sizeof(sum));
	if (sendto(raw, seg, sizeof(seg), 0, (struct sockaddr *)&dst,
		   sizeof(dst)) != (ssize_t)sizeof(seg))
		return child_fail(rep, "sendto");
	return 0;
}

/* The drops: a SYN with data to a port nobody listens on (NO_SOCKET),
 * and a RST to a listening socket (TCP_RESET, in state LISTEN). On
 * loopback each drop happens before sendto() returns. */
static int make_drops(const struct selfcheck *sc, struct child_report *rep)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int one = 1;
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)(sc->dport + 1));
	if (raw < 0 || listener < 0)
		return child_fail(rep, "socket");
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listener, 1))
		return child_fail(rep, "listen");
	if (send_segment(raw, sc->sport, sc->dport, TCPDROP_SYN, rep) ||
	    send_segment(raw, sc->sport, (uint16_t)(sc->dport + 1),
			 TCPDROP_RST, rep))
		return -1;
	return 0;
}

static void run_child(const struct selfcheck *sc, int report_fd)
{
	struct child_report rep;
	struct stat st;

	memset(&rep, 0, sizeof(rep));
	errno = 0;
	if (unshare(CLONE_NEWNET))
		child_fail(&rep, "unshare(CLONE_NEWNET)");
	else if (stat("/proc/self/ns/net", &st))
		child_fail(&rep, "/proc/self/ns/net");
	else if (bring_lo_up(&rep) == 0 && make_drops(sc, &rep) == 0)
		rep.netns = (uint32_t)st.st_ino;
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	_exit(0);
}

/* Waits for the child's report, then for the child. */
static int collect(pid_t pid, int fd, struct child_report *rep)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = -1;
	int ret = poll(&p, 1, CHILD_TIMEOUT_MS);

	if (ret > 0)
		n = read(fd, rep, sizeof(*rep));
	if (n != (ssize_t)sizeof(*rep))
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (ret == 0)
		return -ETIMEDOUT;
	return n == (ssize_t)sizeof(*rep) ? 0 : -EIO;
}

int selfcheck_make_drop(struct selfcheck *sc, struct errmsg *msg)
{
	struct child_report rep;
	int64_t start = monotonic_us();
	int fds[2], ret;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return errmsg_set(msg, -errno, "self-check: pipe: %s",
				  strerror(errno));
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		run_child(sc, fds[1]);
	}
	close(fds[1]);
	if (pid < 0) {
		ret = -errno;
		close(fds[0]);
		return errmsg_set(msg, ret, "self-check: fork: %s",
				  strerror(-ret));
	}
	ret = collect(pid, fds[0], &rep);
	close(fds[0]);
	sc->elapsed_us = monotonic_us() - start;
	if (ret)
		return errmsg_set(msg, ret, "self-check: the child that makes "
				  "the known drop did not report: %s",
				  strerror(-ret));
	if (rep.err == EPERM || rep.err == EINVAL || rep.err == ENOSYS) {
		sc->skipped = true;
		snprintf(sc->skipped_why, sizeof(sc->skipped_why), "%s: %s",
			 rep.step, strerror(rep.err));
		return 0;
	}
	if (rep.err)
		return errmsg_set(msg, -rep.err, "self-check: %s: %s", rep.step,
				  strerror(rep.err));
	sc->netns = rep.netns;
	sc->ifindex = rep.ifindex;
	return 0;
}

/* TCP_LISTEN in include/net/tcp_states.h, the same in every kernel. */
#define SELFCHECK_LISTEN 10

static bool is_loopback_tuple(const struct tcpdrop_event *ev)
{
	const uint8_t loopback[4] = { 127, 0, 0, 1 };

	return ev->family == AF_INET && !memcmp(ev->saddr, loopback, 4) &&
	       !memcmp(ev->daddr, loopback, 4);
}

static void format_tuple(char *buf, size_t size, const struct tcpdrop_event *ev)
{
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";

	if (ev->family == AF_INET || ev->family == AF_INET6) {
		inet_ntop(ev->family, ev->saddr, s, sizeof(s));
		inet_ntop(ev->family, ev->daddr, d, sizeof(d));
	}
	snprintf(buf, size, "family %u, %s:%u -> %s:%u", ev->family, s,
		 ev->sport, d, ev->dport);
}

/* The SYN: its tuple, flags, length, namespace and device. */
static int compare_syn(const struct selfcheck *sc,
		       const struct tcpdrop_event *got, struct errmsg *msg)
{
	const uint8_t main_flags = TCPDROP_FIN | TCPDROP_SYN | TCPDROP_RST |
				   TCPDROP_ACK;
	char tuple[128];

	if (!got->family)
		return errmsg_set(msg, -EPROTO, "a known drop (SYN 127.0.0.1:%u "
				  "-> 127.0.0.1:%u) left no record", sc->sport,
				  sc->dport);
	format_tuple(tuple, sizeof(tuple), got);
	if (!is_loopback_tuple(got))
		return errmsg_set(msg, -EPROTO, "a known drop (SYN 127.0.0.1:%u "
				  "-> 127.0.0.1:%u) was read as %s", sc->sport,
				  sc->dport, tuple);
	if ((got->tcpflags & main_flags) != TCPDROP_SYN)
		return errmsg_set(msg, -EPROTO, "a known SYN was read with TCP "
				  "flags 0x%02x", got->tcpflags);
	if (got->len != 20 + SELFCHECK_PAYLOAD)
		return errmsg_set(msg, -EPROTO, "a known drop of %u bytes was "
				  "read as %u bytes long", 20 + SELFCHECK_PAYLOAD,
				  got->len);
	if (!sc->no_netns && got->netns != sc->netns)
		return errmsg_set(msg, -EPROTO, "a known drop in network "
				  "namespace %u was read in namespace %u",
				  sc->netns, got->netns);
	if (!sc->no_ifindex && got->ifindex != sc->ifindex)
		return errmsg_set(msg, -EPROTO, "a known drop on device %u was "
				  "read on device %u", sc->ifindex,
				  got->ifindex);
	return 0;
}

/* The RST to the listener: seen by the tracepoint where tcp_drop() goes
 * through kfree_skb_reason() (5.18+); its socket's state where the
 * tracepoint hands the socket over (rx_sk, 6.11+). */
static int compare_rst(const struct selfcheck *sc,
		       const struct selfcheck_kernel *k,
		       const struct tcpdrop_event *got, struct errmsg *msg)
{
	if (!k->has_rx_sk)
		return 0;
	if (!got->family)
		return errmsg_set(msg, -EPROTO, "a known drop (RST 127.0.0.1:%u "
				  "-> 127.0.0.1:%u) left no record", sc->sport,
				  sc->dport + 1);
	if (got->state != SELFCHECK_LISTEN)
		return errmsg_set(msg, -EPROTO, "a known drop on a listening "
				  "socket was read in TCP state %u, not %u",
				  got->state, SELFCHECK_LISTEN);
	/* In the socket layer skb->dev is gone: the namespace is the
	 * socket's (skc_net), which the SYN's (from the device) does not
	 * prove. */
	if (!sc->no_netns && got->netns != sc->netns)
		return errmsg_set(msg, -EPROTO, "a known drop on a listening "
				  "socket was read in network namespace %u, not "
				  "%u", got->netns, sc->netns);
	return 0;
}

int selfcheck_compare(const struct selfcheck *sc,
		      const struct selfcheck_kernel *k,
		      const struct tcpdrop_event got[TCPDROP_SELFCHECK_DROPS],
		      struct errmsg *msg)
{
	int ret = compare_syn(sc, &got[0], msg);

	return ret ? ret : compare_rst(sc, k, &got[1], msg);
}
