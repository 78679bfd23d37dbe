/* Filter options: parsed values, exact usage errors, reasons resolved
 * against each kernel's table. */
#include <arpa/inet.h>
#include <errno.h>

#include "check.h"
#include "filter.h"
#include "fixture.h"

static void test_ports(void)
{
	struct port_list list = { { 0 }, 0 };
	struct errmsg msg;

	CHECK_INT(filter_add_ports(&list, "80", &msg), 0);
	CHECK_INT(filter_add_ports(&list, "443,8080,65535", &msg), 0);
	CHECK_INT(list.count, 4);
	CHECK_INT(list.ports[0], 80);
	CHECK_INT(list.ports[3], 65535);
	CHECK_INT(filter_add_ports(&list, "70000", &msg), -EINVAL);
	CHECK_STR(msg.text, "invalid port '70000': want 1 to 65535");
	CHECK_INT(filter_add_ports(&list, "0", &msg), -EINVAL);
	CHECK_INT(filter_add_ports(&list, "http", &msg), -EINVAL);
	CHECK_STR(msg.text, "invalid port 'http': want 1 to 65535");
	CHECK_INT(filter_add_ports(&list, ",2", &msg), -EINVAL);
	CHECK_STR(msg.text, "invalid port list ',2'");
	CHECK_INT(list.count, 4);
	CHECK_INT(filter_add_ports(&list, "1,2,3,4", &msg), 0);
	CHECK_INT(list.count, 8);
	CHECK_INT(filter_add_ports(&list, "9", &msg), -EINVAL);
	CHECK_STR(msg.text, "too many ports: at most 8 per option");
}

static void check_cidr(const struct tcpdrop_cidr *c, int family,
		       const char *addr, const char *mask)
{
	uint8_t want_addr[16] = { 0 }, want_mask[16] = { 0 };

	CHECK_INT(c->family, family);
	inet_pton(family, addr, want_addr);
	inet_pton(family, mask, want_mask);
	CHECK(memcmp(c->addr, want_addr, 16) == 0);
	CHECK(memcmp(c->mask, want_mask, 16) == 0);
}

