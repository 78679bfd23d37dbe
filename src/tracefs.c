#include "tracefs.h"
#include "textfind.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
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

/* 0 when root/events is a directory we can read, else -errno (-ENOENT
 * for none, -EACCES for a tracefs we may not read). */
static int check_events(const char *root)
{
	char path[PATH_MAX + 16];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/events", root);
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOENT;
	/* Opened, not access()ed: access() checks with the real uid and
	 * without the capabilities (CAP_DAC_OVERRIDE) a service may run
	 * with. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

bool tracefs_mounted_at(const char *mounts, const char *fstype,
			const char *dir)
{
	char found[PATH_MAX];
	const char *line = mounts;

	while (line && *line) {
		if (tracefs_find_mount(line, fstype, found, sizeof(found)) != 0)
			return false;
		if (strcmp(found, dir) == 0)
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/* Since 4.1 a debugfs's tracing/ is an automount point of tracefs: the
 * look at events/ mounts it, in our mount namespace. Where that is the
 * host's, the mount we caused must go again at the end. */
static int use_debugfs_tracing(struct tracefs *tfs, const char *mounts,
			       const char *debugfs_dir)
{
	bool was_mounted;
	int ret;

	snprintf(tfs->root, sizeof(tfs->root), "%.*s/tracing", PATH_MAX - 16,
		 debugfs_dir);
	was_mounted = tracefs_mounted_at(mounts, "tracefs", tfs->root);
	ret = check_events(tfs->root);
	if (!was_mounted && !tfs->private_ns) {
		snprintf(tfs->unmount_dir, sizeof(tfs->unmount_dir), "%s",
			 tfs->root);
		tfs->automounted = true;
	}
	return ret;
}

/* The first mount of `fstype` that is not another run's own (see
 * mount_own()): that one goes away a few milliseconds from now. */
static int find_lasting_mount(const char *mounts, const char *fstype,
			      char *dir, size_t size)
{
	const char *line = mounts;

	while (line && *line) {
		if (tracefs_find_mount(line, fstype, dir, size) != 0)
			return -ENOENT;
		if (!text_find(dir, strlen(dir), "/" TRACEFS_OWN_PREFIX))
			return 0;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

/* tracefs itself, or the tracing/ directory of a mounted debugfs (kernels
 * before 4.1, and hosts that only mount debugfs). -ENOENT for neither;
 * -EACCES and the like for one we cannot read; the error of reading
 * /proc/mounts itself in *mounts_err. */
static int find_mounted(struct tracefs *tfs, int *mounts_err)
{
	char *mounts = NULL, dir[PATH_MAX];
	size_t len;
	int ret = read_file_max("/proc/mounts", FILEIO_MAX_MOUNTS, &mounts,
				&len);

	*mounts_err = ret;
	if (ret)
		return -ENOENT;
	ret = -ENOENT;
	if (find_lasting_mount(mounts, "tracefs", dir, sizeof(dir)) == 0) {
		snprintf(tfs->root, sizeof(tfs->root), "%s", dir);
		ret = check_events(tfs->root);
	}
	if (ret == -ENOENT &&
	    find_lasting_mount(mounts, "debugfs", dir, sizeof(dir)) == 0)
		ret = use_debugfs_tracing(tfs, mounts, dir);
	free(mounts);
	return ret;
}

/* A copy of the mount tree of our own. MS_SLAVE: our mounts never reach
 * the namespace we came from, and the mounts made there later (a new
 * /run/netns entry) still reach us. */
static int enter_private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	return 0;
}

/* Mounts tracefs at `dir`, or debugfs where the kernel has no tracefs
 * (before 4.1), and sets root. */
static int mount_at(struct tracefs *tfs, const char *dir)
{
	if (mount("tracefs", dir, "tracefs", 0, NULL) == 0) {
		snprintf(tfs->root, sizeof(tfs->root), "%s", dir);
	} else if (errno == ENODEV &&
		   mount("debugfs", dir, "debugfs", 0, NULL) == 0) {
		snprintf(tfs->root, sizeof(tfs->root), "%.*s/tracing",
			 PATH_MAX - 16, dir);
	} else {
		return -errno;
	}
	tfs->mounted = true;
	snprintf(tfs->unmount_dir, sizeof(tfs->unmount_dir), "%s", dir);
	return 0;
}

/* Where unshare() is refused, each run mounts in a directory of its own,
 * named by its PID, so that runs started together never share, mount
 * over, or unmount each other's tracefs. The first place that takes a new
 * directory is used. */
static const char *const own_dir_bases[] = { "/run", "/tmp", "/dev/shm", "/dev" };

static int make_own_dir(struct tracefs *tfs, char *dir, size_t size)
{
	size_t i;
	int ret = -ENOENT;

	for (i = 0; i < sizeof(own_dir_bases) / sizeof(own_dir_bases[0]); i++) {
		snprintf(dir, size, "%s/" TRACEFS_OWN_PREFIX "%d",
			 own_dir_bases[i], (int)getpid());
		if (mkdir(dir, 0700) == 0) {
			tfs->remove_dir = true;
			return 0;
		}
		ret = -errno;
	}
	return ret;
}

/* Unmounts (if mounted) and removes one of our directories. */
static void remove_own_dir(const char *dir)
{
	/* NOFOLLOW: never through a symlink put in our directory's place. */
	if (umount2(dir, UMOUNT_NOFOLLOW) && errno == EBUSY)
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
	rmdir(dir);
}

/* In a /proc/mounts text: is anything but tracefs or debugfs mounted at
 * `dir`? */
static bool foreign_mount_at(const char *mounts, const char *dir)
{
	size_t len = strlen(dir);
	const char *line;

	for (line = mounts; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		const char *point = strchr(line, ' ');

		if (!point || strncmp(point + 1, dir, len) != 0 ||
		    point[1 + len] != ' ')
			continue;
		point += 1 + len + 1;
		if (strncmp(point, "tracefs ", 8) != 0 &&
		    strncmp(point, "debugfs ", 8) != 0)
			return true;
	}
	return false;
}

/* Only what a run of ours can have left: a real directory (a symlink of
 * the same name may point anywhere), owned by us as the run was, with
 * nothing but tracefs or debugfs mounted on it. In /tmp anyone can make
 * an entry of any name. */
static bool stale_is_ours(const char *dir, const char *mounts)
{
	struct stat st;

	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_uid == geteuid() && !foreign_mount_at(mounts, dir);
}

/* The PID in a TRACEFS_OWN_PREFIX name, or 0. */
static long own_dir_pid(const char *name)
{
	size_t len = strlen(TRACEFS_OWN_PREFIX);
	char *end;
	long pid;

	if (strncmp(name, TRACEFS_OWN_PREFIX, len) != 0 ||
	    name[len] < '1' || name[len] > '9')
		return 0;
	pid = strtol(name + len, &end, 10);
	return *end ? 0 : pid;
}

void tracefs_remove_stale(const char *base, const char *mounts)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(base);
	long pid;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		pid = own_dir_pid(e->d_name);
		if (pid <= 0 || !(kill((pid_t)pid, 0) && errno == ESRCH))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		if (stale_is_ours(dir, mounts))
			remove_own_dir(dir);
	}
	closedir(d);
}

