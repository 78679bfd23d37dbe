/*
 * dropgen: make the kernel drop one known kind of packet, over loopback (or
 * between network namespaces, with -n), so that a test knows in advance
 * which row tcpdrop has to print, or that it must print none.
 *
 * usage: dropgen [-n] MODE SRC SPORT DST DPORT [MS | N | RATE [SECONDS [CPUS]]]
 *
 *   syn4  SRC SPORT DST DPORT   SYN from SRC:SPORT to the closed port
 *                               DST:DPORT (IPv4): NO_SOCKET in tcp_v4_rcv
 *   syn6  SRC SPORT DST DPORT   the same over IPv6: NO_SOCKET in tcp_v6_rcv
 *   md5   SRC SPORT DST DPORT [MS]
 *                               data from SRC:SPORT to an established peer
 *                               at DST:DPORT that expects an MD5 signature:
 *                               TCP_MD5NOTFOUND, once plus once per
 *                               retransmit during MS milliseconds (300);
 *                               IPv4 or IPv6, picked from the addresses
 *   csum4 SRC SPORT DST DPORT   raw IPv4 SYN with a wrong TCP checksum to a
 *                               listener on DST:DPORT: TCP_CSUM
 *   flood4 SRC SPORT DST DPORT N
 *                               N such SYNs as fast as possible, for the
 *                               overhead benchmark; count=N, each dropped
 *                               once; the line then also has ns=, the time
 *                               the N sends took, and csum=, how many of
 *                               them were TCP_CSUM (the rest the loopback
 *                               backlog dropped first, CPU_BACKLOG)
 *   pace4 SRC SPORT DST DPORT [RATE [SECONDS [CPUS]]]
 *                               flood4's SYNs at RATE per second in all
 *                               (10000; 0: as fast as possible) for
 *                               SECONDS (2), from CPUS (1) threads pinned
 *                               to distinct CPUs, each sending its share
 *                               in a batch every millisecond; for the
 *                               rate benchmark. count= is how many were
 *                               sent, ns= the time they took, csum= as in
 *                               flood4; the line ends with asked=RATE
 *                               rate= (the rate achieved, per second)
 *                               cpus=CPUS kept_up=yes, or kept_up=no when
 *                               the senders fell behind RATE and sent
 *                               fewer than RATE * SECONDS (kept_up=-
 *                               with RATE 0)
 *   seconds4 SRC SPORT DST DPORT [N]
 *                               N (3000) bad-checksum SYNs, one every
 *                               SECONDS_GAP_US, the i-th from SPORT + i:
 *                               TCP_CSUM each; before the result line, one
 *                               line a SYN, "SPORT BEFORE AFTER", the
 *                               local wall-clock times (HH:MM:SS) read
 *                               just before and just after its send: its
 *                               row's TIME is neither earlier than BEFORE
 *                               nor later than the tracer's stop
 *   opts4 SRC SPORT DST DPORT   syn4 with 16 bytes of IP options (Record
 *                               Route): an IPv4 header of 36 bytes
 *   dstopts6 SRC SPORT DST DPORT
 *                               syn6 with an 8-byte Destination Options
 *                               header between IPv6 and TCP
 *   hbh6  SRC SPORT DST DPORT   syn6 with an 8-byte Hop-by-Hop Options
 *                               header
 *   burst4 SRC SPORT DST DPORT [N]
 *                               N (30) syn4 drops one after the other, all
 *                               from SPORT: N identical drops; the line
 *                               ends with sports=same
 *   comm4 SRC SPORT DST DPORT   syn4 from a task named "evil", ESC, "[31mX"
 *                               (an ANSI colour sequence); the line ends
 *                               with comm=evil\x1b[31mX
 *   nf4   SRC SPORT DST DPORT   SYN to DST:DPORT that a firewall rule of
 *                               the caller's drops: NETFILTER_DROP; given
 *                               up after 300 ms, before any retransmit
 *   nf6   SRC SPORT DST DPORT   the same over IPv6
 *   nfdst6 SRC SPORT DST DPORT  nf6 with a Destination Options header
 *   udp4  SRC SPORT DST DPORT   a UDP datagram to a closed port (not TCP):
 *                               NO_SOCKET in the UDP layer; flags=-
 *   udp6  SRC SPORT DST DPORT   the same over IPv6
 *   frag4 SRC SPORT DST DPORT   the last fragment of a TCP segment, alone,
 *                               its payload shaped like a SYN header from
 *                               SPORT to DPORT: no TCP header, freed when
 *                               reassembly times out (FRAG_REASM_TIMEOUT);
 *                               needs net.ipv4.ipfrag_time <= 5 and waits
 *                               that long; the line ends with
 *                               fragment=last
 *   frag6 SRC SPORT DST DPORT   the same over IPv6 (net.ipv6.ip6frag_time)
 *   oow4  SRC SPORT DST DPORT   an established connection, then a data
 *                               segment on it a gigabyte past the window:
 *                               TCP_INVALID_SEQUENCE (tcp_drop() from its
 *                               caller tcp_validate_incoming before 5.18)
 *   hbhlate6 SRC SPORT DST DPORT
 *                               an IPv6 SYN behind Destination Options and
 *                               then Hop-by-Hop, which may only come first:
 *                               IP_NOPROTO, no TCP header read; flags=-
 *   rstlisten4 SRC SPORT DST DPORT
 *                               a RST to a listener on DST:DPORT: TCP_RESET
 *                               in state LISTEN (tcp_drop() from
 *                               tcp_rcv_state_process before 5.18)
 *
 * Only loopback addresses are accepted (127.0.0.0/8, ::1), and with -n also
 * those of the documentation networks, which no real network routes
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), for
 * network namespaces that the caller joined with veth. On success one line
 * goes to stdout and the exit status is 0:
 *
 *   family=ipv4 saddr=127.0.0.2 sport=40001 daddr=127.0.0.3 dport=9
 *   flags=SYN expected=NO_SOCKET count=1
 *
 * (one line), where the tuple and flags are those of the dropped packet(s)
 * ("-": not TCP, or no TCP header), expected is the drop reason's name as
 * the kernel spells it (6.x) and count is how many times the kernel
 * dropped such a packet (nf4, nf6, nfdst6: how many SYNs were sent; only
 * the caller's rule counter can tell). On failure one line goes to stderr
 * and the exit status is 1. Every blocking step has a timeout and every
 * socket is closed before exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS		2000
#define COUNTER_TIMEOUT_MS	1000
#define MD5_DEFAULT_MS		300
#define MD5_MAX_MS		10000
#define MD5_KEY_LEN		7	/* any key will do: nobody signs */
#define NETSTAT			"/proc/net/netstat"
#define SNMP			"/proc/net/snmp"
#define SNMP6			"/proc/net/snmp6"

struct endpoint {
	int family;
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
		struct sockaddr_storage ss;
	} addr;
	socklen_t len;
};

struct tuple {
	struct endpoint src, dst;
};

/* What the kernel was made to drop, as printed on the result line. */
struct drop_report {
	const char *flags;
	const char *expected;
	uint64_t count;
	uint64_t elapsed_ns;	/* flood4, pace4 only */
	const char *note;	/* more on the line: "sports=same" */
};

/* Fills the report of a mode that makes one drop; returns `err`. */
static int one_drop(struct drop_report *report, const char *flags,
		    const char *expected, int err)
{
	report->flags = flags;
	report->expected = expected;
	report->count = err ? 0 : 1;
	return err;
}

/* A mode's optional arguments, the first of which is passed to run():
 * md5's milliseconds, flood4's count, pace4's rate (pace4 alone takes
 * more, kept in pace_seconds and pace_cpus). */
