/* Finding tracefs: where /proc/mounts says it is, else a mount of our own.
 * Rescue shells and minimal hosts often have nothing mounted.
 *
 * First of all, the process takes a mount namespace of its own when the
 * kernel lets it (unshare(CLONE_NEWNS), mounts slaved to the host's): a
 * mount it makes there, or a debugfs automount of tracing/ it causes,
 * disappears with the process, even on SIGKILL, and the host's mount
 * table never changes. Where unshare() is refused (a container's seccomp
 * profile), each run mounts tracefs in a directory of its own,
 * /run/tcpdrop-tracefs.PID (else under /tmp, /dev/shm, /dev), and
 * tracefs_close() unmounts and removes it once the tracepoint's id and
 * format are read: runs started together never touch each other's mount.
 * A run killed between that mount and its unmount leaves the directory
 * mounted; the next run that needs the fallback removes every such
 * directory whose PID is gone, and only what is surely such a directory
 * (tracefs_remove_stale()). */
#ifndef TCPDROP_TRACEFS_H
#define TCPDROP_TRACEFS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "errmsg.h"
#include "tpformat.h"

#define TRACEFS_OWN_PREFIX "tcpdrop-tracefs."

struct tracefs {
	char root[PATH_MAX];   /* e.g. "/sys/kernel/tracing" */
	bool private_ns;       /* we have a mount namespace of our own */
	bool mounted;          /* we mounted it */
	bool automounted;      /* we made the kernel automount it */
	bool remove_dir;       /* unmount_dir is our own: rmdir it */
	char unmount_dir[PATH_MAX]; /* what tracefs_close() unmounts */
};

/* Finds or mounts tracefs. 0, or -errno with `msg` saying why: -ENOENT
 * when the kernel has none, -EACCES for a tracefs we may not read, the
 * -errno of mount(2) (e.g. -EPERM without CAP_SYS_ADMIN). */
int tracefs_open(struct tracefs *tfs, struct errmsg *msg);

/* Undoes in the host's namespace what tracefs_open() mounted there. */
void tracefs_close(struct tracefs *tfs);

/* In a /proc/mounts text: is a filesystem of `fstype` mounted at `dir`?
 * Exposed for unit tests. */
bool tracefs_mounted_at(const char *mounts, const char *fstype,
			const char *dir);

/* Unmounts (where mounted) and removes every TRACEFS_OWN_PREFIX directory
 * in `base` whose PID no longer runs and that is surely one a run left:
 * a directory (not a symlink), owned by our effective uid, with nothing
 * but tracefs or debugfs mounted on it per `mounts` (a /proc/mounts
 * text). */
void tracefs_remove_stale(const char *base, const char *mounts);

/* Reads and parses events/SYSTEM/EVENT/format. -ENOENT when the kernel has
 * no such tracepoint, -EFBIG past FILEIO_MAX_SMALL (1 MiB). */
int tracefs_event_format(const struct tracefs *tfs, const char *system,
			 const char *event, struct tp_format *fmt);

/* Looks for a mounted filesystem of `fstype` in a /proc/mounts-format
 * text; copies its mount point (octal escapes decoded) into `dir`.
 * 0 or -ENOENT. Exposed for unit tests. */
int tracefs_find_mount(const char *mounts, const char *fstype, char *dir,
		       size_t size);

/* Decodes the `len` bytes at `src` (a /proc/mounts field, \ooo escapes)
 * into `dst`, NUL-terminated and cut to `size`. Reads no byte past
 * src + len. Exposed for unit tests. */
void tracefs_unescape_mount_dir(const char *src, size_t len, char *dst,
				size_t size);

#endif
