/* Whole-file reads: the size bound (known size and streamed), and files
 * that are not regular refused without blocking or reading. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fileio.h"

static char dir[] = "/tmp/tcpdrop-fileio-XXXXXX";

static void write_file(const char *path, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char byte = 'x';
	size_t i;

	for (i = 0; fd >= 0 && i < size; i++)
		CHECK_INT(write(fd, &byte, 1), 1);
	if (fd >= 0)
		close(fd);
}

static void test_bound_of_a_sized_file(void)
{
	char path[64], *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/f", dir);
	write_file(path, 100);
	CHECK_INT(read_file_max(path, 100, &buf, &len), 0);
	CHECK_INT(len, 100);
	CHECK(buf && buf[100] == '\0');
	free(buf);
	CHECK_INT(read_file_max(path, 99, &buf, &len), -EFBIG);
	unlink(path);
}

/* procfs says size 0: the bound is found while reading. */
static void test_bound_of_a_streamed_file(void)
{
	char *buf = NULL;
	size_t len = 0;

	CHECK_INT(read_file_max("/proc/self/status", FILEIO_MAX_SMALL, &buf,
				&len), 0);
	CHECK(len > 100);
	free(buf);
	CHECK_INT(read_file_max("/proc/self/status", 100, &buf, &len), -EFBIG);
	CHECK_INT(read_file_max("/proc/self/status", 0, &buf, &len), -EFBIG);
	/* Megabytes: the bound is met after the buffer has grown a few
	 * times, and not crossed on the way. */
	if (read_file_max("/proc/kallsyms", FILEIO_MAX_KALLSYMS, &buf,
			  &len) == 0 && len > 300000) {
		free(buf);
		CHECK_INT(read_file_max("/proc/kallsyms", 300000, &buf, &len),
			  -EFBIG);
		CHECK_INT(read_file_max("/proc/kallsyms", len, &buf, &len), 0);
		free(buf);
	}
}

/* A FIFO with no writer would block a plain open(); a device would be
 * read without end. Neither is read at all. */
static void test_not_regular(void)
{
	char path[64], *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_INT(mkfifo(path, 0600), 0);
	CHECK_INT(read_whole_file(path, &buf, &len), -EINVAL);
	unlink(path);
	CHECK_INT(read_whole_file("/dev/zero", &buf, &len), -EINVAL);
	CHECK_INT(read_whole_file(dir, &buf, &len), -EISDIR);
	CHECK_INT(read_whole_file("/nonexistent/file", &buf, &len), -ENOENT);
}

static void test_empty_file(void)
{
	char path[64], *buf = NULL;
	size_t len = 1;

	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, 0);
	CHECK_INT(read_file_max(path, 0, &buf, &len), 0);
	CHECK_INT(len, 0);
	CHECK(buf && buf[0] == '\0');
	free(buf);
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_bound_of_a_sized_file);
	RUN(test_bound_of_a_streamed_file);
	RUN(test_not_regular);
	RUN(test_empty_file);
	rmdir(dir);
	return check_exit_code();
}