struct mode {
	const char *name;
	int family;		/* AF_UNSPEC: taken from the addresses */
	int takes_arg;		/* how many optional arguments */
	unsigned int arg_default, arg_max;
	int (*run)(const struct mode *m, const struct tuple *t,
		   unsigned int arg, struct drop_report *report);
	/* Socket modes: what is set on the socket before connect(). */
	int (*prepare)(int fd);
};

/* Prints the one stderr line of a failed run (err 0: no errno text) and
 * returns -err, or -EINVAL for err 0, so that a failing step can end with
 * "return fail(...)". */
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("dropgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	return err ? -err : -EINVAL;
}

static int fail_errno(const char *what)
{
	return fail(errno, "%s", what);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- addresses ---------------------------------------------------------- */

static int parse_port(const char *text, uint16_t *port)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || end == text || *end || value == 0 || value > 65535)
		return fail(0, "bad port '%s'", text);
	*port = (uint16_t)value;
	return 0;
}

/* -n: also the networks kept for documentation (RFC 5737, RFC 3849),
 * which no real network routes: for namespaces joined by veth. */
static int doc_networks;

static int is_documentation(const struct endpoint *ep)
{
	static const uint8_t doc6[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t a;

	if (ep->family == AF_INET6)
		return !memcmp(&ep->addr.v6.sin6_addr, doc6, sizeof(doc6));
	a = ntohl(ep->addr.v4.sin_addr.s_addr) >> 8;
	return a == 0xc00002 || a == 0xc63364 || a == 0xcb0071;
}

/* Raw packets and stray SYNs must never leave the host: only loopback. */
static int is_loopback(const struct endpoint *ep)
{
	if (ep->family == AF_INET)
		return (ntohl(ep->addr.v4.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&ep->addr.v6.sin6_addr);
}

static int parse_endpoint(const char *host, const char *port_text,
			  struct endpoint *ep)
{
	struct in6_addr in6;
	struct in_addr in4;
	uint16_t port = 0;
	int err;

	err = parse_port(port_text, &port);
	if (err)
		return err;
	memset(ep, 0, sizeof(*ep));
	if (inet_pton(AF_INET, host, &in4) == 1) {
		ep->family = AF_INET;
		ep->addr.v4.sin_family = AF_INET;
		ep->addr.v4.sin_addr = in4;
		ep->addr.v4.sin_port = htons(port);
		ep->len = sizeof(ep->addr.v4);
	} else if (inet_pton(AF_INET6, host, &in6) == 1) {
		ep->family = AF_INET6;
		ep->addr.v6.sin6_family = AF_INET6;
		ep->addr.v6.sin6_addr = in6;
		ep->addr.v6.sin6_port = htons(port);
		ep->len = sizeof(ep->addr.v6);
	} else {
		return fail(0, "bad address '%s'", host);
	}
	if (!is_loopback(ep) && !(doc_networks && is_documentation(ep)))
		return fail(0, "%s is not a loopback address%s", host,
			    doc_networks ? " nor in a documentation network" :
			    " (-n: nor in a documentation network)");
	return 0;
}

static uint16_t endpoint_port(const struct endpoint *ep)
{
	if (ep->family == AF_INET)
		return ntohs(ep->addr.v4.sin_port);
	return ntohs(ep->addr.v6.sin6_port);
}

static const void *endpoint_inaddr(const struct endpoint *ep)
{
	if (ep->family == AF_INET)
		return &ep->addr.v4.sin_addr;
	return &ep->addr.v6.sin6_addr;
}

static int parse_tuple(char **argv, int family, struct tuple *t)
{
	int err;

	err = parse_endpoint(argv[0], argv[1], &t->src);
	if (!err)
		err = parse_endpoint(argv[2], argv[3], &t->dst);
	if (err)
		return err;
	if (t->src.family != t->dst.family)
		return fail(0, "source and destination families differ");
	if (family != AF_UNSPEC && t->src.family != family)
		return fail(0, "this mode needs %s addresses",
			    family == AF_INET ? "IPv4" : "IPv6");
	/* The same address and port at both ends is a TCP self-connect,
	 * which succeeds instead of being dropped. */
	if (t->src.len == t->dst.len &&
	    !memcmp(&t->src.addr, &t->dst.addr, t->src.len))
		return fail(0, "source and destination are the same");
	return 0;
}

/* ---- sockets with timeouts ---------------------------------------------- */

/* Returns 0 when fd is ready, -ETIMEDOUT or -errno otherwise; prints
 * nothing, so that callers can name the step that failed. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* "127.0.0.1:80" or "[::1]:80", for messages. */
static const char *endpoint_str(const struct endpoint *ep, char *buf,
				size_t size)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(ep->family, endpoint_inaddr(ep), host, sizeof(host));
	snprintf(buf, size, ep->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 host, endpoint_port(ep));
	return buf;
}

/* Non-blocking, so that connect() and accept() can be bounded by poll(). */
static int open_tcp_socket(const struct endpoint *ep)
{
	char name[INET6_ADDRSTRLEN + 8];
	int fd, one = 1, err = 0;

	fd = socket(ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_errno("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		err = fail_errno("setsockopt SO_REUSEADDR");
	else if (bind(fd, &ep->addr.sa, ep->len) < 0)
		err = fail(errno, "bind %s",
			   endpoint_str(ep, name, sizeof(name)));
	if (err)
		close_fd(&fd);
	return err ? err : fd;
}

static int open_listener(const struct endpoint *ep)
{
	int fd, err = 0;

	fd = open_tcp_socket(ep);
	if (fd < 0)
		return fd;
	if (listen(fd, 8) < 0) {
		err = fail_errno("listen");
		close_fd(&fd);
	}
	return err ? err : fd;
}

/* Returns 0 once connected, else the connection's -errno, unprinted:
 * ECONNREFUSED is the result some callers want. */
static int connect_bounded(int fd, const struct endpoint *dst)
{
	socklen_t len = sizeof(int);
	int err;

	if (connect(fd, &dst->addr.sa, dst->len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	err = wait_fd(fd, POLLOUT, IO_TIMEOUT_MS);
	if (err)
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

static int fail_connect(int err, const struct endpoint *dst)
{
	char name[INET6_ADDRSTRLEN + 8];

	return fail(-err, "connect %s", endpoint_str(dst, name, sizeof(name)));
}

static int accept_bounded(int listen_fd)
{
	int fd, err;

	err = wait_fd(listen_fd, POLLIN, IO_TIMEOUT_MS);
	if (err)
		return fail(-err, "accept");
	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return fail_errno("accept");
	return fd;
}

/* close() then sends a RST and frees the socket at once: nothing is left
 * in FIN_WAIT or TIME_WAIT to disturb the next run with the same ports. */
static void close_abortive(int *fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (*fd >= 0)
		setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close_fd(fd);
}

/* ---- the kernel's SNMP counters ------------------------------------------- */

static int read_small_file(const char *path, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(path);
	while (used < size - 1) {
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = fail_errno(path);
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return err;
}

/* Finds the line after *pos that starts with prefix, NUL-terminates it and
 * moves *pos past it. */
static char *next_line_with(char **pos, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *line = *pos, *end;

	while (line && *line) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		if (!strncmp(line, prefix, plen)) {
			*pos = end;
			return line + plen;
		}
		line = end;
	}
	*pos = NULL;
	return NULL;
}

/* /proc/net/snmp and /proc/net/netstat print each group as two lines,
 * "Group: Name1 Name2 ..." and then "Group: 1 2 ...". /proc/net/snmp6 has
 * one "Name value" line per counter (group NULL). They are per network
 * namespace, so in a fresh namespace they count exactly our drops. */
static int read_net_counter(const char *path, const char *group,
			    const char *name, uint64_t *value)
{
	char buf[16384], prefix[32], *pos = buf, *names, *values;
	char *name_save, *value_save, *n, *v;
	int err;

	err = read_small_file(path, buf, sizeof(buf));
	if (err)
		return err;
	if (!group) {
		snprintf(prefix, sizeof(prefix), "%s ", name);
		values = next_line_with(&pos, prefix);
		if (!values)
			return fail(ENOENT, "%s: no %s", path, name);
		*value = strtoull(values, NULL, 10);
		return 0;
	}
	snprintf(prefix, sizeof(prefix), "%s: ", group);
	names = next_line_with(&pos, prefix);
	values = names ? next_line_with(&pos, prefix) : NULL;
	if (!values)
		return fail(ENOENT, "%s: no %s group", path, group);
	n = strtok_r(names, " ", &name_save);
	v = strtok_r(values, " ", &value_save);
	for (; n && v; n = strtok_r(NULL, " ", &name_save),
		       v = strtok_r(NULL, " ", &value_save)) {
		if (!strcmp(n, name)) {
			*value = strtoull(v, NULL, 10);
			return 0;
		}
	}
	return fail(ENOENT, "%s: no %s %s", path, group, name);
}

/* Polls until the counter is above before, for at most timeout_ms. */
static int wait_counter_above_for(const char *path, const char *group,
				  const char *name, uint64_t before,
				  uint64_t *after, unsigned int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	int err;

	for (;;) {
		err = read_net_counter(path, group, name, after);
		if (err || *after > before)
			return err;
		if (now_ms() >= deadline)
			return fail(0, "the kernel did not count a drop "
				    "(%s%s%s stayed at %llu)", group ? group : "",
				    group ? " " : "", name,
				    (unsigned long long)before);
		sleep_ms(10);
	}
}

/* The receive path runs in softirq context, normally before the sending
 * syscall returns on loopback, but not always (ksoftirqd): poll briefly. */
/* Waits for the counter to reach `want`, as long as it keeps moving: up to
 * COUNTER_TIMEOUT_MS after its last step (a slow guest's softirq may work
 * through a flood's backlog for seconds). Gives its last value, short of
 * `want` when it stopped. */
static int wait_counter_reach(const char *path, const char *group,
			      const char *name, uint64_t want, uint64_t *value)
{
	uint64_t deadline = now_ms() + COUNTER_TIMEOUT_MS, last = 0;
	int err;

	for (;;) {
		err = read_net_counter(path, group, name, value);
		if (err || *value >= want)
			return err;
		if (*value != last) {
			last = *value;
			deadline = now_ms() + COUNTER_TIMEOUT_MS;
		}
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(10);
	}
}

static int wait_counter_above(const char *path, const char *group,
			      const char *name, uint64_t before,
			      uint64_t *after)
{
	return wait_counter_above_for(path, group, name, before, after,
				      COUNTER_TIMEOUT_MS);
}

/* ---- syn4, syn6 and their variants: a SYN to a closed port ------------ */

/* One SYN from t->src to the closed port t->dst, after m->prepare set its
 * options on the socket. No socket matches the SYN, so tcp_v{4,6}_rcv
 * answers with a RST and frees the SYN with NO_SOCKET. The RST refuses the
 * connection at once, long before the first SYN retransmit (1 s), so
 * exactly one SYN is dropped. */
static int syn_refused(const struct mode *m, const struct tuple *t)
{
	char name[INET6_ADDRSTRLEN + 8];
	int fd, err = 0;

	fd = open_tcp_socket(&t->src);
	if (fd < 0)
		return fd;
	if (m->prepare)
		err = m->prepare(fd);
	if (!err) {
		err = connect_bounded(fd, &t->dst);
		if (err == -ECONNREFUSED)
			err = 0;
		else if (err == 0)
			err = fail(0, "%s accepted the connection: port not "
				   "closed", endpoint_str(&t->dst, name,
							  sizeof(name)));
		else
			err = fail_connect(err, &t->dst);
	}
	close_fd(&fd);
	return err;
}

static int run_syn(const struct mode *m, const struct tuple *t,
		   unsigned int arg, struct drop_report *report)
{
	return one_drop(report, "SYN", "NO_SOCKET", syn_refused(m, t));
}

/* burst4: n such SYNs one after the other, all from the same source port:
 * n drops with the same tuple and the same kernel stack. */
static int run_burst(const struct mode *m, const struct tuple *t,
		     unsigned int n, struct drop_report *report)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n && !err; i++)
		err = syn_refused(m, t);
	report->flags = "SYN";
	report->expected = "NO_SOCKET";
	report->count = err ? 0 : n;
	report->note = "sports=same";
	return err;
}

/* opts4: IP options make the IPv4 header 36 bytes long (IHL 9), so a reader
 * that takes the TCP header to follow at 20 bytes finds the options where
 * the ports are. Record Route with room for three addresses (the kernel
 * writes the sender's and the receiver's), then End of Options. */
static int prepare_ip_options(int fd)
{
	static const uint8_t opts[16] = { IPOPT_RR, 15, 4 };

	if (setsockopt(fd, IPPROTO_IP, IP_OPTIONS, opts, sizeof(opts)) < 0)
		return fail_errno("setsockopt IP_OPTIONS");
	return 0;
}

/* dstopts6, hbh6: an 8-byte extension header between the IPv6 header and
 * TCP, holding only padding (PadN over its last six bytes), which the
 * receiver skips. The kernel fills in the next-header byte. */
static int set_ipv6_exthdr(int fd, int optname, const char *what)
{
	static const uint8_t hdr[8] = { 0, 0, 1, 4 };

	if (setsockopt(fd, IPPROTO_IPV6, optname, hdr, sizeof(hdr)) < 0)
		return fail_errno(what);
	return 0;
}

static int prepare_dstopts(int fd)
{
	return set_ipv6_exthdr(fd, IPV6_DSTOPTS, "setsockopt IPV6_DSTOPTS");
}

static int prepare_hopopts(int fd)
{
	return set_ipv6_exthdr(fd, IPV6_HOPOPTS, "setsockopt IPV6_HOPOPTS");
}

/* comm4: the task that sends the SYN (and on loopback is on the CPU when
 * it is dropped) is named with an ANSI escape sequence, which a row must
 * not pass raw to a terminal. COMM_PRINTED is how the result line (and a
 * correct row) spells it. */
#define HOSTILE_COMM	"evil\x1b[31mX"
#define COMM_PRINTED	"evil\\x1b[31mX"

static int prepare_comm(int fd)
{
	if (prctl(PR_SET_NAME, HOSTILE_COMM, 0, 0, 0) < 0)
		return fail_errno("prctl PR_SET_NAME");
	return 0;
}

/* The note also gives the task's PID (one thread: its TID too), which
 * the row's PID and TID columns must equal. */
static int run_comm(const struct mode *m, const struct tuple *t,
		    unsigned int arg, struct drop_report *report)
{
	static char comm_note[64];

	snprintf(comm_note, sizeof(comm_note), "comm=%s pid=%d", COMM_PRINTED,
		 (int)getpid());
	report->note = comm_note;
	return run_syn(m, t, arg, report);
}

/* ---- nf4, nf6, nfdst6: a SYN that a firewall rule drops --------------- */

/* The caller has a rule that drops the SYN on its way in (NETFILTER_DROP).
 * No answer comes, so the connect is given up after UNANSWERED_MS, before
 * the first retransmit (1 s): exactly one SYN was sent. Closing a socket
 * in SYN_SENT sends nothing. */
#define UNANSWERED_MS 300

static int run_unanswered(const struct mode *m, const struct tuple *t,
			  unsigned int arg, struct drop_report *report)
{
	char name[INET6_ADDRSTRLEN + 8];
	int fd, err = 0;

	fd = open_tcp_socket(&t->src);
	if (fd < 0)
		return fd;
	if (m->prepare)
		err = m->prepare(fd);
	if (!err && connect(fd, &t->dst.addr.sa, t->dst.len) == 0)
		err = -EISCONN;
	else if (!err && errno != EINPROGRESS)
		err = -errno;
	if (!err)
		err = wait_fd(fd, POLLOUT, UNANSWERED_MS);
	if (err == -ETIMEDOUT)
		err = 0;
	else if (err)
		err = fail_connect(err, &t->dst);
	else
		err = fail(0, "%s answered the SYN: no rule dropped it",
			   endpoint_str(&t->dst, name, sizeof(name)));
	close_fd(&fd);
	report->flags = "SYN";
	report->expected = "NETFILTER_DROP";
	report->count = err ? 0 : 1;
	return err;
}

/* ---- udp4, udp6: a datagram to a closed port --------------------------- */

/* Not TCP at all: the UDP layer drops it (NO_SOCKET on 6.x) and counts it
 * in NoPorts. A TCP drop tracer must not show it. */
static int run_udp(const struct mode *m, const struct tuple *t,
		   unsigned int arg, struct drop_report *report)
{
	static const char payload[] = "dropgen udp\n";
	const size_t len = sizeof(payload) - 1;
	const char *path = t->src.family == AF_INET ? SNMP : SNMP6;
	const char *group = t->src.family == AF_INET ? "Udp" : NULL;
	const char *name = t->src.family == AF_INET ? "NoPorts" : "Udp6NoPorts";
	uint64_t before, after;
	int fd, err;

	err = read_net_counter(path, group, name, &before);
	if (err)
		return err;
	fd = socket(t->src.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_errno("socket");
	if (bind(fd, &t->src.addr.sa, t->src.len) < 0)
		err = fail_errno("bind");
	else if (sendto(fd, payload, len, MSG_DONTWAIT, &t->dst.addr.sa,
			t->dst.len) != (ssize_t)len)
		err = fail_errno("sendto");
	if (!err)
		err = wait_counter_above(path, group, name, before, &after);
	close_fd(&fd);
	report->flags = "-";
	report->expected = "NO_SOCKET";
	report->count = err ? 0 : after - before;
	return err;
}

/* ---- md5: data on an established connection --------------------------- */

/*
 * Once a socket holds an MD5 key (RFC 2385) for its peer, it must drop
 * every segment from that peer that carries no MD5 signature option; this is
 * checked in tcp_v{4,6}_rcv before the segment reaches the socket. Adding
 * the key to the accepted socket after the handshake makes the server drop
 * the client's next data segment and each retransmit of it with
 * TCP_MD5NOTFOUND, while the socket is ESTABLISHED. The client sends
 * nothing else, so those are the only drops.
 */
static int set_md5_key(int fd, const struct endpoint *peer, int keylen)
{
	struct tcp_md5sig md5;

	memset(&md5, 0, sizeof(md5));
	memcpy(&md5.tcpm_addr, &peer->addr, peer->len);
	md5.tcpm_keylen = (uint16_t)keylen;
	memcpy(md5.tcpm_key, "dropgen", MD5_KEY_LEN);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) < 0)
		return fail_errno("setsockopt TCP_MD5SIG");
	return 0;
}

struct md5_conn {
	int listen_fd, client_fd, server_fd;
};

static int md5_connect(struct md5_conn *c, const struct tuple *t)
{
	int err;

	c->listen_fd = open_listener(&t->dst);
	if (c->listen_fd < 0)
		return c->listen_fd;
	c->client_fd = open_tcp_socket(&t->src);
	if (c->client_fd < 0)
		return c->client_fd;
	err = connect_bounded(c->client_fd, &t->dst);
	if (err)
		return fail_connect(err, &t->dst);
	c->server_fd = accept_bounded(c->listen_fd);
	return c->server_fd < 0 ? c->server_fd : 0;
}

/* Leaves the key removed again, and counts the drops only then, when no
 * more can happen. */
static int md5_send_unsigned_data(struct md5_conn *c, const struct tuple *t,
				  unsigned int ms, uint64_t *dropped)
{
	static const char payload[] = "dropgen md5\n";
	const size_t len = sizeof(payload) - 1;
	uint64_t before, after;
	int err;

	err = read_net_counter(NETSTAT, "TcpExt", "TCPMD5NotFound", &before);
	if (err)
		return err;
	err = set_md5_key(c->server_fd, &t->src, MD5_KEY_LEN);
	if (err)
		return err;
	if (send(c->client_fd, payload, len, MSG_NOSIGNAL) != (ssize_t)len)
		err = fail_errno("send");
	if (!err)
		err = wait_counter_above(NETSTAT, "TcpExt", "TCPMD5NotFound",
					 before, &after);
	if (!err)
		sleep_ms(ms);	/* the retransmits are dropped too */
	if (!err)
		err = set_md5_key(c->server_fd, &t->src, 0);
	if (!err)
		err = read_net_counter(NETSTAT, "TcpExt", "TCPMD5NotFound",
				       &after);
	*dropped = err ? 0 : after - before;
	return err;
}

/* Teardown order matters, or it adds drops of its own. The server's key is
 * gone already, so that the server's RST carries no MD5 option (the client,
 * which has no key, would drop it with TCP_MD5UNEXPECTED), and the server
 * closes first, so that its RST matches the client's rcv_nxt exactly and
 * resets the client. A RST from the client would not be exact, since the
 * server never took the data: the server would drop it (TCP_RESET) and
 * send a challenge ACK (RFC 5961) to a closed port (NO_SOCKET). The client
 * then closes in state CLOSE and sends nothing. */
static void md5_teardown(struct md5_conn *c)
{
	close_fd(&c->listen_fd);
	close_abortive(&c->server_fd);
	close_abortive(&c->client_fd);
}

static int run_md5(const struct mode *m, const struct tuple *t,
		   unsigned int ms, struct drop_report *report)
{
	struct md5_conn c = { -1, -1, -1 };
	int err;

	err = md5_connect(&c, t);
	if (!err)
		err = md5_send_unsigned_data(&c, t, ms, &report->count);
	md5_teardown(&c);
	report->flags = "PSH|ACK";
	report->expected = "TCP_MD5NOTFOUND";
	return err;
}

/* ---- csum4: a SYN with a bad checksum --------------------------------- */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* Internet checksum, in network byte order. */
static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

struct syn_packet {
	struct iphdr ip;
	struct tcphdr tcp;
};

static uint16_t tcp4_checksum(const struct syn_packet *pkt)
{
	uint8_t pseudo[12];
	uint16_t tcp_len = sizeof(pkt->tcp);

	memcpy(pseudo, &pkt->ip.saddr, 4);
	memcpy(pseudo + 4, &pkt->ip.daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = (uint8_t)(tcp_len >> 8);
	pseudo[11] = (uint8_t)tcp_len;
	return csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)),
				  &pkt->tcp, sizeof(pkt->tcp)));
}

