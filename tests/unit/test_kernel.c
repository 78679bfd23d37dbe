/* Reason names as the kernel's format file gives them. */
#include "check.h"
#include "fixture.h"
#include "kernel.h"

static void test_reason_names(void)
{
	struct kernel_facts k;
	char buf[32];

	memset(&k, 0, sizeof(k));
	if (parse_fixture(&k.kfree_skb, "kfree_skb-6.18.format"))
		return;
	CHECK_STR(kernel_reason_name(&k, 3, buf, sizeof(buf)), "NO_SOCKET");
	CHECK_STR(kernel_reason_name(&k, 22, buf, sizeof(buf)),
		  "TCP_MD5NOTFOUND");
	CHECK_STR(kernel_reason_name(&k, 999, buf, sizeof(buf)), "REASON_999");
	CHECK_STR(kernel_reason_name(&k, 0x30005, buf, sizeof(buf)),
		  "SUBSYS_3_5");
	tp_format_free(&k.kfree_skb);
}

/* The same number names different reasons on different kernels. */
static void test_renumbered(void)
{
	struct kernel_facts k;
	char buf[32];

	memset(&k, 0, sizeof(k));
	if (parse_fixture(&k.kfree_skb, "kfree_skb-6.1.format"))
		return;
	CHECK_STR(kernel_reason_name(&k, 2, buf, sizeof(buf)), "NO_SOCKET");
	tp_format_free(&k.kfree_skb);
}

int main(void)
{
	RUN(test_reason_names);
	RUN(test_renumbered);
	return check_exit_code();
}
