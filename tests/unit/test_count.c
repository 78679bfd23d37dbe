/* -c/--count: exact text and JSON tables for a known set of drops (ties
 * ordered by key), the reset after a print, growth to 10000 keys, the key
 * cap, stream errors; JSON lines checked by python3 when it is there. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "streams.h"
#include "pycheck.h"
#include "count.h"

#define NO_SOCKET 3
#define TCP_CSUM 5
#define L_V4_RCV 0xffffffff81000091ull   /* tcp_v4_rcv+0x91 */
#define L_V4_CSUM 0xffffffff81000062ull  /* tcp_v4_rcv+0x62 */
#define L_V6_RCV 0xffffffff8100034full   /* tcp_v6_rcv+0x34f */
#define L_UNKNOWN 0xffffffff81000999ull  /* no symbol: printed as a number */

/* 2026-11-26T07:07:20Z; TZ is UTC for the whole run. */
#define SOME_TIME 1795676840

/* Every JSON line the tests produce, for test_json_lines_parse(). */
static FILE *all_lines;
static char all_lines_path[] = "/tmp/tcpdrop-test-count-XXXXXX";

static const char *test_reason(void *ctx, uint32_t reason, char *buf,
			       size_t size)
{
	if (reason == NO_SOCKET)
		return "NO_SOCKET";
	if (reason == TCP_CSUM)
		return "TCP_CSUM";
	if (reason == TCPDROP_NO_REASON)
		return NULL;
	snprintf(buf, size, "REASON_%u", reason);
	return buf;
}

static void test_location(void *ctx, uint64_t addr, char *buf, size_t size)
{
	if (addr == L_V4_RCV)
		snprintf(buf, size, "tcp_v4_rcv+0x91");
	else if (addr == L_V4_CSUM)
		snprintf(buf, size, "tcp_v4_rcv+0x62");
	else if (addr == L_V6_RCV)
		snprintf(buf, size, "tcp_v6_rcv+0x34f");
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)addr);
}

static const struct count_namer namer = {
	.reason = test_reason,
	.location = test_location,
};

static const struct timespec when = { .tv_sec = SOME_TIME };

static struct tcpdrop_event drop(uint32_t reason, uint64_t location,
				 uint16_t family, const char *daddr,
				 uint16_t dport)
{
	struct tcpdrop_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.reason = reason;
	ev.location = location;
	ev.family = family;
	ev.dport = dport;
	ev.sport = 40000;
	if (family)
		inet_pton(family, daddr, ev.daddr);
	/* Bytes that must not matter: the source, and for IPv4 the unused
	 * tail of daddr. */
	memset(ev.saddr, 0xaa, sizeof(ev.saddr));
	if (family == AF_INET)
		memset(ev.daddr + 4, 0x55, sizeof(ev.daddr) - 4);
	return ev;
}

/* n drops like ev, one at a time, as records come. */
static int add_n(struct count_table *t, const struct tcpdrop_event *ev,
		 int n)
{
	int ret = 0;

	while (n-- > 0 && !ret)
		ret = count_add(t, ev, 1);
	return ret;
}

/* Eight drops: ties in count, reasons that differ, a drop without
 * headers, drops from a kernel without reasons. */
static void add_known_set(struct count_table *t)
{
	struct tcpdrop_event ev;

	ev = drop(NO_SOCKET, L_V4_RCV, AF_INET, "127.0.0.3", 9);
	CHECK_INT(add_n(t, &ev, 3), 0);
	ev = drop(TCP_CSUM, L_V4_CSUM, AF_INET, "127.0.0.3", 80);
	CHECK_INT(add_n(t, &ev, 1), 0);
	ev = drop(NO_SOCKET, L_V6_RCV, AF_INET6, "::1", 9);
	CHECK_INT(add_n(t, &ev, 1), 0);
	ev = drop(NO_SOCKET, L_V4_RCV, 0, NULL, 0);
	ev.dport = 1234;  /* stale: no headers, so it must not show */
	CHECK_INT(add_n(t, &ev, 1), 0);
	ev = drop(TCPDROP_NO_REASON, L_UNKNOWN, AF_INET, "10.0.0.1", 443);
	CHECK_INT(add_n(t, &ev, 2), 0);
}

