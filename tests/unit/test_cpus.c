/* sysfs CPU lists. */
#include <errno.h>

#include "check.h"
#include "cpus.h"

static void test_lists(void)
{
	bool mask[16];

	CHECK_INT(cpu_list_parse("0\n", mask, 16), 1);
	CHECK(mask[0] && !mask[1]);
	CHECK_INT(cpu_list_parse("0-3", mask, 16), 4);
	CHECK(mask[0] && mask[3] && !mask[4]);
	CHECK_INT(cpu_list_parse("0-1,4,6-7\n", mask, 16), 8);
	CHECK(mask[1] && !mask[2] && !mask[3] && mask[4] && !mask[5] && mask[7]);
}

static void test_bad_lists(void)
{
	bool mask[16];

	CHECK_INT(cpu_list_parse("", mask, 16), -EINVAL);
	CHECK_INT(cpu_list_parse("3-1", mask, 16), -EINVAL);
	CHECK_INT(cpu_list_parse("0-16", mask, 16), -EINVAL);
	CHECK_INT(cpu_list_parse("a", mask, 16), -EINVAL);
	CHECK_INT(cpu_list_parse("1,,2", mask, 16), -EINVAL);
	CHECK_INT(cpu_list_parse("1;2", mask, 16), -EINVAL);
}

static void test_this_machine(void)
{
	static bool possible[CPUS_MAX], online[CPUS_MAX];
	int np = cpus_possible(possible, CPUS_MAX);
	int no = cpus_online(online, CPUS_MAX);
	int cpu;

	CHECK(np >= 1);
	CHECK(no >= 1 && no <= np);
	/* Every online CPU is a possible one. */
	for (cpu = 0; cpu < no; cpu++)
		CHECK(!online[cpu] || possible[cpu]);
}

int main(void)
{
	RUN(test_lists);
	RUN(test_bad_lists);
	RUN(test_this_machine);
	return check_exit_code();
}
