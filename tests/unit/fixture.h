/* Test fixtures under tests/fixtures (or $TCPDROP_FIXTURES). */
#ifndef TCPDROP_FIXTURE_H
#define TCPDROP_FIXTURE_H

#include <stdlib.h>

#include "check.h"
#include "fileio.h"
#include "tpformat.h"

static inline char *read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("TCPDROP_FIXTURES");
	char path[512];
	char *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures",
		 name);
	if (read_whole_file(path, &buf, len))
		return NULL;
	return buf;
}

/* Parses a format fixture; fails the test (and returns -1) if it is
 * missing or does not parse. */
static inline int parse_fixture(struct tp_format *fmt, const char *name)
{
	size_t len;
	char *text = read_fixture(name, &len);
	int err;

	if (!text) {
		CHECK_FAIL_("fixture %s not found (run from the repo top or "
			    "set TCPDROP_FIXTURES)", name);
		return -1;
	}
	err = tp_format_parse(fmt, text, len);
	free(text);
	CHECK_INT(err, 0);
	return err ? -1 : 0;
}

#endif
