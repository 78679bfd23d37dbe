/* JSON lines: exact objects for IPv4, IPv6, degraded and reason-less
 * drops, string escaping and UTF-8 checks, times, stream errors; and every
 * line produced here parsed by a real JSON parser (python3), strictly. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "streams.h"
#include "pycheck.h"
#include "format.h"
#include "json.h"
#include "netns.h"

/* Every line the tests produce, for test_lines_parse(). */
static FILE *all_lines;
static char all_lines_path[] = "/tmp/tcpdrop-test-json-XXXXXX";

/* 2026-11-26T07:07:20Z */
#define SOME_TIME 1795676840

static const char *const two_frames[] = {
	"sk_skb_reason_drop+0x90",
	"tcp_v4_rcv+0x91",
};

static struct tcpdrop_event v4_event(void)
{
	struct tcpdrop_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = 5;
	ev.location = 0xffffffff81a2b3c4ull;
	ev.pid = 1234;
	ev.tid = 1235;
	ev.reason = 3;
	ev.nframes = 2;
	ev.stack = TCPDROP_STACK_TAKEN;
	ev.netns = 4026531840u;
	ev.ifindex = 1;
	ev.len = 60;
	ev.cpu = 2;
	ev.family = AF_INET;
	ev.sport = 40001;
	ev.dport = 9;
	ev.tcpflags = TCPDROP_SYN;
	inet_pton(AF_INET, "127.0.0.2", ev.saddr);
	inet_pton(AF_INET, "127.0.0.3", ev.daddr);
	memcpy(ev.comm, "curl", 5);
	return ev;
}

static struct drop_view view_of(const struct tcpdrop_event *ev)
{
	struct drop_view d = {
		.ev = ev,
		.when = { .tv_sec = SOME_TIME, .tv_nsec = 123456789 },
		.reason = "NO_SOCKET",
		.location = "tcp_v4_rcv+0x91",
		.stack = two_frames,
		.nstack = 2,
	};

	return d;
}

/* Keeps a copy of every rendered text for the parser test. */
static void keep(const char *text)
{
	if (all_lines && text)
		fputs(text, all_lines);
}

static char *render_drop(const struct drop_view *d, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	*ret = json_write_drop(out, d);
	fclose(out);
	keep(text);
	return text;
}

/* The string alone, as a one-line JSON document, kept for the parser. */
static char *render_string(const char *s, size_t size)
{
	char *text = NULL, *line;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	json_write_string(out, s, size);
	fclose(out);
	if (text && (line = malloc(strlen(text) + 2))) {
		sprintf(line, "%s\n", text);
		keep(line);
		free(line);
	}
	return text;
}

static void check_string(const char *s, size_t size, const char *want)
{
	char *got = render_string(s, size);

	CHECK_STR(got, want);
	free(got);
}

static void test_drop_ipv4(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d = view_of(&ev);
	int ret = -1;
	char *got = render_drop(&d, &ret);

	CHECK_INT(ret, 0);
	CHECK_STR(got, "{\"type\":\"drop\","
		  "\"time\":\"2026-11-26T07:07:20.123456789Z\","
		  "\"pid\":1234,\"tid\":1235,\"comm\":\"curl\","
		  "\"family\":\"ipv4\",\"saddr\":\"127.0.0.2\",\"sport\":40001,"
		  "\"daddr\":\"127.0.0.3\",\"dport\":9,"
		  "\"state\":null,\"state_code\":0,"
		  "\"flags\":\"SYN\",\"flags_code\":2,"
		  "\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		  "\"location\":\"tcp_v4_rcv+0x91\","
		  "\"location_addr\":\"0xffffffff81a2b3c4\","
		  "\"hook\":\"kfree_skb\",\"netns\":4026531840,\"ifindex\":1,\"len\":60,\"cpu\":2,"
		  "\"stack\":[\"sk_skb_reason_drop+0x90\",\"tcp_v4_rcv+0x91\"]}\n");
	free(got);
}