/* An IPv4 header for TCP from t->src to t->dst, `tot_len` bytes in all,
 * don't-fragment, its checksum right. */
static void fill_ipv4(struct iphdr *ip, const struct tuple *t,
		      uint16_t tot_len, uint16_t id)
{
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tot_len = htons(tot_len);
	ip->id = htons(id);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = t->src.addr.v4.sin_addr.s_addr;
	ip->daddr = t->dst.addr.v4.sin_addr.s_addr;
	ip->check = 0;
	ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
}

static void build_bad_syn(const struct tuple *t, struct syn_packet *pkt)
{
	memset(pkt, 0, sizeof(*pkt));
	fill_ipv4(&pkt->ip, t, sizeof(*pkt), 0x6467);

	pkt->tcp.source = t->src.addr.v4.sin_port;
	pkt->tcp.dest = t->dst.addr.v4.sin_port;
	pkt->tcp.seq = htonl(0x64726f70);
	pkt->tcp.doff = sizeof(pkt->tcp) / 4;
	pkt->tcp.syn = 1;
	pkt->tcp.window = htons(65535);
	/* Flipping alternate bits can never turn one encoding of a sum into
	 * the other (0x0000 and 0xffff both mean zero in ones' complement),
	 * so the result is wrong whatever the right value was. */
	pkt->tcp.check = tcp4_checksum(pkt) ^ 0x5555;
}

