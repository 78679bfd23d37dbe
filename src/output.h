/* One drop -> one text row (and its stack lines). Pure formatting: the
 * caller resolves everything that needs kernel state (reason name, stack
 * symbols) before calling, so every function here is testable as is. */
#ifndef TCPDROP_OUTPUT_H
#define TCPDROP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "event.h"

/* Widest "[ffff:...:ffff]:65535" is 47 characters; IPv4 needs 21. */
#define ADDR_PORT_MAX 56
#define TCP_FLAGS_MAX 40

/* What a row shows about one drop, already resolved. */
struct drop_row {
	const struct tcpdrop_event *ev;
	struct timespec when;     /* wall clock time of the drop */
	const char *reason;       /* kernel's name, or the drop location */
};

/* "127.0.0.1:80" or "[::1]:80". */
void format_addr_port(char *buf, size_t size, uint16_t family,
		      const uint8_t addr[16], uint16_t port);

/* "SYN|ACK"; "-" when no flag is set. */
void format_tcp_flags(char *buf, size_t size, uint8_t flags);

/* "ESTABLISHED" ...; "-" for TCPDROP_NO_STATE; "STATE_<n>" for a state
 * this build does not know. Returns buf or a static string. */
const char *tcp_state_name(uint8_t state, char *buf, size_t size);

/* "HH:MM:SS" in local time. */
void format_time_hms(char *buf, size_t size, const struct timespec *when);

/* These return 0, or -EIO/-EPIPE when the stream failed (a closed pipe). */
int output_header(FILE *out);
int output_row(FILE *out, const struct drop_row *row);
int output_stack_frame(FILE *out, const char *frame);
int output_stack_end(FILE *out);

#endif
