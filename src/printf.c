/* The printf core of src/printf.h: one pass over the format, each
 * conversion parsed into a struct spec, then printed as prefix, zeros,
 * body and space padding into a buffer on the stack that goes to the
 * stream with fwrite() when full and at the end. */
#include "printf.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* What the stream is given at a time: a line under this is one fwrite(). */
#define OUT_CHUNK 512

struct out {
	FILE *f;
	size_t len;		/* bytes waiting in buf */
	size_t total;		/* bytes formatted, written or waiting */
	bool write_failed;	/* an fwrite() wrote less than given */
	bool overflow;		/* a field would pass INT_MAX bytes in all */
	char buf[OUT_CHUNK];
};

/* The flags of a conversion. */
enum {
	F_MINUS = 1,		/* -: left-justify */
	F_ZERO = 2,		/* 0: pad integers with zeros */
	F_SPACE = 4,		/* ' ': a space before a positive signed number */
	F_PLUS = 8,		/* +: a plus before a positive signed number */
	F_ALT = 16,		/* #: 0x on x and X, a leading 0 on o */
};

/* The length modifiers, each the type its argument is read as. */
enum { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE,
       LEN_INTMAX, LEN_PTRDIFF };

struct spec {
	unsigned flags;		/* F_* */
	int width;		/* 0 or more */
	int prec;		/* -1: none */
	int len;		/* LEN_* */
	bool long_double;	/* L: a float conversion reads a long double */
};

static void out_flush(struct out *o)
{
	if (o->len && !o->write_failed &&
	    fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->write_failed = true;
	o->len = 0;
}

static void out_put(struct out *o, const char *s, size_t n)
{
	o->total += n;
	while (n) {
		size_t k = sizeof(o->buf) - o->len;

		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			out_flush(o);
	}
}

static void out_repeat(struct out *o, char c, size_t n)
{
	while (n--)
		out_put(o, &c, 1);
}

/* One field: `pre` (sign, 0x), `zeros` zeros, then `body`, padded with
 * spaces to the width, on the left or (flag -) the right; flag 0 pads
 * with zeros between prefix and body instead (integers only: the caller
 * clears it for the rest). */
static void out_field(struct out *o, const struct spec *sp, const char *pre,
		      size_t npre, size_t zeros, const char *body, size_t nbody)
{
	size_t n = npre + zeros + nbody;
	size_t pad = (size_t)sp->width > n ? (size_t)sp->width - n : 0;

	if (n + pad > (size_t)INT_MAX - (o->total < INT_MAX ? o->total : INT_MAX)) {
		o->overflow = true;
		return;
	}
	if ((sp->flags & (F_ZERO | F_MINUS)) == F_ZERO) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & F_MINUS))
		out_repeat(o, ' ', pad);
	out_put(o, pre, npre);
	out_repeat(o, '0', zeros);
	out_put(o, body, nbody);
	if (sp->flags & F_MINUS)
		out_repeat(o, ' ', pad);
}

/* An integer conversion (d i u o x X, and p as #x): `v` is the magnitude,
 * `negative` its sign. A precision is the minimum number of digits (1
 * when none, so that 0 prints "0", and %.0d of 0 prints nothing). */
static void out_int(struct out *o, const struct spec *sp, char conv,
		    uintmax_t v, bool negative)
{
	const char *xdigits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
	char digits[3 * sizeof(uintmax_t)];	/* 22 octal digits of 64 bits */
	char *end = digits + sizeof(digits), *p = end;
	size_t prec = sp->prec < 0 ? 1 : (size_t)sp->prec, zeros;
	char pre[2];
	size_t npre = 0;

	if (negative)
		pre[npre++] = '-';
	else if (conv == 'd' || conv == 'i') {
		if (sp->flags & F_PLUS)
			pre[npre++] = '+';
		else if (sp->flags & F_SPACE)
			pre[npre++] = ' ';
	}
	if ((sp->flags & F_ALT) && base == 16 && v) {
		pre[npre++] = '0';
		pre[npre++] = conv;
	}
	for (; v; v /= base)
		*--p = xdigits[v % base];
	zeros = prec > (size_t)(end - p) ? prec - (size_t)(end - p) : 0;
	/* #o: the first digit is a 0 (the digits never start with one). */
	if ((sp->flags & F_ALT) && base == 8 && !zeros)
		zeros = 1;
	out_field(o, sp, pre, npre, zeros, p, (size_t)(end - p));
}