static const char known_text[] =
	"07:07:20  8 drops, 3 lost\n"
	"COUNT   REASON               LOCATION\n"
	"4       NO_SOCKET            tcp_v4_rcv+0x91\n"
	"2       -                    0xffffffff81000999\n"
	"1       NO_SOCKET            tcp_v6_rcv+0x34f\n"
	"1       TCP_CSUM             tcp_v4_rcv+0x62\n"
	"\n"
	"COUNT   REASON               LOCAL ADDRESS:PORT\n"
	"3       NO_SOCKET            127.0.0.3:9\n"
	"2       -                    10.0.0.1:443\n"
	"1       NO_SOCKET            -\n"
	"1       NO_SOCKET            [::1]:9\n"
	"1       TCP_CSUM             127.0.0.3:80\n"
	"\n";

static const char known_json[] =
	"{\"type\":\"counts\",\"time\":\"2026-11-26T07:07:20.000000000Z\","
	"\"interval\":5,\"total\":8,\"lost\":3,\"unkept\":0,"
	"\"by_location\":["
	"{\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
	"\"location\":\"tcp_v4_rcv+0x91\",\"count\":4},"
	"{\"reason\":null,\"reason_code\":null,"
	"\"location\":\"0xffffffff81000999\",\"count\":2},"
	"{\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
	"\"location\":\"tcp_v6_rcv+0x34f\",\"count\":1},"
	"{\"reason\":\"TCP_CSUM\",\"reason_code\":5,"
	"\"location\":\"tcp_v4_rcv+0x62\",\"count\":1}],"
	"\"by_local\":["
	"{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"family\":\"ipv4\","
	"\"addr\":\"127.0.0.3\",\"port\":9,\"count\":3},"
	"{\"reason\":null,\"reason_code\":null,\"family\":\"ipv4\","
	"\"addr\":\"10.0.0.1\",\"port\":443,\"count\":2},"
	"{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"family\":null,"
	"\"addr\":null,\"port\":null,\"count\":1},"
	"{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"family\":\"ipv6\","
	"\"addr\":\"::1\",\"port\":9,\"count\":1},"
	"{\"reason\":\"TCP_CSUM\",\"reason_code\":5,\"family\":\"ipv4\","
	"\"addr\":\"127.0.0.3\",\"port\":80,\"count\":1}]}\n";

static const char empty_text[] =
	"07:07:20  0 drops, 0 lost\n"
	"COUNT   REASON               LOCATION\n"
	"\n"
	"COUNT   REASON               LOCAL ADDRESS:PORT\n"
	"\n";

static const char empty_json[] =
	"{\"type\":\"counts\",\"time\":\"2026-11-26T07:07:20.000000000Z\","
	"\"interval\":null,\"total\":0,\"lost\":0,\"unkept\":0,"
	"\"by_location\":[],\"by_local\":[]}\n";

static char *render_text(struct count_table *t,
			 const struct count_namer *names, uint64_t lost,
			 int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	*ret = count_print_text(out, t, names, &when, lost);
	fclose(out);
	return text;
}

static char *render_json(struct count_table *t, uint64_t lost,
			 unsigned interval, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	*ret = count_print_json(out, t, &namer, &when, lost, interval);
	fclose(out);
	if (all_lines && text)
		fputs(text, all_lines);
	return text;
}

static void check_text(struct count_table *t, uint64_t lost,
		       const char *want)
{
	int ret = -1;
	char *got = render_text(t, &namer, lost, &ret);

	CHECK_INT(ret, 0);
	CHECK_STR(got, want);
	free(got);
}

static void check_json(struct count_table *t, uint64_t lost,
		       unsigned interval, const char *want)
{
	int ret = -1;
	char *got = render_json(t, lost, interval, &ret);

	CHECK_INT(ret, 0);
	CHECK_STR(got, want);
	free(got);
}

static void test_text_known(void)
{
	struct count_table *t = NULL;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	add_known_set(t);
	CHECK_INT(count_total(t), 8);
	check_text(t, 3, known_text);
	count_free(t);
}

static void test_json_known(void)
{
	struct count_table *t = NULL;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	add_known_set(t);
	check_json(t, 3, 5, known_json);
	count_free(t);
}

static void test_empty(void)
{
	struct count_table *t = NULL;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	CHECK_INT(count_total(t), 0);
	check_text(t, 0, empty_text);
	check_json(t, 0, 0, empty_json);
	count_free(t);
}

