/* Finding a short string in a small text: the status file, a format file,
 * a path. musl's strstr() and memmem() are Two-Way searches, 2.6 KiB of
 * the binary (README "Size") for texts of a few KiB at most, read once. */
#ifndef TCPDROP_TEXTFIND_H
#define TCPDROP_TEXTFIND_H

#include <stddef.h>

/* The first place `needle` (NUL-terminated, not empty) starts in the
 * `len` bytes at `text` (which may hold NULs), or NULL. O(len *
 * strlen(needle)). */
const char *text_find(const char *text, size_t len, const char *needle);

#endif
