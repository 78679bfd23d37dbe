/* The metrics server: the request parser on exact inputs, addresses, and
 * the server itself over socketpairs (no network, no root): whole and
 * partial requests, a slow client, garbage, the connection limit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "httpd.h"

static int parse(const char *s, struct httpd_request *req)
{
	return httpd_parse_request(s, strlen(s), req);
}

static void test_parse_ok(void)
{
	struct httpd_request req;

	CHECK_INT(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &req),
		  HTTPD_DONE);
	CHECK_INT(req.status, 200);
	CHECK_INT(req.page, HTTPD_PAGE_METRICS);
	CHECK(!req.head);
	CHECK(req.http11);
	/* HTTP/1.0 needs no Host. */
	CHECK_INT(parse("HEAD / HTTP/1.0\n\n", &req), HTTPD_DONE);
	CHECK_INT(req.status, 200);
	CHECK_INT(req.page, HTTPD_PAGE_INDEX);
	CHECK(req.head);
	CHECK(!req.http11);
	CHECK_INT(parse("GET /metrics?x=1 HTTP/1.1\r\nhOsT: x\r\n\r\n", &req),
		  HTTPD_DONE);
	CHECK_INT(req.status, 200);
	CHECK_INT(req.page, HTTPD_PAGE_METRICS);
	/* Empty lines before the request line are skipped (RFC 9112 2.2). */
	CHECK_INT(parse("\r\n\nGET /metrics HTTP/1.0\r\n\r\n", &req),
		  HTTPD_DONE);
	CHECK_INT(req.status, 200);
	/* The absolute-form, as a client sends it through a proxy. */
	CHECK_INT(parse("GET http://10.0.0.1:9742/metrics HTTP/1.1\r\n"
			"Host: 10.0.0.1:9742\r\n\r\n", &req), HTTPD_DONE);
	CHECK_INT(req.status, 200);
	CHECK_INT(req.page, HTTPD_PAGE_METRICS);
	CHECK_INT(parse("GET HTTP://h HTTP/1.0\r\n\r\n", &req), HTTPD_DONE);
	CHECK_INT(req.status, 200);
	CHECK_INT(req.page, HTTPD_PAGE_INDEX);
	/* Field values may hold obs-text (RFC 9110 5.5). */
	CHECK_INT(parse("GET / HTTP/1.0\r\nX: caf\xc3\xa9\r\n\r\n", &req),
		  HTTPD_DONE);
	CHECK_INT(req.status, 200);
}

static void test_parse_incomplete(void)
{
	static const char *const prefixes[] = {
		"", "\r", "\r\n", "G", "GET", "GET ", "GET /met", "GET /m ",
		"GET / H", "GET / HTTP/1", "GET / HTTP/1.1", "GET / HTTP/1.1\r",
		"GET / HTTP/1.1\r\nHost: x\r\n", "\r\nGET / HTTP/9.9",
		"get /metrics", "BREW /", "GET http://x/ HTTP/1.0\r\n",
	};
	struct httpd_request req;
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (parse(prefixes[i], &req) != HTTPD_INCOMPLETE)
			CHECK_FAIL_("'%s': done with %d, want incomplete",
				    prefixes[i], req.status);
}

/* Bytes that can never begin a request line are answered before the
 * line ends: a TLS ClientHello has no '\n' to wait for. */
static void test_parse_not_http(void)
{
	static const struct { const char *req; size_t len; } cases[] = {
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11 },
		{ "\x16", 1 },
		{ "\x00", 1 },
		{ " GET", 4 },
		{ "GET\t/", 5 },
		{ "GET /\x01", 6 },
		{ "GET / http/1.1", 14 },
		{ "GET / HTTP/1.10", 15 },
		{ "GET / HTTP/1.1\rX", 16 },
		{ "GET / HTTP/x", 12 },
		{ "\r\r", 2 },
		{ "GET / HTTP/1.0\r\nX\0Y: z\r\n\r\n", 26 },
	};
	struct httpd_request req;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(httpd_parse_request(cases[i].req, cases[i].len, &req),
			  HTTPD_DONE);
		if (req.status != 400)
			CHECK_FAIL_("case %zu: status %d, want 400", i,
				    req.status);
	}
}