/* A print forgets every count but keeps the table usable: the same drops
 * added again give the same tables. */
static void test_reset_after_print(void)
{
	struct count_table *t = NULL;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	add_known_set(t);
	check_text(t, 3, known_text);
	CHECK_INT(count_total(t), 0);
	check_text(t, 0, empty_text);
	check_json(t, 0, 0, empty_json);
	add_known_set(t);
	check_json(t, 3, 5, known_json);
	CHECK_INT(count_total(t), 0);
	add_known_set(t);
	check_text(t, 3, known_text);
	count_free(t);
}

/* Without a namer: numbers only. */
static void test_no_namer(void)
{
	struct count_table *t = NULL;
	struct tcpdrop_event ev = drop(NO_SOCKET, L_V4_RCV, AF_INET,
				       "127.0.0.3", 9);
	int ret = -1;
	char *got;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	CHECK_INT(count_add(t, &ev, 1), 0);
	got = render_text(t, NULL, 0, &ret);
	CHECK_INT(ret, 0);
	CHECK_STR(got, "07:07:20  1 drops, 0 lost\n"
		  "COUNT   REASON               LOCATION\n"
		  "1       REASON_3             0xffffffff81000091\n"
		  "\n"
		  "COUNT   REASON               LOCAL ADDRESS:PORT\n"
		  "1       REASON_3             127.0.0.3:9\n"
		  "\n");
	free(got);
	count_free(t);
}

/* Rows of the table under `header` in a text print: how many, the sum of
 * their counts, and the first and last row. */
struct table_summary {
	long rows;
	unsigned long long sum;
	char first[128], last[128];
};

static struct table_summary summarize(const char *text, const char *header)
{
	struct table_summary s;
	const char *p = text ? strstr(text, header) : NULL;
	const char *end;
	char *num_end;
	unsigned long long n;

	memset(&s, 0, sizeof(s));
	if (!p)
		return s;
	p = strchr(p, '\n');
	while (p && p[1] && p[1] != '\n') {
		p++;
		end = strchr(p, '\n');
		/* Not sscanf: glibc's measures the whole rest of the text on
		 * every call, which makes 65536 rows quadratic. */
		n = strtoull(p, &num_end, 10);
		if (!end || num_end == p)
			break;
		if (!s.rows)
			snprintf(s.first, sizeof(s.first), "%.*s",
				 (int)(end - p), p);
		snprintf(s.last, sizeof(s.last), "%.*s", (int)(end - p), p);
		s.rows++;
		s.sum += n;
		p = end;
	}
	return s;
}

#define LOCATION_HEADER "COUNT   REASON               LOCATION\n"
#define LOCAL_HEADER "COUNT   REASON               LOCAL ADDRESS:PORT\n"

/* 10000 distinct ports and locations make both maps double many times;
 * every count must survive the moves. */
static void test_many_keys(void)
{
	struct count_table *t = NULL;
	struct table_summary loc, local;
	struct tcpdrop_event ev;
	int port, ret = -1, round;
	char *got;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	/* Twice: the second round runs on the slots the first one grew. */
	for (round = 0; round < 2; round++) {
		for (port = 1; port <= 10000; port++) {
			ev = drop(NO_SOCKET, L_V4_RCV + port, AF_INET,
				  "127.0.0.3", (uint16_t)port);
			CHECK_INT(add_n(t, &ev, port == 5000 ? 4 : 1), 0);
		}
		CHECK_INT(count_total(t), 10003);
		got = render_text(t, &namer, 0, &ret);
		CHECK_INT(ret, 0);
		loc = summarize(got, LOCATION_HEADER);
		local = summarize(got, LOCAL_HEADER);
		CHECK_INT(loc.rows, 10000);
		CHECK_INT(loc.sum, 10003);
		CHECK_STR(loc.first,
			  "4       NO_SOCKET            0xffffffff81001419");
		CHECK_STR(loc.last,
			  "1       NO_SOCKET            0xffffffff810027a1");
		CHECK_INT(local.rows, 10000);
		CHECK_INT(local.sum, 10003);
		CHECK_STR(local.first,
			  "4       NO_SOCKET            127.0.0.3:5000");
		CHECK_STR(local.last,
			  "1       NO_SOCKET            127.0.0.3:10000");
		CHECK(got && strstr(got, "07:07:20  10003 drops, 0 lost\n"));
		free(got);
	}
	/* And the same counts as one JSON line, for the parser. */
	for (port = 1; port <= 10000; port++) {
		ev = drop(NO_SOCKET, L_V4_RCV + port, AF_INET, "127.0.0.3",
			  (uint16_t)port);
		CHECK_INT(count_add(t, &ev, 1), 0);
	}
	got = render_json(t, 0, 1, &ret);
	CHECK_INT(ret, 0);
	CHECK(got && strstr(got, ",\"total\":10000,"));
	free(got);
	count_free(t);
}

