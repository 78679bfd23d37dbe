/* Runs a Python check over a file of JSON lines: a real parser, not ours,
 * decides whether our output is JSON. */
#ifndef TCPDROP_PYCHECK_H
#define TCPDROP_PYCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

/* Writes `script` to a temporary file and runs `python3 SCRIPT LINES`.
 * Returns its exit status (0: the check passed), or -1 when python3 is
 * not installed (the caller reports a SKIP). */
static inline int python_check(const char *script, const char *lines_path)
{
	char script_path[] = "/tmp/tcpdrop-test-py-XXXXXX";
	char cmd[256];
	FILE *f;
	int fd, status;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return -1;
	fd = mkstemp(script_path);
	if (fd < 0)
		return 1;
	f = fdopen(fd, "w");
	if (!f || fputs(script, f) < 0) {
		if (f)
			fclose(f);
		unlink(script_path);
		return 1;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", script_path, lines_path);
	status = system(cmd);
	unlink(script_path);
	return status;
}

/* In test `fn`: flushes `lines` (written to `path`) and runs `script`
 * over it; a SKIP when python3 is missing. */
#define CHECK_PYTHON(fn, script, lines, path)                               \
	do {                                                                 \
		int status_;                                                 \
		CHECK((lines) != NULL && fflush(lines) == 0);                \
		status_ = python_check(script, path);                        \
		if (status_ < 0)                                             \
			SKIP(fn, "no python3 to parse the lines with");      \
		else                                                         \
			CHECK_INT(status_, 0);                               \
	} while (0)

#endif
