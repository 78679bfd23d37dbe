/* Finding tracefs (or debugfs) in a /proc/mounts text. */
#include <errno.h>

#include "check.h"
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

int main(void)
{
	RUN(test_find);
	RUN(test_not_found);
	RUN(test_bad_escapes);
	RUN(test_escape_at_field_end);
	RUN(test_short_buffer);
	return check_exit_code();
}
