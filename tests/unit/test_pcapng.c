/* pcapng blocks (-w): byte for byte against a golden file made by an
 * independent writer (tests/fixtures/pcapng-golden.py, from the pcapng
 * draft), which tshark reads back with the known field values; the
 * drop comment's fixed form; the writer on a real file, blocks whole
 * whatever its buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "outstream.h"
#include "pcapng.h"

#define GOLDEN "drops.pcapng"

/* The three packets of the golden file, as pcapng-golden.py has them. */
static const uint8_t v4_syn[40] = {
	0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
	0x7f, 0x00, 0x00, 0x02, 0x7f, 0x00, 0x00, 0x03,
	0x9c, 0x41, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t v6_rst[52] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x9c, 0x42, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t short_pkt[3] = { 0x45, 0x00, 0x00 };

#define C1 "reason=NO_SOCKET location=tcp_v4_rcv+0x1a4 state=- " \
	   "netns=4026531840 ifindex=1 cpu=1 pid=0 comm=swapper/1"
#define C2 "reason=TCP_RESET location=tcp_validate_incoming+0x9e " \
	   "state=LISTEN netns=4026532178 ifindex=2 cpu=0 pid=4242 comm=my app"

/* Builds the golden file's blocks with src/pcapng.c into buf; its length,
 * or -1 when a builder failed. */
static int build_golden(uint8_t *buf, size_t size)
{
	const struct pcapng_packet pkts[3] = {
		{ 1796034727700470145ull, 40, 40, v4_syn, C1 },
		{ 1796034727703176131ull, 52, 60, v6_rst, C2 },
		{ (1ull << 32) + 1, 3, 3, short_pkt, NULL },
	};
	size_t len = 0;
	int n, i;

	n = pcapng_section_header(buf, size, "tcpdrop test");
	if (n < 0)
		return -1;
	len += (size_t)n;
	n = pcapng_interface(buf + len, size - len, 256, "tcpdrop");
	if (n < 0)
		return -1;
	len += (size_t)n;
	for (i = 0; i < 3; i++) {
		n = pcapng_packet(buf + len, size - len, &pkts[i]);
		if (n < 0)
			return -1;
		len += (size_t)n;
	}
	return (int)len;
}

/* First differing byte, or -1. */
static long first_difference(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

static void test_golden(void)
{
	uint8_t buf[4096];
	size_t golden_len = 0;
	char *golden = read_fixture(GOLDEN, &golden_len);
	int len = build_golden(buf, sizeof(buf));

	if (!golden) {
		CHECK_FAIL_("fixture %s not found", GOLDEN);
		return;
	}
	CHECK_INT(len, 528);
	CHECK_INT(golden_len, 528);
	if (len > 0 && (size_t)len == golden_len)
		CHECK_INT(first_difference(buf, (uint8_t *)golden, golden_len),
			  -1);
	free(golden);
}

/* A builder never writes past `size`, and says so. */
static void test_too_small(void)
{
	uint8_t buf[600];
	const struct pcapng_packet p = { 1, 40, 40, v4_syn, C1 };
	int full = pcapng_packet(buf, sizeof(buf), &p);
	size_t size;

	CHECK_INT(full, 184);
	for (size = 0; size < (size_t)full; size++) {
		memset(buf, 0xee, sizeof(buf));
		CHECK_INT(pcapng_packet(buf, size, &p), -ENOSPC);
		CHECK_INT(buf[size], 0xee);
	}
	CHECK_INT(pcapng_section_header(buf, 31, NULL), -ENOSPC);
	CHECK_INT(pcapng_section_header(buf, 32, NULL), 32);
	CHECK_INT(pcapng_interface(buf, 31, 256, NULL), -ENOSPC);
	CHECK_INT(pcapng_interface(buf, 32, 256, NULL), 32);
	/* The largest block the writer makes fits its block buffer. */
	{
		static uint8_t pkt[PCAPNG_SNAPLEN_MAX];
		static uint8_t big[PCAPNG_BLOCK_MAX];
		char comment[PCAPNG_COMMENT_MAX];
		struct pcapng_packet q = { 1, PCAPNG_SNAPLEN_MAX, 65535, pkt,
					   comment };

		memset(comment, 'x', sizeof(comment) - 1);
		comment[sizeof(comment) - 1] = '\0';
		CHECK(pcapng_packet(big, sizeof(big), &q) > 0);
	}
}

/* tshark, a reader that is not ours, sees the golden file's fields. */
static void test_golden_read_by_tshark(void)
{
	const char *dir = getenv("TCPDROP_FIXTURES");
	char cmd[1024], line[1024], got[4096] = "";
	FILE *p;
	int status;

	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		SKIP(test_golden_read_by_tshark, "no tshark (apt-get install "
		     "tshark)");
		return;
	}
	snprintf(cmd, sizeof(cmd), "tshark -r %s/" GOLDEN " -T fields "
		 "-e frame.time_epoch -e frame.len -e frame.cap_len "
		 "-e ip.src -e ipv6.dst -e tcp.srcport -e tcp.dstport "
		 "-e tcp.flags -e frame.comment 2>/dev/null",
		 dir ? dir : "tests/fixtures");
	p = popen(cmd, "r");
	if (!p) {
		CHECK_FAIL_("popen: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), p))
		strncat(got, line, sizeof(got) - strlen(got) - 1);
	status = pclose(p);
	CHECK_INT(WEXITSTATUS(status), 0);
	CHECK_STR(got,
		  "1796034727.700470145\t40\t40\t127.0.0.2\t\t40001\t9\t"
		  "0x0002\t" C1 "\n"
		  "1796034727.703176131\t60\t52\t\t2001:db8::2\t40002\t443\t"
		  "\t" C2 "\n"
		  "4.294967297\t3\t3\t\t\t\t\t\t\n");
}

static struct tcpdrop_event comment_event(void)
{
	struct tcpdrop_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.netns = 4026531840u;
	ev.ifindex = 1;
	ev.cpu = 1;
	memcpy(ev.comm, "swapper/1", 10);
	return ev;
}

static void test_comment(void)
{
	struct tcpdrop_event ev = comment_event();
	struct drop_view d = { .ev = &ev, .reason = "NO_SOCKET",
			       .location = "tcp_v4_rcv+0x1a4" };
	char buf[PCAPNG_COMMENT_MAX];

	pcapng_drop_comment(buf, sizeof(buf), &d);
	CHECK_STR(buf, C1);

	/* No reason field (before 5.17); a socket in LISTEN; a COMM with
	 * a space, an escape and a backslash, last on the line. */
	ev.state = 10;
	ev.pid = 4242;
	memcpy(ev.comm, "my app\x1b[31m\\", 12);
	d.reason = NULL;
	d.location = "tcp_rcv_state_process+0x2a0";
	pcapng_drop_comment(buf, sizeof(buf), &d);
	CHECK_STR(buf, "reason=- location=tcp_rcv_state_process+0x2a0 "
		  "state=LISTEN netns=4026531840 ifindex=1 cpu=1 pid=4242 "
		  "comm=my app\\x1b[31m\\\\");

	/* Cut to the buffer, never inside a UTF-8 character. */
	memset(ev.comm, 0, sizeof(ev.comm));
	memcpy(ev.comm, "\xc3\xa9\xc3\xa9", 4);
	ev.state = 0;
	d.reason = "NO_SOCKET";
	d.location = "tcp_v4_rcv+0x1a4";
	pcapng_drop_comment(buf, sizeof(buf), &d);
	CHECK_STR(buf, "reason=NO_SOCKET location=tcp_v4_rcv+0x1a4 state=- "
		  "netns=4026531840 ifindex=1 cpu=1 pid=4242 "
		  "comm=\xc3\xa9\xc3\xa9");
	pcapng_drop_comment(buf, strlen(buf), &d);
	CHECK_STR(buf, "reason=NO_SOCKET location=tcp_v4_rcv+0x1a4 state=- "
		  "netns=4026531840 ifindex=1 cpu=1 pid=4242 comm=\xc3\xa9");
}

/* The writer on a regular file, with a buffer of 300 bytes: SHB + IDB,
 * then each EPB whole; the file is the blocks in order. */
static void test_writer(void)
{
	char path[] = "/tmp/tcpdrop-test-pcapng-XXXXXX";
	static struct pcapng_writer w;
	struct tcpdrop_event ev = comment_event();
	struct drop_view d = { .ev = &ev, .reason = "NO_SOCKET",
			       .location = "tcp_v4_rcv+0x1a4",
			       .when = { 1796034727, 700470145 } };
	uint8_t want[4096], got[4096];
	struct outstream *os = NULL;
	FILE *out = NULL;
	int fd = mkstemp(path), n, i, len = 0;
	ssize_t got_len;

	if (fd < 0 || outstream_open(fd, -1, 300, &out, &os)) {
		CHECK_FAIL_("cannot open %s", path);
		goto out;
	}
	ev.caplen = 40;
	ev.pkt_len = 40;
	CHECK_INT(pcapng_writer_start(&w, out, os, 300, 256, "tcpdrop test"),
		  0);
	for (i = 0; i < 3; i++)
		CHECK_INT(pcapng_write_drop(&w, &d, v4_syn), 0);
	CHECK_INT(pcapng_flush(&w), 0);

	len = pcapng_section_header(want, sizeof(want), "tcpdrop test");
	len += pcapng_interface(want + len, sizeof(want) - len, 256,
				"tcpdrop");
	for (i = 0; i < 3; i++) {
		const struct pcapng_packet p = {
			1796034727700470145ull, 40, 40, v4_syn, C1,
		};

		n = pcapng_packet(want + len, sizeof(want) - len, &p);
		len += n;
	}
	got_len = pread(fd, got, sizeof(got), 0);
	CHECK_INT(got_len, len);
	if (got_len == len)
		CHECK_INT(first_difference(got, want, (size_t)len), -1);
out:
	outstream_close(out, os);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

/* A failed write comes back as the stream's -errno. */
static void test_writer_full(void)
{
	static struct pcapng_writer w;
	struct outstream *os = NULL;
	FILE *out = NULL;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		SKIP(test_writer_full, "no /dev/full");
		return;
	}
	if (outstream_open(fd, -1, 4096, &out, &os) == 0)
		CHECK_INT(pcapng_writer_start(&w, out, os, 4096, 256, "x"),
			  -ENOSPC);
	outstream_close(out, os);
	close(fd);
}

int main(void)
{
	RUN(test_golden);
	RUN(test_too_small);
	RUN(test_golden_read_by_tshark);
	RUN(test_comment);
	RUN(test_writer);
	RUN(test_writer_full);
	return check_exit_code();
}