static int send_raw_ipv4(const struct tuple *t, const void *pkt, size_t len)
{
	int fd, err = 0;

	/* IPPROTO_RAW implies IP_HDRINCL: the kernel sends our header as is,
	 * and loopback hands the skb to tcp_v4_rcv with CHECKSUM_NONE, so
	 * TCP verifies the checksum in software. */
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return fail_errno("raw socket");
	if (sendto(fd, pkt, len, MSG_DONTWAIT, &t->dst.addr.sa,
		   t->dst.len) != (ssize_t)len)
		err = fail_errno("sendto");
	close_fd(&fd);
	return err;
}

/* TCP checks the checksum before looking up a socket, so the listener is
 * there only to make the drop unmistakably not a NO_SOCKET one. The kernel
 * counts each such drop in Tcp InCsumErrors, which confirms it happened. */
static int run_csum4(const struct mode *m, const struct tuple *t,
		     unsigned int ms, struct drop_report *report)
{
	struct syn_packet pkt;
	uint64_t before, after;
	int listen_fd, err;

	listen_fd = open_listener(&t->dst);
	if (listen_fd < 0)
		return listen_fd;
	err = read_net_counter(SNMP, "Tcp", "InCsumErrors", &before);
	if (!err) {
		build_bad_syn(t, &pkt);
		err = send_raw_ipv4(t, &pkt, sizeof(pkt));
	}
	if (!err)
		err = wait_counter_above(SNMP, "Tcp", "InCsumErrors", before,
					 &after);
	close_fd(&listen_fd);
	report->flags = "SYN";
	report->expected = "TCP_CSUM";
	report->count = err ? 0 : after - before;
	return err;
}

