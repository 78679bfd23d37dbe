#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

const int httpd_codes[HTTPD_NCODES] = {
	200, 400, 404, 405, 408, 431, 500, 501, 503, 505,
};

#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>tcpdrop</title></head>\n"
	"<body><h1>tcpdrop</h1>\n"
	"<p>TCP drops of this host: <a href=\"/metrics\">/metrics</a></p>\n"
	"</body></html>\n";

/* --- addresses ---------------------------------------------------------- */

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Whether a TCP server can be reached there: not a multicast or the
 * broadcast address (bind() takes them, and no connection ever comes),
 * not an IPv4-mapped IPv6 address (an IPv6-only socket cannot bind one;
 * the IPv4 address is what to write). */
static bool listenable(const struct httpd_addr *a)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;

	if (a->ss.ss_family == AF_INET)
		return !IN_MULTICAST(ntohl(in4->sin_addr.s_addr)) &&
		       in4->sin_addr.s_addr != htonl(INADDR_BROADCAST);
	return !IN6_IS_ADDR_MULTICAST(&in6->sin6_addr) &&
	       !IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
}

int httpd_parse_addr(const char *arg, struct httpd_addr *out)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;
	const char *colon = strrchr(arg, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen;
	uint16_t port;

	memset(out, 0, sizeof(*out));
	if (!colon || parse_port(colon + 1, &port))
		return -EINVAL;
	hlen = (size_t)(colon - arg);
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, arg, hlen);
	host[hlen] = '\0';
	if (hlen == 0) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return -EINVAL;
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
	} else if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
	} else {
		return -EINVAL;
	}
	if (!listenable(out))
		return -EADDRNOTAVAIL;
	if (in4->sin_family == AF_INET) {
		in4->sin_port = htons(port);
		out->len = sizeof(*in4);
		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(out->text, sizeof(out->text), "%s:%u", host, port);
	} else {
		in6->sin6_port = htons(port);
		out->len = sizeof(*in6);
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out->text, sizeof(out->text), "[%s]:%u", host, port);
	}
	return 0;
}

int httpd_listen(const struct httpd_addr *addr, struct errmsg *msg)
{
	int fd, one = 1, err;

	fd = socket(addr->ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errmsg_set(msg, -errno, "--metrics %s: cannot open a "
				  "socket: %s", addr->text, strerror(errno));
	/* A restart must not wait for the old run's TIME_WAIT; a port that
	 * another listener holds is still refused. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) ||
	    listen(fd, HTTPD_BACKLOG)) {
		err = errno;
		close(fd);
		return errmsg_set(msg, -err, "--metrics %s: %s%s", addr->text,
				  strerror(err), err == EADDRINUSE ?
				  " (another program listens there)" : "");
	}
	return fd;
}

/* --- the request parser --------------------------------------------------- */

/* tchar of RFC 9110 5.6.2: what a method and a field name are made of. */
static bool tchar(unsigned char c)
{
	/* c != 0: strchr() finds the terminating NUL too. */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A request target's bytes: visible ASCII (RFC 9112 3.2). */
static bool target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* The end of the line starting at `p` (its '\n'), or NULL. */
static const char *line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* The line [p, nl) without its '\r'. */
static size_t line_len(const char *p, const char *nl)
{
	size_t n = (size_t)(nl - p);

	return n && p[n - 1] == '\r' ? n - 1 : n;
}

static int done(struct httpd_request *req, int status)
{
	req->status = status;
	return HTTPD_DONE;
}

/* Past the empty lines a client may send before the request line (RFC
 * 9112 2.2: a server SHOULD ignore at least one). */
static const char *skip_empty_lines(const char *p, const char *end)
{
	for (;;) {
		if (p < end && *p == '\n')
			p++;
		else if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else
			return p;
	}
}

/* Whether p[0..n), the start of a request line whose '\n' has not come,
 * can still become "METHOD SP TARGET SP HTTP/d.d [CR]". A TLS ClientHello,
 * an SSH banner's binary follow-up or other bytes that are not HTTP are
 * answered 400 at once, not left to the timeout. */
static bool request_line_prefix(const char *p, size_t n)
{
	static const char version[] = "HTTP/d.d\r";
	size_t i = 0, k;

	/* Half of an empty line: skip_empty_lines() takes it once whole. */
	if (n == 1 && p[0] == '\r')
		return true;
	while (i < n && tchar((unsigned char)p[i]))
		i++;
	if (i == n)
		return true;
	if (i == 0 || p[i] != ' ')
		return false;
	for (i++; i < n && p[i] != ' '; i++)
		if (!target_char((unsigned char)p[i]))
			return false;
	if (i == n)
		return true;
	for (i++, k = 0; i < n; i++, k++) {
		if (k == sizeof(version) - 1)
			return false;
		if (version[k] == 'd' ? !digit(p[i]) : p[i] != version[k])
			return false;
	}
	return true;
}

/* The methods RFC 9110 9.3 defines: known, so answered 405 (with Allow)
 * rather than 501 when they are not GET or HEAD. Methods are
 * case-sensitive (RFC 9110 9.1): "get" is not GET. */
static bool known_method(const char *m, size_t n)
{
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
		"TRACE",
	};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i]) == n && memcmp(methods[i], m, n) == 0)
			return true;
	return false;
}

