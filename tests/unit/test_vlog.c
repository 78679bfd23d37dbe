/* The tail of a verifier log. */
#include "check.h"
#include "vlog.h"

static const char *tail(const char *log, int lines)
{
	return vlog_tail(log, strlen(log), lines);
}

static void test_tail(void)
{
	const char *log = "0: r1 = 0\n1: exit\nR0 !read_ok\n";

	CHECK_STR(tail(log, 1), "R0 !read_ok\n");
	CHECK_STR(tail(log, 2), "1: exit\nR0 !read_ok\n");
	CHECK_STR(tail(log, 3), log);
	CHECK_STR(tail(log, 20), log);
}

static void test_no_final_newline(void)
{
	CHECK_STR(tail("a\nb\nc", 1), "c");
	CHECK_STR(tail("a\nb\nc", 2), "b\nc");
}

static void test_empty(void)
{
	CHECK_STR(tail("", 5), "");
	CHECK_STR(tail("\n", 1), "\n");
	CHECK_STR(tail("only", 1), "only");
}

int main(void)
{
	RUN(test_tail);
	RUN(test_no_final_newline);
	RUN(test_empty);
	return check_exit_code();
}
