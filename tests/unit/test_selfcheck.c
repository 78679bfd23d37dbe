/* selfcheck: what the program kept against the SYN that was made, field
 * by field, with the exact line for each mismatch. */
#include <arpa/inet.h>
#include <errno.h>

#include "check.h"
#include "selfcheck.h"

static struct selfcheck made(void)
{
	struct selfcheck sc;

	memset(&sc, 0, sizeof(sc));
	sc.sport = 50001;
	sc.dport = 2002;
	sc.netns = 4026532178u;
	sc.ifindex = 1;
	return sc;
}

static const struct selfcheck_kernel kernel_6_18 = { true, true };
static const struct selfcheck_kernel kernel_5_10 = { false, false };

/* The record of the SYN as a right decoder reads it. */
static struct tcpdrop_event read_right(const struct selfcheck *sc)
{
	struct tcpdrop_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", ev.saddr);
	inet_pton(AF_INET, "127.0.0.1", ev.daddr);
	ev.sport = sc->sport;
	ev.dport = sc->dport;
	ev.tcpflags = TCPDROP_SYN;
	ev.len = 20 + SELFCHECK_PAYLOAD;
	ev.netns = sc->netns;
	ev.ifindex = sc->ifindex;
	return ev;
}

/* The RST to the listener, as read on 6.11+ (rx_sk: state LISTEN). */
static struct tcpdrop_event rst_right(const struct selfcheck *sc)
{
	struct tcpdrop_event ev = read_right(sc);

	ev.dport = sc->dport + 1;
	ev.tcpflags = TCPDROP_RST;
	ev.state = 10;
	return ev;
}

static void expect_both(const struct selfcheck *sc,
			const struct selfcheck_kernel *k,
			const struct tcpdrop_event *syn,
			const struct tcpdrop_event *rst, int want_ret,
			const char *want_text)
{
	struct tcpdrop_event got[TCPDROP_SELFCHECK_DROPS] = { *syn, *rst };
	struct errmsg msg;

	errmsg_init(&msg);
	CHECK_INT(selfcheck_compare(sc, k, got, &msg), want_ret);
	if (want_text)
		CHECK_STR(msg.text, want_text);
}

/* The SYN alone wrong, the RST right, on 6.18. */
static void expect(const struct selfcheck *sc, const struct tcpdrop_event *ev,
		   int want_ret, const char *want_text)
{
	struct tcpdrop_event rst = rst_right(sc);

	expect_both(sc, &kernel_6_18, ev, &rst, want_ret, want_text);
}

static void test_right(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev = read_right(&sc);

	expect(&sc, &ev, 0, NULL);
	/* ECN bits on a SYN are the sender's business, not a misread. */
	ev.tcpflags = TCPDROP_SYN | TCPDROP_ECE | TCPDROP_CWR;
	expect(&sc, &ev, 0, NULL);
}

static void test_no_record(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev;

	memset(&ev, 0, sizeof(ev));
	expect(&sc, &ev, -EPROTO, "a known drop (SYN 127.0.0.1:50001 -> "
	       "127.0.0.1:2002) left no record");
}

static void test_wrong_address(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev = read_right(&sc);

	inet_pton(AF_INET, "10.0.0.1", ev.daddr);
	expect(&sc, &ev, -EPROTO, "a known drop (SYN 127.0.0.1:50001 -> "
	       "127.0.0.1:2002) was read as family 2, 127.0.0.1:50001 -> "
	       "10.0.0.1:2002");
	ev = read_right(&sc);
	ev.family = AF_INET6;
	expect(&sc, &ev, -EPROTO, NULL);
}

static void test_wrong_flags(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev = read_right(&sc);

	ev.tcpflags = TCPDROP_SYN | TCPDROP_ACK;
	expect(&sc, &ev, -EPROTO, "a known SYN was read with TCP flags 0x12");
}

static void test_wrong_netns(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev = read_right(&sc);

	ev.netns = 2;
	expect(&sc, &ev, -EPROTO, "a known drop in network namespace "
	       "4026532178 was read in namespace 2");
}

static void test_wrong_device(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev = read_right(&sc);

	ev.ifindex = 1294336768u;
	expect(&sc, &ev, -EPROTO, "a known drop on device 1 was read on "
	       "device 1294336768");
}

/* Ports in the dynamic range and above the well-known ones, never 0. */
static void test_wrong_length(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event ev = read_right(&sc);

	ev.len = 0;
	expect(&sc, &ev, -EPROTO, "a known drop of 24 bytes was read as 0 "
	       "bytes long");
}

/* 6.11+: the listener's state is read through rx_sk, and must be LISTEN;
 * before, the RST is not checked (5.10: tcp_drop() frees it unseen). */
static void test_listener_state(void)
{
	struct selfcheck sc = made();
	struct tcpdrop_event syn = read_right(&sc), rst = rst_right(&sc);
	struct tcpdrop_event none;

	rst.state = 65;
	expect_both(&sc, &kernel_6_18, &syn, &rst, -EPROTO, "a known drop on "
		    "a listening socket was read in TCP state 65, not 10");
	rst = rst_right(&sc);
	rst.netns = 0;
	expect_both(&sc, &kernel_6_18, &syn, &rst, -EPROTO, "a known drop on "
		    "a listening socket was read in network namespace 0, not "
		    "4026532178");
	memset(&none, 0, sizeof(none));
	expect_both(&sc, &kernel_6_18, &syn, &none, -EPROTO, "a known drop "
		    "(RST 127.0.0.1:50001 -> 127.0.0.1:2003) left no record");
	expect_both(&sc, &kernel_5_10, &syn, &none, 0, NULL);
	expect_both(&sc, &kernel_5_10, &syn, &rst, 0, NULL);
}

static void test_ports(void)
{
	struct selfcheck sc;
	int i;

	for (i = 0; i < 100; i++) {
		selfcheck_init(&sc);
		CHECK(sc.sport >= 40000 && sc.sport < 60000);
		CHECK(sc.dport >= 1024 && sc.dport < 31024);
	}
}

int main(void)
{
	RUN(test_right);
	RUN(test_no_record);
	RUN(test_wrong_address);
	RUN(test_wrong_flags);
	RUN(test_wrong_netns);
	RUN(test_wrong_device);
	RUN(test_wrong_length);
	RUN(test_listener_state);
	RUN(test_ports);
	return check_exit_code();
}