static bool starts_nocase(const char *p, size_t n, const char *prefix)
{
	size_t len = strlen(prefix);

	return n >= len && strncasecmp(p, prefix, len) == 0;
}

/* The path of a target in origin-form ("/metrics?x") or absolute-form
 * ("http://host:9742/metrics", which RFC 9112 3.2.2 says a server MUST
 * accept): its offset and length in p[0..n), without the query. false
 * for any other form. */
static bool target_path(const char *p, size_t n, size_t *off, size_t *len)
{
	size_t i = 0, scheme = 0;

	if (starts_nocase(p, n, "http://"))
		scheme = 7;
	else if (starts_nocase(p, n, "https://"))
		scheme = 8;
	if (scheme) {
		/* The authority, then the path ("" is "/"). */
		for (i = scheme; i < n && p[i] != '/' && p[i] != '?'; i++)
			;
		if (i == scheme)
			return false;
	} else if (n == 0 || p[0] != '/') {
		return false;
	}
	*off = i;
	for (*len = 0; i + *len < n && p[i + *len] != '?'; (*len)++)
		;
	return true;
}

static enum httpd_page page_of(const char *path, size_t len)
{
	if (len <= 1)   /* "/", or an absolute-form target without a path */
		return HTTPD_PAGE_INDEX;
	if (len == 8 && memcmp(path, "/metrics", 8) == 0)
		return HTTPD_PAGE_METRICS;
	return HTTPD_PAGE_NONE;
}

/* "METHOD SP TARGET SP HTTP/d.d" (RFC 9112 3). The status it calls for,
 * in this order: 400 for a line of another shape, 505 for a version that
 * is not 1.0 or 1.1, 501 for a method that RFC 9110 does not define, 405
 * for one that it does but is not GET or HEAD, 404 for a path that is
 * not / or /metrics, else 200. `req->http11` says whether HTTP/1.1. */
static int request_line(const char *p, size_t n, struct httpd_request *req)
{
	size_t m = 0, t, tlen, off = 0, plen = 0;
	const char *v;

	while (m < n && tchar((unsigned char)p[m]))
		m++;
	if (m == 0 || m >= n || p[m] != ' ')
		return 400;
	t = m + 1;
	for (tlen = 0; t + tlen < n && p[t + tlen] != ' '; tlen++)
		if (!target_char((unsigned char)p[t + tlen]))
			return 400;
	if (tlen == 0 || t + tlen >= n || n - (t + tlen + 1) != 8)
		return 400;
	/* The asterisk-form is for OPTIONS only (RFC 9112 3.2.4). */
	if (!(tlen == 1 && p[t] == '*' && m == 7 &&
	      memcmp(p, "OPTIONS", 7) == 0) &&
	    !target_path(p + t, tlen, &off, &plen))
		return 400;
	v = p + t + tlen + 1;
	if (memcmp(v, "HTTP/", 5) || !digit(v[5]) || v[6] != '.' ||
	    !digit(v[7]))
		return 400;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return 505;
	req->http11 = v[7] == '1';
	if (!known_method(p, m))
		return 501;
	req->head = m == 4 && memcmp(p, "HEAD", 4) == 0;
	if (!req->head && !(m == 3 && memcmp(p, "GET", 3) == 0))
		return 405;
	req->page = page_of(p + t + off, plen);
	return req->page == HTTPD_PAGE_NONE ? 404 : 200;
}

/* "name: value": a token, a colon, then visible characters, spaces and
 * tabs (no folded lines). The length of the name, 0 for a bad line. */
