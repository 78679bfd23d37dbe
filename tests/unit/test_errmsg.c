/* The message a failed step leaves: unset until a step fills it, and a
 * fallback that names the step when a failure left none. */
#include <errno.h>

#include "check.h"
#include "errmsg.h"

static void test_sentinel(void)
{
	struct errmsg msg;

	memset(&msg, 'x', sizeof(msg));
	errmsg_init(&msg);
	CHECK(!errmsg_is_set(&msg));
	CHECK_INT(errmsg_set(&msg, -ENOENT, "no %s", "file"), -ENOENT);
	CHECK(errmsg_is_set(&msg));
	CHECK_STR(msg.text, "no file");
}

static void test_fallback_names_the_step(void)
{
	struct errmsg msg;

	errmsg_init(&msg);
	CHECK_INT(errmsg_fallback(&msg, -EMFILE, "opening the perf rings"),
		  -EMFILE);
	CHECK_STR(msg.text, "opening the perf rings: Too many open files");
}

/* A step's own message is never replaced by the generic one. */
static void test_fallback_keeps_the_step_message(void)
{
	struct errmsg msg;

	errmsg_init(&msg);
	errmsg_set(&msg, -EPERM, "cannot create BPF map x: Operation not "
		   "permitted");
	errmsg_fallback(&msg, -EPERM, "loading the BPF program");
	CHECK_STR(msg.text, "cannot create BPF map x: Operation not permitted");
	errmsg_init(&msg);
	errmsg_fallback(&msg, 0, "nothing failed");
	CHECK(!errmsg_is_set(&msg));
}

int main(void)
{
	RUN(test_sentinel);
	RUN(test_fallback_names_the_step);
	RUN(test_fallback_keeps_the_step_message);
	return check_exit_code();
}
