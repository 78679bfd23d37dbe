#include "attach.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sys.h"

/* A BPF program on a tracepoint runs for the tracepoint on every CPU; one
 * event, opened on CPU 0 for all processes, carries it. */
int attach_tracepoint(int prog_fd, uint32_t tracepoint_id)
{
	struct perf_event_attr attr;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = tracepoint_id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	attr.disabled = 1;
	fd = sys_perf_event_open(&attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return fd;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) ||
	    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void detach(int perf_fd)
{
	if (perf_fd < 0)
		return;
	ioctl(perf_fd, PERF_EVENT_IOC_DISABLE, 0);
	close(perf_fd);
}
