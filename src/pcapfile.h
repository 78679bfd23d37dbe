/* Where -w FILE is opened: a FIFO that has no reader yet is waited for
 * without going deaf to the stop signals, and a FILE that is stdout or
 * stderr, where other text goes, is refused before anything is written. */
#ifndef TCPDROP_PCAPFILE_H
#define TCPDROP_PCAPFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "errmsg.h"

/* Opens `path` for writing, created mode 0644 (less the umask); an
 * existing file is not truncated yet (pcapfile_truncate()). A FIFO without a reader is tried again every `retry_ms`
 * until a reader opens it, `stop_fd` (the signalfd of the stop signals)
 * becomes readable, or CLOCK_MONOTONIC passes `deadline_ms` (0: never).
 * Returns the fd (blocking, close-on-exec), or -errno: -ECANCELED for a
 * stop signal, -ETIMEDOUT for the deadline, else open()'s. */
int pcapfile_open(const char *path, int stop_fd, int64_t deadline_ms,
		  int retry_ms);

/* Empties `fd` if it is a regular file (a FIFO or a device has nothing
 * to empty). 0 or -errno of ftruncate(). */
int pcapfile_truncate(int fd);

/* Whether `path` is, already before it is opened, the file, pipe or
 * socket of stdout (where rows go when `rows_on_stdout`) or of stderr
 * (the summary's): the two writers would interleave and neither output
 * would read. Devices such as /dev/null are never refused. 0, or -EINVAL
 * with `msg` saying so. */
int pcapfile_check_target(const char *path, bool rows_on_stdout,
			  struct errmsg *msg);

#endif