static void test_drop_ipv6(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d;
	int ret = -1;
	char *got;

	ev.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", ev.saddr);
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  ev.daddr);
	ev.sport = 65535;
	ev.dport = 443;
	ev.state = 1;
	ev.tcpflags = TCPDROP_PSH | TCPDROP_ACK;
	ev.reason = 77;
	d = view_of(&ev);
	d.reason = "TCP_MD5NOTFOUND";
	d.location = "tcp_v6_rcv+0x34f";
	d.stack = NULL;
	d.nstack = 0;
	got = render_drop(&d, &ret);
	CHECK_INT(ret, 0);
	CHECK_STR(got, "{\"type\":\"drop\","
		  "\"time\":\"2026-11-26T07:07:20.123456789Z\","
		  "\"pid\":1234,\"tid\":1235,\"comm\":\"curl\","
		  "\"family\":\"ipv6\",\"saddr\":\"2001:db8::1\",\"sport\":65535,"
		  "\"daddr\":\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\","
		  "\"dport\":443,"
		  "\"state\":\"ESTABLISHED\",\"state_code\":1,"
		  "\"flags\":\"PSH|ACK\",\"flags_code\":24,"
		  "\"reason\":\"TCP_MD5NOTFOUND\",\"reason_code\":77,"
		  "\"location\":\"tcp_v6_rcv+0x34f\","
		  "\"location_addr\":\"0xffffffff81a2b3c4\","
		  "\"hook\":\"kfree_skb\",\"netns\":4026531840,\"ifindex\":1,\"len\":60,\"cpu\":2,"
		  "\"stack\":[]}\n");
	free(got);
}

/* Without BTF: no headers, so everything that comes from them is null,
 * even if the record holds stale bytes there. */
static void test_drop_degraded(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d;
	int ret = -1;
	char *got;

	ev.family = 0;
	d = view_of(&ev);
	d.nstack = 1;
	got = render_drop(&d, &ret);
	CHECK_INT(ret, 0);
	CHECK_STR(got, "{\"type\":\"drop\","
		  "\"time\":\"2026-11-26T07:07:20.123456789Z\","
		  "\"pid\":1234,\"tid\":1235,\"comm\":\"curl\","
		  "\"family\":null,\"saddr\":null,\"sport\":null,"
		  "\"daddr\":null,\"dport\":null,"
		  "\"state\":null,\"state_code\":0,"
		  "\"flags\":null,\"flags_code\":2,"
		  "\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		  "\"location\":\"tcp_v4_rcv+0x91\","
		  "\"location_addr\":\"0xffffffff81a2b3c4\","
		  "\"hook\":\"kfree_skb\",\"netns\":4026531840,\"ifindex\":1,\"len\":60,\"cpu\":2,"
		  "\"stack\":[\"sk_skb_reason_drop+0x90\"]}\n");
	free(got);
}

/* Before 5.17: no reason field; the location stands in for it in text,
 * but JSON says "no reason" plainly. Also: no flags, an unknown state. */
static void test_drop_no_reason(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d;
	int ret = -1;
	char *got;

	ev.reason = TCPDROP_NO_REASON;
	ev.tcpflags = 0;
	ev.state = 99;
	ev.location = 0x1;
	d = view_of(&ev);
	d.reason = NULL;
	d.location = "tcp_v4_rcv+0x62";
	d.when.tv_nsec = 0;
	got = render_drop(&d, &ret);
	CHECK_INT(ret, 0);
	CHECK_STR(got, "{\"type\":\"drop\","
		  "\"time\":\"2026-11-26T07:07:20.000000000Z\","
		  "\"pid\":1234,\"tid\":1235,\"comm\":\"curl\","
		  "\"family\":\"ipv4\",\"saddr\":\"127.0.0.2\",\"sport\":40001,"
		  "\"daddr\":\"127.0.0.3\",\"dport\":9,"
		  "\"state\":\"STATE_99\",\"state_code\":99,"
		  "\"flags\":\"\",\"flags_code\":0,"
		  "\"reason\":null,\"reason_code\":null,"
		  "\"location\":\"tcp_v4_rcv+0x62\","
		  "\"location_addr\":\"0x1\","
		  "\"hook\":\"kfree_skb\",\"netns\":4026531840,\"ifindex\":1,\"len\":60,\"cpu\":2,"
		  "\"stack\":[\"sk_skb_reason_drop+0x90\",\"tcp_v4_rcv+0x91\"]}\n");
	free(got);
}

