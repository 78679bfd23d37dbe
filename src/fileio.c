#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIRST_CHUNK ((size_t)64 * 1024)

/* The next buffer size: doubled, but never past max + 1 (one byte more
 * than allowed is how a file too large is seen). */
static size_t grow(size_t cap, size_t max)
{
	return cap > max / 2 ? max + 1 : cap * 2;
}

/* procfs and tracefs report st_size 0, so grow the buffer as we go instead
 * of trusting fstat(). */
static int read_all_fd(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = FIRST_CHUNK < max + 1 ? FIRST_CHUNK : max + 1, used = 0;
	char *data = malloc(cap + 1), *bigger;
	ssize_t n;
	int err = 0;

	if (!data)
		return -ENOMEM;
	for (;;) {
		if (used == cap && used > max) {
			err = -EFBIG;
			break;
		}
		if (used == cap) {
			cap = grow(cap, max);
			bigger = realloc(data, cap + 1);
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			data = bigger;
		}
		n = read(fd, data + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		used += (size_t)n;
	}
	if (err) {
		free(data);
		return err;
	}
	data[used] = '\0';
	*buf = data;
	*len = used;
	return 0;
}

/* Only regular files: O_NONBLOCK keeps open() of a FIFO from waiting for a
 * writer, and the check keeps us from reading a device at all. */
static int check_regular(int fd, size_t max)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	return 0;
}

int read_file_max(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = check_regular(fd, max);
	if (err == 0)
		err = read_all_fd(fd, max, buf, len);
	close(fd);
	return err;
}

int read_whole_file(const char *path, char **buf, size_t *len)
{
	return read_file_max(path, FILEIO_MAX_BTF, buf, len);
}
