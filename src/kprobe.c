#include "kprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "fileio.h"
#include "tracefs.h"

void kprobe_init(struct kprobe *kp)
{
	memset(kp, 0, sizeof(*kp));
	kp->fd = -1;
}

/* The perf kprobe PMU's type number, or -ENOENT where it is missing. */
static int pmu_type(void)
{
	char *text = NULL;
	size_t len;
	long type;
	int ret = read_file_max(KPROBE_PMU_TYPE, FILEIO_MAX_SMALL, &text, &len);

	if (ret)
		return ret;
	type = strtol(text, NULL, 10);
	free(text);
	return type > 0 && type < INT_MAX ? (int)type : -EINVAL;
}

/* include/uapi/linux/perf_event.h: for the kprobe PMU, config1 is the
 * function's name (kprobe_func), config2 the offset in it. */
static int attach_pmu(int type, int prog_fd, const char *func)
{
	struct perf_event_attr attr;

	attach_event_attr(&attr, (uint32_t)type, 0);
	attr.config1 = (uint64_t)(unsigned long)func;
	attr.config2 = 0;
	return attach_event(&attr, prog_fd);
}

/* Appends `line` to tracefs's kprobe_events, as `echo >>` would. */
static int write_kprobe_events(const char *root, const char *line)
{
	char path[PATH_MAX + 32];
	size_t len = strlen(line);
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, line, len);
	if (n != (ssize_t)len)
		err = n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

size_t kprobe_stale_removals(const char *events, char *out, size_t size)
{
	const char *line = events;
	size_t used = 0, count = 0;

	if (size)
		out[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *name = strchr(line, ':');
		size_t name_len;
		char *pid_end;
		long pid;

		if (!end)
			end = line + strlen(line);
		/* "p:tcpdrop_123/tcp_drop tcp_drop" */
		if (name && name < end &&
		    strncmp(name + 1, KPROBE_GROUP_PREFIX,
			    strlen(KPROBE_GROUP_PREFIX)) == 0) {
			name++;
			name_len = strcspn(name, " \n");
			pid = strtol(name + strlen(KPROBE_GROUP_PREFIX),
				     &pid_end, 10);
			if (pid > 0 && *pid_end == '/' &&
			    kill((pid_t)pid, 0) && errno == ESRCH &&
			    used + name_len + 4 < size) {
				used += (size_t)snprintf(out + used,
							 size - used, "-:%.*s\n",
							 (int)name_len, name);
				count++;
			}
		}
		line = *end ? end + 1 : NULL;
	}
	return count;
}

/* What earlier runs killed before their cleanup left. */
static void remove_stale_events(const char *root)
{
	char path[PATH_MAX + 32], removals[4096], *events = NULL, *line;
	size_t len;

	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	if (read_file_max(path, FILEIO_MAX_SMALL, &events, &len))
		return;
	if (kprobe_stale_removals(events, removals, sizeof(removals))) {
		for (line = strtok(removals, "\n"); line;
		     line = strtok(NULL, "\n"))
			write_kprobe_events(root, line);
	}
	free(events);
}

static int event_id(const char *root, const char *event)
{
	char path[PATH_MAX + 128], *text = NULL;
	size_t len;
	long id;
	int ret;

	snprintf(path, sizeof(path), "%s/events/%s/id", root, event);
	ret = read_file_max(path, FILEIO_MAX_SMALL, &text, &len);
	if (ret)
		return ret;
	id = strtol(text, NULL, 10);
	free(text);
	return id > 0 && id < INT_MAX ? (int)id : -EINVAL;
}

/* Creates the event in `root` and attaches to it like to a tracepoint. */
static int attach_via(struct kprobe *kp, const char *root, int prog_fd)
{
	char path[PATH_MAX + 32], line[256];
	int id, ret;

	snprintf(path, sizeof(path), "%s/kprobe_events", root);
	if (access(path, W_OK))
		return errno == ENOENT ? -EOPNOTSUPP : -errno;
	remove_stale_events(root);
	snprintf(line, sizeof(line), "p:%s %s\n", kp->event, kp->func);
	ret = write_kprobe_events(root, line);
	/* An unknown symbol: EINVAL or ENOENT, depending on the kernel. */
	if (ret)
		return ret == -EINVAL ? -ENOENT : ret;
	id = event_id(root, kp->event);
	if (id < 0)
		return id;
	return attach_tracepoint(prog_fd, (uint32_t)id);
}

/* Removes our event, with tracefs found or mounted again for it. */
static int remove_event(const char *event)
{
	struct tracefs tfs;
	struct errmsg msg;
	char line[128];
	int ret;

	ret = tracefs_open(&tfs, &msg);
	if (ret)
		return ret;
	snprintf(line, sizeof(line), "-:%s\n", event);
	ret = write_kprobe_events(tfs.root, line);
	tracefs_close(&tfs);
	return ret;
}

static int attach_tracefs(struct kprobe *kp, int prog_fd, struct errmsg *msg)
{
	struct tracefs tfs;
	int ret;

	ret = tracefs_open(&tfs, msg);
	if (ret)
		return ret;
	snprintf(kp->event, sizeof(kp->event), KPROBE_GROUP_PREFIX "%d/%s",
		 (int)getpid(), kp->func);
	ret = attach_via(kp, tfs.root, prog_fd);
	if (ret < 0 && ret != -ENOENT && ret != -EOPNOTSUPP) {
		char line[128];

		snprintf(line, sizeof(line), "-:%s\n", kp->event);
		write_kprobe_events(tfs.root, line);
	}
	tracefs_close(&tfs);
	if (ret < 0)
		return ret;
	kp->fd = ret;
	kp->way = KPROBE_TRACEFS;
	return 0;
}

int kprobe_attach(struct kprobe *kp, int prog_fd, const char *func,
		  bool force_tracefs, struct errmsg *msg)
{
	int type = force_tracefs ? -ENOENT : pmu_type();
	int ret;

	kprobe_init(kp);
	snprintf(kp->func, sizeof(kp->func), "%s", func);
	if (type > 0) {
		ret = attach_pmu(type, prog_fd, func);
		/* An unknown symbol: ENOENT, or EINVAL from older kernels. */
		if (ret == -ENOENT || ret == -EINVAL)
			return -ENOENT;
		if (ret < 0)
			return errmsg_set(msg, ret, "cannot attach a kprobe to "
					  "%s: %s", func, strerror(-ret));
		kp->fd = ret;
		kp->way = KPROBE_PMU;
		return 0;
	}
	ret = attach_tracefs(kp, prog_fd, msg);
	if (ret == -ENOENT || ret == -EOPNOTSUPP)
		return ret;
	if (ret)
		return errmsg_set(msg, ret, "cannot attach a kprobe to %s "
				  "through tracefs: %s", func, strerror(-ret));
	return 0;
}

void kprobe_detach(struct kprobe *kp)
{
	detach(kp->fd);
	kp->fd = -1;
	if (kp->way == KPROBE_TRACEFS)
		remove_event(kp->event);
	kp->way = KPROBE_NONE;
}
