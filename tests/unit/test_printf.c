/* fmt_vfprintf (src/printf.c) against glibc's vsnprintf: every format
 * src/ uses, the edge cases around them, and where the two differ on
 * purpose (%p, %s of NULL, floats, unknown conversions) the exact text
 * musl prints or src/printf.h promises. Then the writes it makes: 512-byte
 * chunks, one fwrite() for a short line, -1 on a failed write or an
 * overflowing count. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "check.h"
#include "printf.h"
#include "streams.h"

struct result {
	int ret;
	char *text;	/* malloc'd, `len` bytes (and a NUL) */
	size_t len;
};

static struct result ours(int err, const char *fmt, va_list ap)
{
	struct result r = { 0 };
	FILE *f = open_memstream(&r.text, &r.len);

	if (!f)
		abort();
	errno = err;
	r.ret = fmt_vfprintf(f, fmt, ap);
	fclose(f);
	return r;
}

static struct result glibc(int err, const char *fmt, va_list ap)
{
	struct result r = { 0 };
	size_t cap = 8192;

	r.text = malloc(cap);
	if (!r.text)
		abort();
	errno = err;
	r.ret = vsnprintf(r.text, cap, fmt, ap);
	if (r.ret < 0 || (size_t)r.ret >= cap)
		abort();
	r.len = (size_t)r.ret;
	return r;
}

static int compared;

/* fmt_vfprintf and glibc give the same bytes and the same count. */
__attribute__((format(printf, 2, 3)))
static void same_at(int line, const char *fmt, ...)
{
	int err = errno;
	struct result a, b;
	va_list ap, ap2;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	a = ours(err, fmt, ap);
	b = glibc(err, fmt, ap2);
	va_end(ap2);
	va_end(ap);
	compared++;
	if (a.ret != b.ret || a.len != b.len || memcmp(a.text, b.text, a.len))
		CHECK_FAIL_("line %d: \"%s\": ours %d \"%.*s\", glibc %d \"%.*s\"",
			    line, fmt, a.ret, (int)a.len, a.text, b.ret,
			    (int)b.len, b.text);
	free(a.text);
	free(b.text);
}
#define SAME(...) same_at(__LINE__, __VA_ARGS__)

/* fmt_vfprintf prints exactly `want` and returns its length. */
__attribute__((format(printf, 3, 4)))
static void expect_at(int line, const char *want, const char *fmt, ...)
{
	struct result a;
	va_list ap;

	va_start(ap, fmt);
	a = ours(errno, fmt, ap);
	va_end(ap);
	compared++;
	if (a.ret != (int)strlen(want) || a.len != strlen(want) ||
	    memcmp(a.text, want, a.len))
		CHECK_FAIL_("line %d: \"%s\": %d \"%.*s\", want \"%s\"", line,
			    fmt, a.ret, (int)a.len, a.text, want);
	free(a.text);
}
#define EXPECT(...) expect_at(__LINE__, __VA_ARGS__)

static char long_text[1301];

static void fill_long_text(void)
{
	size_t i;

	for (i = 0; i + 1 < sizeof(long_text); i++)
		long_text[i] = (char)('a' + i % 26);
}

