/* Streams whose every write fails, for the tests of what a writer
 * returns then. Unbuffered, so the first write already fails. NULL when
 * the machine cannot make one: the caller reports a SKIP. */
#ifndef TCPDROP_STREAMS_H
#define TCPDROP_STREAMS_H

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

/* /dev/full: ENOSPC, which the writers report as -EIO. */
static inline FILE *full_stream(void)
{
	FILE *f = fopen("/dev/full", "w");

	if (f)
		setvbuf(f, NULL, _IONBF, 0);
	return f;
}

/* A pipe whose reader is gone: EPIPE, which ends a run quietly. SIGPIPE
 * is ignored from here on, as tcpdrop itself does. */
static inline FILE *closed_pipe_stream(void)
{
	int fds[2];
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	if (pipe(fds))
		return NULL;
	close(fds[0]);
	f = fdopen(fds[1], "w");
	if (!f) {
		close(fds[1]);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}

#endif
