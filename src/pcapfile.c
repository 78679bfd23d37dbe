#include "pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

/* open() of a FIFO for writing blocks until a reader comes, and the stop
 * signals are blocked (read through a signalfd), so a plain open() could
 * only be ended by SIGKILL. With O_NONBLOCK it fails with ENXIO instead
 * (fifo(7)), and is tried again while nothing asks us to stop. */
static int open_nonblocking(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK, 0644);
}

static bool is_fifo(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* 1 when the stop fd became readable, 0 after `ms` without (poll()
 * ignores an fd of -1), or -errno. */
static int stop_within(int stop_fd, int ms)
{
	struct pollfd p = { .fd = stop_fd, .events = POLLIN };

	if (poll(&p, 1, ms) < 0)
		return errno == EINTR ? 0 : -errno;
	return p.revents ? 1 : 0;
}

int pcapfile_open(const char *path, int stop_fd, int64_t deadline_ms,
		  int retry_ms)
{
	int fd, flags, ret;

	while ((fd = open_nonblocking(path)) < 0) {
		/* ENXIO is also a socket's or a missing device's answer:
		 * only a FIFO is waited for. */
		if (errno != ENXIO || !is_fifo(path))
			return -errno;
		if (deadline_ms && monotonic_ms() >= deadline_ms)
			return -ETIMEDOUT;
		ret = stop_within(stop_fd, retry_ms);
		if (ret)
			return ret > 0 ? -ECANCELED : ret;
	}
	/* Writes block as they would after a plain open(); outstream.c
	 * makes its own non-blocking description of a FIFO. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int pcapfile_truncate(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode) && ftruncate(fd, 0))
		return -errno;
	return 0;
}

/* Whether `path` and `fd` are one file, pipe or socket. */
static bool same_stream(const struct stat *st, int fd)
{
	struct stat other;

	if (fstat(fd, &other) || st->st_dev != other.st_dev ||
	    st->st_ino != other.st_ino)
		return false;
	return S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode) ||
	       S_ISSOCK(st->st_mode);
}

int pcapfile_check_target(const char *path, bool rows_on_stdout,
			  struct errmsg *msg)
{
	struct stat st;

	/* A path that does not exist yet is no open stream. */
	if (stat(path, &st))
		return 0;
	if (rows_on_stdout && same_stream(&st, STDOUT_FILENO))
		return errmsg_set(msg, -EINVAL, "-w %s is stdout, where the "
				  "rows go: give -w - for the packets alone "
				  "(or -q)", path);
	if (same_stream(&st, STDERR_FILENO))
		return errmsg_set(msg, -EINVAL, "-w %s is stderr, where "
				  "tcpdrop's messages go", path);
	return 0;
}
