/* sys: the retry of a BPF_PROG_LOAD that the verifier gave up with
 * EAGAIN (a pending SIGSTOP/SIGCONT), without a kernel: a stand-in
 * operation fails a given number of times first. */
#include <errno.h>

#include "check.h"
#include "sys.h"

struct flaky {
	int eagains;    /* -EAGAIN this many times, then `result` */
	int result;
	int calls;
};

static int flaky_op(void *arg)
{
	struct flaky *f = arg;

	f->calls++;
	return f->calls <= f->eagains ? -EAGAIN : f->result;
}

static void test_retry_until_done(void)
{
	struct flaky f = { .eagains = 4, .result = 7 };

	CHECK_INT(sys_retry_eagain(flaky_op, &f, 5), 7);
	CHECK_INT(f.calls, 5);
}

static void test_retry_gives_up(void)
{
	struct flaky f = { .eagains = 5, .result = 7 };

	CHECK_INT(sys_retry_eagain(flaky_op, &f, 5), -EAGAIN);
	CHECK_INT(f.calls, 5);
}

/* Any other result, success or error, is final at once. */
static void test_no_retry_otherwise(void)
{
	struct flaky ok = { .eagains = 0, .result = 3 };
	struct flaky bad = { .eagains = 0, .result = -EACCES };

	CHECK_INT(sys_retry_eagain(flaky_op, &ok, 5), 3);
	CHECK_INT(ok.calls, 1);
	CHECK_INT(sys_retry_eagain(flaky_op, &bad, 5), -EACCES);
	CHECK_INT(bad.calls, 1);
}

int main(void)
{
	RUN(test_retry_until_done);
	RUN(test_retry_gives_up);
	RUN(test_no_retry_otherwise);
	return check_exit_code();
}
