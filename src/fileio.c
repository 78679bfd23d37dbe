#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* procfs and tracefs report st_size 0, so grow the buffer as we go instead
 * of trusting fstat(). */
static int read_all_fd(int fd, char **buf, size_t *len)
{
	size_t cap = 64 * 1024, used = 0;
	char *data = malloc(cap + 1);

	if (!data)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (used == cap) {
			char *bigger = realloc(data, cap * 2 + 1);

			if (!bigger) {
				free(data);
				return -ENOMEM;
			}
			data = bigger;
			cap *= 2;
		}
		n = read(fd, data + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(data);
			return err;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	data[used] = '\0';
	*buf = data;
	*len = used;
	return 0;
}

int read_whole_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = read_all_fd(fd, buf, len);
	close(fd);
	return err;
}
