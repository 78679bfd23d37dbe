/* Row formatting: exact text for IPv4 and IPv6 rows, flags, states. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "check.h"
#include "streams.h"
#include "output.h"
#include "netns.h"

static struct tcpdrop_event v4_event(void)
{
	struct tcpdrop_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", ev.saddr);
	inet_pton(AF_INET, "10.1.2.3", ev.daddr);
	ev.sport = 40001;
	ev.dport = 9;
	ev.pid = 1234;
	ev.tcpflags = TCPDROP_SYN;
	memcpy(ev.comm, "curl", 5);
	return ev;
}

static void test_addr_port(void)
{
	uint8_t addr[16] = { 0 };
	char buf[ADDR_PORT_MAX];

	inet_pton(AF_INET, "192.168.1.20", addr);
	format_addr_port(buf, sizeof(buf), AF_INET, addr, 443);
	CHECK_STR(buf, "192.168.1.20:443");
	inet_pton(AF_INET6, "2001:db8::1", addr);
	format_addr_port(buf, sizeof(buf), AF_INET6, addr, 65535);
	CHECK_STR(buf, "[2001:db8::1]:65535");
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", addr);
	format_addr_port(buf, sizeof(buf), AF_INET6, addr, 65535);
	CHECK_STR(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	format_addr_port(buf, sizeof(buf), 0, addr, 1);
	CHECK_STR(buf, "-");
}

static void test_flags(void)
{
	char buf[TCP_FLAGS_MAX];

	format_tcp_flags(buf, sizeof(buf), 0);
	CHECK_STR(buf, "-");
	format_tcp_flags(buf, sizeof(buf), TCPDROP_SYN);
	CHECK_STR(buf, "SYN");
	format_tcp_flags(buf, sizeof(buf), TCPDROP_PSH | TCPDROP_ACK);
	CHECK_STR(buf, "PSH|ACK");
	format_tcp_flags(buf, sizeof(buf), 0xff);
	CHECK_STR(buf, "FIN|SYN|RST|PSH|ACK|URG|ECE|CWR");
	/* A short buffer truncates but stays a string. */
	format_tcp_flags(buf, 6, TCPDROP_SYN | TCPDROP_ACK);
	CHECK_STR(buf, "SYN|A");
}

static void test_states(void)
{
	char buf[16];

	CHECK_STR(tcp_state_name(TCPDROP_NO_STATE, buf, sizeof(buf)), "-");
	CHECK_STR(tcp_state_name(1, buf, sizeof(buf)), "ESTABLISHED");
	CHECK_STR(tcp_state_name(10, buf, sizeof(buf)), "LISTEN");
	CHECK_STR(tcp_state_name(12, buf, sizeof(buf)), "NEW_SYN_RECV");
	CHECK_STR(tcp_state_name(99, buf, sizeof(buf)), "STATE_99");
}

static const struct output_style plain = { .time = TIME_HMS };

/* Renders a row into a string through a memory stream. */
static char *render_styled(const struct output_style *style,
			   const struct drop_view *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	output_row(out, style, d);
	fclose(out);
	return text;
}

static char *render(const struct drop_view *d)
{
	return render_styled(&plain, d);
}

static void test_row_ipv4(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "NO_SOCKET" };
	char *text;

	row.when.tv_sec = 3 * 3600 + 4 * 60 + 5; /* 03:04:05 UTC */
	text = render(&row);
	CHECK_STR(text, "03:04:05 1234    curl             127.0.0.2:40001       "
		  "10.1.2.3:9            -           SYN         NO_SOCKET\n");
	free(text);
}

static void test_row_ipv6_established(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "TCP_MD5NOTFOUND" };
	char *text;

	ev.family = AF_INET6;
	inet_pton(AF_INET6, "::1", ev.saddr);
	inet_pton(AF_INET6, "fe80::2", ev.daddr);
	ev.state = 1;
	ev.tcpflags = TCPDROP_PSH | TCPDROP_ACK;
	memcpy(ev.comm, "swapper/1\0", 10);
	ev.pid = 0;
	text = render(&row);
	CHECK_STR(text, "00:00:00 0       swapper/1        [::1]:40001           "
		  "[fe80::2]:9           ESTABLISHED PSH|ACK     TCP_MD5NOTFOUND\n");
	free(text);
}

/* A comm that fills all 16 bytes has no NUL in the event. */
static void test_row_full_comm(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "X" };
	char *text;

	memcpy(ev.comm, "abcdefghijklmnop", 16);
	text = render(&row);
	CHECK(text && strstr(text, " abcdefghijklmnop 127.0.0.2:40001"));
	free(text);
}