/* Each format the sources use, with typical and extreme values. */
static void test_formats_in_use(void)
{
	const char unterminated[4] = { 'e', 't', 'h', '0' };

	SAME("%s", "tcp_v4_rcv");
	SAME("%s|%s", "", "x");
	SAME("%u %u", 0u, UINT_MAX);
	SAME("%d %d %d %d", 0, -1, INT_MIN, INT_MAX);
	SAME("%llu %llu", 0ULL, ULLONG_MAX);
	SAME("%zu %zu", (size_t)0, SIZE_MAX);
	SAME("%llx %llx %llx", 0ULL, 0xdeadbeefcafef00dULL, ULLONG_MAX);
	SAME("[%.*s]", 3, "abcdef");
	SAME("[%.*s]", 10, "abc");
	SAME("[%.*s]", 0, "abc");
	SAME("[%.*s]", -1, "abc");
	SAME("[%.*s]", 4, unterminated);	/* ASan: no byte read past 4 */
	SAME("%02d %02d %02d %02d", 0, 5, 123, -5);
	SAME("[%-*s]", 10, "ab");
	SAME("[%-*s]", -10, "ab");
	SAME("[%-*s]", 1, "abc");
	SAME("%lld %lld %lld", 0LL, LLONG_MIN, LLONG_MAX);
	SAME("%c%c", 'x', '%');
	SAME("[%c]", 0);
	SAME("%04x %04x %04x", 0u, 0xabcu, 0x12345u);
	SAME("%03lld %03lld %03lld", 7LL, -7LL, 1234LL);
	SAME("%02x %02x %02x", 0u, 7u, 255u);
	SAME("%02u %02u", 7u, 100u);
	SAME("[%.12s] [%.12s]", "abcdefghijklmnop", "abc");
	SAME("[%.0d] [%.0d] [%.0d]", 0, 5, -5);
	SAME("[%-7s] [%-7s]", "ab", "abcdefghij");
	SAME("[%-20s] [%-11s]", "tcp_v4_rcv", "ESTABLISHED");
	SAME("%09ld %09ld", 123456L, -123456L);
	SAME("%06ld %06ld", 0L, LONG_MIN);
	SAME("%04d %04d", 5, -5);
	SAME("%.500s|", long_text);
	SAME("%.400s|", long_text);
	SAME("[%-7llu] [%-7llu]", 42ULL, ULLONG_MAX);
	SAME("[%*s] [%*s]", 8, "ab", -8, "ab");
	SAME("100%%");
	/* %p as musl prints it (glibc prints NULL as "(nil)"). */
	EXPECT("0x1234", "%p", (void *)0x1234);
	EXPECT("0", "%p", NULL);
	EXPECT("[    0x1f] [0       ]", "[%8p] [%-8p]", (void *)0x1f, NULL);
	EXPECT("0xffffffffffffffff", "%p", (void *)UINTPTR_MAX);
}

static void test_integer_edges(void)
{
	SAME("%+d %+d %+d", 5, 0, -5);
	SAME("% d % d % d", 5, 0, -5);
	SAME("%#x %#X %#x", 255u, 255u, 0u);
	SAME("%#o %#o %#o", 8u, 0u, 01234u);
	SAME("[%#.0o] [%.0x] [%#.0x] [%.0u]", 0u, 0u, 0u, 0u);
	SAME("[%#.5o] [%#.3x] [%#8.3x] [%#08x] [%-#8x]", 8u, 1u, 1u, 1u, 1u);
	SAME("[%5.3d] [%-5.3d] [%.3d]", -7, -7, INT_MIN);
	SAME("[%08d] [%-8d]", INT_MIN, INT_MIN);
	SAME("[%0*d] [%0*d]", 8, 42, -8, 42);
	SAME("[%.*d] [%*.*d]", 0, 0, -6, 3, 1);
	SAME("%hhd %hhu %hhx %hd %hu %hx", 300, 300, -1, 70000, 70000, -1);
	SAME("%ld %lu %lx %lo", LONG_MIN, ULONG_MAX, ULONG_MAX, ULONG_MAX);
	SAME("%jd %ju", INTMAX_MIN, UINTMAX_MAX);
	SAME("%zd %zx", (ssize_t)-1, SIZE_MAX);
	SAME("%td %tx", (ptrdiff_t)-5, (size_t)-5);
	SAME("%o %X %x", UINT_MAX, UINT_MAX, 0xabcdefu);
	SAME("%i %5i", -12, 12);
	SAME("[%20llo] [%-24llo]", ULLONG_MAX, ULLONG_MAX);
	SAME("[%5c] [%-5c]", 'a', 'b');
}

/* Flags C defines as ignored in these places (gcc warns of them). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
static void test_ignored_flags(void)
{
	SAME("%+ d % +d", 5, 5);		/* + wins over space */
	SAME("%+u % u %+x", 5u, 5u, 5u);	/* signed conversions only */
	SAME("[%05.3d] [%05.0d]", 7, 0);	/* 0 with a precision */
	SAME("[%-05d] [%0-5d]", 5, 5);		/* 0 with - */
	SAME("[%05s] [%05c]", "ab", 'c');	/* 0 on a string: spaces */
	SAME("[%0*.*d]", 8, -1, 42);		/* .* < 0: no precision */
}
#pragma GCC diagnostic pop

static void test_strings(void)
{
	SAME("[%10.3s] [%-10.3s] [%.*s]", "abcdef", "abcdef", 2, "abc");
	SAME("[%.0s] [%.s] [%5.s]", "abc", "abc", "abc");
	SAME("%s", long_text);
	errno = ENOENT;
	SAME("%m: [%20.9m]");
	errno = 0;
}

