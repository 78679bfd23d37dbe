/* Finding tracefs (or debugfs) in a /proc/mounts text; removing the
 * directories of runs of the unshare-less fallback that were killed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "procs.h"
#include "tracefs.h"

static const char mounts[] =
	"proc /proc proc rw,relatime 0 0\n"
	"sysfs /sys sysfs rw,relatime 0 0\n"
	"none /sys/kernel/debug debugfs rw 0 0\n"
	"nodev /mnt/my\\040trace tracefs rw,relatime 0 0\n";

static void test_find(void)
{
	char dir[64];

	CHECK_INT(tracefs_find_mount(mounts, "tracefs", dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/mnt/my trace");
	CHECK_INT(tracefs_find_mount(mounts, "debugfs", dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/sys/kernel/debug");
	CHECK_INT(tracefs_find_mount(mounts, "proc", dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/proc");
}

static void test_not_found(void)
{
	char dir[64];

	CHECK_INT(tracefs_find_mount("", "tracefs", dir, sizeof(dir)), -ENOENT);
	/* "tracefs" must be the whole type, not a prefix of another. */
	CHECK_INT(tracefs_find_mount("x /a tracefsx rw 0 0\n", "tracefs", dir,
				     sizeof(dir)), -ENOENT);
	/* A line without the type column. */
	CHECK_INT(tracefs_find_mount("x /a\n", "tracefs", dir, sizeof(dir)),
		  -ENOENT);
	/* Last line without a newline. */
	CHECK_INT(tracefs_find_mount("x /t tracefs rw 0 0", "tracefs", dir,
				     sizeof(dir)), 0);
	CHECK_STR(dir, "/t");
}

/* Only \ooo with three octal digits is an escape (found by fuzzing: a
 * backslash before other bytes was decoded as one). */
