/* Processes for the tests of what tcpdrop does about runs that are gone
 * (stale tracefs directories, stale kprobe events). */
#ifndef TCPDROP_PROCS_H
#define TCPDROP_PROCS_H

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* A PID that ran and is gone: a child that exited and was reaped. -1 when
 * fork failed. */
static inline pid_t gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

#endif