static size_t header_line(const char *p, size_t n)
{
	size_t i = 0, name;

	while (i < n && tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ':')
		return 0;
	name = i;
	for (i++; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return 0;
	return name;
}

/* The status once the head is complete and the request line passed:
 * the Host field RFC 9112 3.2 requires comes first (400 for an HTTP/1.1
 * request without one, or for any request with more than one). */
static int head_status(int line_status, const struct httpd_request *req,
		       int hosts)
{
	if (hosts > 1 || (req->http11 && hosts == 0))
		return 400;
	return line_status;
}

int httpd_parse_request(const char *buf, size_t len,
			struct httpd_request *req)
{
	const char *p, *end = buf + len, *nl;
	int headers = 0, hosts = 0, status;
	size_t name;

	memset(req, 0, sizeof(*req));
	if (len > HTTPD_REQUEST_MAX)
		len = HTTPD_REQUEST_MAX, end = buf + len;
	p = skip_empty_lines(buf, end);
	nl = line_end(p, end);
	if (!nl) {
		if (!request_line_prefix(p, (size_t)(end - p)))
			return done(req, 400);
		return len >= HTTPD_REQUEST_MAX ? done(req, 431) :
						  HTTPD_INCOMPLETE;
	}
	/* The request line must be text: a NUL anywhere is not HTTP. */
	if (memchr(p, '\0', (size_t)(nl - p)))
		return done(req, 400);
	status = request_line(p, line_len(p, nl), req);
	if (status == 400 || status == 505 || status == 501)
		return done(req, status);
	for (p = nl + 1;; p = nl + 1) {
		nl = line_end(p, end);
		if (!nl)
			return len >= HTTPD_REQUEST_MAX ? done(req, 431) :
							  HTTPD_INCOMPLETE;
		if (line_len(p, nl) == 0)
			return done(req, head_status(status, req, hosts));
		if (++headers > HTTPD_HEADERS_MAX)
			return done(req, 431);
		name = header_line(p, line_len(p, nl));
		if (!name)
			return done(req, 400);
		hosts += name == 4 && strncasecmp(p, "Host", 4) == 0;
	}
}

/* --- connections --------------------------------------------------------- */

struct conn {
	int fd;                     /* -1: free */
	int64_t deadline_ms;
	size_t in_len;
	bool answering;             /* reading is over */
	struct buf out;
	size_t out_off;
	char in[HTTPD_REQUEST_MAX];
};

struct httpd {
	int listen_fd;
	struct httpd_ops ops;
	uint64_t tag_base;
	struct httpd_stats stats;
	struct buf page;
	struct conn conns[HTTPD_MAX_CONNS];
};

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

static void count_status(struct httpd *h, int status)
{
	int i;

	for (i = 0; i < HTTPD_NCODES; i++)
		if (httpd_codes[i] == status)
			h->stats.responses[i]++;
}

/* The whole answer into `out`. */
static void answer(struct httpd *h, struct buf *out, int status,
		   const char *type, const char *body, size_t len, bool head)
{
	count_status(h, status);
	buf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
		   status, reason_phrase(status), type, len,
		   status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (!head)
		buf_append(out, body, len);
}

/* A HEAD request's error has a Content-Length but no body (RFC 9110
 * 9.3.2), as its 200 does. */
static void answer_error(struct httpd *h, struct buf *out, int status,
			 bool head)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status,
			 reason_phrase(status));

	answer(h, out, status, "text/plain; charset=utf-8", body, (size_t)n,
	       head);
}

static void answer_request(struct httpd *h, struct conn *c,
			   const struct httpd_request *req)
{
	if (req->status != 200) {
		answer_error(h, &c->out, req->status, req->head);
		return;
	}
	if (req->page == HTTPD_PAGE_INDEX) {
		answer(h, &c->out, 200, "text/html; charset=utf-8", index_page,
		       sizeof(index_page) - 1, req->head);
		return;
	}
	buf_reset(&h->page);
	if (h->ops.render(h->ops.ctx, &h->page) || h->page.failed) {
		answer_error(h, &c->out, 500, req->head);
		return;
	}
	answer(h, &c->out, 200, CONTENT_TYPE_METRICS, h->page.data,
	       h->page.len, req->head);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in_len = 0;
	c->answering = false;
	c->out_off = 0;
	buf_reset(&c->out);
}

/* Writes what the socket takes now; closes the connection once all is
 * written or the peer is gone. */
