/* report: records as the ring hands them over (the event, then its own
 * stack frames), turned into rows with their stacks; records that lie
 * about their length are counted as malformed and print nothing. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "outstream.h"
#include "pcapng.h"
#include "report.h"

static const char kallsyms_text[] =
	"ffffffff81000000 T sk_skb_reason_drop\n"
	"ffffffff81001000 T tcp_v4_rcv\n"
	"ffffffff81002000 T ip_local_deliver_finish\n"
	"ffffffff81003000 T kfree_skb\n"
	"ffffffff81003100 t kfree_skb.part.0\n"
	"ffffffff81003200 T kfree_skbmem\n"
	"ffffffff81004000 T __traceiter_kfree_skb\n";

static char kallsyms_path[] = "/tmp/tcpdrop-test-kallsyms-XXXXXX";

struct record {
	struct tcpdrop_event ev;
	uint64_t frames[TCPDROP_STACK_BUF];
};

static struct record syn_record(void)
{
	struct record rec;

	memset(&rec, 0, sizeof(rec));
	rec.ev.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", rec.ev.saddr);
	inet_pton(AF_INET, "127.0.0.3", rec.ev.daddr);
	rec.ev.sport = 40001;
	rec.ev.dport = 9;
	rec.ev.pid = 7;
	rec.ev.reason = 2;
	rec.ev.tcpflags = TCPDROP_SYN;
	memcpy(rec.ev.comm, "dropgen", 8);
	return rec;
}

/* A report writing rows with stacks into a memory stream. */
struct harness {
	struct report r;
	struct kernel_facts kernel;
	char *text;
	size_t len;
};

static void harness_open(struct harness *h)
{
	memset(&h->kernel, 0, sizeof(h->kernel));
	CHECK_INT(report_init(&h->r, REPORT_ROWS), 0);
	h->text = NULL;
	h->len = 0;
	h->r.out = open_memstream(&h->text, &h->len);
	h->r.diag = stderr;
	h->r.kernel = &h->kernel;
	h->r.want_stack = true;
	h->r.kallsyms_path = kallsyms_path;
	h->r.realtime_offset_ns = 0;
}

static void harness_close(struct harness *h)
{
	fclose(h->r.out);
	report_free(&h->r);
}

/* The frames after the event, with the 5.10 doubled first frame dropped,
 * each named from kallsyms. */
static void test_frames_follow_the_event(void)
{
	struct harness h;
	struct record rec = syn_record();
	uint32_t size;

	rec.ev.stack = TCPDROP_STACK_TAKEN;
	rec.ev.nframes = 4;
	rec.frames[0] = 0xffffffff81000090ull;
	rec.frames[1] = 0xffffffff81000090ull;
	rec.frames[2] = 0xffffffff81001099ull;
	rec.frames[3] = 0xffffffff81002081ull;
	size = sizeof(rec.ev) + 4 * 8;
	harness_open(&h);
	CHECK_INT(report_sample(&h.r, 0, &rec, size), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 1);
	CHECK_INT(h.r.no_stack, 0);
	CHECK_INT(h.r.malformed, 0);
	CHECK(h.text && strstr(h.text, " 127.0.0.2:40001       127.0.0.3:9 "));
	CHECK(h.text && strstr(h.text, "REASON_2\n"
			       "\tsk_skb_reason_drop+0x90\n"
			       "\ttcp_v4_rcv+0x99\n"
			       "\tip_local_deliver_finish+0x81\n\n"));
	free(h.text);
}

/* The perf ring pads a raw sample to 8 bytes: a longer size is fine. */
static void test_padded_size(void)
{
	struct harness h;
	struct record rec = syn_record();

	rec.ev.stack = TCPDROP_STACK_TAKEN;
	rec.ev.nframes = 1;
	rec.frames[0] = 0xffffffff81001010ull;
	harness_open(&h);
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) + 8 + 4), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 1);
	CHECK(h.text && strstr(h.text, "\ttcp_v4_rcv+0x10\n\n"));
	free(h.text);
}

/* A stack the kernel could not give: the row says so, and it is counted
 * for the summary. */
static void test_no_stack(void)
{
	struct harness h;
	struct record rec = syn_record();

	rec.ev.stack = TCPDROP_STACK_FAILED;
	harness_open(&h);
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev)), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 1);
	CHECK_INT(h.r.no_stack, 1);
	CHECK(h.text && strstr(h.text, "REASON_2\n\t[stack unavailable]\n\n"));
	free(h.text);
}

/* More frames than the record holds, or than any record may hold:
 * malformed, nothing printed, not a drop. */
static void test_frames_beyond_the_record(void)
{
	struct harness h;
	struct record rec = syn_record();

	rec.ev.stack = TCPDROP_STACK_TAKEN;
	rec.ev.nframes = 3;
	harness_open(&h);
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) + 2 * 8), 0);
	rec.ev.nframes = TCPDROP_STACK_MAX + 1;
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec)), 0);
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) - 1), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 0);
	CHECK_INT(h.r.malformed, 3);
	CHECK(h.text && h.text[0] == '\0');
	free(h.text);
}

