#include "vlog.h"

const char *vlog_tail(const char *log, size_t len, int lines)
{
	const char *p = log + len;

	if (len && p[-1] == '\n')
		p--;
	while (p > log) {
		if (p[-1] == '\n' && --lines == 0)
			return p;
		p--;
	}
	return log;
}
