/* Finding tracefs: where /proc/mounts says it is, else a mount of our own.
 * Rescue shells and minimal hosts often have nothing mounted. Our own mount
 * is made inside a private mount namespace of this process when the kernel
 * lets us (it then disappears with the process, even on SIGKILL, and the
 * host's mount table never changes); where unshare() is refused we mount in
 * place and unmount in tracefs_close(). */
#ifndef TCPDROP_TRACEFS_H
#define TCPDROP_TRACEFS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "tpformat.h"

struct tracefs {
	char root[PATH_MAX];   /* e.g. "/sys/kernel/tracing" */
	bool mounted;          /* we mounted it ... */
	bool private_ns;       /* ... inside our own mount namespace */
};

/* Finds or mounts tracefs. -ENOENT when the kernel has none, other -errno
 * from mount(2) (e.g. -EPERM without CAP_SYS_ADMIN). */
int tracefs_open(struct tracefs *tfs);

/* Unmounts what tracefs_open() mounted in the host's namespace. */
void tracefs_close(struct tracefs *tfs);

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