/* Any process can name itself with escape sequences: the row shows them,
 * escaped, and never writes the raw bytes to a terminal. */
static void test_row_hostile_comm(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "NO_SOCKET" };
	char *text;

	memcpy(ev.comm, "evil\x1b[31mX\\\xff\x07", 14);
	text = render(&row);
	CHECK_STR(text, "00:00:00 1234    evil\\x1b[31mX\\\\\\xff\\x07 "
		  "127.0.0.2:40001       10.1.2.3:9            -           "
		  "SYN         NO_SOCKET\n");
	free(text);
}

/* A UTF-8 name fills its column by characters: the next column starts
 * where it does for an ASCII one. */
static void test_row_utf8_comm(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "NO_SOCKET" };
	char *text;

	memcpy(ev.comm, "caf\xc3\xa9", 6);
	text = render(&row);
	CHECK_STR(text, "00:00:00 1234    caf\xc3\xa9             "
		  "127.0.0.2:40001       10.1.2.3:9            -           "
		  "SYN         NO_SOCKET\n");
	free(text);
}

/* format_printable(): what stays, what is escaped, and where a short
 * buffer cuts. */
static void test_printable(void)
{
	char buf[FORMAT_PRINTABLE_MAX(16)];

	format_printable(buf, sizeof(buf), "curl", 16);
	CHECK_STR(buf, "curl");
	format_printable(buf, sizeof(buf), "a\tb\x7f\\", 5);
	CHECK_STR(buf, "a\\x09b\\x7f\\\\");
	/* Well-formed UTF-8 stays; a stray continuation byte, an overlong
	 * form and a cut sequence do not. */
	format_printable(buf, sizeof(buf), "caf\xc3\xa9", 5);
	CHECK_STR(buf, "caf\xc3\xa9");
	format_printable(buf, sizeof(buf), "\x80\xc0\xaf\xe2\x82", 5);
	CHECK_STR(buf, "\\x80\\xc0\\xaf\\xe2\\x82");
	/* Well-formed but acting on a terminal or on how text reads: C1
	 * (U+009B, CSI), the line separator, a bidi override. */
	format_printable(buf, sizeof(buf), "c\xc2\x9b" "31m", 6);
	CHECK_STR(buf, "c\\u009b31m");
	format_printable(buf, sizeof(buf), "a\xe2\x80\xa8" "b\xe2\x80\xae", 8);
	CHECK_STR(buf, "a\\u2028b\\u202e");
	/* `len` bounds the read: no NUL needed. */
	format_printable(buf, sizeof(buf), "abcdef", 3);
	CHECK_STR(buf, "abc");
	/* Cut at a whole escape or character, never inside one. */
	format_printable(buf, 6, "ab\x1b", 3);
	CHECK_STR(buf, "ab");
	format_printable(buf, 7, "ab\x1b", 3);
	CHECK_STR(buf, "ab\\x1b");
	format_printable(buf, 4, "ab\xc3\xa9", 4);
	CHECK_STR(buf, "ab");
	/* Sixteen bytes that each need four fit FORMAT_PRINTABLE_MAX(16). */
	format_printable(buf, sizeof(buf), "\x01\x01\x01\x01\x01\x01\x01"
			 "\x01\x01\x01\x01\x01\x01\x01\x01\x01", 16);
	CHECK_INT(strlen(buf), 64);
}

static void test_header(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CHECK_INT(output_header(out, &plain), 0);
	fclose(out);
	CHECK_STR(text, "TIME     PID     COMM             SADDR:SPORT           "
		  "DADDR:DPORT           STATE       FLAGS       REASON\n");
	free(text);
}

/* Microseconds, UTC ISO time, and wide address columns. */
static void test_styles(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "NO_SOCKET" };
	struct output_style us = { .time = TIME_US },
			    iso = { .time = TIME_ISO, .wide = 1 };
	char *text;

	row.when.tv_sec = 3 * 3600 + 4 * 60 + 5;
	row.when.tv_nsec = 123456789;
	text = render_styled(&us, &row);
	CHECK(text && strncmp(text, "03:04:05.123456 1234 ", 21) == 0);
	free(text);
	text = render_styled(&iso, &row);
	CHECK_STR(text, "1970-01-01T03:04:05.123456789Z 1234    curl             "
		  "127.0.0.2:40001                                 "
		  "10.1.2.3:9                                      "
		  "-           SYN         NO_SOCKET\n");
	free(text);
}