/* ---- oow4, rstlisten4: what tcp_drop() frees on 4.7 to 5.17 ---------- */

/* An IPv4 TCP segment of our own making, with a right checksum. */
struct seg4 {
	struct iphdr ip;
	struct tcphdr tcp;
	uint8_t payload[4];
};

static void build_seg4(const struct tuple *t, uint8_t flags, uint32_t seq,
		       size_t payload_len, struct seg4 *pkt)
{
	uint16_t tcp_len = (uint16_t)(sizeof(pkt->tcp) + payload_len);
	uint8_t pseudo[12];

	memset(pkt, 0, sizeof(*pkt));
	fill_ipv4(&pkt->ip, t, (uint16_t)(sizeof(pkt->ip) + tcp_len), 0x6468);
	pkt->tcp.source = t->src.addr.v4.sin_port;
	pkt->tcp.dest = t->dst.addr.v4.sin_port;
	pkt->tcp.seq = htonl(seq);
	pkt->tcp.doff = sizeof(pkt->tcp) / 4;
	((uint8_t *)&pkt->tcp)[13] = flags;
	pkt->tcp.window = htons(65535);
	memcpy(pkt->payload, "drop", payload_len);
	memcpy(pseudo, &pkt->ip.saddr, 4);
	memcpy(pseudo + 4, &pkt->ip.daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = (uint8_t)(tcp_len >> 8);
	pseudo[11] = (uint8_t)tcp_len;
	pkt->tcp.check = csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)),
					    &pkt->tcp, tcp_len));
}

/* include/uapi/linux/tcp.h; musl's netinet/tcp.h has TCP_REPAIR_QUEUE
 * but not the queue numbers. */
#ifndef TCP_SEND_QUEUE
#define TCP_SEND_QUEUE 2
#endif
/* Leaves repair mode without the window probe (4.19+), which the peer
 * would drop as old: one drop per run, not two. */
#ifndef TCP_REPAIR_OFF_NO_WP
#define TCP_REPAIR_OFF_NO_WP -1
#endif

/* The next sequence number `fd` sends, which the peer expects: read in
 * TCP repair mode (CAP_NET_ADMIN), left at once. */
static int next_send_seq(int fd, uint32_t *seq)
{
	int on = 1, off = TCP_REPAIR_OFF_NO_WP, queue = TCP_SEND_QUEUE;
	socklen_t len = sizeof(*seq);
	int err = 0;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)))
		return fail_errno("TCP_REPAIR");
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue,
		       sizeof(queue)) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &len))
		err = fail_errno("TCP_QUEUE_SEQ");
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
	return err;
}

/* An established connection SRC:SPORT -> DST:DPORT, then a data segment
 * on it whose sequence number is a gigabyte past the receiver's window:
 * tcp_validate_incoming() drops it (TCP_INVALID_SEQUENCE on 6.x; through
 * tcp_drop() before 5.18). The segment carries no timestamp option, so
 * PAWS does not see it first. */
static int run_oow(const struct mode *m, const struct tuple *t,
		   unsigned int arg, struct drop_report *report)
{
	int listen_fd, client = -1, server = -1, err;
	struct seg4 pkt;
	uint32_t seq = 0;

	listen_fd = open_listener(&t->dst);
	if (listen_fd < 0)
		return listen_fd;
	client = open_tcp_socket(&t->src);
	err = client < 0 ? client : connect_bounded(client, &t->dst);
	if (!err) {
		server = accept_bounded(listen_fd);
		err = server < 0 ? server : 0;
	}
	if (!err)
		err = next_send_seq(client, &seq);
	if (!err) {
		build_seg4(t, TH_PUSH | TH_ACK, seq + 0x40000000u, 4, &pkt);
		err = send_raw_ipv4(t, &pkt, sizeof(pkt));
	}
	/* Let the receiver's softirq run before the sockets go. */
	if (!err)
		sleep_ms(50);
	close_abortive(&client);
	close_fd(&server);
	close_fd(&listen_fd);
	return one_drop(report, "PSH|ACK", "TCP_INVALID_SEQUENCE", err);
}

/* A RST to a listening socket: tcp_rcv_state_process() drops it
 * (TCP_RESET on 6.x; through tcp_drop() before 5.18), in state LISTEN. */
