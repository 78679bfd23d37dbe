#include "tracefs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

#define TRACEFS_DIR "/sys/kernel/tracing"
#define DEBUGFS_DIR "/sys/kernel/debug"

static bool is_octal_escape(const char *s)
{
	return s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
	       s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7';
}

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. An
 * escape must lie wholly inside the field: the bytes after it belong to
 * the next one. */
void tracefs_unescape_mount_dir(const char *src, size_t len, char *dst,
				size_t size)
{
	size_t i = 0, o = 0;

	if (size == 0)
		return;
	while (i < len && o + 1 < size) {
		if (i + 3 < len && is_octal_escape(src + i)) {
			dst[o++] = (char)((src[i + 1] - '0') << 6 |
					  (src[i + 2] - '0') << 3 |
					  (src[i + 3] - '0'));
			i += 4;
		} else {
			dst[o++] = src[i++];
		}
	}
	dst[o] = '\0';
}

int tracefs_find_mount(const char *mounts, const char *fstype, char *dir,
		       size_t size)
{
	const char *line = mounts;
	size_t type_len = strlen(fstype);

	while (line && *line) {
		const char *end = strchr(line, '\n');
		const char *dir_start = strchr(line, ' ');
		const char *type_start;

		if (!end)
			end = line + strlen(line);
		if (dir_start && dir_start < end) {
			dir_start++;
			type_start = memchr(dir_start, ' ', (size_t)(end - dir_start));
			if (type_start && (size_t)(end - type_start) > type_len + 1 &&
			    strncmp(type_start + 1, fstype, type_len) == 0 &&
			    type_start[1 + type_len] == ' ') {
				tracefs_unescape_mount_dir(dir_start,
						   (size_t)(type_start - dir_start),
						   dir, size);
				return 0;
			}
		}
		line = *end ? end + 1 : NULL;
	}
	return -ENOENT;
}

static bool has_events(const char *root)
{
	char path[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events", root);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* tracefs itself, or the tracing/ directory of a mounted debugfs (kernels
 * before 4.1, and hosts that only mount debugfs). */
static int find_mounted(struct tracefs *tfs)
{
	char *mounts = NULL, dir[PATH_MAX];
	size_t len;
	int ret = read_file_max("/proc/mounts", FILEIO_MAX_MOUNTS, &mounts,
				&len);

	if (ret)
		return ret;
	ret = -ENOENT;
	if (tracefs_find_mount(mounts, "tracefs", dir, sizeof(dir)) == 0 &&
	    has_events(dir)) {
		snprintf(tfs->root, sizeof(tfs->root), "%s", dir);
		ret = 0;
	} else if (tracefs_find_mount(mounts, "debugfs", dir, sizeof(dir)) == 0) {
		snprintf(tfs->root, sizeof(tfs->root), "%.*s/tracing",
			 PATH_MAX - 16, dir);
		ret = has_events(tfs->root) ? 0 : -ENOENT;
	}
	free(mounts);
	return ret;
}

/* A private copy of the mount tree; MS_PRIVATE stops our mount from
 * propagating back into the namespace we came from. */
static int enter_private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

static int mount_tracefs(struct tracefs *tfs)
{
	struct stat st;

	if (stat(TRACEFS_DIR, &st) == 0) {
		if (mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL))
			return -errno;
		snprintf(tfs->root, sizeof(tfs->root), "%s", TRACEFS_DIR);
	} else {
		if (mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL))
			return -errno;
		snprintf(tfs->root, sizeof(tfs->root), "%s/tracing",
			 DEBUGFS_DIR);
	}
	tfs->mounted = true;
	if (!has_events(tfs->root)) {
		tracefs_close(tfs);
		return -ENOENT;
	}
	return 0;
}

int tracefs_open(struct tracefs *tfs)
{
	memset(tfs, 0, sizeof(*tfs));
	if (find_mounted(tfs) == 0)
		return 0;
	tfs->private_ns = enter_private_mount_ns() == 0;
	return mount_tracefs(tfs);
}

void tracefs_close(struct tracefs *tfs)
{
	char *slash;

	if (!tfs->mounted)
		return;
	tfs->mounted = false;
	if (tfs->private_ns)
		return; /* goes away with the namespace */
	slash = strstr(tfs->root, "/tracing");
	if (slash && strcmp(slash, "/tracing") == 0 &&
	    strncmp(tfs->root, DEBUGFS_DIR, strlen(DEBUGFS_DIR)) == 0)
		*slash = '\0';
	if (umount2(tfs->root, 0) && errno == EBUSY)
		umount2(tfs->root, MNT_DETACH);
}

int tracefs_event_format(const struct tracefs *tfs, const char *system,
			 const char *event, struct tp_format *fmt)
{
	char path[PATH_MAX + 256];
	char *text = NULL;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tfs->root,
		 system, event);
	ret = read_file_max(path, FILEIO_MAX_SMALL, &text, &len);
	if (ret)
		return ret;
	ret = tp_format_parse(fmt, text, len);
	free(text);
	return ret;
}
