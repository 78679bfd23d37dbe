/* A compact printf core, in place of musl's vfprintf in the static binary.
 *
 * musl's vfprintf.lo always carries its floating-point formatter (fmt_fp,
 * on long double); on aarch64 long double is IEEE binary128 done in
 * software, so libgcc's __addtf3, __subtf3, __multf3, __extenddftf2,
 * __eqtf2, __fixtfsi ... come with it: about 10 KiB there, with the 5.4 KiB
 * of vfprintf.lo itself. tcpdrop never formats a float. musl's printf,
 * fprintf, snprintf, vsnprintf, dprintf all end in the public vfprintf(),
 * which src/printf_libc.c defines in the static binary only, so the
 * archive member is never linked (README "Size").
 *
 * What it formats: flags - 0 space + # (# on o, x, X), width (digits or *,
 * a negative * meaning -), precision (.digits, .*, a lone . meaning 0;
 * on integers the minimum of digits, so %.0d of 0 prints nothing; on %s
 * at most that many bytes, the string need not be NUL-terminated then),
 * lengths hh h l ll z j t (and L, read as ll on integers), conversions
 * d i u o x X c s p m %. As musl prints them: %p as %#lx ("0x1f00", and
 * "0" for NULL), %s of NULL as "(null)" cut to the precision, %m as
 * strerror(errno).
 *
 * What it does not: floating point (f F e E g G a A take their double,
 * or long double with L, and print "?" in the width), wide characters
 * (%lc, %ls take their argument and print "?"), %n (takes the pointer,
 * writes nothing), positional arguments (%1$d), the ' flag, locales.
 * A conversion it does not know is printed as it stands ("%q"), where
 * musl and glibc fail with EINVAL; %5% prints "%", as glibc does. */
#ifndef TCPDROP_PRINTF_H
#define TCPDROP_PRINTF_H

#include <stdarg.h>
#include <stdio.h>

/* Formats `fmt` with the arguments in `ap` and writes the result to `f`
 * with fwrite(), from a 512-byte buffer on the stack: a line under 512
 * bytes is one fwrite(), so one write(2) on an unbuffered stream (stderr).
 * Returns the number of bytes the format makes (what C's vfprintf
 * returns, even where `f` truncates it, as snprintf's stream does), or -1
 * when an fwrite() wrote less than it was given (errno as the stream left
 * it) or the count passes INT_MAX (errno EOVERFLOW). No malloc, no
 * locale, no floating point. */
int fmt_vfprintf(FILE *f, const char *fmt, va_list ap);

#endif