static void test_bad_escapes(void)
{
	char dir[64];

	CHECK_INT(tracefs_find_mount("x /a\\1\xb9\xb9 tracefs rw 0 0\n",
				     "tracefs", dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/a\\1\xb9\xb9");
	CHECK_INT(tracefs_find_mount("x /b\\19x tracefs rw 0 0\n", "tracefs",
				     dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/b\\19x");
	CHECK_INT(tracefs_find_mount("x /c\\134 tracefs rw 0 0\n", "tracefs",
				     dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/c\\");
	/* \4oo and above would not fit a byte: not an escape. */
	CHECK_INT(tracefs_find_mount("x /d\\477 tracefs rw 0 0\n", "tracefs",
				     dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/d\\477");
}

/* An escape cut by the end of the field is not one: the bytes after the
 * field (here "12") are not read. Through tracefs_find_mount() the field
 * always ends at a space, so only a direct call shows this bound. */
static void test_escape_at_field_end(void)
{
	static const char field[] = "/a\\012";
	char dir[16];

	tracefs_unescape_mount_dir(field, 4, dir, sizeof(dir));
	CHECK_STR(dir, "/a\\0");
	tracefs_unescape_mount_dir(field, 5, dir, sizeof(dir));
	CHECK_STR(dir, "/a\\01");
	tracefs_unescape_mount_dir(field, 6, dir, sizeof(dir));
	CHECK_STR(dir, "/a\n");
}

static void test_short_buffer(void)
{
	char dir[5];

	CHECK_INT(tracefs_find_mount(mounts, "debugfs", dir, sizeof(dir)), 0);
	CHECK_STR(dir, "/sys");
}

/* Whether a debugfs's tracing/ was already mounted decides whether the
 * automount is ours to undo. */
static void test_mounted_at(void)
{
	static const char text[] =
		"none /sys/kernel/debug debugfs rw 0 0\n"
		"tracefs /sys/kernel/debug/tracing tracefs rw 0 0\n"
		"nodev /mnt/my\\040trace tracefs rw,relatime 0 0\n";

	CHECK(tracefs_mounted_at(text, "tracefs", "/sys/kernel/debug/tracing"));
	CHECK(tracefs_mounted_at(text, "tracefs", "/mnt/my trace"));
	CHECK(tracefs_mounted_at(text, "debugfs", "/sys/kernel/debug"));
	CHECK(!tracefs_mounted_at(text, "tracefs", "/sys/kernel/debug"));
	CHECK(!tracefs_mounted_at(text, "tracefs", "/sys/kernel/tracing"));
	CHECK(!tracefs_mounted_at("", "tracefs", "/sys/kernel/tracing"));
}

static bool exists(const char *base, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", base, name);
	return stat(path, &st) == 0;
}

/* A symlink with a stale name, which anyone can make in /tmp, is neither
 * followed nor removed: what it points to stays. */
static void check_not_followed(const char *base)
{
	char name[64], link[256], target[256];
	pid_t pid = gone_pid();

	snprintf(name, sizeof(name), TRACEFS_OWN_PREFIX "%d", (int)pid);
	snprintf(link, sizeof(link), "%s/%s", base, name);
	snprintf(target, sizeof(target), "%s/victim", base);
	CHECK_INT(mkdir(target, 0700), 0);
	CHECK_INT(symlink(target, link), 0);
	tracefs_remove_stale(base, "");
	CHECK(exists(base, name));
	CHECK(exists(base, "victim"));
	unlink(link);
	rmdir(target);
}

/* A stale-named directory with another filesystem on it (per the mount
 * table) is not ours: kept, and not unmounted. */
static void check_foreign_mount_kept(const char *base)
{
	char name[64], dir[256], table[512];
	pid_t pid = gone_pid();

	snprintf(name, sizeof(name), TRACEFS_OWN_PREFIX "%d", (int)pid);
	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	CHECK_INT(mkdir(dir, 0700), 0);
	snprintf(table, sizeof(table), "tmpfs %s tmpfs rw 0 0\n", dir);
	tracefs_remove_stale(base, table);
	CHECK(exists(base, name));
	/* With tracefs there instead, it is ours to remove. */
	snprintf(table, sizeof(table), "nodev %s tracefs rw 0 0\n", dir);
	tracefs_remove_stale(base, table);
	CHECK(!exists(base, name));
	rmdir(dir);
}

/* Only a directory of ours whose run is gone is removed: not a live
 * run's, not one whose name only looks alike. */
static void test_remove_stale(void)
{
	char base[] = "/tmp/tcpdrop-test-stale-XXXXXX";
	char dead[64], live[64], path[256];
	const char *others[] = { "tcpdrop-tracefs.", "tcpdrop-tracefs.0",
				 "tcpdrop-tracefs.12x", "other.1" };
	size_t i;
	pid_t pid = gone_pid();

	if (!mkdtemp(base) || pid <= 0) {
		CHECK(!"mkdtemp or fork failed");
		return;
	}
	snprintf(dead, sizeof(dead), TRACEFS_OWN_PREFIX "%d", (int)pid);
	snprintf(live, sizeof(live), TRACEFS_OWN_PREFIX "%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/%s", base, dead);
	CHECK_INT(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", base, live);
	CHECK_INT(mkdir(path, 0700), 0);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", base, others[i]);
		CHECK_INT(mkdir(path, 0700), 0);
	}
	tracefs_remove_stale(base, "");
	CHECK(!exists(base, dead));
	CHECK(exists(base, live));
	check_not_followed(base);
	check_foreign_mount_kept(base);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		CHECK(exists(base, others[i]));
		snprintf(path, sizeof(path), "%s/%s", base, others[i]);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/%s", base, live);
	rmdir(path);
	CHECK_INT(rmdir(base), 0);
}

int main(void)
{
	RUN(test_find);
	RUN(test_not_found);
	RUN(test_bad_escapes);
	RUN(test_escape_at_field_end);
	RUN(test_short_buffer);
	RUN(test_mounted_at);
	RUN(test_remove_stale);
	return check_exit_code();
}