/* -n: a last NETNS column after a padded REASON; a name with a space or
 * an escape sequence is made safe and stays one field. */
static void test_netns_column(void)
{
	struct tcpdrop_event ev = v4_event();
	struct netns_info ns;
	struct drop_view row = { .ev = &ev, .reason = "NO_SOCKET", .ns = &ns };
	struct output_style style = { .time = TIME_HMS, .netns = 1 };
	char *text;

	memset(&ns, 0, sizeof(ns));
	text = render_styled(&style, &row);
	CHECK(text && strstr(text, " NO_SOCKET               -\n") != NULL);
	free(text);
	strcpy(ns.container_id, "0123456789abcdef0123456789abcdef"
	       "0123456789abcdef0123456789abcdef");
	text = render_styled(&style, &row);
	CHECK(text && strstr(text, " NO_SOCKET               ctr:0123456789ab\n"));
	free(text);
	strcpy(ns.name, "my ns\x1b[2J");
	text = render_styled(&style, &row);
	CHECK(text && strstr(text, " NO_SOCKET               my_ns\\x1b[2J\n"));
	free(text);

	/* The longest name a row can carry: 255 bytes that each print as
	 * \xHH, after the widest columns (-t iso, --wide): the whole of it,
	 * not a row cut at some buffer's end. */
	{
		struct output_style wide = { .time = TIME_ISO, .wide = 1,
					     .netns = 1 };
		char want[4 * (NETNS_NAME_MAX - 1) + 2], *p = want;
		size_t i;

		memset(ns.name, 0x01, NETNS_NAME_MAX - 1);
		ns.name[NETNS_NAME_MAX - 1] = '\0';
		for (i = 0; i < NETNS_NAME_MAX - 1; i++, p += 4)
			memcpy(p, "\\x01", 4);
		memcpy(p, "\n", 2);
		ev.tcpflags = 0xff;
		text = render_styled(&wide, &row);
		CHECK(text && strlen(text) > strlen(want) &&
		      strcmp(text + strlen(text) - strlen(want), want) == 0 &&
		      strstr(text, " FIN|SYN|RST|PSH|ACK|URG|ECE|CWR NO_SOCKET "));
		free(text);
	}
}

/* No packet headers (no BTF): dashes, and the location when the kernel
 * has no reason. */
static void test_degraded_row(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .location = "tcp_v4_rcv+0x62" };
	char *text;

	ev.family = 0;
	text = render(&row);
	CHECK_STR(text, "00:00:00 1234    curl             -                     "
		  "-                     -           -           "
		  "tcp_v4_rcv+0x62\n");
	free(text);
}

/* A stack's lines fill output_stack()'s 4096-byte buffer to the last
 * byte: the blank line that ends the stack must still be written whole,
 * and not one byte past the buffer (ASan in the unit build). 64 frames of
 * 62 characters are 64 lines of 64 bytes: 4096. */
static void test_stack_fills_buffer(void)
{
	char names[64][63], *text = NULL, want[64 * 64 + 2];
	const char *frames[64];
	size_t len = 0, used = 0;
	FILE *out = open_memstream(&text, &len);
	int i;

	for (i = 0; i < 64; i++) {
		memset(names[i], 'a' + i % 26, 62);
		names[i][62] = '\0';
		frames[i] = names[i];
		want[used++] = '\t';
		memcpy(want + used, names[i], 62);
		used += 62;
		want[used++] = '\n';
	}
	want[used++] = '\n';
	want[used] = '\0';
	CHECK_INT(output_stack(out, frames, 64), 0);
	fclose(out);
	CHECK_INT(len, 64 * 64 + 1);
	CHECK_STR(text, want);
	free(text);
}

/* A stream that fails reports it, so the run can end. */
static void test_write_error(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view row = { .ev = &ev, .reason = "NO_SOCKET" };
	FILE *full = full_stream();

	if (!full) {
		SKIP(test_write_error, "no /dev/full");
		return;
	}
	CHECK(output_row(full, &plain, &row) < 0);
	fclose(full);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	RUN(test_addr_port);
	RUN(test_flags);
	RUN(test_states);
	RUN(test_row_ipv4);
	RUN(test_row_ipv6_established);
	RUN(test_row_full_comm);
	RUN(test_row_hostile_comm);
	RUN(test_row_utf8_comm);
	RUN(test_printable);
	RUN(test_header);
	RUN(test_styles);
	RUN(test_degraded_row);
	RUN(test_netns_column);
	RUN(test_write_error);
	RUN(test_stack_fills_buffer);
	return check_exit_code();
}
