/* Whole-file reads for the kernel's text and binary files. */
#ifndef TCPDROP_FILEIO_H
#define TCPDROP_FILEIO_H

#include <stddef.h>

/* Bounds on a file read whole, per kind, so that a wrong path (a device, a
 * huge file) fails at once with -EFBIG instead of reading until memory runs
 * out. Each is ten times or more what the kernels we know give. */
#define FILEIO_MAX_BTF      ((size_t)256 << 20) /* vmlinux BTF: 5 MiB (6.18) */
#define FILEIO_MAX_KALLSYMS ((size_t)64 << 20)  /* 5 MiB with modules (6.18) */
#define FILEIO_MAX_MOUNTS   ((size_t)16 << 20)  /* ~100 bytes a mount */
#define FILEIO_MAX_SMALL    ((size_t)1 << 20)   /* format files (~10 KiB),
						 * /proc/self/status, CPU lists */

/* Reads all of regular file `path`, at most `max` bytes, into a malloc'd
 * buffer with a NUL appended (not counted in *len), so text files can be
 * parsed as strings. Works for files whose st_size is 0 or wrong (procfs,
 * sysfs, tracefs). Returns 0, or -errno: -EFBIG past `max`, -EISDIR for a
 * directory, -EINVAL for any other file that is not regular (a FIFO, a
 * device: opened without blocking, and never read). */
int read_file_max(const char *path, size_t max, char **buf, size_t *len);

/* read_file_max() with the largest bound, FILEIO_MAX_BTF. */
int read_whole_file(const char *path, char **buf, size_t *len);

#endif
