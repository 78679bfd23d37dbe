#include "outstream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* How the fd is written without blocking. */
enum write_way {
	WRITE_PLAIN,      /* regular file or block device: never stalls */
	WRITE_OWN_FD,     /* our own O_NONBLOCK description of it */
	WRITE_FLAGGED,    /* O_NONBLOCK set on the caller's fd, restored */
	WRITE_SOCKET,     /* send(MSG_DONTWAIT) */
};

struct outstream {
	int fd;           /* what is written to */
	int orig_fd;      /* the caller's */
	int orig_flags;   /* its file status flags, for WRITE_FLAGGED */
	enum write_way way;
	int stop_fd;
	int64_t deadline_ms;
	int error;        /* -errno of the write that failed the stream */
	char *buffer;     /* stdio's, ours so that its size is ours too */
};

/* -1 for no deadline, else the milliseconds left (0 once passed). */
static int time_left(const struct outstream *os)
{
	int64_t left;

	if (!os->deadline_ms)
		return -1;
	left = os->deadline_ms - monotonic_ms();
	if (left <= 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

/* Waits until the fd takes more bytes: 0, or why it will not. */
static int wait_for_room(struct outstream *os)
{
	struct pollfd fds[2] = {
		{ .fd = os->fd, .events = POLLOUT },
		{ .fd = os->stop_fd, .events = POLLIN },
	};
	int timeout = time_left(os), n;

	if (timeout == 0)
		return OUTSTREAM_EXPIRED;
	n = poll(fds, os->stop_fd >= 0 ? 2 : 1, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n > 0 && (fds[1].revents & POLLIN))
		return OUTSTREAM_STOPPED;
	if (n == 0 && time_left(os) == 0)
		return OUTSTREAM_EXPIRED;
	/* POLLERR (reader gone) shows as EPIPE from the next write. */
	return 0;
}

static ssize_t write_once(const struct outstream *os, const char *buf,
			  size_t len)
{
	if (os->way == WRITE_SOCKET)
		return send(os->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(os->fd, buf, len);
}

/* fopencookie's write: all `len` bytes, or -1 with errno set (and kept
 * in os->error, which later calls may overwrite in errno). Never a part:
 * libcs differ in what they make of a short cookie write. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t len)
{
	struct outstream *os = cookie;
	size_t done = 0;
	ssize_t n;
	int ret;

	while (done < len) {
		n = write_once(os, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			os->error = -errno;
			return -1;
		}
		ret = wait_for_room(os);
		if (ret) {
			os->error = ret;
			errno = -ret;
			return -1;
		}
	}
	return (ssize_t)len;
}

static int cookie_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* A description of our own, non-blocking: the caller's stays as it was,
 * for the shell that shares it, whatever becomes of us. */
static int reopen_nonblocking(int fd)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

static void choose_way(struct outstream *os)
{
	struct stat st;
	int flags;

	if (fstat(os->orig_fd, &st) || S_ISREG(st.st_mode) ||
	    S_ISBLK(st.st_mode))
		return;
	if (S_ISSOCK(st.st_mode)) {
		os->way = WRITE_SOCKET;
		return;
	}
	os->fd = reopen_nonblocking(os->orig_fd);
	if (os->fd >= 0) {
		os->way = WRITE_OWN_FD;
		return;
	}
	os->fd = os->orig_fd;
	flags = fcntl(os->orig_fd, F_GETFL);
	if (flags >= 0 && fcntl(os->orig_fd, F_SETFL, flags | O_NONBLOCK) == 0) {
		os->orig_flags = flags;
		os->way = WRITE_FLAGGED;
	}
}

int outstream_open(int fd, int stop_fd, size_t buffer_size, FILE **out,
		   struct outstream **osp)
{
	static const cookie_io_functions_t io = {
		.write = cookie_write, .close = cookie_close,
	};
	struct outstream *os = calloc(1, sizeof(*os));
	FILE *f;

	if (!os)
		return -ENOMEM;
	os->fd = os->orig_fd = fd;
	os->stop_fd = stop_fd;
	choose_way(os);
	os->buffer = malloc(buffer_size);
	f = os->buffer ? fopencookie(os, "w", io) : NULL;
	if (!f || setvbuf(f, os->buffer, _IOFBF, buffer_size)) {
		if (f)
			fclose(f);
		outstream_close(NULL, os);
		return -ENOMEM;
	}
	*out = f;
	*osp = os;
	return 0;
}

void outstream_set_deadline(struct outstream *os, int64_t deadline_ms)
{
	os->deadline_ms = deadline_ms;
}

int outstream_flush(FILE *out, struct outstream *os)
{
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	return outstream_error(os);
}

int outstream_error(const struct outstream *os)
{
	return os->error ? os->error : 0;
}

void outstream_close(FILE *out, struct outstream *os)
{
	if (out) {
		/* What is still buffered is written if the fd takes it at
		 * once; the caller flushed what it could wait for. */
		os->stop_fd = -1;
		os->deadline_ms = 1;
		fclose(out);
	}
	if (!os)
		return;
	free(os->buffer);
	if (os->way == WRITE_OWN_FD)
		close(os->fd);
	if (os->way == WRITE_FLAGGED)
		fcntl(os->orig_fd, F_SETFL, os->orig_flags);
	free(os);
}
