#include "cpus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

static int parse_cpu(const char **p, int max)
{
	char *end;
	long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	v = strtol(*p, &end, 10);
	if (v >= max)
		return -EINVAL;
	*p = end;
	return (int)v;
}

int cpu_list_parse(const char *list, bool *mask, int max)
{
	const char *p = list;
	int top = 0;

	memset(mask, 0, (size_t)max * sizeof(*mask));
	while (*p && *p != '\n') {
		int first = parse_cpu(&p, max), last = first, cpu;

		if (first < 0)
			return first;
		if (*p == '-') {
			p++;
			last = parse_cpu(&p, max);
			if (last < first)
				return -EINVAL;
		}
		for (cpu = first; cpu <= last; cpu++)
			mask[cpu] = true;
		if (last + 1 > top)
			top = last + 1;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return top ? top : -EINVAL;
}

static int read_cpu_file(const char *path, bool *mask, int max)
{
	char *text;
	size_t len;
	int ret = read_file_max(path, FILEIO_MAX_SMALL, &text, &len);

	if (ret)
		return ret;
	ret = cpu_list_parse(text, mask, max);
	free(text);
	return ret;
}

int cpus_possible(bool *mask, int max)
{
	return read_cpu_file("/sys/devices/system/cpu/possible", mask, max);
}

int cpus_online(bool *mask, int max)
{
	return read_cpu_file("/sys/devices/system/cpu/online", mask, max);
}
