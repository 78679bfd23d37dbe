/* The static binary's vfprintf(): src/printf.c's core in place of musl's.
 *
 * musl's printf, fprintf, snprintf, vsnprintf, dprintf and asprintf all
 * call this public vfprintf(). A static link takes an archive member only
 * for a symbol still undefined, so with this one defined musl's
 * vfprintf.lo (5.4 KiB, with its long double formatter) is never linked,
 * nor on aarch64 the 10 KiB of libgcc's software binary128 arithmetic it
 * needs (__addtf3, __multf3, ...): README "Size".
 *
 * Built into the musl binary only (the Makefile leaves it out of LIB_SRC):
 * the unit tests and fuzz harnesses link with glibc, and compare
 * fmt_vfprintf() with glibc's own vfprintf. */
#include <stdarg.h>
#include <stdio.h>

#include "printf.h"

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
	return fmt_vfprintf(f, fmt, ap);
}
