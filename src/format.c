#include "format.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "tcpstate.h"

/* snprintf(buf, size, "%s", s) without printf's machinery, which is most
 * of a row's cost in musl: the rows of a burst go through here. Returns
 * strlen(s). */
static size_t copy_text(char *buf, size_t size, const char *s)
{
	size_t len = strlen(s), n = len;

	if (!size)
		return len;
	if (n > size - 1)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return len;
}

int format_addr(char *buf, size_t size, uint16_t family,
		const uint8_t addr[16])
{
	if ((family == AF_INET || family == AF_INET6) &&
	    inet_ntop(family, addr, buf, size))
		return 0;
	snprintf(buf, size, "-");
	return -EAFNOSUPPORT;
}

/* Writes v's decimal digits at p; returns the end. */
static char *put_decimal(char *p, unsigned v)
{
	char digits[10];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = digits[--n];
	return p;
}

/* "a.b.c.d:port" by hand: the address column of every IPv4 row, where
 * inet_ntop() and snprintf() were a fifth of a row's cost. */
static void format_ipv4_port(char *buf, size_t size, const uint8_t addr[4],
			     uint16_t port)
{
	char text[sizeof("255.255.255.255:65535")], *p = text;
	int i;

	for (i = 0; i < 4; i++) {
		p = put_decimal(p, addr[i]);
		*p++ = i < 3 ? '.' : ':';
	}
	p = put_decimal(p, port);
	*p = '\0';
	copy_text(buf, size, text);
}

void format_addr_port(char *buf, size_t size, uint16_t family,
		      const uint8_t addr[16], uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == AF_INET && size >= sizeof("255.255.255.255:65535")) {
		format_ipv4_port(buf, size, addr, port);
		return;
	}
	if (family == AF_INET6 && inet_ntop(AF_INET6, addr, ip, sizeof(ip)))
		snprintf(buf, size, "[%s]:%u", ip, port);
	else if (family == AF_INET && inet_ntop(AF_INET, addr, ip, sizeof(ip)))
		snprintf(buf, size, "%s:%u", ip, port);
	else
		snprintf(buf, size, "-");
}

void format_tcp_flags(char *buf, size_t size, uint8_t flags)
{
	/* In the order tcpdump and the kernel's own tables use. */
	static const char *const names[8] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
	};
	size_t used = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 8; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		if (used)
			used += copy_text(buf + used, used < size ? size - used : 0,
					  "|");
		used += copy_text(buf + used, used < size ? size - used : 0,
				  names[bit]);
	}
	if (!flags)
		copy_text(buf, size, "-");
}

const char *tcp_state_name(uint8_t state, char *buf, size_t size)
{
	const char *name = tcp_state_lookup(state);

	if (state == TCPDROP_NO_STATE)
		return "-";
	if (name)
		return name;
	snprintf(buf, size, "STATE_%u", state);
	return buf;
}

static void format_local_hms(char *buf, size_t size,
			     const struct timespec *when)
{
	struct tm tm;

	/* snprintf(), not strftime(): musl's strftime is 2.4 KiB of the
	 * binary for two fixed formats (README "Size"). */
	/* One localtime_r() a second, not one a row: rows of a burst share
	 * their second. Single-threaded, like the whole run loop. */
	static time_t cached_sec = -1;
	static char cached[16];

	if (when->tv_sec != cached_sec) {
		if (!localtime_r(&when->tv_sec, &tm))
			snprintf(cached, sizeof(cached), "??:??:??");
		else
			snprintf(cached, sizeof(cached), "%02u:%02u:%02u",
				 (unsigned)tm.tm_hour % 100u,
				 (unsigned)tm.tm_min % 100u,
				 (unsigned)tm.tm_sec % 100u);
		cached_sec = when->tv_sec;
	}
	copy_text(buf, size, cached);
}

void format_time(char *buf, size_t size, enum time_style style,
		 const struct timespec *when)
{
	size_t len;

	if (style == TIME_ISO) {
		format_time_rfc3339(buf, size, when);
		return;
	}
	format_local_hms(buf, size, when);
	len = strlen(buf);
	if (style == TIME_US && len < size)
		snprintf(buf + len, size - len, ".%06ld",
			 when->tv_nsec / 1000);
}

void format_time_rfc3339(char *buf, size_t size, const struct timespec *when)
{
	struct tm tm;

	/* Years past 9999 would not be RFC 3339. */
	if (when->tv_nsec < 0 || when->tv_nsec >= 1000000000 ||
	    !gmtime_r(&when->tv_sec, &tm) || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999) {
		snprintf(buf, size, "0000-00-00T00:00:00.000000000Z");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (long)when->tv_nsec);
}

/* What a lead byte announces: the length of its sequence, its own bits of
 * the code point, and the smallest code point that length may encode
 * (anything less is an overlong form). 0 for bytes that cannot start a
 * sequence: continuation bytes, 0xc0 and 0xc1 (always overlong), 0xf5 and
 * above (beyond U+10FFFF). */
static size_t utf8_lead(unsigned char c, uint32_t *bits, uint32_t *min)
{
	if (c >= 0xc2 && c <= 0xdf) {
		*bits = c & 0x1f;
		*min = 0x80;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		*bits = c & 0x0f;
		*min = 0x800;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		*bits = c & 0x07;
		*min = 0x10000;
		return 4;
	}
	return 0;
}

size_t utf8_sequence_length(const unsigned char *s, size_t avail)
{
	uint32_t cp, min;
	size_t n = utf8_lead(s[0], &cp, &min), i;

	if (!n || n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}


/* One byte as the text output shows it: printable ASCII as is, a
 * backslash doubled, anything else as \xHH. */
static size_t printable_byte(char *buf, size_t size, unsigned char c)
{
	if (c == '\\')
		return (size_t)snprintf(buf, size, "\\\\");
	if (c < 0x20 || c == 0x7f || c >= 0x80)
		return (size_t)snprintf(buf, size, "\\x%02x", c);
	if (size >= 2) {
		buf[0] = (char)c;
		buf[1] = '\0';
	}
	return 1;
}

uint32_t utf8_code_point(const unsigned char *s, size_t n)
{
	static const unsigned char lead_bits[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t cp = s[0] & lead_bits[n < 5 ? n : 0];
	size_t i;

	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

bool format_is_control_point(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||        /* C1: CSI, NEL, ... */
	       cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) ||    /* separators, bidi */
	       (cp >= 0x2066 && cp <= 0x2069);
}

void format_printable(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0, i = 0, n;

	if (!size)
		return;
	buf[0] = '\0';
	while (i < len && p[i] && used < size - 1) {
		n = p[i] >= 0x80 ? utf8_sequence_length(p + i, len - i) : 0;
		if (n && format_is_control_point(utf8_code_point(p + i, n))) {
			if ((size_t)snprintf(buf + used, size - used, "\\u%04x",
					     utf8_code_point(p + i, n)) >=
			    size - used) {
				buf[used] = '\0';
				break;
			}
		} else if (n) {
			if (n >= size - used)
				break;
			memcpy(buf + used, p + i, n);
			buf[used + n] = '\0';
		} else {
			n = 1;
			if (printable_byte(buf + used, size - used, p[i]) >=
			    size - used) {
				buf[used] = '\0';
				break;
			}
		}
		used += strlen(buf + used);
		i += n;
	}
}