/* A task can name itself anything (prctl PR_SET_NAME). */
/* A drop seen by the kprobe on tcp_drop() says so. */
static void test_drop_hook(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d = view_of(&ev);
	int ret = -1;
	char *got;

	ev.hook = TCPDROP_HOOK_TCP_DROP;
	got = render_drop(&d, &ret);
	CHECK_INT(ret, 0);
	CHECK(got && strstr(got, ",\"hook\":\"tcp_drop\",\"netns\":"));
	free(got);
}

/* A drop with names: its keys are more than test_lines_parse expects,
 * so it is not kept for it. */
static char *render_named(const struct drop_view *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	json_write_drop(out, d);
	fclose(out);
	return text;
}

/* -n: the names after the stack, null when unknown, escaped. */
static void test_drop_names(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d = view_of(&ev);
	struct netns_info ns;
	char *text;

	memset(&ns, 0, sizeof(ns));
	d.ns = &ns;
	text = render_named(&d);
	CHECK(text && strstr(text, ",\"netns_name\":null,\"container_id\":null,"
			     "\"pod_uid\":null}\n"));
	free(text);
	strcpy(ns.name, "we\"b\n");
	strcpy(ns.pod_uid, "1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0");
	text = render_named(&d);
	CHECK(text && strstr(text, ",\"netns_name\":\"we\\\"b\\n\",\"container_id\":"
			     "null,\"pod_uid\":\"1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0\"}\n"));
	free(text);
}

static void test_drop_comm_escaped(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d;
	int ret = -1;
	char *got;

	memset(ev.comm, 0, sizeof(ev.comm));
	memcpy(ev.comm, "a\"b\\c\001d\xff" "e\n", 10);
	d = view_of(&ev);
	got = render_drop(&d, &ret);
	CHECK_INT(ret, 0);
	CHECK(got && strstr(got, ",\"comm\":\"a\\\"b\\\\c\\u0001d\\u00ffe\\n\","
			    "\"family\":"));
	free(got);
}

/* The kernel fills comm with strscpy, but a record is outside input: all
 * 16 bytes may be text, with no NUL. */
static void test_drop_comm_full(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d;
	int ret = -1;
	char *got;

	memcpy(ev.comm, "abcdefghijklmnop", 16);
	d = view_of(&ev);
	got = render_drop(&d, &ret);
	CHECK_INT(ret, 0);
	CHECK(got && strstr(got, ",\"comm\":\"abcdefghijklmnop\",\"family\":"));
	free(got);
}

static void test_string_plain(void)
{
	check_string("tcp_v4_rcv+0x91", 15, "\"tcp_v4_rcv+0x91\"");
	check_string("", 0, "\"\"");
	check_string("abc", 2, "\"ab\"");
	/* Stops at a NUL before `len`. */
	check_string("ab\0cd", 5, "\"ab\"");
	/* Only what RFC 8259 requires is escaped: '/' and DEL are plain. */
	/* DEL is escaped too: valid JSON either way, safe on a terminal. */
	check_string("a/b\x7f", 4, "\"a/b\\u007f\"");
	/* So are C1 controls (U+009B is CSI) and bidi overrides (U+202E),
	 * although they are well-formed UTF-8; other UTF-8 is kept. */
	check_string("c\xc2\x9b" "31m", 6, "\"c\\u009b31m\"");
	check_string("\xe2\x80\xae" "x", 4, "\"\\u202ex\"");
	check_string("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	check_string("\"\\", 2, "\"\\\"\\\\\"");
}

static void test_string_every_control(void)
{
	static const char *const want[0x20] = {
		"", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
		"\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f",
		"\\r", "\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012",
		"\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
		"\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c",
		"\\u001d", "\\u001e", "\\u001f",
	};
	char in[2], expect[16];
	int c;

	for (c = 1; c < 0x20; c++) {
		in[0] = (char)c;
		in[1] = 'x';
		snprintf(expect, sizeof(expect), "\"%sx\"", want[c]);
		check_string(in, 2, expect);
	}
}

