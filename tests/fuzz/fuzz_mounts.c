/* /proc/mounts text: tracefs_find_mount on a NUL-terminated copy of the
 * input (after its first byte), for tracefs, debugfs and the empty type,
 * into a buffer of exactly the size passed: 1 + the first byte % 64, and
 * PATH_MAX. A write past it is an ASan error. */
#include <errno.h>
#include <limits.h>

#include "fuzz.h"
#include "tracefs.h"

static void find(const char *mounts, const char *fstype, size_t size)
{
	char *dir = malloc(size);
	int err;

	if (!dir)
		abort();
	err = tracefs_find_mount(mounts, fstype, dir, size);
	FUZZ_CHECK(err == 0 || err == -ENOENT);
	if (err == 0)
		FUZZ_CHECK(strlen(dir) < size);
	free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t dir_size = 1 + (size_t)fuzz_take(&data, &size, 1) % 64;
	char *mounts = fuzz_strdup(data, size);

	find(mounts, "tracefs", dir_size);
	find(mounts, "tracefs", PATH_MAX);
	find(mounts, "debugfs", dir_size);
	find(mounts, "", dir_size);
	free(mounts);
	return 0;
}