static int run_rst_listen(const struct mode *m, const struct tuple *t,
			  unsigned int arg, struct drop_report *report)
{
	struct seg4 pkt;
	int listen_fd, err;

	listen_fd = open_listener(&t->dst);
	if (listen_fd < 0)
		return listen_fd;
	build_seg4(t, TH_RST, 1, 0, &pkt);
	err = send_raw_ipv4(t, &pkt, sizeof(pkt) - sizeof(pkt.payload));
	if (!err)
		sleep_ms(50);
	close_fd(&listen_fd);
	return one_drop(report, "RST", "TCP_RESET", err);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The cheapest drop there is: one sendto() per dropped packet, no
 * handshake, no reply. The counter check proves that all n were dropped. */
static char flood_note[32];

static int run_flood4(const struct mode *m, const struct tuple *t,
		      unsigned int n, struct drop_report *report)
{
	struct syn_packet pkt;
	uint64_t before, after, start;
	unsigned int i;
	int fd, err;

	err = read_net_counter(SNMP, "Tcp", "InCsumErrors", &before);
	if (err)
		return err;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return fail_errno("raw socket");
	build_bad_syn(t, &pkt);
	start = monotonic_ns();
	for (i = 0; i < n && !err; i++)
		if (sendto(fd, &pkt, sizeof(pkt), 0, &t->dst.addr.sa,
			   t->dst.len) != (ssize_t)sizeof(pkt))
			err = fail_errno("sendto");
	report->elapsed_ns = monotonic_ns() - start;
	close_fd(&fd);
	/* The last packets may still wait in the backlog of the loopback
	 * softirq (a slow guest): their count comes a moment later. Each
	 * sent packet is dropped once: as TCP_CSUM, or, when the loopback
	 * backlog overflows first (a slow guest again), as CPU_BACKLOG
	 * before TCP sees it; the line says how many were which. */
	if (!err)
		err = wait_counter_reach(SNMP, "Tcp", "InCsumErrors",
					 before + n, &after);
	snprintf(flood_note, sizeof(flood_note), "csum=%llu",
		 err ? 0ULL : (unsigned long long)(after - before));
	report->note = flood_note;
	report->flags = "SYN";
	report->expected = "TCP_CSUM";
	report->count = err ? 0 : n;
	return err;
}

/* ---- pace4: flood4's SYNs at a steady rate ---------------------------- */

/*
 * The rate benchmark asks for a number of drops a second and checks
 * whether tcpdrop keeps up. Each sender thread is pinned to its own CPU
 * and sends, every PACE_TICK_NS, what its share of the rate owes by then
 * (against CLOCK_MONOTONIC, so a late wake-up is made up by a bigger
 * batch, not lost), then sleeps to the next tick with an absolute
 * deadline. A sender that is still behind when its time is up stops
 * there: the run says kept_up=no and the rate it reached, which is then
 * the generator's maximum on that machine.
 */
#define PACE_TICK_NS		1000000ull	/* one batch a millisecond */
#define PACE_DEFAULT_RATE	10000
#define PACE_MAX_RATE		10000000
#define PACE_DEFAULT_SECONDS	2
#define PACE_MAX_SECONDS	600
#define PACE_MAX_CPUS		256
#define PACE_MAX_BATCH		256	/* sends between clock reads */
#define NS_PER_S		1000000000ull

/* Set by main from pace4's second and third arguments. */
static unsigned int pace_seconds = PACE_DEFAULT_SECONDS;
static unsigned int pace_cpus = 1;

/* One sender: its CPU and share (rate, packets per second; 0: as fast as
 * it can), and what it did. */
struct pace_sender {
	pthread_t thread;
	const struct tuple *t;
	int cpu;
	uint64_t rate;
	uint64_t sent;
	uint64_t elapsed_ns;
	int err;		/* -errno */
};

/* Sleeps until the CLOCK_MONOTONIC time `ns`. */
static void sleep_until_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_S),
			       (long)(ns % NS_PER_S) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* How many packets s owes `elapsed` ns into its run, never more than
 * `total`; with rate 0 a batch more than it sent. */
static uint64_t pace_due(const struct pace_sender *s, uint64_t elapsed,
			 uint64_t total)
{
	uint64_t due;

	if (!s->rate)
		return s->sent + PACE_MAX_BATCH;
	/* rate <= 1e7 and elapsed < 700 s: the product fits in 64 bits. */
	due = s->rate * elapsed / NS_PER_S + 1;
	return due < total ? due : total;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return fail_errno("sched_setaffinity");
	return 0;
}

static void *pace_send(void *arg)
{
	struct pace_sender *s = arg;
	uint64_t duration = (uint64_t)pace_seconds * NS_PER_S;
	uint64_t total = s->rate * pace_seconds, start, now, tick, due;
	struct syn_packet pkt;
	int fd;

	s->err = pin_to_cpu(s->cpu);
	if (s->err)
		return NULL;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		s->err = fail_errno("raw socket");
		return NULL;
	}
	build_bad_syn(s->t, &pkt);
	start = monotonic_ns();
	for (tick = start;; ) {
		now = monotonic_ns();
		/* One tick of slack: the last batch is due at the very end. */
		if ((s->rate && s->sent >= total) ||
		    now - start >= duration + (s->rate ? PACE_TICK_NS : 0))
			break;
		due = pace_due(s, now - start, total);
		if (s->sent >= due) {
			/* Caught up: on to the next tick, or on at once when
			 * that tick is already past. */
			tick += PACE_TICK_NS;
			if (tick > now)
				sleep_until_ns(tick);
			else
				tick = now;
			continue;
		}
		/* Behind by more than a batch: the clock is read again
		 * after each PACE_MAX_BATCH, so the end comes on time. */
		if (due - s->sent > PACE_MAX_BATCH)
			due = s->sent + PACE_MAX_BATCH;
		for (; s->sent < due; s->sent++)
			if (sendto(fd, &pkt, sizeof(pkt), 0, &s->t->dst.addr.sa,
				   s->t->dst.len) != (ssize_t)sizeof(pkt)) {
				s->err = fail_errno("sendto");
				goto out;
			}
	}
out:
	s->elapsed_ns = monotonic_ns() - start;
	close_fd(&fd);
	return NULL;
}

/* The first n CPUs this process may run on, into cpus[]. */
static int pick_cpus(unsigned int n, int *cpus)
{
	cpu_set_t allowed;
	unsigned int found = 0;
	int cpu;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return fail_errno("sched_getaffinity");
	for (cpu = 0; cpu < CPU_SETSIZE && found < n; cpu++)
		if (CPU_ISSET(cpu, &allowed))
			cpus[found++] = cpu;
	if (found < n)
		return fail(0, "%u CPUs asked, %d allowed", n,
			    CPU_COUNT(&allowed));
	return 0;
}

/* Starts one sender a CPU, each with its share of `rate` (the remainder
 * to the first ones), and waits for them all; -errno of the first that
 * failed. */
static int pace_run(const struct tuple *t, unsigned int rate,
		    struct pace_sender *senders, unsigned int n)
{
	int cpus[PACE_MAX_CPUS];
	unsigned int i, started = 0;
	int err;

	err = pick_cpus(n, cpus);
	for (i = 0; i < n && !err; i++, started++) {
		senders[i] = (struct pace_sender){ .t = t, .cpu = cpus[i] };
		senders[i].rate = rate / n + (i < rate % n);
		err = -pthread_create(&senders[i].thread, NULL, pace_send,
				      &senders[i]);
		if (err)
			fail(-err, "pthread_create");
	}
	for (i = 0; i < started; i++) {
		pthread_join(senders[i].thread, NULL);
		if (!err)
			err = senders[i].err;
	}
	return err;
}

static char pace_note[128];

static int run_pace4(const struct mode *m, const struct tuple *t,
		     unsigned int rate, struct drop_report *report)
{
	struct pace_sender senders[PACE_MAX_CPUS];
	uint64_t before, after = 0, sent = 0, elapsed = 0;
	unsigned int i;
	int kept_up = 1, err;

	err = read_net_counter(SNMP, "Tcp", "InCsumErrors", &before);
	if (!err)
		err = pace_run(t, rate, senders, pace_cpus);
	if (err)
		return err;
	for (i = 0; i < pace_cpus; i++) {
		sent += senders[i].sent;
		if (senders[i].elapsed_ns > elapsed)
			elapsed = senders[i].elapsed_ns;
		if (senders[i].sent < senders[i].rate * pace_seconds)
			kept_up = 0;
	}
	/* As in flood4: each packet is dropped once, as TCP_CSUM or, when
	 * the loopback backlog overflowed first, CPU_BACKLOG. */
	err = wait_counter_reach(SNMP, "Tcp", "InCsumErrors", before + sent,
				 &after);
	if (err)
		return err;
	snprintf(pace_note, sizeof(pace_note),
		 "csum=%llu asked=%u rate=%llu cpus=%u kept_up=%s",
		 (unsigned long long)(after - before), rate,
		 (unsigned long long)(elapsed ? sent * NS_PER_S / elapsed : 0),
		 pace_cpus, !rate ? "-" : kept_up ? "yes" : "no");
	report->note = pace_note;
	report->elapsed_ns = elapsed;
	report->flags = "SYN";
	report->expected = "TCP_CSUM";
	report->count = sent;
	return 0;
}

