/* One drop -> one text row (and its stack lines). Pure formatting: the
 * caller resolves everything that needs kernel state (reason name, stack
 * symbols) before calling, so every function here is testable as is. */
#ifndef TCPDROP_OUTPUT_H
#define TCPDROP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "drop.h"
#include "event.h"

/* Widest "[ffff:...:ffff]:65535" is 47 characters; IPv4 needs 21. */
#define ADDR_PORT_MAX 56
#define TCP_FLAGS_MAX 40

enum time_style {
	TIME_HMS,   /* 07:07:20 (local) */
	TIME_US,    /* 07:07:20.123456 (local) */
	TIME_ISO,   /* 2026-11-26T07:07:20.123456789Z (UTC, RFC 3339) */
};

struct output_style {
	enum time_style time;
	int wide;   /* address columns wide enough for any IPv6 address */
};

/* The bare address, "127.0.0.1" or "::1" (size: INET6_ADDRSTRLEN is
 * enough). "-" and -EAFNOSUPPORT for a family other than AF_INET/AF_INET6,
 * e.g. 0 for a drop without packet headers. */
int format_addr(char *buf, size_t size, uint16_t family,
		const uint8_t addr[16]);

/* "127.0.0.1:80" or "[::1]:80". */
void format_addr_port(char *buf, size_t size, uint16_t family,
		      const uint8_t addr[16], uint16_t port);

/* "SYN|ACK"; "-" when no flag is set. */
void format_tcp_flags(char *buf, size_t size, uint8_t flags);

/* "ESTABLISHED" ...; "-" for TCPDROP_NO_STATE; "STATE_<n>" for a state
 * this build does not know. Returns buf or a static string. */
const char *tcp_state_name(uint8_t state, char *buf, size_t size);

/* The TIME column in `style`. */
#define TIME_MAX 40
void format_time(char *buf, size_t size, enum time_style style,
		 const struct timespec *when);

/* 0, or -EPIPE (a closed pipe) / -EIO once a write to `out` failed. */
int output_status(FILE *out);

/* These return 0, or -EIO/-EPIPE when the stream failed (a closed pipe).
 * The header and the rows use the same column widths for a `style`. */
int output_header(FILE *out, const struct output_style *style);
int output_row(FILE *out, const struct output_style *style,
	       const struct drop_view *d);
int output_stack_frame(FILE *out, const char *frame);
int output_stack_end(FILE *out);

#endif