/* A string field: at most `prec` bytes of `s` when a precision is given
 * (strnlen: they need not end in a NUL). */
static void out_str(struct out *o, const struct spec *sp, const char *s)
{
	size_t n = sp->prec < 0 ? strlen(s) : strnlen(s, (size_t)sp->prec);

	out_field(o, sp, NULL, 0, 0, s, n);
}

/* Digits at *s, saturating at INT_MAX (out_field then reports the
 * overflow before writing anything of the field). */
static int parse_num(const char **s)
{
	int n = 0;

	for (; **s >= '0' && **s <= '9'; (*s)++)
		n = n > INT_MAX / 10 - 1 ? INT_MAX : n * 10 + (**s - '0');
	return n;
}

/* Flags, width, precision and length of the conversion at `s` (after its
 * %), taking the ints of * from `ap`; returns where the conversion letter
 * is (or the format's NUL). */
static const char *parse_spec(const char *s, struct spec *sp, va_list *ap)
{
	static const char flag_chars[] = "-0 +#";
	const char *c;

	sp->flags = 0;
	for (; *s && (c = strchr(flag_chars, *s)); s++)
		sp->flags |= 1u << (c - flag_chars);
	if (*s == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->flags |= F_MINUS;
			sp->width = sp->width == INT_MIN ? INT_MAX : -sp->width;
		}
		s++;
	} else {
		sp->width = parse_num(&s);
	}
	sp->prec = -1;
	if (*s == '.') {
		s++;
		if (*s == '*') {
			sp->prec = va_arg(*ap, int);	/* negative: as if none */
			if (sp->prec < 0)
				sp->prec = -1;
			s++;
		} else {
			sp->prec = parse_num(&s);
		}
	}
	sp->len = LEN_INT;
	sp->long_double = false;
	switch (*s) {
	case 'h':
		sp->len = s[1] == 'h' ? LEN_CHAR : LEN_SHORT;
		s += 1 + (s[1] == 'h');
		break;
	case 'l':
		sp->len = s[1] == 'l' ? LEN_LLONG : LEN_LONG;
		s += 1 + (s[1] == 'l');
		break;
	case 'L':
		sp->len = LEN_LLONG;
		sp->long_double = true;
		s++;
		break;
	case 'z':
		sp->len = LEN_SIZE;
		s++;
		break;
	case 'j':
		sp->len = LEN_INTMAX;
		s++;
		break;
	case 't':
		sp->len = LEN_PTRDIFF;
		s++;
		break;
	}
	return s;
}

static intmax_t arg_signed(int len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:		return (signed char)va_arg(*ap, int);
	case LEN_SHORT:		return (short)va_arg(*ap, int);
	case LEN_LONG:		return va_arg(*ap, long);
	case LEN_LLONG:		return va_arg(*ap, long long);
	case LEN_SIZE:		return va_arg(*ap, ssize_t);
	case LEN_INTMAX:	return va_arg(*ap, intmax_t);
	case LEN_PTRDIFF:	return va_arg(*ap, ptrdiff_t);
	default:		return va_arg(*ap, int);
	}
}