/* What C leaves undefined or glibc rejects, as src/printf.h promises. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"
static void test_unsupported(void)
{
	int n = -1;

	/* %s of NULL: "(null)" cut to the precision, as musl (glibc prints
	 * nothing when the precision is under 6). */
	EXPECT("[(null)] [(nu] [  (null)]", "[%s] [%.3s] [%8s]", (char *)NULL,
	       (char *)NULL, (char *)NULL);
	EXPECT("[%] [%]", "[%5%] [%-5%]");	/* as glibc; musl fails */
	SAME("%Ld %Lu", -5LL, 5ULL);
	EXPECT("[?] [   ?] [?   ] [?] 7", "[%f] [%4.1e] [%-4g] [%La] %d", 1.5,
	       2.0, 3.0, 4.0L, 7);
	EXPECT("[?] [?] 7", "[%lc] [%ls] %d", 65, L"wide", 7);
	EXPECT("ab7", "ab%n%d", &n, 7);
	CHECK_INT(n, -1);
	EXPECT("%q %5q|", "%q %5q|");
	EXPECT("%1$d", "%1$d", 5);
	EXPECT("abc%", "abc%");
	EXPECT("abc%-5", "abc%-5");
	EXPECT("", "");
}
#pragma GCC diagnostic pop

/* A stream that records the size of each write it is given. */
struct writes {
	size_t n;
	size_t sizes[16];
	size_t total;
};

static ssize_t record_write(void *cookie, const char *buf, size_t size)
{
	struct writes *w = cookie;

	if (w->n < 16)
		w->sizes[w->n] = size;
	w->n++;
	w->total += size;
	return (ssize_t)size;
}

static FILE *recording_stream(struct writes *w)
{
	cookie_io_functions_t io = { .write = record_write };
	FILE *f;

	memset(w, 0, sizeof(*w));
	f = fopencookie(w, "w", io);
	if (!f)
		abort();
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}

static int call(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fmt_vfprintf(f, fmt, ap);
	va_end(ap);
	return ret;
}

/* On an unbuffered stream (stderr), a line under 512 bytes is one write;
 * a longer output goes in 512-byte chunks, and the count is its length. */
static void test_chunks(void)
{
	struct writes w;
	FILE *f = recording_stream(&w);

	CHECK_INT(call(f, "%s %-20s %llu\n", "tcpdrop:", "line", 123ULL), 34);
	CHECK_INT(w.n, 1);
	CHECK_INT(w.sizes[0], 34);
	fclose(f);

	f = recording_stream(&w);
	CHECK_INT(call(f, "%s\n", long_text), 1301);
	CHECK_INT(w.n, 3);
	CHECK_INT(w.sizes[0], 512);
	CHECK_INT(w.sizes[1], 512);
	CHECK_INT(w.sizes[2], 277);
	fclose(f);

	/* Exactly the buffer: one write, none empty after it. */
	f = recording_stream(&w);
	CHECK_INT(call(f, "%.*s", 512, long_text), 512);
	CHECK_INT(w.n, 1);
	fclose(f);

	/* Padding across the chunk boundary. */
	f = recording_stream(&w);
	CHECK_INT(call(f, "%.510s%5d", long_text, 7), 515);
	CHECK_INT(w.n, 2);
	CHECK_INT(w.total, 515);
	fclose(f);

	SAME("%.510s%5d|%-600s|", long_text, 7, "x");
}

/* -1 when the stream fails (errno from it) or the count passes INT_MAX
 * (EOVERFLOW, before the field is written). */
static void test_errors(void)
{
	struct writes w;
	FILE *f = full_stream();

	if (!f) {
		SKIP(test_errors, "cannot open /dev/full");
		return;
	}
	errno = 0;
	CHECK_INT(call(f, "%s\n", "lost"), -1);
	CHECK_INT(errno, ENOSPC);
	fclose(f);

	f = recording_stream(&w);
	errno = 0;
	CHECK_INT(call(f, "ab%*d", INT_MAX, 1), -1);
	CHECK_INT(errno, EOVERFLOW);
	CHECK_INT(w.total, 2);
	fclose(f);
}

int main(void)
{
	fill_long_text();
	RUN(test_formats_in_use);
	RUN(test_integer_edges);
	RUN(test_ignored_flags);
	RUN(test_strings);
	RUN(test_unsupported);
	RUN(test_chunks);
	RUN(test_errors);
	printf("# %d formats compared\n", compared);
	return check_exit_code();
}
