#include "attach.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sys.h"

void attach_event_attr(struct perf_event_attr *attr, uint32_t type,
			uint64_t config)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = type;
	attr->config = config;
	attr->sample_period = 1;
	attr->wakeup_events = 1;
	attr->disabled = 1;
}

/* A BPF program on a tracepoint or kprobe runs for it on every CPU; one
 * event, opened on CPU 0 for all processes, carries it. */
int attach_event(struct perf_event_attr *attr, int prog_fd)
{
	int fd, err;

	fd = sys_perf_event_open(attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
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

int attach_tracepoint(int prog_fd, uint32_t tracepoint_id)
{
	struct perf_event_attr attr;

	attach_event_attr(&attr, PERF_TYPE_TRACEPOINT, tracepoint_id);
	return attach_event(&attr, prog_fd);
}

void detach(int perf_fd)
{
	if (perf_fd < 0)
		return;
	ioctl(perf_fd, PERF_EVENT_IOC_DISABLE, 0);
	close(perf_fd);
}
