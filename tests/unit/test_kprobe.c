/* kprobe: the removal lines for the tracefs events that runs killed
 * before their cleanup left behind (no kernel needed). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "procs.h"
#include "kprobe.h"

static void test_stale_only(void)
{
	char events[512], out[256], want[128];
	pid_t dead = gone_pid();

	snprintf(events, sizeof(events),
		 "p:kprobes/other do_sys_open\n"
		 "p:tcpdrop_%d/tcp_drop tcp_drop\n"
		 "p:tcpdrop_%d/tcp_drop tcp_drop\n"
		 "r:tcpdrop_x/tcp_drop tcp_drop\n"
		 "p:tcpdrop_0/tcp_drop tcp_drop",
		 (int)dead, (int)getpid());
	snprintf(want, sizeof(want), "-:tcpdrop_%d/tcp_drop\n", (int)dead);
	CHECK_INT(kprobe_stale_removals(events, out, sizeof(out)), 1);
	CHECK_STR(out, want);
}

static void test_nothing(void)
{
	char out[64];

	CHECK_INT(kprobe_stale_removals("", out, sizeof(out)), 0);
	CHECK_STR(out, "");
	CHECK_INT(kprobe_stale_removals("p:tcpdrop_", out, sizeof(out)), 0);
}

/* A line that does not fit is left out whole, never cut. */
static void test_short_buffer(void)
{
	char events[128], out[8];
	pid_t dead = gone_pid();

	snprintf(events, sizeof(events), "p:tcpdrop_%d/tcp_drop tcp_drop\n",
		 (int)dead);
	CHECK_INT(kprobe_stale_removals(events, out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

int main(void)
{
	RUN(test_stale_only);
	RUN(test_nothing);
	RUN(test_short_buffer);
	return check_exit_code();
}
