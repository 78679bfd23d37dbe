/* One field of a drop as text, shared by the text rows, JSON lines and
 * count tables: addresses, flags, states, times, and bytes from outside
 * made safe to print. Pure functions of their arguments. */
#ifndef TCPDROP_FORMAT_H
#define TCPDROP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Widest "[ffff:...:ffff]:65535" is 47 characters; IPv4 needs 21. */
#define ADDR_PORT_MAX 56
#define TCP_FLAGS_MAX 40

enum time_style {
	TIME_HMS,   /* 07:07:20 (local) */
	TIME_US,    /* 07:07:20.123456 (local) */
	TIME_ISO,   /* 2026-11-26T07:07:20.123456789Z (UTC, RFC 3339) */
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
#define TIME_MAX 48
void format_time(char *buf, size_t size, enum time_style style,
		 const struct timespec *when);

/* "2026-11-26T07:07:20.123456789Z" (UTC, RFC 3339, nanoseconds). A time
 * gmtime() cannot convert gives "0000-00-00T00:00:00.000000000Z", which
 * no real time can be. TIME_MAX bytes are enough, with years of more than
 * four digits too. */
void format_time_rfc3339(char *buf, size_t size, const struct timespec *when);

/* Length (2 to 4) of the well-formed UTF-8 sequence at s, whose first
 * byte is >= 0x80, or 0 when there is none: a stray continuation byte, a
 * sequence cut short (by `avail` or a NUL), an overlong form, a surrogate,
 * or a code point above U+10FFFF. Strict, so that a strict decoder on the
 * reading side never rejects a line. */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

/* The code point of the well-formed `n`-byte UTF-8 sequence at s (n from
 * utf8_sequence_length()). */
uint32_t utf8_code_point(const unsigned char *s, size_t n);

/* Code points that act on a terminal or on how text reads although they
 * are well-formed UTF-8: the C1 controls U+0080 to U+009F (U+009B is CSI
 * to xterm and VTE), the line and paragraph separators, and the
 * bidirectional marks, embeddings, overrides and isolates (a name could
 * be shown reversed). */
bool format_is_control_point(uint32_t cp);

/* `len` bytes of `s` (stopping early at a NUL), safe to print on a
 * terminal: printable ASCII and well-formed UTF-8 as they are, but a
 * backslash as two backslashes, the code points of
 * format_is_control_point() as backslash-u and four hex digits, and every
 * other byte (control characters, DEL, bytes of invalid UTF-8) as
 * backslash-x and two hex digits. Always NUL-terminated; cut at a whole
 * character when `size` is too small. FORMAT_PRINTABLE_MAX(n) bytes hold
 * any n input bytes. For COMM, which any process can set to anything
 * (prctl(PR_SET_NAME)). */
#define FORMAT_PRINTABLE_MAX(n) (4 * (n) + 1)
void format_printable(char *buf, size_t size, const char *s, size_t len);

#endif