static uintmax_t arg_unsigned(int len, va_list *ap)
{
	switch (len) {
	case LEN_CHAR:		return (unsigned char)va_arg(*ap, unsigned);
	case LEN_SHORT:		return (unsigned short)va_arg(*ap, unsigned);
	case LEN_LONG:		return va_arg(*ap, unsigned long);
	case LEN_LLONG:		return va_arg(*ap, unsigned long long);
	case LEN_SIZE:		return va_arg(*ap, size_t);
	case LEN_INTMAX:	return va_arg(*ap, uintmax_t);
	case LEN_PTRDIFF:	return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default:		return va_arg(*ap, unsigned);
	}
}

/* The conversion whose % is at `pct`; returns where the format goes on.
 * `saved_errno` is errno as the caller left it, for %m. */
static const char *out_conversion(struct out *o, const char *pct, va_list *ap,
				  int saved_errno)
{
	struct spec sp;
	const char *s = parse_spec(pct + 1, &sp, ap);
	const char *str;
	intmax_t i;
	char c;

	switch (*s) {
	case 'd': case 'i':
		if (sp.prec >= 0)
			sp.flags &= ~F_ZERO;
		i = arg_signed(sp.len, ap);
		/* -(i + 1) + 1: the magnitude of INTMAX_MIN without overflow. */
		out_int(o, &sp, *s, i < 0 ? (uintmax_t)-(i + 1) + 1 : (uintmax_t)i,
			i < 0);
		break;
	case 'u': case 'o': case 'x': case 'X':
		if (sp.prec >= 0)
			sp.flags &= ~F_ZERO;
		out_int(o, &sp, *s, arg_unsigned(sp.len, ap), false);
		break;
	case 'p':
		if (sp.prec >= 0)
			sp.flags &= ~F_ZERO;
		sp.flags |= F_ALT;
		out_int(o, &sp, 'x', (uintptr_t)va_arg(*ap, void *), false);
		break;
	case 'c':
		sp.flags &= ~F_ZERO;
		if (sp.len == LEN_LONG) {	/* %lc: a wint_t */
			(void)va_arg(*ap, unsigned);
			out_field(o, &sp, NULL, 0, 0, "?", 1);
			break;
		}
		c = (char)va_arg(*ap, int);
		out_field(o, &sp, NULL, 0, 0, &c, 1);
		break;
	case 's':
		sp.flags &= ~F_ZERO;
		str = va_arg(*ap, const char *);
		if (sp.len == LEN_LONG)		/* %ls: a wchar_t string */
			str = "?";
		out_str(o, &sp, str ? str : "(null)");
		break;
	case 'm':
		sp.flags &= ~F_ZERO;
		out_str(o, &sp, strerror(saved_errno));
		break;
	case 'f': case 'F': case 'e': case 'E':
	case 'g': case 'G': case 'a': case 'A':
		sp.flags &= ~F_ZERO;
		if (sp.long_double)
			(void)va_arg(*ap, long double);
		else
			(void)va_arg(*ap, double);
		out_field(o, &sp, NULL, 0, 0, "?", 1);
		break;
	case 'n':
		(void)va_arg(*ap, void *);
		break;
	case '%':
		out_put(o, "%", 1);
		break;
	case '\0':	/* the format ends inside the conversion */
		out_put(o, pct, (size_t)(s - pct));
		return s;
	default:	/* not a conversion we know: printed as it stands */
		out_put(o, pct, (size_t)(s + 1 - pct));
		break;
	}
	return s + 1;
}

int fmt_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	const char *s = fmt, *text;
	struct out o;
	va_list args;

	o.f = f;
	o.len = 0;
	o.total = 0;
	o.write_failed = false;
	o.overflow = false;
	/* A copy, so that the helpers can take it by address (a va_list
	 * parameter may be an array turned pointer). */
	va_copy(args, ap);
	while (*s && !o.overflow) {
		for (text = s; *s && *s != '%'; s++)
			;
		out_put(&o, text, (size_t)(s - text));
		if (*s)
			s = out_conversion(&o, s, &args, saved_errno);
	}
	va_end(args);
	out_flush(&o);
	if (o.write_failed)
		return -1;
	if (o.overflow || o.total > INT_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return (int)o.total;
}