static void test_parse_errors(void)
{
	static const struct { const char *req; int status; } cases[] = {
		/* Methods RFC 9110 defines: 405; other tokens: 501, and
		 * methods are case-sensitive (RFC 9110 9.1). */
		{ "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
		{ "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
		{ "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
		{ "TRACE /metrics HTTP/1.0\r\n\r\n", 405 },
		{ "get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
		{ "Get /metrics HTTP/1.0\r\n\r\n", 501 },
		{ "BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
		{ "PATCH /metrics HTTP/1.0\r\n\r\n", 501 },
		{ "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404 },
		{ "GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", 404 },
		{ "HEAD /metrics/ HTTP/1.0\r\n\r\n", 404 },
		{ "GET http://h/other HTTP/1.0\r\n\r\n", 404 },
		/* Versions other than 1.0 and 1.1. */
		{ "GET /metrics HTTP/1.2\r\nHost: x\r\n\r\n", 505 },
		{ "GET /metrics HTTP/2.0\r\n\r\n", 505 },
		{ "GET /metrics HTTP/0.9\r\n\r\n", 505 },
		/* HTTP/2's preface: the asterisk-form is OPTIONS's only. */
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400 },
		/* The Host field of RFC 9112 3.2. */
		{ "GET /metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\n\r\n", 400 },
		/* Not a request. */
		{ "GET metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET http:// HTTP/1.0\r\n\r\n", 400 },
		{ "GET ftp://h/metrics HTTP/1.0\r\n\r\n", 400 },
		{ "GET  /metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET /metrics\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
		{ "GET /\x01 HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nno colon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nX: a\x01" "b\r\n\r\n", 400 },
		{ "\x16\x03\x01\x02\x01\xfc\x03\x03\n\n", 400 },
	};
	struct httpd_request req;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(parse(cases[i].req, &req), HTTPD_DONE);
		if (req.status != cases[i].status)
			CHECK_FAIL_("case %zu: status %d, want %d", i,
				    req.status, cases[i].status);
	}
}

static void test_parse_limits(void)
{
	struct httpd_request req;
	char *big = malloc(HTTPD_REQUEST_MAX + 100);
	size_t n = 0;
	int i;

	/* A head that never ends within the bound. */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	memset(big + n, 'a', HTTPD_REQUEST_MAX + 50 - n);
	CHECK_INT(httpd_parse_request(big, HTTPD_REQUEST_MAX + 50, &req),
		  HTTPD_DONE);
	CHECK_INT(req.status, 431);
	CHECK_INT(httpd_parse_request(big, HTTPD_REQUEST_MAX - 1, &req),
		  HTTPD_INCOMPLETE);
	/* Too many header lines. */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= HTTPD_HEADERS_MAX; i++)
		n += (size_t)sprintf(big + n, "X: %d\r\n", i);
	n += (size_t)sprintf(big + n, "\r\n");
	CHECK_INT(httpd_parse_request(big, n, &req), HTTPD_DONE);
	CHECK_INT(req.status, 431);
	free(big);
}

static void test_addr(void)
{
	struct httpd_addr a;

	CHECK_INT(httpd_parse_addr(":9104", &a), 0);
	CHECK_STR(a.text, "127.0.0.1:9104");
	CHECK_INT(httpd_parse_addr("0.0.0.0:9104", &a), 0);
	CHECK_STR(a.text, "0.0.0.0:9104");
	CHECK_INT(httpd_parse_addr("[::1]:9104", &a), 0);
	CHECK_STR(a.text, "[::1]:9104");
	CHECK_INT(httpd_parse_addr("[::]:1", &a), 0);
	CHECK_STR(a.text, "[::]:1");
	CHECK_INT(httpd_parse_addr("9104", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr(":0", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr(":65536", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr(":+80", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr("localhost:80", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr("::1:80", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr("[::1:80", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr("[]:80", &a), -EINVAL);
	CHECK_INT(httpd_parse_addr("1.2.3.4:", &a), -EINVAL);
	/* Addresses nothing can connect to: multicast, broadcast, and the
	 * IPv4-mapped form an IPv6-only socket cannot bind. */
	CHECK_INT(httpd_parse_addr("224.0.0.1:9104", &a), -EADDRNOTAVAIL);
	CHECK_INT(httpd_parse_addr("239.255.255.250:9104", &a), -EADDRNOTAVAIL);
	CHECK_INT(httpd_parse_addr("255.255.255.255:9104", &a), -EADDRNOTAVAIL);
	CHECK_INT(httpd_parse_addr("[ff02::1]:9104", &a), -EADDRNOTAVAIL);
	CHECK_INT(httpd_parse_addr("[::ffff:127.0.0.1]:9104", &a), -EADDRNOTAVAIL);
	CHECK_INT(httpd_parse_addr("223.255.255.255:9104", &a), 0);
	CHECK_INT(httpd_parse_addr("[::127.0.0.1]:9104", &a), 0);
}

/* --- the server over socketpairs ----------------------------------------- */

static int epfd = -1;
static int renders;

static int watch(void *ctx, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int render(void *ctx, struct buf *out)
{
	renders++;
	buf_printf(out, "tcpdrop_drops_total{reason=\"NO_SOCKET\"} 3\n");
	return 0;
}

static const struct httpd_ops ops = { watch, render, NULL };

/* Runs the server's events for a moment. */
static void pump(struct httpd *h, int64_t now)
{
	struct epoll_event evs[16];
	int i, n, rounds;

	for (rounds = 0; rounds < 5; rounds++) {
		n = epoll_wait(epfd, evs, 16, 10);
		for (i = 0; i < n; i++)
			httpd_event(h, evs[i].data.u64, now);
	}
}

/* What the client end has received, until EOF or nothing more. */
static size_t slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size &&
	       (n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static struct httpd *server(void)
{
	struct httpd *h = NULL;

	if (epfd >= 0)
		close(epfd);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK_INT(httpd_new(&h, -1, &ops, 100), 0);
	return h;
}

static int client(struct httpd *h, int64_t now)
{
	int sv[2];

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	CHECK_INT(httpd_adopt(h, sv[1], now), 0);
	return sv[0];
}

static void test_serve_whole(void)
{
	struct httpd *h = server();
	char got[4096];
	int c = client(h, 0);
	const char req[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";

	CHECK(write(c, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0);
	CHECK(strstr(got, "Content-Type: text/plain; version=0.0.4; "
		     "charset=utf-8\r\n") != NULL);
	CHECK(strstr(got, "\r\n\r\ntcpdrop_drops_total{reason=\"NO_SOCKET\"} "
		     "3\n") != NULL);
	CHECK_INT(httpd_open_conns(h), 0);
	CHECK_INT(httpd_stats(h)->responses[0], 1);
	close(c);
	httpd_free(h);
}

/* One byte at a time: answered once the head is whole, not before. */
static void test_serve_partial(void)
{
	struct httpd *h = server();
	const char req[] = "HEAD /metrics HTTP/1.0\r\n\r\n";
	char got[4096];
	int c = client(h, 0);
	size_t i;

	renders = 0;
	for (i = 0; i + 1 < sizeof(req) - 1; i++) {
		CHECK(write(c, req + i, 1) == 1);
		pump(h, 1);
	}
	CHECK_INT(slurp(c, got, sizeof(got)), 0);
	CHECK_INT(httpd_open_conns(h), 1);
	CHECK(write(c, req + i, 1) == 1);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 200 OK\r\n", 17) == 0);
	/* HEAD: no body. */
	CHECK(strstr(got, "tcpdrop_drops_total") == NULL);
	CHECK_INT(renders, 1);
	CHECK_INT(httpd_open_conns(h), 0);
	close(c);
	httpd_free(h);
}

/* A client that sends half a request and waits: 408 at the deadline,
 * then closed; the deadline is what the run loop sleeps until. */
static void test_slow_client(void)
{
	struct httpd *h = server();
	char got[4096];
	int c = client(h, 1000);

	CHECK(write(c, "GET /met", 8) == 8);
	pump(h, 1000);
	CHECK_INT(httpd_next_deadline(h), 1000 + HTTPD_TIMEOUT_MS);
	httpd_expire(h, 1000 + HTTPD_TIMEOUT_MS - 1);
	CHECK_INT(httpd_open_conns(h), 1);
	httpd_expire(h, 1000 + HTTPD_TIMEOUT_MS);
	CHECK_INT(httpd_open_conns(h), 0);
	CHECK_INT(httpd_next_deadline(h), 0);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
	close(c);
	httpd_free(h);
}

static void test_garbage_and_eof(void)
{
	static const char hello[] = "\x16\x03\x01\x00\xc4\x01\x00\x00\xc0"
				    "\x03\x03";
	struct httpd *h = server();
	char got[4096];
	int c = client(h, 0), d;

	CHECK(write(c, "\x00\xff\xfe garbage\r\n\r\n", 15) == 15);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	close(c);
	/* A TLS ClientHello (no '\n' in it): 400 at once, not 408 later. */
	c = client(h, 0);
	CHECK(write(c, hello, sizeof(hello) - 1) == sizeof(hello) - 1);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	CHECK_INT(httpd_open_conns(h), 0);
	close(c);
	/* Half-closed after part of a request: it can still read a 400. */
	d = client(h, 0);
	CHECK(write(d, "GET", 3) == 3);
	shutdown(d, SHUT_WR);
	pump(h, 1);
	CHECK_INT(httpd_open_conns(h), 0);
	slurp(d, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	close(d);
	/* Closed without a byte: nothing answered, nothing counted. */
	d = client(h, 0);
	shutdown(d, SHUT_WR);
	pump(h, 1);
	CHECK_INT(httpd_open_conns(h), 0);
	CHECK_INT(slurp(d, got, sizeof(got)), 0);
	close(d);
	CHECK_INT(httpd_stats(h)->responses[1], 3);
	httpd_free(h);
}

/* Errors to HEAD have no body either; 405 says what is allowed. */
static void test_error_heads(void)
{
	struct httpd *h = server();
	const char head[] = "HEAD /nothing HTTP/1.0\r\n\r\n";
	const char post[] = "POST / HTTP/1.0\r\n\r\n";
	const char lower[] = "get / HTTP/1.0\r\n\r\n";
	char got[4096];
	int c = client(h, 0);

	CHECK(write(c, head, sizeof(head) - 1) == sizeof(head) - 1);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK_STR(got, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; "
		  "charset=utf-8\r\nContent-Length: 14\r\nConnection: close"
		  "\r\n\r\n");
	close(c);
	c = client(h, 0);
	CHECK(write(c, post, sizeof(post) - 1) == sizeof(post) - 1);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 405 Method Not Allowed\r\n", 33) == 0);
	CHECK(strstr(got, "\r\nAllow: GET, HEAD\r\n") != NULL);
	close(c);
	c = client(h, 0);
	CHECK(write(c, lower, sizeof(lower) - 1) == sizeof(lower) - 1);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 501 Not Implemented\r\n", 30) == 0);
	CHECK(strstr(got, "\r\n\r\n501 Not Implemented\n") != NULL);
	close(c);
	httpd_free(h);
}

/* HTTPD_MAX_CONNS idle clients; one more is refused with 503 at once. */
static void test_connection_limit(void)
{
	struct httpd *h = server();
	int fds[HTTPD_MAX_CONNS], sv[2], i;
	char got[256];

	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		fds[i] = client(h, 0);
	CHECK_INT(httpd_open_conns(h), HTTPD_MAX_CONNS);
	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	CHECK_INT(httpd_adopt(h, sv[1], 0), -EBUSY);
	slurp(sv[0], got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 503 ", 13) == 0);
	CHECK_INT(httpd_stats(h)->refused, 1);
	close(sv[0]);
	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		close(fds[i]);
	httpd_free(h);
}

/* An oversized head: 431, whatever else the client still sends. */
static void test_too_large(void)
{
	struct httpd *h = server();
	char *big = malloc(HTTPD_REQUEST_MAX + 10), got[4096];
	int c = client(h, 0), sndbuf = 1 << 20;
	ssize_t n;

	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	memset(big, 'a', HTTPD_REQUEST_MAX + 10);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	n = write(c, big, HTTPD_REQUEST_MAX + 10);
	CHECK(n > 0);
	pump(h, 1);
	slurp(c, got, sizeof(got));
	CHECK(strncmp(got, "HTTP/1.1 431 ", 13) == 0);
	CHECK_INT(httpd_open_conns(h), 0);
	free(big);
	close(c);
	httpd_free(h);
}

int main(void)
{
	RUN(test_parse_ok);
	RUN(test_parse_incomplete);
	RUN(test_parse_not_http);
	RUN(test_parse_errors);
	RUN(test_parse_limits);
	RUN(test_addr);
	RUN(test_serve_whole);
	RUN(test_serve_partial);
	RUN(test_slow_client);
	RUN(test_garbage_and_eof);
	RUN(test_error_heads);
	RUN(test_connection_limit);
	RUN(test_too_large);
	return check_exit_code();
}