static void conn_write(struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out.len) {
		n = send(c->fd, c->out.data + c->out_off,
			 c->out.len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	conn_close(c);
}

/* Reads what has come; answers once the head is complete. */
static void conn_read(struct httpd *h, struct conn *c)
{
	struct httpd_request req;
	ssize_t n;

	for (;;) {
		if (c->in_len == sizeof(c->in))
			break;
		n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 || (n == 0 && c->in_len == 0)) {
			/* Gone, or closed without a byte: nothing to answer. */
			conn_close(c);
			return;
		}
		if (n == 0)
			/* Half-closed after part of a request: it will never
			 * be whole, and the client may still read a 400. */
			break;
		c->in_len += (size_t)n;
		if (httpd_parse_request(c->in, c->in_len, &req) == HTTPD_DONE)
			break;
	}
	if (httpd_parse_request(c->in, c->in_len, &req) != HTTPD_DONE)
		req.status = c->in_len == sizeof(c->in) ? 431 : 400;
	c->answering = true;
	/* What else it sends is not read: one request per connection. */
	shutdown(c->fd, SHUT_RD);
	answer_request(h, c, &req);
	conn_write(c);
}

static void conn_event(struct httpd *h, struct conn *c)
{
	if (c->fd < 0)
		return;
	if (c->answering)
		conn_write(c);
	else
		conn_read(h, c);
}

int httpd_adopt(struct httpd *h, int fd, int64_t now_ms)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
		"Content-Length: 0\r\nConnection: close\r\n\r\n";
	struct conn *c = NULL;
	int i, ret;

	for (i = 0; i < HTTPD_MAX_CONNS && !c; i++)
		if (h->conns[i].fd < 0)
			c = &h->conns[i];
	if (!c) {
		h->stats.refused++;
		count_status(h, 503);
		/* One try, never waiting: the loop must not stall on it. */
		if (send(fd, busy, sizeof(busy) - 1,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;
		close(fd);
		return -EBUSY;
	}
	ret = h->ops.watch(h->ops.ctx, fd,
			   EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
			   h->tag_base + 1 + (uint64_t)(c - h->conns));
	if (ret) {
		close(fd);
		return ret;
	}
	c->fd = fd;
	c->deadline_ms = now_ms + HTTPD_TIMEOUT_MS;
	/* Whatever is already there. */
	conn_read(h, c);
	return 0;
}

static void accept_all(struct httpd *h, int64_t now_ms)
{
	int fd;

	for (;;) {
		fd = accept4(h->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		/* EAGAIN: all taken. Other errors (EMFILE, ECONNABORTED):
		 * the listener is edge-triggered, so giving up here cannot
		 * spin; the next connection wakes it again. */
		if (fd < 0)
			return;
		httpd_adopt(h, fd, now_ms);
	}
}

int httpd_new(struct httpd **out, int listen_fd, const struct httpd_ops *ops,
	      uint64_t tag_base)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int i, ret;

	if (!h) {
		if (listen_fd >= 0)
			close(listen_fd);
		return -ENOMEM;
	}
	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->listen_fd = listen_fd;
	h->ops = *ops;
	h->tag_base = tag_base;
	if (listen_fd >= 0) {
		ret = ops->watch(ops->ctx, listen_fd, EPOLLIN | EPOLLET,
				 tag_base);
		if (ret) {
			httpd_free(h);
			return ret;
		}
	}
	*out = h;
	return 0;
}

void httpd_free(struct httpd *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		conn_close(&h->conns[i]);
		buf_free(&h->conns[i].out);
	}
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	buf_free(&h->page);
	free(h);
}

void httpd_event(struct httpd *h, uint64_t tag, int64_t now_ms)
{
	uint64_t slot = tag - h->tag_base;

	if (slot == 0 && h->listen_fd >= 0)
		accept_all(h, now_ms);
	else if (slot >= 1 && slot <= HTTPD_MAX_CONNS)
		conn_event(h, &h->conns[slot - 1]);
}

int64_t httpd_next_deadline(const struct httpd *h)
{
	int64_t soonest = 0;
	int i;

	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0 &&
		    (!soonest || h->conns[i].deadline_ms < soonest))
			soonest = h->conns[i].deadline_ms;
	return soonest;
}

void httpd_expire(struct httpd *h, int64_t now_ms)
{
	struct conn *c;
	int i;

	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		c = &h->conns[i];
		if (c->fd < 0 || now_ms < c->deadline_ms)
			continue;
		if (!c->answering) {
			/* A 408 if the socket takes it now; either way the
			 * connection ends here. */
			buf_reset(&c->out);
			answer_error(h, &c->out, 408, false);
			send(c->fd, c->out.data, c->out.len,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		conn_close(c);
	}
}

int httpd_open_conns(const struct httpd *h)
{
	int i, n = 0;

	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		n += h->conns[i].fd >= 0;
	return n;
}

const struct httpd_stats *httpd_stats(const struct httpd *h)
{
	return &h->stats;
}