static void test_string_utf8(void)
{
	/* Well-formed UTF-8 of 2, 3 and 4 bytes passes through. */
	check_string("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	check_string("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");
	check_string("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
	check_string("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");
	/* Anything else: each byte on its own, as \u00XX. */
	check_string("\xff", 1, "\"\\u00ff\"");
	check_string("\x80", 1, "\"\\u0080\"");
	check_string("\xc3", 1, "\"\\u00c3\"");
	/* Cut short by len, and by a NUL. */
	check_string("\xc3\xa9", 1, "\"\\u00c3\"");
	check_string("\xe2\x82\0", 3, "\"\\u00e2\\u0082\"");
	/* A lead byte followed by a non-continuation byte. */
	check_string("\xc3" "a", 2, "\"\\u00c3a\"");
	/* Overlong forms. */
	check_string("\xc0\x80", 2, "\"\\u00c0\\u0080\"");
	check_string("\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"");
	check_string("\xf0\x80\x80\xaf", 4,
		     "\"\\u00f0\\u0080\\u0080\\u00af\"");
	/* A UTF-16 surrogate, and a code point above U+10FFFF. */
	check_string("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");
	check_string("\xf4\x90\x80\x80", 4,
		     "\"\\u00f4\\u0090\\u0080\\u0080\"");
	/* A bad byte does not swallow the good sequence after it. */
	check_string("\xff\xc3\xa9", 3, "\"\\u00ff\xc3\xa9\"");
}

static void test_time(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1 };
	char buf[TIME_MAX];

	format_time_rfc3339(buf, sizeof(buf), &ts);
	CHECK_STR(buf, "1970-01-01T00:00:00.000000001Z");
	ts.tv_sec = SOME_TIME;
	ts.tv_nsec = 999999999;
	format_time_rfc3339(buf, sizeof(buf), &ts);
	CHECK_STR(buf, "2026-11-26T07:07:20.999999999Z");
	/* A leap day, the last second of a year. */
	ts.tv_sec = 1835438400;
	ts.tv_nsec = 0;
	format_time_rfc3339(buf, sizeof(buf), &ts);
	CHECK_STR(buf, "2028-02-29T12:00:00.000000000Z");
	ts.tv_sec = 1798761599;
	format_time_rfc3339(buf, sizeof(buf), &ts);
	CHECK_STR(buf, "2026-12-31T23:59:59.000000000Z");
	/* Not a time: a fixed marker, never garbage. */
	ts.tv_nsec = 1000000000;
	format_time_rfc3339(buf, sizeof(buf), &ts);
	CHECK_STR(buf, "0000-00-00T00:00:00.000000000Z");
	/* A short buffer truncates but stays a string. */
	ts.tv_nsec = 0;
	format_time_rfc3339(buf, 5, &ts);
	CHECK_STR(buf, "2026");
}

/* /dev/full: every write fails with ENOSPC, reported as -EIO. */
static void test_stream_full(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d = view_of(&ev);
	FILE *out = full_stream();

	if (!out) {
		SKIP(test_stream_full, "no /dev/full");
		return;
	}
	CHECK_INT(json_write_drop(out, &d), -EIO);
	fclose(out);
}

/* A pipe whose reader is gone: -EPIPE, which ends a run quietly. */
static void test_stream_closed_pipe(void)
{
	struct tcpdrop_event ev = v4_event();
	struct drop_view d = view_of(&ev);
	FILE *out = closed_pipe_stream();

	if (!out) {
		SKIP(test_stream_closed_pipe, "cannot make a pipe");
		return;
	}
	CHECK_INT(json_write_drop(out, &d), -EPIPE);
	fclose(out);
}

/* Every line above, parsed strictly: UTF-8 decoding with errors raised,
 * and the keys of drop objects in the documented order. */
static void test_lines_parse(void)
{
	CHECK_PYTHON(test_lines_parse, all_lines, all_lines_path,
		     "type time pid tid comm family saddr sport daddr dport "
		     "state state_code flags flags_code reason reason_code "
		     "location location_addr hook netns ifindex len cpu stack", 40);
}

int main(void)
{
	int fd = mkstemp(all_lines_path);

	if (fd >= 0)
		all_lines = fdopen(fd, "w");
	RUN(test_drop_ipv4);
	RUN(test_drop_ipv6);
	RUN(test_drop_degraded);
	RUN(test_drop_no_reason);
	RUN(test_drop_hook);
	RUN(test_drop_names);
	RUN(test_drop_comm_escaped);
	RUN(test_drop_comm_full);
	RUN(test_string_plain);
	RUN(test_string_every_control);
	RUN(test_string_utf8);
	RUN(test_time);
	RUN(test_stream_full);
	RUN(test_stream_closed_pipe);
	RUN(test_lines_parse);
	if (all_lines)
		fclose(all_lines);
	unlink(all_lines_path);
	return check_exit_code();
}