/* COUNT_MAX_KEYS keys fit; a new key after that counts in the total only,
 * while known keys keep counting. A print makes room again. */
static void test_key_cap(void)
{
	struct count_table *t = NULL;
	struct table_summary loc, local;
	struct tcpdrop_event ev;
	uint64_t i;
	int ret = -1, failed = 0;
	char *got;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	for (i = 0; i < COUNT_MAX_KEYS; i++) {
		ev = drop(NO_SOCKET, L_V4_RCV + i, AF_INET, "127.0.0.3",
			  (uint16_t)i);
		failed += count_add(t, &ev, 1) != 0;
	}
	CHECK_INT(failed, 0);
	/* A new key in both tables. */
	ev = drop(NO_SOCKET, L_V4_RCV + COUNT_MAX_KEYS, AF_INET, "127.0.0.4",
		  1);
	CHECK_INT(count_add(t, &ev, 1), -ENOSPC);
	/* A new key in one table only: the other still counts it. */
	ev = drop(NO_SOCKET, L_V4_RCV, AF_INET, "127.0.0.4", 1);
	CHECK_INT(count_add(t, &ev, 1), -ENOSPC);
	/* Known keys in both. */
	ev = drop(NO_SOCKET, L_V4_RCV + 7, AF_INET, "127.0.0.3", 7);
	CHECK_INT(add_n(t, &ev, 2), 0);
	CHECK_INT(count_total(t), COUNT_MAX_KEYS + 4);
	got = render_text(t, &namer, 0, &ret);
	CHECK_INT(ret, 0);
	loc = summarize(got, LOCATION_HEADER);
	local = summarize(got, LOCAL_HEADER);
	/* Each table's rows add up to the total: the drops it had no room
	 * for are its last row, "other". */
	CHECK_INT(loc.rows, COUNT_MAX_KEYS + 1);
	CHECK_INT(loc.sum, COUNT_MAX_KEYS + 4);
	CHECK_INT(local.rows, COUNT_MAX_KEYS + 1);
	CHECK_INT(local.sum, COUNT_MAX_KEYS + 4);
	CHECK_STR(local.first, "3       NO_SOCKET            127.0.0.3:7");
	CHECK_STR(loc.first, "3       NO_SOCKET            0xffffffff81000098");
	CHECK_STR(loc.last, "1       other                other");
	CHECK_STR(local.last, "2       other                other");
	CHECK(got && strstr(got, "07:07:20  65540 drops, 0 lost\n"));
	free(got);
	/* Room again after the print. */
	ev = drop(NO_SOCKET, L_V4_RCV + COUNT_MAX_KEYS, AF_INET, "127.0.0.4",
		  1);
	CHECK_INT(count_add(t, &ev, 1), 0);
	CHECK_INT(count_total(t), 1);
	/* JSON: the same last objects; and the print forgot them. */
	for (i = 1; i < COUNT_MAX_KEYS; i++) {
		ev = drop(NO_SOCKET, L_V4_RCV + i, AF_INET, "127.0.0.3",
			  (uint16_t)i);
		failed += count_add(t, &ev, 1) != 0;
	}
	CHECK_INT(failed, 0);
	ev = drop(NO_SOCKET, L_V4_RCV + COUNT_MAX_KEYS + 1, AF_INET,
		  "127.0.0.5", 5);
	CHECK_INT(count_add(t, &ev, 5), -ENOSPC);
	got = render_json(t, 0, 0, &ret);
	CHECK_INT(ret, 0);
	CHECK(got && strstr(got, ",{\"reason\":\"other\",\"reason_code\":"
			    "null,\"location\":\"other\",\"count\":5}],"));
	CHECK(got && strstr(got, ",{\"reason\":\"other\",\"reason_code\":"
			    "null,\"family\":null,\"addr\":null,\"port\":null,"
			    "\"count\":5}]}\n"));
	free(got);
	CHECK_INT(count_add(t, &ev, 1), 0);
	got = render_text(t, &namer, 0, &ret);
	CHECK(got && !strstr(got, "other"));
	free(got);
	count_free(t);
}

