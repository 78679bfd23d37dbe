/* Parser for tracefs `events/<sys>/<name>/format` files.
 *
 * The text comes from the kernel, but it is still outside input: every
 * read goes through a cursor bounded by the end of the current line, so a
 * truncated or hostile file can make the parse fail but never read past
 * `len`. The kernel prints one record per line:
 *
 *   name: kfree_skb
 *   ID: 2310
 *   format:
 *   \tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;
 *   print fmt: "...", REC->skbaddr, __print_symbolic(REC->reason, { 2, "X" })
 */
#include "tpformat.h"
#include "textfind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A read position inside one line: [p, end). */
struct cursor {
	const char *p;
	const char *end;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

static bool eat_char(struct cursor *c, char want)
{
	if (c->p >= c->end || *c->p != want)
		return false;
	c->p++;
	return true;
}

static bool eat_str(struct cursor *c, const char *want)
{
	size_t n = strlen(want);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, want, n) != 0)
		return false;
	c->p += n;
	return true;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Unsigned decimal, or hex with a 0x prefix (newer kernels print some
 * enum tables in hex). At least one digit; overflow is -EINVAL. */
static int parse_u64(struct cursor *c, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	int ndigits = 0;

	if (c->end - c->p >= 2 && c->p[0] == '0' &&
	    (c->p[1] == 'x' || c->p[1] == 'X')) {
		base = 16;
		c->p += 2;
	}
	while (c->p < c->end) {
		int d = hex_digit(*c->p);

		if (d < 0 || (unsigned)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -EINVAL;
		v = v * base + (unsigned)d;
		c->p++;
		ndigits++;
	}
	if (!ndigits)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u32(struct cursor *c, uint32_t *out)
{
	uint64_t v;
	int err = parse_u64(c, &v);

	if (err)
		return err;
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* Copies [s, s+n) into a TP_NAME_MAX buffer; a name that does not fit is
 * malformed rather than silently cut (a cut name would match the wrong
 * field). */
static int copy_name(char dst[TP_NAME_MAX], const char *s, size_t n)
{
	if (n >= TP_NAME_MAX)
		return -EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static void trim_span(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/* Splits a declaration into type and name: "void * skbaddr" ->
 * ("void *", "skbaddr"), "char comm[16]" -> ("char[16]", "comm"),
 * "__data_loc char[] name" -> ("__data_loc char[]", "name"). */
static int split_declaration(struct tp_field *f, const char *s, const char *e)
{
	const char *array, *name_end, *name;
	size_t type_len, array_len;

	trim_span(&s, &e);
	if (e > s && e[-1] == ']') {
		array = memrchr(s, '[', (size_t)(e - s));
		if (!array)
			return -EINVAL;
		name_end = array;
		while (name_end > s && is_blank(name_end[-1]))
			name_end--;
	} else {
		array = e;
		name_end = e;
	}
	name = name_end;
	while (name > s && is_ident_char(name[-1]))
		name--;
	if (name == name_end)
		return -EINVAL;
	if (copy_name(f->name, name, (size_t)(name_end - name)))
		return -EINVAL;

	while (name > s && is_blank(name[-1]))
		name--;
	type_len = (size_t)(name - s);
	array_len = (size_t)(e - array);
	if (type_len == 0 || type_len + array_len >= TP_NAME_MAX)
		return -EINVAL;
	memcpy(f->type, s, type_len);
	memcpy(f->type + type_len, array, array_len);
	f->type[type_len + array_len] = '\0';
	return 0;
}

/* The value of one "key:value;" pair must be a number and nothing else. */
static int parse_attr_value(const char *s, const char *e, uint32_t *out)
{
	struct cursor c;
	int err;

	trim_span(&s, &e);
	c.p = s;
	c.end = e;
	err = parse_u32(&c, out);
	if (err)
		return err;
	return c.p == c.end ? 0 : -EINVAL;
}

/* "field:<decl>;\toffset:N;\tsize:N;\tsigned:N;" with the cursor after
 * "field:". offset and size are required; signed is optional because
 * kernels before 2.6.32 did not print it. Unknown keys are skipped. */
static int parse_field(struct tp_field *f, struct cursor *c)
{
	const char *semi = memchr(c->p, ';', (size_t)(c->end - c->p));
	bool have_offset = false, have_size = false;
	int err;

	memset(f, 0, sizeof(*f));
	if (!semi)
		return -EINVAL;
	err = split_declaration(f, c->p, semi);
	if (err)
		return err;
	c->p = semi + 1;

	for (;;) {
		const char *key, *colon, *val_end;
		uint32_t v;

		skip_blanks(c);
		if (c->p == c->end)
			break;
		key = c->p;
		colon = memchr(key, ':', (size_t)(c->end - key));
		val_end = memchr(key, ';', (size_t)(c->end - key));
		if (!colon || !val_end || colon > val_end)
			return -EINVAL;
		err = parse_attr_value(colon + 1, val_end, &v);
		if (err)
			return err;
		if (colon - key == 6 && !memcmp(key, "offset", 6)) {
			f->offset = v;
			have_offset = true;
		} else if (colon - key == 4 && !memcmp(key, "size", 4)) {
			f->size = v;
			have_size = true;
		} else if (colon - key == 6 && !memcmp(key, "signed", 6)) {
			if (v > 1)
				return -EINVAL;
			f->is_signed = v;
		}
		c->p = val_end + 1;
	}
	if (!have_offset || !have_size)
		return -EINVAL;
	/* The record is addressed as offset..offset+size: refuse a field
	 * whose end does not fit in 32 bits. */
	if (f->size > UINT32_MAX - f->offset)
		return -EINVAL;
	return 0;
}

static int add_field(struct tp_format *fmt, struct cursor *c)
{
	if (fmt->nfields == TP_FIELDS_MAX)
		return -E2BIG;
	return parse_field(&fmt->fields[fmt->nfields++], c);
}

/* A C string literal of the table: "NO_SOCKET". Escapes never occur in
 * symbol names, so a backslash is treated as malformed input. */
static int parse_string(struct cursor *c, char **out)
{
	const char *start;

	if (!eat_char(c, '"'))
		return -EINVAL;
	start = c->p;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\')
			return -EINVAL;
		c->p++;
	}
	if (c->p == c->end)
		return -EINVAL;
	*out = strndup(start, (size_t)(c->p - start));
	c->p++;
	return *out ? 0 : -ENOMEM;
}

static int append_symbol(struct tp_format *fmt, size_t *cap, uint64_t value,
			 char *name)
{
	if (fmt->nsymbols == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct tp_symbol *bigger;

		bigger = realloc(fmt->symbols, ncap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		fmt->symbols = bigger;
		*cap = ncap;
	}
	fmt->symbols[fmt->nsymbols].value = value;
	fmt->symbols[fmt->nsymbols].name = name;
	fmt->nsymbols++;
	return 0;
}

/* One ", { value, "NAME" }" entry, the cursor on the comma. */
static int parse_symbol_entry(struct tp_format *fmt, size_t *cap,
			      struct cursor *c)
{
	uint64_t value;
	char *name = NULL;
	int err;

	skip_blanks(c);
	if (!eat_char(c, ','))
		return -EINVAL;
	skip_blanks(c);
	if (!eat_char(c, '{'))
		return -EINVAL;
	skip_blanks(c);
	err = parse_u64(c, &value);
	if (err)
		return err;
	skip_blanks(c);
	if (!eat_char(c, ','))
		return -EINVAL;
	skip_blanks(c);
	err = parse_string(c, &name);
	if (err)
		return err;
	skip_blanks(c);
	if (!eat_char(c, '}')) {
		free(name);
		return -EINVAL;
	}
	err = append_symbol(fmt, cap, value, name);
	if (err)
		free(name);
	return err;
}

static int cmp_symbol(const void *a, const void *b)
{
	const struct tp_symbol *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	/* Equal values: order by name so the result never depends on
	 * qsort's internals. */
	return strcmp(x->name, y->name);
}

/* "__print_symbolic(REC->field, { v, "N" }, ...)" with the cursor after
 * the opening parenthesis. Only a plain REC->field first argument is
 * understood: anything else is not a table we could apply to a record. */
static int parse_symbolic(struct tp_format *fmt, struct cursor *c)
{
	const char *name;
	size_t cap = 0;
	int err;

	skip_blanks(c);
	if (!eat_str(c, "REC->"))
		return -EINVAL;
	name = c->p;
	while (c->p < c->end && is_ident_char(*c->p))
		c->p++;
	if (c->p == name)
		return -EINVAL;
	err = copy_name(fmt->symbolic_field, name, (size_t)(c->p - name));
	if (err)
		return err;

	for (;;) {
		skip_blanks(c);
		if (eat_char(c, ')'))
			break;
		err = parse_symbol_entry(fmt, &cap, c);
		if (err)
			return err;
	}
	if (fmt->nsymbols)
		qsort(fmt->symbols, fmt->nsymbols, sizeof(*fmt->symbols),
		      cmp_symbol);
	return 0;
}

/* The print fmt line, cursor after "print fmt:". Only the first
 * __print_symbolic() is read; a format without one has no table. */
static int parse_print_fmt(struct tp_format *fmt, struct cursor *c)
{
	static const char marker[] = "__print_symbolic(";
	const char *at = text_find(c->p, (size_t)(c->end - c->p), marker);

	if (!at)
		return 0;
	/* A format has one print fmt line; a second table would also grow
	 * an array whose capacity lived in the first call. */
	if (fmt->nsymbols)
		return -EINVAL;
	c->p = at + sizeof(marker) - 1;
	return parse_symbolic(fmt, c);
}

static int parse_name(struct tp_format *fmt, struct cursor *c)
{
	const char *s = c->p, *e = c->end;

	trim_span(&s, &e);
	if (s == e)
		return -EINVAL;
	return copy_name(fmt->name, s, (size_t)(e - s));
}

static int parse_id(struct tp_format *fmt, struct cursor *c)
{
	int err;

	skip_blanks(c);
	err = parse_u32(c, &fmt->id);
	if (err)
		return err;
	skip_blanks(c);
	return c->p == c->end ? 0 : -EINVAL;
}

/* Dispatches one line on its leading keyword; lines we do not know
 * ("format:", blank lines) are skipped. */
static int parse_line(struct tp_format *fmt, struct cursor *c)
{
	skip_blanks(c);
	if (eat_str(c, "field:"))
		return add_field(fmt, c);
	if (eat_str(c, "name:"))
		return parse_name(fmt, c);
	if (eat_str(c, "ID:"))
		return parse_id(fmt, c);
	if (eat_str(c, "print fmt:"))
		return parse_print_fmt(fmt, c);
	return 0;
}

static void free_symbols(struct tp_format *fmt)
{
	size_t i;

	for (i = 0; i < fmt->nsymbols; i++)
		free(fmt->symbols[i].name);
	free(fmt->symbols);
	fmt->symbols = NULL;
	fmt->nsymbols = 0;
}

int tp_format_parse(struct tp_format *fmt, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int err = 0;

	memset(fmt, 0, sizeof(*fmt));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct cursor line = { p, nl ? nl : end };

		err = parse_line(fmt, &line);
		if (err)
			goto out;
		p = nl ? nl + 1 : end;
	}
	if (fmt->nfields == 0)
		err = -EINVAL;
out:
	if (err)
		tp_format_free(fmt);
	return err;
}

void tp_format_free(struct tp_format *fmt)
{
	free_symbols(fmt);
	memset(fmt, 0, sizeof(*fmt));
}

const struct tp_field *tp_format_field(const struct tp_format *fmt,
				       const char *name)
{
	int i;

	for (i = 0; i < fmt->nfields; i++)
		if (strcmp(fmt->fields[i].name, name) == 0)
			return &fmt->fields[i];
	return NULL;
}

const char *tp_format_symbol_name(const struct tp_format *fmt, uint64_t value)
{
	size_t lo = 0, hi = fmt->nsymbols;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fmt->symbols[mid].value < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < fmt->nsymbols && fmt->symbols[lo].value == value)
		return fmt->symbols[lo].name;
	return NULL;
}

int tp_format_symbol_value(const struct tp_format *fmt, const char *name,
			   uint64_t *value)
{
	size_t i;

	for (i = 0; i < fmt->nsymbols; i++) {
		if (strcasecmp(fmt->symbols[i].name, name) == 0) {
			*value = fmt->symbols[i].value;
			return 0;
		}
	}
	return -ENOENT;
}
