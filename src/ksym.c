/* /proc/kallsyms as one sorted array.
 *
 * The file has ~120k lines; reading it is the expensive part of the first
 * stack we print, so it is read once, parsed in place (names are NUL-
 * terminated inside the buffer, never copied), counted first so the array
 * is allocated once, and sorted with one qsort. Lines look like
 *
 *   ffffffff81e42dc0 T sk_skb_reason_drop
 *   ffffffffc0a01000 t foo\t[ext4]
 */
#include "ksym.h"

#include "fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ksyms {
	char *text;           /* the file's bytes; names point here */
	struct ksym *syms;    /* sorted by address, then name */
	size_t count;
};

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Code, and weak symbols (which are almost always code): what a stack
 * address can land in. */
static bool is_text_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

/* Parses the hex address at *p, up to the first blank. */
static int parse_addr(char **p, char *end, uint64_t *addr)
{
	uint64_t v = 0;
	char *s = *p;

	if (s == end || hex_value(*s) < 0)
		return -EINVAL;
	for (; s < end && hex_value(*s) >= 0; s++) {
		if (v >> 60)
			return -EINVAL;
		v = (v << 4) | (uint64_t)hex_value(*s);
	}
	*p = s;
	*addr = v;
	return 0;
}

/* Splits "name\t[module]" in place: NUL-terminates the name and the
 * module, and points *module at the module or NULL. */
static int split_name_module(char *name, char *end, const char **module)
{
	char *tab = memchr(name, '\t', (size_t)(end - name));
	char *close;

	*module = NULL;
	if (!tab) {
		*end = '\0';
		return name == end ? -EINVAL : 0;
	}
	*tab = '\0';
	if (tab == name || tab + 1 == end || tab[1] != '[')
		return -EINVAL;
	close = memchr(tab + 2, ']', (size_t)(end - (tab + 2)));
	if (!close || close == tab + 2)
		return -EINVAL;
	*close = '\0';
	*module = tab + 2;
	return 0;
}

/* Parses one line [line, end) in place. Returns 1 and fills *sym for a
 * text symbol, 0 for a line to skip, -EINVAL for a malformed line.
 * *nonzero is set when the address is not 0, whatever its type. */
static int parse_line(char *line, char *end, struct ksym *sym, bool *nonzero)
{
	char *p = line;
	uint64_t addr;
	char type;
	int err;

	err = parse_addr(&p, end, &addr);
	if (err)
		return err;
	if (end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	type = p[1];
	p += 3;
	if (addr)
		*nonzero = true;
	if (!is_text_type(type))
		return 0;
	sym->addr = addr;
	sym->name = p;
	if (split_name_module(p, end, &sym->module))
		return -EINVAL;
	/* __pfx_ symbols name the padding before a function (6.2+,
	 * CONFIG_CALL_PADDING), never code: a return address that lands there
	 * belongs to the function before it, as the kernel's %pS says. */
	return strncmp(sym->name, "__pfx_", 6) == 0 ? 0 : 1;
}

static size_t count_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	int c;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Aliases share an address: break ties by name, then module, so
	 * the order (and which alias lookups return) is deterministic. */
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (!x->module || !y->module)
		return !!x->module - !!y->module;
	return strcmp(x->module, y->module);
}

/* Parses `text` (len bytes followed by a NUL we own) into ks->syms. */
static int parse_text(struct ksyms *ks, size_t len)
{
	char *p = ks->text, *end = ks->text + len;
	size_t cap = count_lines(ks->text, len);
	bool nonzero = false, any_line = false;

	ks->syms = calloc(cap ? cap : 1, sizeof(*ks->syms));
	if (!ks->syms)
		return -ENOMEM;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line_end = nl ? nl : end;
		int r = 0;

		if (line_end > p) {
			any_line = true;
			r = parse_line(p, line_end, &ks->syms[ks->count],
				       &nonzero);
		}
		if (r < 0)
			return r;
		ks->count += (size_t)r;
		p = nl ? nl + 1 : end;
	}
	/* With kptr_restrict an unprivileged reader sees every address as
	 * 0: the names are there but useless, say so instead. */
	if (any_line && !nonzero)
		return -EPERM;
	qsort(ks->syms, ks->count, sizeof(*ks->syms), cmp_ksym);
	return 0;
}

/* Takes ownership of `text` (len bytes plus a terminating NUL). */
static int ksyms_from_buffer(struct ksyms **out, char *text, size_t len)
{
	struct ksyms *ks = calloc(1, sizeof(*ks));
	int err;

	*out = NULL;
	if (!ks) {
		free(text);
		return -ENOMEM;
	}
	ks->text = text;
	err = parse_text(ks, len);
	if (err) {
		ksyms_free(ks);
		return err;
	}
	*out = ks;
	return 0;
}

int ksyms_load(struct ksyms **out, const char *path)
{
	char *text;
	size_t len;
	int err;

	*out = NULL;
	err = read_file_max(path, FILEIO_MAX_KALLSYMS, &text, &len);
	if (err)
		return err;
	return ksyms_from_buffer(out, text, len);
}

int ksyms_load_text(struct ksyms **out, const char *text, size_t len)
{
	char *copy;

	*out = NULL;
	if (len == SIZE_MAX)
		return -EINVAL;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return ksyms_from_buffer(out, copy, len);
}

const struct ksym *ksyms_lookup(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks)
		return NULL;
	/* First symbol above addr; the one before it contains addr. */
	hi = ks->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* Among aliases at the same address, return the first in sort
	 * order, so lookup(sym.addr) is stable whatever the table size. */
	while (lo > 1 && ks->syms[lo - 2].addr == ks->syms[lo - 1].addr)
		lo--;
	return &ks->syms[lo - 1];
}

int ksyms_format(const struct ksyms *ks, uint64_t addr, char *buf, size_t n)
{
	const struct ksym *sym = ksyms_lookup(ks, addr);
	unsigned long long off;

	if (!sym)
		return snprintf(buf, n, "0x%llx", (unsigned long long)addr);
	off = (unsigned long long)(addr - sym->addr);
	if (sym->module)
		return snprintf(buf, n, "%s+0x%llx [%s]", sym->name, off,
				sym->module);
	return snprintf(buf, n, "%s+0x%llx", sym->name, off);
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->text);
	free(ks);
}
