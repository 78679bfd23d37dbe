/* fmt_vfprintf (src/printf.c) against glibc's vsnprintf over fuzzed
 * formats: the same bytes and the same count.
 *
 * The input is a format, then optionally a NUL and the bytes that change
 * the argument values. The format is made safe before either sees it:
 * every conversion is rewritten to read the next of a fixed list of
 * arguments with its own type (int, long long, string, long, size_t,
 * intmax_t), keeping the input's flags, widths and precisions (three
 * digits at most; * only where the next argument is a small int);
 * conversions past the list, and a % ending the input, become %%. The
 * conversions whose output differs from glibc on purpose (%p, %s of NULL,
 * floats: src/printf.h) are not made; test_printf covers them. */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "printf.h"

enum kind { K_INT, K_LLONG, K_STR, K_LONG, K_SIZE, K_INTMAX };

/* The argument list: the kind of each, in order. */
static const enum kind kinds[] = {
	K_INT, K_LLONG, K_STR, K_INT, K_LONG, K_SIZE, K_STR, K_INT, K_INTMAX,
	K_INT,
};
#define NARGS (sizeof(kinds) / sizeof(kinds[0]))

struct args {
	long long v[NARGS];	/* each cast to its kind */
	const char *s[NARGS];	/* K_STR */
};

static char long_str[701];

static const char *strings(unsigned i)
{
	static const char *pool[] = { "tcp_v4_rcv", "", long_str, "a%sb" };

	return pool[i % 4];
}

/* The values when the input gives none: the extremes of each type. */
static void make_args(struct args *a, const uint8_t *data, size_t size)
{
	static const long long defaults[NARGS] = {
		-42, LLONG_MIN, 0, INT_MIN, 123456, -1, 2, 255, INTMAX_MAX, 0,
	};
	size_t i;

	for (i = 0; i < NARGS; i++) {
		a->v[i] = defaults[i] ^ (long long)fuzz_take(&data, &size, 8);
		a->s[i] = strings((unsigned)a->v[i]);
	}
}

static bool is_flag(uint8_t c)
{
	return c == '-' || c == '0' || c == ' ' || c == '+' || c == '#';
}

/* Up to three digits of the input, the rest of the run dropped. */
static size_t copy_digits(const uint8_t *in, size_t n, size_t i, char **out)
{
	size_t kept = 0;

	for (; i < n && in[i] >= '0' && in[i] <= '9'; i++)
		if (kept++ < 3)
			*(*out)++ = (char)in[i];
	return i;
}

/* A width or precision: * when the next argument is an int of at most
 * 4096 in size and one more follows for the conversion (it is then
 * taken), else the input's digits. */
static size_t copy_count(const uint8_t *in, size_t n, size_t i, char **out,
			 const struct args *a, size_t *arg)
{
	if (i < n && in[i] == '*') {
		if (*arg + 1 < NARGS && kinds[*arg] == K_INT &&
		    (int)a->v[*arg] >= -4096 && (int)a->v[*arg] <= 4096) {
			*(*out)++ = '*';
			(*arg)++;
		}
		return i + 1;
	}
	return copy_digits(in, n, i, out);
}

/* The length and conversion for an argument of kind `k`: the input's
 * letter `c` where it fits the kind, with its h or hh on an int (`hs`: how
 * many), so that a seed reads as the format it is; else chosen by the
 * value of `c`. */
static void put_conversion(char **out, enum kind k, uint8_t c, size_t hs)
{
	static const char ints[] = "diouxX";
	static const char *int_lengths[] = { "", "h", "hh", "" };
	static const char *lengths[] = {
		[K_LLONG] = "ll", [K_LONG] = "l", [K_SIZE] = "z", [K_INTMAX] = "j",
	};
	bool letter = c && strchr(ints, c);
	const char *len;

	if (k == K_STR) {
		*(*out)++ = 's';
		return;
	}
	if (k == K_INT && (c == 'c' || (!letter && c % 7 == 6))) {
		*(*out)++ = 'c';
		return;
	}
	if (k != K_INT)
		len = lengths[k];
	else
		len = letter ? int_lengths[hs < 2 ? hs : 2] : int_lengths[(c >> 4) % 4];
	while (*len)
		*(*out)++ = *len++;
	*(*out)++ = letter ? (char)c : ints[c % 6];
}

/* The safe format of `in` (n bytes, no NUL) into `out`, of 4n + 1 bytes:
 * no piece of the format grows to more than twice its input. */
static void make_format(const uint8_t *in, size_t n, char *out,
			const struct args *a)
{
	size_t i = 0, arg = 0, flags, hs;

	while (i < n) {
		if (in[i] != '%') {
			*out++ = (char)in[i++];
			continue;
		}
		*out++ = '%';
		i++;
		if (i >= n || in[i] == '%' || arg >= NARGS) {
			*out++ = '%';
			i += i < n && in[i] == '%';
			continue;
		}
		for (flags = 0; i < n && is_flag(in[i]); i++)
			if (flags++ < 5)
				*out++ = (char)in[i];
		i = copy_count(in, n, i, &out, a, &arg);
		if (i < n && in[i] == '.') {
			*out++ = '.';
			i = copy_count(in, n, i + 1, &out, a, &arg);
		}
		/* The input's length modifiers: the argument's kind decides. */
		for (hs = 0; i < n && strchr("hlLjzt", in[i]); i++)
			hs += in[i] == 'h';
		put_conversion(&out, kinds[arg++], i < n ? in[i] : 0, hs);
		i += i < n;
	}
	*out = '\0';
}

/* The same argument list for both. */
#define ARGS(a)                                                              \
	(int)(a)->v[0], (long long)(a)->v[1], (a)->s[2], (int)(a)->v[3],     \
	(long)(a)->v[4], (size_t)(a)->v[5], (a)->s[6], (int)(a)->v[7],        \
	(intmax_t)(a)->v[8], (int)(a)->v[9]

static int ours(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fmt_vfprintf(f, fmt, ap);
	va_end(ap);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n = nul ? (size_t)(nul - data) : size;
	char *fmt, *want, *got = NULL;
	size_t got_len = 0;
	struct args a;
	int want_ret, got_ret;
	FILE *f;

	if (!long_str[0])
		memset(long_str, 'w', sizeof(long_str) - 1);
	make_args(&a, nul ? nul + 1 : data + size, nul ? size - n - 1 : 0);
	fmt = malloc(4 * n + 1);
	if (!fmt)
		abort();
	make_format(data, n, fmt, &a);

	want_ret = snprintf(NULL, 0, fmt, ARGS(&a));
	FUZZ_CHECK(want_ret >= 0);
	want = malloc((size_t)want_ret + 1);
	if (!want)
		abort();
	snprintf(want, (size_t)want_ret + 1, fmt, ARGS(&a));

	f = open_memstream(&got, &got_len);
	if (!f)
		abort();
	got_ret = ours(f, fmt, ARGS(&a));
	fclose(f);
	if (got_ret != want_ret || got_len != (size_t)want_ret ||
	    memcmp(got, want, got_len) != 0)
		fprintf(stderr, "format \"%s\": ours %d \"%.*s\", glibc %d \"%s\"\n",
			fmt, got_ret, (int)got_len, got, want_ret, want);
	FUZZ_CHECK(got_ret == want_ret);
	FUZZ_CHECK(got_len == (size_t)want_ret);
	FUZZ_CHECK(memcmp(got, want, got_len) == 0);
	free(got);
	free(want);
	free(fmt);
	return 0;
}