/* ---- seconds4: drops on both sides of the wall clock's seconds ------- */

/*
 * Rows show the time to the second. A tracer that reuses one reading of
 * the clock for several drops (tcpdrop does, within a tick) must never
 * give a drop a second that began before it was made: at one SYN every
 * SECONDS_GAP_US for a few seconds, each second boundary has drops just
 * before and just after it, in the same kernel tick. Each SYN's send is
 * stamped before and after, on CLOCK_REALTIME as the rows are.
 */
#define SECONDS_GAP_US		500
#define SECONDS_DEFAULT		3000
#define SECONDS_MAX		20000

static void local_hms(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

static int run_seconds4(const struct mode *m, const struct tuple *t,
			unsigned int n, struct drop_report *report)
{
	char before[16], after[16];
	struct tuple each = *t;
	struct syn_packet pkt;
	uint64_t start, count = 0;
	unsigned int i;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return fail_errno("raw socket");
	start = monotonic_ns();
	for (i = 0; i < n && !err; i++) {
		each.src.addr.v4.sin_port =
			htons((uint16_t)(endpoint_port(&t->src) + i));
		build_bad_syn(&each, &pkt);
		sleep_until_ns(start + (uint64_t)i * SECONDS_GAP_US * 1000);
		local_hms(before, sizeof(before));
		if (sendto(fd, &pkt, sizeof(pkt), 0, &t->dst.addr.sa,
			   t->dst.len) != (ssize_t)sizeof(pkt)) {
			err = fail_errno("sendto");
			break;
		}
		local_hms(after, sizeof(after));
		printf("%u %s %s\n", (unsigned)ntohs(each.src.addr.v4.sin_port),
		       before, after);
		count++;
	}
	close_fd(&fd);
	report->flags = "SYN";
	report->expected = "TCP_CSUM";
	report->count = count;
	return err;
}

/* ---- frag4, frag6: a fragment whose first fragment never comes -------- */

/*
 * The last fragment of a TCP segment, sent alone (offset 8, no more
 * fragments): the kernel queues it for reassembly, and when the queue
 * times out it frees it (FRAG_REASM_TIMEOUT on 6.x) and counts ReasmFails.
 * Such a fragment has no TCP header. Its payload is made to look like one,
 * from SPORT to DPORT with SYN set, so that a reader that takes it for TCP
 * shows a row with exactly those ports. The timeout is the namespace's
 * net.ipv4.ipfrag_time or net.ipv6.ip6frag_time (30 s, 60 s by default):
 * the caller sets it to a few seconds, and dropgen waits that long plus
 * FRAG_SLACK_MS.
 */
#define FRAG_OFFSET		8	/* bytes; a multiple of 8 */
#define FRAG_MAX_TIME_S		5
#define FRAG_SLACK_MS		2000
#define FRAG_ID			0x6467
#define IPFRAG_TIME		"/proc/sys/net/ipv4/ipfrag_time"
#define IP6FRAG_TIME		"/proc/sys/net/ipv6/ip6frag_time"

/* What a TCP SYN header from t->src to t->dst would be. */
static void fake_syn_header(const struct tuple *t, struct tcphdr *tcp)
{
	memset(tcp, 0, sizeof(*tcp));
	tcp->source = htons(endpoint_port(&t->src));
	tcp->dest = htons(endpoint_port(&t->dst));
	tcp->seq = htonl(0x64726f70);
	tcp->doff = sizeof(*tcp) / 4;
	tcp->syn = 1;
	tcp->window = htons(65535);
}

static int read_frag_time(const char *path, unsigned int *seconds)
{
	char buf[32];
	int err;

	err = read_small_file(path, buf, sizeof(buf));
	if (err)
		return err;
	*seconds = (unsigned int)strtoul(buf, NULL, 10);
	if (*seconds > FRAG_MAX_TIME_S)
		return fail(0, "%s is %u: set it to at most %u in this "
			    "namespace, or the drop takes that long", path,
			    *seconds, FRAG_MAX_TIME_S);
	return 0;
}

struct frag4_packet {
	struct iphdr ip;
	struct tcphdr payload;
};

struct frag6_packet {
	struct ip6_hdr ip6;
	struct ip6_frag frag;
	struct tcphdr payload;
};

static size_t build_frag(const struct tuple *t, void *buf)
{
	struct frag4_packet *p4 = buf;
	struct frag6_packet *p6 = buf;

	if (t->src.family == AF_INET) {
		memset(p4, 0, sizeof(*p4));
		p4->ip.version = 4;
		p4->ip.ihl = sizeof(p4->ip) / 4;
		p4->ip.tot_len = htons(sizeof(*p4));
		p4->ip.id = htons(FRAG_ID);
		p4->ip.frag_off = htons(FRAG_OFFSET / 8);
		p4->ip.ttl = 64;
		p4->ip.protocol = IPPROTO_TCP;
		p4->ip.saddr = t->src.addr.v4.sin_addr.s_addr;
		p4->ip.daddr = t->dst.addr.v4.sin_addr.s_addr;
		p4->ip.check = csum_fold(csum_add(0, &p4->ip, sizeof(p4->ip)));
		fake_syn_header(t, &p4->payload);
		return sizeof(*p4);
	}
	memset(p6, 0, sizeof(*p6));
	p6->ip6.ip6_flow = htonl(6u << 28);
	p6->ip6.ip6_plen = htons(sizeof(*p6) - sizeof(p6->ip6));
	p6->ip6.ip6_nxt = IPPROTO_FRAGMENT;
	p6->ip6.ip6_hlim = 64;
	p6->ip6.ip6_src = t->src.addr.v6.sin6_addr;
	p6->ip6.ip6_dst = t->dst.addr.v6.sin6_addr;
	p6->frag.ip6f_nxt = IPPROTO_TCP;
	p6->frag.ip6f_offlg = htons(FRAG_OFFSET);	/* M flag clear */
	p6->frag.ip6f_ident = htonl(FRAG_ID);
	fake_syn_header(t, &p6->payload);
	return sizeof(*p6);
}

/* IPPROTO_RAW implies a header included, for IPv4 and IPv6 alike; on such
 * a socket the "port" of the address names a protocol, so it is cleared. */
static int send_raw_packet(const struct endpoint *dst, const void *pkt,
			   size_t len)
{
	struct endpoint to = *dst;
	int fd, err = 0;

	if (to.family == AF_INET)
		to.addr.v4.sin_port = 0;
	else
		to.addr.v6.sin6_port = 0;
	fd = socket(to.family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return fail_errno("raw socket");
	if (sendto(fd, pkt, len, MSG_DONTWAIT, &to.addr.sa, to.len) !=
	    (ssize_t)len)
		err = fail_errno("sendto");
	close_fd(&fd);
	return err;
}

/* hbhlate6: an IPv6 SYN behind a Destination Options header and then a
 * Hop-by-Hop one, which RFC 8200 allows only first: the kernel drops it
 * as IP_NOPROTO without reading TCP, so it is no TCP row. */
struct hbhlate6_packet {
	struct ip6_hdr ip;
	uint8_t dstopts[8];
	uint8_t hopopts[8];
	struct tcphdr tcp;
};

static int run_hbh_late(const struct mode *m, const struct tuple *t,
			unsigned int arg, struct drop_report *report)
{
	struct hbhlate6_packet pkt;
	int err;

	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.ip6_flow = htonl(6u << 28);
	pkt.ip.ip6_plen = htons(sizeof(pkt) - sizeof(pkt.ip));
	pkt.ip.ip6_nxt = IPPROTO_DSTOPTS;
	pkt.ip.ip6_hlim = 64;
	pkt.ip.ip6_src = t->src.addr.v6.sin6_addr;
	pkt.ip.ip6_dst = t->dst.addr.v6.sin6_addr;
	/* Each: next header, length 0 (8 bytes), a PadN of 4 bytes. */
	pkt.dstopts[0] = IPPROTO_HOPOPTS;
	pkt.dstopts[2] = 1;
	pkt.dstopts[3] = 4;
	pkt.hopopts[0] = IPPROTO_TCP;
	pkt.hopopts[2] = 1;
	pkt.hopopts[3] = 4;
	fake_syn_header(t, &pkt.tcp);
	err = send_raw_packet(&t->dst, &pkt, sizeof(pkt));
	if (!err)
		sleep_ms(50);
	return one_drop(report, "-", "IP_NOPROTO", err);
}

static int run_frag(const struct mode *m, const struct tuple *t,
		    unsigned int arg, struct drop_report *report)
{
	int v4 = t->src.family == AF_INET;
	const char *path = v4 ? SNMP : SNMP6;
	const char *group = v4 ? "Ip" : NULL;
	const char *name = v4 ? "ReasmFails" : "Ip6ReasmFails";
	union {
		struct frag4_packet p4;
		struct frag6_packet p6;
	} pkt;
	uint64_t before, after;
	unsigned int seconds;
	size_t len;
	int err;

	err = read_frag_time(v4 ? IPFRAG_TIME : IP6FRAG_TIME, &seconds);
	if (!err)
		err = read_net_counter(path, group, name, &before);
	if (err)
		return err;
	len = build_frag(t, &pkt);
	err = send_raw_packet(&t->dst, &pkt, len);
	if (!err)
		err = wait_counter_above_for(path, group, name, before, &after,
					     seconds * 1000 + FRAG_SLACK_MS);
	report->flags = "-";
	report->expected = "FRAG_REASM_TIMEOUT";
	report->count = err ? 0 : after - before;
	report->note = "fragment=last";
	return err;
}

/* ---- main ------------------------------------------------------------- */

#define FLOOD_MAX 10000000

#define BURST_MAX 100000

static const struct mode modes[] = {
	{ "syn4", AF_INET, 0, 0, 0, run_syn, NULL },
	{ "syn6", AF_INET6, 0, 0, 0, run_syn, NULL },
	{ "md5", AF_UNSPEC, 1, MD5_DEFAULT_MS, MD5_MAX_MS, run_md5, NULL },
	{ "csum4", AF_INET, 0, 0, 0, run_csum4, NULL },
	{ "flood4", AF_INET, 1, 1000, FLOOD_MAX, run_flood4, NULL },
	{ "pace4", AF_INET, 3, PACE_DEFAULT_RATE, PACE_MAX_RATE, run_pace4, NULL },
	{ "seconds4", AF_INET, 1, SECONDS_DEFAULT, SECONDS_MAX, run_seconds4,
	  NULL },
	{ "opts4", AF_INET, 0, 0, 0, run_syn, prepare_ip_options },
	{ "dstopts6", AF_INET6, 0, 0, 0, run_syn, prepare_dstopts },
	{ "hbh6", AF_INET6, 0, 0, 0, run_syn, prepare_hopopts },
	{ "burst4", AF_INET, 1, 30, BURST_MAX, run_burst, NULL },
	{ "comm4", AF_INET, 0, 0, 0, run_comm, prepare_comm },
	{ "nf4", AF_INET, 0, 0, 0, run_unanswered, NULL },
	{ "nf6", AF_INET6, 0, 0, 0, run_unanswered, NULL },
	{ "nfdst6", AF_INET6, 0, 0, 0, run_unanswered, prepare_dstopts },
	{ "udp4", AF_INET, 0, 0, 0, run_udp, NULL },
	{ "udp6", AF_INET6, 0, 0, 0, run_udp, NULL },
	{ "frag4", AF_INET, 0, 0, 0, run_frag, NULL },
	{ "frag6", AF_INET6, 0, 0, 0, run_frag, NULL },
	{ "oow4", AF_INET, 0, 0, 0, run_oow, NULL },
	{ "rstlisten4", AF_INET, 0, 0, 0, run_rst_listen, NULL },
	{ "hbhlate6", AF_INET6, 0, 0, 0, run_hbh_late, NULL },
};

static const struct mode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

static int parse_arg(const char *text, unsigned int max, unsigned int *arg)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || end == text || *end || value > max)
		return fail(0, "bad number '%s' (0..%u)", text, max);
	*arg = (unsigned int)value;
	return 0;
}