/* A run killed between its mkdir and its unmount (a few system calls
 * apart) leaves its directory, maybe mounted: the next run takes it
 * away. */
static void remove_stale_mounts(void)
{
	char *mounts = NULL;
	size_t i, len;

	/* Without the mount table no mount can be told apart: leave all. */
	if (read_file_max("/proc/mounts", FILEIO_MAX_MOUNTS, &mounts, &len))
		return;
	for (i = 0; i < sizeof(own_dir_bases) / sizeof(own_dir_bases[0]); i++)
		tracefs_remove_stale(own_dir_bases[i], mounts);
	free(mounts);
}

static int mount_own(struct tracefs *tfs)
{
	char dir[PATH_MAX];
	int ret;

	if (tfs->private_ns) {
		struct stat st;

		if (stat(TRACEFS_DIR, &st) == 0)
			return mount_at(tfs, TRACEFS_DIR);
		return mount_at(tfs, DEBUGFS_DIR);
	}
	remove_stale_mounts();
	ret = make_own_dir(tfs, dir, sizeof(dir));
	if (ret)
		return ret;
	ret = mount_at(tfs, dir);
	if (ret) {
		rmdir(dir);
		tfs->remove_dir = false;
	}
	return ret;
}

/* The advice for an error reading tracefs: only a permission is root's
 * to give. */
static const char *root_would_help(int err)
{
	return err == -EACCES || err == -EPERM ? ": run as root" : "";
}

/* The reason tcpdrop could neither find nor mount tracefs. */
static int explain(int mounts_err, int mount_err, struct errmsg *msg)
{
	if (mounts_err)
		return errmsg_set(msg, mount_err, "cannot read /proc/mounts "
				  "(%s) to find tracefs, and mounting it failed "
				  "(%s)", strerror(-mounts_err),
				  strerror(-mount_err));
	return errmsg_set(msg, mount_err, "tracefs is not mounted and "
			  "mounting it failed (%s); mount it: mount -t tracefs "
			  "nodev /sys/kernel/tracing", strerror(-mount_err));
}

int tracefs_open(struct tracefs *tfs, struct errmsg *msg)
{
	int mounts_err, ret;

	memset(tfs, 0, sizeof(*tfs));
	/* First, so that an automount we cause happens in our namespace. */
	tfs->private_ns = enter_private_mount_ns() == 0;
	ret = find_mounted(tfs, &mounts_err);
	if (ret == 0)
		return 0;
	if (ret != -ENOENT)
		return errmsg_set(msg, ret, "tracefs at %s cannot be read (%s)%s",
				  tfs->root, strerror(-ret),
				  root_would_help(ret));
	ret = mount_own(tfs);
	if (ret)
		return explain(mounts_err, ret, msg);
	ret = check_events(tfs->root);
	if (ret) {
		/* Mounted, then not readable: tracefs's files are root's. */
		errmsg_set(msg, ret, "tracefs mounted at %s cannot be read "
			   "(%s)%s", tfs->root, strerror(-ret),
			   root_would_help(ret));
		tracefs_close(tfs);
	}
	return ret;
}

void tracefs_close(struct tracefs *tfs)
{
	if (tfs->private_ns || (!tfs->mounted && !tfs->automounted)) {
		/* What we mounted goes away with our namespace. */
		tfs->mounted = tfs->automounted = false;
		return;
	}
	if (tfs->remove_dir)
		remove_own_dir(tfs->unmount_dir);
	else
		umount2(tfs->unmount_dir, MNT_DETACH);
	tfs->mounted = tfs->automounted = tfs->remove_dir = false;
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
