/* src/pcapfile.c: a FIFO without a reader is waited for and a stop fd or
 * the deadline ends the wait; a socket's ENXIO is not waited for; an
 * existing file is kept until pcapfile_truncate(); -w naming stdout's or
 * stderr's stream is refused, /dev/null is not. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "pcapfile.h"

static char dir[] = "/tmp/test_pcapfile.XXXXXX";

static void path_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void test_fifo_stop(void)
{
	char fifo[128];
	int stop[2];

	path_in_dir(fifo, sizeof(fifo), "stop.fifo");
	CHECK_INT(mkfifo(fifo, 0600), 0);
	CHECK_INT(pipe(stop), 0);
	CHECK_INT(write(stop[1], "x", 1), 1);
	CHECK_INT(pcapfile_open(fifo, stop[0], 0, 10), -ECANCELED);
	close(stop[0]);
	close(stop[1]);
	unlink(fifo);
}

static void test_fifo_deadline(void)
{
	char fifo[128];

	path_in_dir(fifo, sizeof(fifo), "deadline.fifo");
	CHECK_INT(mkfifo(fifo, 0600), 0);
	CHECK_INT(pcapfile_open(fifo, -1, monotonic_ms() + 30, 10),
		  -ETIMEDOUT);
	unlink(fifo);
}

static void test_fifo_with_reader(void)
{
	char fifo[128];
	int reader, fd;

	path_in_dir(fifo, sizeof(fifo), "reader.fifo");
	CHECK_INT(mkfifo(fifo, 0600), 0);
	reader = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(reader >= 0);
	fd = pcapfile_open(fifo, -1, 0, 10);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		CHECK_INT(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		CHECK_INT(pcapfile_truncate(fd), 0);
		close(fd);
	}
	close(reader);
	unlink(fifo);
}

static void test_socket_not_waited(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	path_in_dir(sa.sun_path, sizeof(sa.sun_path), "sock");
	CHECK_INT(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_INT(pcapfile_open(sa.sun_path, -1, 0, 10), -ENXIO);
	close(s);
	unlink(sa.sun_path);
}

static void test_truncated_later(void)
{
	char path[128];
	struct stat st;
	int fd;

	path_in_dir(path, sizeof(path), "kept");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CHECK_INT(write(fd, "earlier", 7), 7);
	close(fd);
	fd = pcapfile_open(path, -1, 0, 10);
	CHECK(fd >= 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, 7);
	CHECK_INT(pcapfile_truncate(fd), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, 0);
	close(fd);
	unlink(path);
}

/* fd `target` (1 or 2) pointed at `path` while `check` runs. */
static int check_with(int target, const char *path, const char *w,
		      bool rows, struct errmsg *msg)
{
	int saved = dup(target), fd = open(path, O_WRONLY | O_CREAT, 0600);
	int ret;

	fflush(stdout);
	dup2(fd, target);
	close(fd);
	errmsg_init(msg);
	ret = pcapfile_check_target(w, rows, msg);
	dup2(saved, target);
	close(saved);
	return ret;
}

static void test_check_target(void)
{
	char out[128], other[128];
	struct errmsg msg;

	path_in_dir(out, sizeof(out), "out");
	path_in_dir(other, sizeof(other), "other");
	CHECK_INT(check_with(1, out, out, true, &msg), -EINVAL);
	CHECK(strstr(msg.text, "is stdout, where the rows go") != NULL);
	CHECK_INT(check_with(1, out, "/dev/stdout", true, &msg), -EINVAL);
	/* -q: nothing goes to stdout. */
	CHECK_INT(check_with(1, out, out, false, &msg), 0);
	CHECK_INT(check_with(1, out, other, true, &msg), 0);
	CHECK_INT(check_with(2, out, out, false, &msg), -EINVAL);
	CHECK(strstr(msg.text, "is stderr") != NULL);
	/* Not yet there: nobody writes it. */
	CHECK_INT(check_with(1, out, "/nonexistent/x", true, &msg), 0);
	/* A device may be shared. */
	CHECK_INT(check_with(1, "/dev/null", "/dev/null", true, &msg), 0);
	unlink(out);
	unlink(other);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_fifo_stop);
	RUN(test_fifo_deadline);
	RUN(test_fifo_with_reader);
	RUN(test_socket_not_waited);
	RUN(test_truncated_later);
	RUN(test_check_target);
	rmdir(dir);
	return check_exit_code();
}
