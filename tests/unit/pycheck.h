/* Runs a Python check over a file of JSON lines: a real parser, not ours,
 * decides whether our output is JSON. */
#ifndef TCPDROP_PYCHECK_H
#define TCPDROP_PYCHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

/* The check: every line parses as JSON (decoded as strict UTF-8), every
 * object on a line has exactly the keys argv[2] (space-separated), in
 * that order, and there are at least argv[3] lines. */
static const char json_keys_script[] =
	"import json, sys\n"
	"keys = sys.argv[2].split()\n"
	"n = 0\n"
	"for line in open(sys.argv[1], encoding='utf-8', errors='strict'):\n"
	"    v = json.loads(line, object_pairs_hook=lambda p: p)\n"
	"    if isinstance(v, list):\n"
	"        assert [k for k, _ in v] == keys, line[:200]\n"
	"    n += 1\n"
	"assert n >= int(sys.argv[3]), n\n";

/* Runs json_keys_script over `lines_path`. Returns its exit status (0:
 * the check passed), or -1 when python3 is not installed (the caller
 * reports a SKIP). */
static inline int python_check(const char *lines_path, const char *keys,
			       int min_lines)
{
	char script_path[] = "/tmp/tcpdrop-test-py-XXXXXX";
	char cmd[1024];
	FILE *f;
	int fd, status;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return -1;
	fd = mkstemp(script_path);
	if (fd < 0)
		return 1;
	f = fdopen(fd, "w");
	if (!f || fputs(json_keys_script, f) < 0) {
		if (f)
			fclose(f);
		unlink(script_path);
		return 1;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 %s %s '%s' %d", script_path,
		 lines_path, keys, min_lines);
	status = system(cmd);
	unlink(script_path);
	return status;
}

/* In test `fn`: flushes `lines` (written to `path`) and checks it with
 * python_check; a SKIP when python3 is missing. */
#define CHECK_PYTHON(fn, lines, path, keys, min_lines)                      \
	do {                                                                 \
		int status_;                                                 \
		CHECK((lines) != NULL && fflush(lines) == 0);                \
		status_ = python_check(path, keys, min_lines);               \
		if (status_ < 0)                                             \
			SKIP(fn, "no python3 to parse the lines with");      \
		else                                                         \
			CHECK_INT(status_, 0);                               \
	} while (0)

#endif
