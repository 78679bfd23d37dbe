/* The metrics server: a small HTTP/1.x server for GET /metrics and a tiny
 * index page at /, inside the drop loop. Non-blocking sockets, registered
 * in the caller's epoll set (edge-triggered, through a callback: the
 * caller owns the set and the tags), one request per connection, and
 * every resource bounded:
 *   - HTTPD_MAX_CONNS connections at once; one more is closed at once
 *     (after a short 503 when the socket takes it);
 *   - HTTPD_REQUEST_MAX bytes of request head, HTTPD_HEADERS_MAX header
 *     lines (431 past either);
 *   - HTTPD_TIMEOUT_MS from accept to the last byte of the answer: a slow
 *     client is sent 408 (if it still can) and dropped.
 *   - bytes that cannot begin a request line (a TLS ClientHello) are
 *     answered 400 at once; a client that half-closes after part of a
 *     request is answered 400; one that closes without a byte, nothing.
 * GET and HEAD only: 405 (with Allow) for the other methods RFC 9110
 * defines, 501 for any other token (methods are case-sensitive: "get" is
 * 501); / and /metrics only (404 otherwise, origin- or absolute-form);
 * 505 for HTTP versions other than 1.0 and 1.1; 400 for anything else
 * that is not a well-formed request, and for an HTTP/1.1 request without
 * exactly one Host field (RFC 9112 3.2). */
#ifndef TCPDROP_HTTPD_H
#define TCPDROP_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "errmsg.h"

#define HTTPD_MAX_CONNS 8
#define HTTPD_REQUEST_MAX 8192
#define HTTPD_HEADERS_MAX 64
#define HTTPD_TIMEOUT_MS 5000
#define HTTPD_BACKLOG 16

/* --metrics ADDR:PORT: ":PORT" is 127.0.0.1; any other address must be
 * written out, IPv6 in brackets ("[::1]:9100", "[::]:9100"). Numbers
 * only: no host names. 0, -EINVAL, or -EADDRNOTAVAIL for a multicast,
 * broadcast or IPv4-mapped IPv6 address (nothing could connect there). */
struct httpd_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];      /* as it will be shown: "127.0.0.1:9100" */
};
int httpd_parse_addr(const char *arg, struct httpd_addr *out);

/* A listening socket on exactly that address (non-blocking, close-on-
 * exec; IPv6 only for an IPv6 address). The fd, or -errno with `msg`
 * saying why (-EADDRINUSE: the port is taken). */
int httpd_listen(const struct httpd_addr *addr, struct errmsg *msg);

/* What a request asks for, once its head is complete. */
enum httpd_page { HTTPD_PAGE_NONE, HTTPD_PAGE_INDEX, HTTPD_PAGE_METRICS };

struct httpd_request {
	int status;             /* 200, or the error status to answer */
	enum httpd_page page;   /* with 200 */
	bool head;              /* HEAD: the answer has no body */
	bool http11;            /* HTTP/1.1 (else 1.0) */
};

/* Parses the request head in buf[0..len). HTTPD_INCOMPLETE while the
 * empty line that ends the head has not come (and len is below
 * HTTPD_REQUEST_MAX, and the bytes so far can still begin a request),
 * else HTTPD_DONE with `req` filled (status 400, 404, 405, 431, 501 or
 * 505 for requests answered with an error). Empty lines before the
 * request line are skipped (RFC 9112 2.2). Pure: any bytes are fine. */
enum { HTTPD_INCOMPLETE = 0, HTTPD_DONE = 1 };
int httpd_parse_request(const char *buf, size_t len,
			struct httpd_request *req);

/* The server's callbacks: `watch` adds an fd to the caller's epoll set
 * with `tag` (fds are removed by closing them); `render` builds the
 * /metrics page into `out` (0, or -errno: answered 500). */
struct httpd_ops {
	int (*watch)(void *ctx, int fd, uint32_t events, uint64_t tag);
	int (*render)(void *ctx, struct buf *out);
	void *ctx;
};

/* The status codes the server answers, in the order httpd_stats counts
 * them. */
#define HTTPD_NCODES 10
extern const int httpd_codes[HTTPD_NCODES];

struct httpd_stats {
	uint64_t responses[HTTPD_NCODES];
	uint64_t refused;       /* connections over HTTPD_MAX_CONNS */
};

struct httpd;

/* A server over `listen_fd` (-1: none, for tests that hand it
 * connections with httpd_adopt), which it then owns. Its fds are
 * registered with tags `tag_base` (the listener) to `tag_base` +
 * HTTPD_MAX_CONNS. 0, or -errno. */
int httpd_new(struct httpd **out, int listen_fd, const struct httpd_ops *ops,
	      uint64_t tag_base);

/* Closes every connection and the listener; NULL is fine. */
void httpd_free(struct httpd *h);

/* Something happened on the fd of `tag` (one of the server's): accept,
 * read, answer, as far as the sockets allow now without blocking. */
void httpd_event(struct httpd *h, uint64_t tag, int64_t now_ms);

/* Takes a connected socket as if it had been accepted at `now_ms` (the
 * unit tests hand it one end of a socketpair). 0, or -EBUSY when every
 * slot is taken (the socket is then closed, counted as refused). */
int httpd_adopt(struct httpd *h, int fd, int64_t now_ms);

/* The earliest deadline of a connection (CLOCK_MONOTONIC ms), 0 for none;
 * httpd_expire() drops those past it. */
int64_t httpd_next_deadline(const struct httpd *h);
void httpd_expire(struct httpd *h, int64_t now_ms);

/* Connections open now, and the counters. */
int httpd_open_conns(const struct httpd *h);
const struct httpd_stats *httpd_stats(const struct httpd *h);

#endif