/* pace4's SECONDS and CPUS, after RATE. */
static int parse_pace_args(int argc, char **argv)
{
	if (argc > 0 && parse_arg(argv[0], PACE_MAX_SECONDS, &pace_seconds))
		return -EINVAL;
	if (argc > 1 && parse_arg(argv[1], PACE_MAX_CPUS, &pace_cpus))
		return -EINVAL;
	if (!pace_seconds || !pace_cpus)
		return fail(0, "pace4 needs SECONDS and CPUS of 1 or more");
	return 0;
}

static void print_report(const struct tuple *t,
			 const struct drop_report *report)
{
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];

	inet_ntop(t->src.family, endpoint_inaddr(&t->src), saddr,
		  sizeof(saddr));
	inet_ntop(t->dst.family, endpoint_inaddr(&t->dst), daddr,
		  sizeof(daddr));
	printf("family=%s saddr=%s sport=%u daddr=%s dport=%u flags=%s "
	       "expected=%s count=%llu",
	       t->src.family == AF_INET ? "ipv4" : "ipv6",
	       saddr, endpoint_port(&t->src), daddr, endpoint_port(&t->dst),
	       report->flags, report->expected,
	       (unsigned long long)report->count);
	if (report->elapsed_ns)
		printf(" ns=%llu", (unsigned long long)report->elapsed_ns);
	if (report->note)
		printf(" %s", report->note);
	printf("\n");
}

int main(int argc, char **argv)
{
	const struct mode *mode;
	struct drop_report report = { 0 };
	unsigned int arg;
	struct tuple t;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		doc_networks = 1;
		argc--;
		argv++;
	}
	mode = argc > 1 ? find_mode(argv[1]) : NULL;
	if (!mode || argc < 6 || argc > 6 + mode->takes_arg) {
		fprintf(stderr, "usage: dropgen [-n] MODE SRC SPORT DST DPORT "
			"[MS (md5) | N (flood4, burst4, seconds4) |\n"
			"        RATE [SECONDS [CPUS]] (pace4)]\n"
			"modes: syn4 syn6 md5 csum4 flood4 pace4 seconds4 opts4 "
			"dstopts6 hbh6 burst4 comm4 nf4 nf6 nfdst6 udp4 udp6 "
			"frag4 frag6 oow4 rstlisten4 hbhlate6\n");
		return 1;
	}
	arg = mode->arg_default;
	if (parse_tuple(argv + 2, mode->family, &t))
		return 1;
	if (argc >= 7 && parse_arg(argv[6], mode->arg_max, &arg))
		return 1;
	if (argc >= 8 && parse_pace_args(argc - 7, argv + 7))
		return 1;
	if (mode->run(mode, &t, arg, &report))
		return 1;
	print_report(&t, &report);
	return fflush(stdout) ? 1 : 0;
}