/* The tp_btf program's batch: events back to back in one ring record,
 * each its own row; bytes after the last that are more than the perf
 * ring's padding, but too few for an event, are malformed. */
static void test_batch(void)
{
	struct tcpdrop_event batch[TCPDROP_BATCH_MAX + 1];
	struct harness h;
	int i;

	for (i = 0; i < 3; i++) {
		batch[i] = syn_record().ev;
		batch[i].sport = (uint16_t)(40001 + i);
	}
	harness_open(&h);
	h.r.want_stack = false;
	CHECK_INT(report_sample(&h.r, 0, batch, 3 * sizeof(batch[0])), 0);
	CHECK_INT(h.r.drops, 3);
	CHECK_INT(h.r.malformed, 0);
	CHECK_INT(report_sample(&h.r, 0, batch, 2 * sizeof(batch[0]) + 8), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 5);
	CHECK_INT(h.r.malformed, 1);
	CHECK(h.text && strstr(h.text, " 127.0.0.2:40001 "));
	CHECK(h.text && strstr(h.text, " 127.0.0.2:40002 "));
	CHECK(h.text && strstr(h.text, " 127.0.0.2:40003 "));
	free(h.text);
}

/* A write that fails in the middle of a batch: the error is given, and
 * the batch's other records still count (the ring has handed them over;
 * the summary adds up only if they do), written or not. */
static void test_batch_write_error(void)
{
	struct tcpdrop_event batch[3];
	struct harness h;
	int i;

	for (i = 0; i < 3; i++)
		batch[i] = syn_record().ev;
	harness_open(&h);
	fclose(h.r.out);
	h.r.out = fopen("/dev/full", "w");
	CHECK(h.r.out != NULL);
	if (!h.r.out) {
		report_free(&h.r);
		free(h.text);
		return;
	}
	setvbuf(h.r.out, NULL, _IONBF, 0);
	h.r.want_stack = false;
	CHECK(report_sample(&h.r, 0, batch, sizeof(batch)) < 0);
	CHECK_INT(h.r.drops, 3);
	CHECK_INT(h.r.discard, false);
	harness_close(&h);
	free(h.text);
}

/* Two drops one after the other, each with its own stack: nothing is
 * shared between records. */
static void test_each_row_its_own_stack(void)
{
	struct harness h;
	struct record a = syn_record(), b = syn_record();

	a.ev.stack = b.ev.stack = TCPDROP_STACK_TAKEN;
	a.ev.nframes = b.ev.nframes = 1;
	a.frames[0] = 0xffffffff81001001ull;
	b.frames[0] = 0xffffffff81002002ull;
	harness_open(&h);
	CHECK_INT(report_sample(&h.r, 0, &a, sizeof(a.ev) + 8), 0);
	CHECK_INT(report_sample(&h.r, 1, &b, sizeof(b.ev) + 8), 0);
	harness_close(&h);
	CHECK(h.text && strstr(h.text, "\ttcp_v4_rcv+0x1\n\n"));
	CHECK(h.text && strstr(h.text, "\tip_local_deliver_finish+0x2\n\n"));
	free(h.text);
}

static void test_free_wrapper_names(void)
{
	CHECK(report_is_free_wrapper("kfree_skb"));
	CHECK(report_is_free_wrapper("kfree_skb.part.0"));
	CHECK(report_is_free_wrapper("kfree_skb_reason"));
	CHECK(report_is_free_wrapper("sk_skb_reason_drop"));
	CHECK(report_is_free_wrapper("__kfree_skb"));
	CHECK(!report_is_free_wrapper("kfree_skbmem"));
	CHECK(!report_is_free_wrapper("tcp_v4_rcv"));
	CHECK(!report_is_free_wrapper("kfree_skb_partial"));
	CHECK(report_is_free_wrapper("__traceiter_kfree_skb"));
	CHECK(report_is_free_wrapper("__bpf_trace_kfree_skb"));
}

/* A kernel without reasons whose kfree_skb was split (Debian's arm64
 * 5.10): the tracepoint's location is inside kfree_skb for every drop;
 * the row names the first caller outside the wrappers instead, from the
 * frames the record carries, with -S too. */
static void test_location_past_wrapper(void)
{
	struct harness h;
	struct record rec = syn_record();

	rec.ev.reason = TCPDROP_NO_REASON;
	rec.ev.location = 0xffffffff8100302cull;       /* kfree_skb+0x2c */
	rec.ev.stack = TCPDROP_STACK_TAKEN;
	rec.ev.nframes = 4;
	/* As bpf_get_stack() gives them on Debian's arm64 5.10. */
	rec.frames[0] = 0xffffffff81004048ull;         /* __traceiter_... */
	rec.frames[1] = 0xffffffff81003150ull;         /* kfree_skb.part.0 */
	rec.frames[2] = 0xffffffff8100302cull;         /* kfree_skb */
	rec.frames[3] = 0xffffffff81001062ull;         /* tcp_v4_rcv+0x62 */
	harness_open(&h);
	h.r.want_stack = false;
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) + 4 * 8), 0);
	harness_close(&h);
	CHECK(h.text && strstr(h.text, " SYN         tcp_v4_rcv+0x62\n"));
	free(h.text);
}