static void test_addrs(void)
{
	struct filter f;
	struct errmsg msg;

	memset(&f, 0, sizeof(f));
	CHECK_INT(filter_add_addr(&f, "10.1.2.3/8", &msg), 0);
	check_cidr(&f.addrs[0], AF_INET, "10.0.0.0", "255.0.0.0");
	CHECK_INT(filter_add_addr(&f, "192.168.1.77", &msg), 0);
	check_cidr(&f.addrs[1], AF_INET, "192.168.1.77", "255.255.255.255");
	CHECK_INT(filter_add_addr(&f, "2001:db8:ffff::1/35", &msg), 0);
	check_cidr(&f.addrs[2], AF_INET6, "2001:db8:e000::", "ffff:ffff:e000::");
	CHECK_INT(filter_add_addr(&f, "::1", &msg), 0);
	check_cidr(&f.addrs[3], AF_INET6, "::1",
		   "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	CHECK_INT(f.naddrs, 4);
	CHECK_INT(filter_add_addr(&f, "::2", &msg), -EINVAL);
	CHECK_STR(msg.text, "too many -a/--addr: at most 4");
	f.naddrs = 0;
	CHECK_INT(filter_add_addr(&f, "1.2.3.4/40", &msg), -EINVAL);
	CHECK_STR(msg.text, "invalid address '1.2.3.4/40': want an IPv4 or IPv6 "
		  "address, with an optional /PREFIX (0-32 or 0-128)");
	CHECK_INT(filter_add_addr(&f, "::1/129", &msg), -EINVAL);
	CHECK_INT(filter_add_addr(&f, "1.2.3/8", &msg), -EINVAL);
	CHECK_INT(filter_add_addr(&f, "1.2.3.4/", &msg), -EINVAL);
	CHECK_INT(filter_add_addr(&f, "/8", &msg), -EINVAL);
	CHECK_INT(filter_add_addr(&f, "0.0.0.0/0", &msg), 0);
	check_cidr(&f.addrs[0], AF_INET, "0.0.0.0", "0.0.0.0");
}

static void test_states_and_netns(void)
{
	struct filter f;
	struct errmsg msg;

	memset(&f, 0, sizeof(f));
	CHECK_INT(filter_add_states(&f, "established,LISTEN", &msg), 0);
	CHECK_INT(f.state_mask, (1u << 1) | (1u << 10));
	CHECK_INT(filter_add_states(&f, "none", &msg), 0);
	CHECK_INT(f.state_mask, (1u << 0) | (1u << 1) | (1u << 10));
	CHECK_INT(filter_add_states(&f, "OPEN", &msg), -EINVAL);
	CHECK(strncmp(msg.text, "unknown TCP state 'OPEN': want ESTABLISHED",
		      41) == 0);
	CHECK_INT(filter_set_netns(&f, "4026531840", &msg), 0);
	CHECK_INT(f.netns, 4026531840u);
	CHECK_INT(filter_set_netns(&f, "net:[4026531840]", &msg), -EINVAL);
	CHECK_STR(msg.text, "invalid network namespace 'net:[4026531840]': want "
		  "its inode number, as 'stat -L -c %i /proc/PID/ns/net' shows");
	CHECK_INT(filter_set_netns(&f, "4294967296", &msg), -EINVAL);
}

static void test_needs_btf(void)
{
	struct filter f;
	struct errmsg msg;

	memset(&f, 0, sizeof(f));
	CHECK(!filter_needs_btf(&f));
	CHECK_INT(filter_add_reasons(&f, "NO_SOCKET", &msg), 0);
	CHECK(!filter_needs_btf(&f));
	CHECK_INT(filter_add_ports(&f.dport, "22", &msg), 0);
	CHECK(filter_needs_btf(&f));
}

static void test_reasons(void)
{
	uint32_t values[TCPDROP_REASONS_MAX];
	struct tp_format fmt;
	struct errmsg msg;
	struct filter f;

	memset(&f, 0, sizeof(f));
	if (parse_fixture(&fmt, "kfree_skb-6.18.format"))
		return;
	CHECK_INT(filter_add_reasons(&f, "no_socket,TCP_CSUM", &msg), 0);
	CHECK_INT(filter_resolve_reasons(&f, &fmt, values, &msg), 0);
	CHECK_INT(values[0], 3);
	CHECK_INT(values[1], 10);
	CHECK_INT(filter_add_reasons(&f, "NO_SUCH", &msg), 0);
	CHECK_INT(filter_resolve_reasons(&f, &fmt, values, &msg), -EINVAL);
	CHECK(strncmp(msg.text, "unknown drop reason 'NO_SUCH'; this kernel "
		      "knows: NOT_SPECIFIED, NO_SOCKET, SOCKET_CLOSE, ", 88) == 0);
	/* MAX counts the reasons; no drop has it: not offered, refused. */
	CHECK(strstr(msg.text, ", RECURSION_LIMIT") != NULL);
	CHECK(strstr(msg.text, "MAX") == NULL);
	memset(&f, 0, sizeof(f));
	CHECK_INT(filter_add_reasons(&f, "max", &msg), 0);
	CHECK_INT(filter_resolve_reasons(&f, &fmt, values, &msg), -EINVAL);
	CHECK(strncmp(msg.text, "unknown drop reason 'max'", 25) == 0);
	tp_format_free(&fmt);
}

static void test_no_reasons_kernel(void)
{
	uint32_t values[TCPDROP_REASONS_MAX];
	struct tp_format fmt;
	struct errmsg msg;
	struct filter f;

	memset(&f, 0, sizeof(f));
	if (parse_fixture(&fmt, "kfree_skb-5.10.format"))
		return;
	CHECK_INT(filter_resolve_reasons(&f, &fmt, values, &msg), 0);
	CHECK_INT(filter_add_reasons(&f, "NO_SOCKET", &msg), 0);
	CHECK_INT(filter_resolve_reasons(&f, &fmt, values, &msg), -EINVAL);
	CHECK_STR(msg.text, "-r/--reason: this kernel's skb:kfree_skb has no "
		  "drop reasons (they came with Linux 5.17)");
	tp_format_free(&fmt);
}

int main(void)
{
	RUN(test_ports);
	RUN(test_addrs);
	RUN(test_states_and_netns);
	RUN(test_needs_btf);
	RUN(test_reasons);
	RUN(test_no_reasons_kernel);
	return check_exit_code();
}
