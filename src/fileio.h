/* Whole-file reads for the kernel's text and binary files. */
#ifndef TCPDROP_FILEIO_H
#define TCPDROP_FILEIO_H

#include <stddef.h>

/* Reads all of `path` into a malloc'd buffer with a NUL appended (not counted
 * in *len), so text files can be parsed as strings. Works for files whose
 * st_size is 0 or wrong (procfs, sysfs, tracefs). Returns 0 or -errno. */
int read_whole_file(const char *path, char **buf, size_t *len);

#endif