/* A location outside any wrapper stays as the kernel gave it. */
static void test_location_kept(void)
{
	struct harness h;
	struct record rec = syn_record();

	rec.ev.reason = TCPDROP_NO_REASON;
	rec.ev.location = 0xffffffff81001062ull;
	rec.ev.stack = TCPDROP_STACK_TAKEN;
	rec.ev.nframes = 1;
	rec.frames[0] = 0xffffffff81002081ull;
	harness_open(&h);
	h.r.want_stack = false;
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) + 8), 0);
	harness_close(&h);
	CHECK(h.text && strstr(h.text, " SYN         tcp_v4_rcv+0x62\n"));
	free(h.text);
}

/* -w: the packet bytes after the frames go into the pcapng file, its
 * time, lengths and comment with them, and the row is still printed. */
static void test_packet_after_frames(void)
{
	static struct pcapng_writer w;
	static const uint8_t pkt[40] = { 0x45, 0x00, 0x00, 0x3c, 1, 2, 3 };
	char path[] = "/tmp/tcpdrop-test-report-pcapng-XXXXXX";
	uint8_t file[2048], want[1024];
	struct pcapng_packet p = {
		1796034727700470145ull, 40, 60, pkt,
		"reason=REASON_2 location=tcp_v4_rcv+0x99 state=- netns=0 "
		"ifindex=0 cpu=0 pid=7 comm=dropgen",
	};
	struct outstream *os = NULL;
	struct record rec = syn_record();
	struct harness h;
	FILE *out = NULL;
	int fd = mkstemp(path), head, len;
	ssize_t n;

	if (fd < 0 || outstream_open(fd, -1, 4096, &out, &os)) {
		CHECK_FAIL_("cannot open %s", path);
		return;
	}
	rec.ev.ts_ns = p.ts_ns;
	rec.ev.location = 0xffffffff81001099ull;
	rec.ev.stack = TCPDROP_STACK_TAKEN;
	rec.ev.nframes = 2;
	rec.frames[0] = 0xffffffff81000090ull;
	rec.frames[1] = 0xffffffff81001099ull;
	rec.ev.caplen = 40;
	rec.ev.pkt_len = 60;
	memcpy((uint8_t *)rec.frames + 2 * 8, pkt, sizeof(pkt));
	harness_open(&h);
	CHECK_INT(pcapng_writer_start(&w, out, os, 4096, 256, "t"), 0);
	h.r.pcap = &w;
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) + 2 * 8 + 40),
		  0);
	CHECK_INT(pcapng_flush(&w), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 1);
	CHECK_INT(h.r.malformed, 0);
	CHECK(h.text && strstr(h.text, " 127.0.0.2:40001       127.0.0.3:9 "));
	free(h.text);

	head = pcapng_section_header(want, sizeof(want), "t");
	head += pcapng_interface(want + head, sizeof(want) - head, 256,
				 "tcpdrop");
	len = pcapng_packet(want + head, sizeof(want) - head, &p);
	n = pread(fd, file, sizeof(file), 0);
	CHECK_INT(n, head + len);
	if (n == head + len)
		CHECK(memcmp(file + head, want + head, (size_t)len) == 0);
	outstream_close(out, os);
	close(fd);
	unlink(path);
}

/* Packet bytes the record does not hold, more than any record may, or
 * more than the packet has: malformed. */
static void test_packet_beyond_the_record(void)
{
	struct harness h;
	struct record rec = syn_record();

	rec.ev.nframes = 1;
	rec.ev.caplen = 40;
	rec.ev.pkt_len = 60;
	harness_open(&h);
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec.ev) + 8 + 39), 0);
	rec.ev.caplen = TCPDROP_SNAP_MAX + 1;
	rec.ev.pkt_len = 65535;
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec)), 0);
	rec.ev.caplen = 40;
	rec.ev.pkt_len = 39;
	CHECK_INT(report_sample(&h.r, 0, &rec, sizeof(rec)), 0);
	harness_close(&h);
	CHECK_INT(h.r.drops, 0);
	CHECK_INT(h.r.malformed, 3);
	free(h.text);
}

int main(void)
{
	int fd = mkstemp(kallsyms_path);

	setenv("TZ", "UTC", 1);
	if (fd < 0 || write(fd, kallsyms_text, sizeof(kallsyms_text) - 1) !=
			      (ssize_t)(sizeof(kallsyms_text) - 1)) {
		printf("FAIL test_report: cannot write %s\n", kallsyms_path);
		return 1;
	}
	close(fd);
	RUN(test_frames_follow_the_event);
	RUN(test_padded_size);
	RUN(test_no_stack);
	RUN(test_frames_beyond_the_record);
	RUN(test_each_row_its_own_stack);
	RUN(test_batch);
	RUN(test_batch_write_error);
	RUN(test_free_wrapper_names);
	RUN(test_location_past_wrapper);
	RUN(test_location_kept);
	RUN(test_packet_after_frames);
	RUN(test_packet_beyond_the_record);
	unlink(kallsyms_path);
	return check_exit_code();
}
