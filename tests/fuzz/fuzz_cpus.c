/* sysfs CPU lists: cpu_list_parse on a NUL-terminated copy of the input,
 * with the real limit and a small one, each into a mask of exactly `max`
 * entries so that a CPU number at the limit is an ASan error. */
#include <errno.h>

#include "cpus.h"
#include "fuzz.h"

static void parse(const char *list, int max)
{
	bool *mask = malloc((size_t)max * sizeof(*mask));
	int top, i;

	if (!mask)
		abort();
	top = cpu_list_parse(list, mask, max);
	FUZZ_CHECK(top == -EINVAL || (top > 0 && top <= max));
	if (top > 0) {
		/* The highest CPU + 1, exactly. */
		FUZZ_CHECK(mask[top - 1]);
		for (i = top; i < max; i++)
			FUZZ_CHECK(!mask[i]);
	}
	free(mask);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list = fuzz_strdup(data, size);

	parse(list, CPUS_MAX);
	parse(list, 8);
	free(list);
	return 0;
}