/* Counts from the kernel's map come n at a time, and drops in no key
 * (its map was full) count in the total and are said on the first line,
 * in text and JSON. */
static void test_kernel_counts(void)
{
	struct count_table *t = NULL;
	struct tcpdrop_event ev = drop(NO_SOCKET, L_V4_RCV, AF_INET,
				       "127.0.0.3", 9);
	char *got;
	int ret;

	CHECK_INT(count_new(&t), 0);
	if (!t)
		return;
	CHECK_INT(count_add(t, &ev, 200000), 0);
	count_add_unkept(t, 808);
	CHECK_INT(count_total(t), 200808);
	got = render_text(t, &namer, 0, &ret);
	CHECK_INT(ret, 0);
	CHECK_STR(got, "07:07:20  200808 drops, 0 lost, 808 in no row (the "
		  "kernel's count map was full)\n"
		  "COUNT   REASON               LOCATION\n"
		  "200000  NO_SOCKET            tcp_v4_rcv+0x91\n\n"
		  "COUNT   REASON               LOCAL ADDRESS:PORT\n"
		  "200000  NO_SOCKET            127.0.0.3:9\n\n");
	free(got);
	CHECK_INT(count_add(t, &ev, 2), 0);
	count_add_unkept(t, 1);
	got = render_json(t, 0, 0, &ret);
	CHECK_INT(ret, 0);
	CHECK(got && strstr(got, "\"total\":3,\"lost\":0,\"unkept\":1,"));
	free(got);
	/* The print forgot them. */
	CHECK_INT(count_total(t), 0);
	count_free(t);
}

/* Both prints fail on `out` with `want`; the counts are forgotten all the
 * same, and the table is still usable. */
static void check_failing_prints(FILE *out, int want)
{
	struct count_table *t = NULL;

	CHECK_INT(count_new(&t), 0);
	if (t) {
		add_known_set(t);
		CHECK_INT(count_print_text(out, t, &namer, &when, 0), want);
		CHECK_INT(count_total(t), 0);
		add_known_set(t);
		CHECK_INT(count_print_json(out, t, &namer, &when, 0, 1), want);
		CHECK_INT(count_total(t), 0);
		add_known_set(t);
		check_text(t, 3, known_text);
	}
	count_free(t);
	fclose(out);
}

/* /dev/full: -EIO. */
static void test_stream_full(void)
{
	FILE *out = full_stream();

	if (!out) {
		SKIP(test_stream_full, "no /dev/full");
		return;
	}
	check_failing_prints(out, -EIO);
}

/* A reader that went away: -EPIPE, which ends a run quietly. */
static void test_stream_closed_pipe(void)
{
	FILE *out = closed_pipe_stream();

	if (!out) {
		SKIP(test_stream_closed_pipe, "cannot make a pipe");
		return;
	}
	check_failing_prints(out, -EPIPE);
}

/* Every JSON line above, parsed strictly, with the keys in order. */
static void test_json_lines_parse(void)
{
	CHECK_PYTHON(test_json_lines_parse, all_lines, all_lines_path,
		     "type time interval total lost unkept by_location by_local", 6);
}

int main(void)
{
	int fd = mkstemp(all_lines_path);

	/* The text tables show local time. */
	setenv("TZ", "UTC", 1);
	tzset();
	if (fd >= 0)
		all_lines = fdopen(fd, "w");
	RUN(test_text_known);
	RUN(test_json_known);
	RUN(test_empty);
	RUN(test_reset_after_print);
	RUN(test_no_namer);
	RUN(test_many_keys);
	RUN(test_key_cap);
	RUN(test_kernel_counts);
	RUN(test_stream_full);
	RUN(test_stream_closed_pipe);
	RUN(test_json_lines_parse);
	if (all_lines)
		fclose(all_lines);
	unlink(all_lines_path);
	return check_exit_code();
}
