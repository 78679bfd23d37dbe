/* Parser for a tracepoint's tracefs `format` file: the record's fields
 * (name, offset, size, signedness) and the value->name table of a
 * __print_symbolic() on a field in the `print fmt` line (the kernel's drop
 * reason names for skb:kfree_skb). Pure text in, tables out: no I/O. */
#ifndef TCPDROP_TPFORMAT_H
#define TCPDROP_TPFORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_NAME_MAX 64
#define TP_FIELDS_MAX 32

struct tp_field {
	char name[TP_NAME_MAX];  /* "reason" */
	char type[TP_NAME_MAX];  /* "enum skb_drop_reason", "void *" */
	uint32_t offset;
	uint32_t size;
	bool is_signed;
};

struct tp_symbol {
	uint64_t value;
	char *name;               /* "NO_SOCKET" (owned) */
};

struct tp_format {
	char name[TP_NAME_MAX];   /* "kfree_skb" */
	uint32_t id;              /* "ID:" line, 0 if absent */
	struct tp_field fields[TP_FIELDS_MAX];
	int nfields;              /* common_* fields included */
	char symbolic_field[TP_NAME_MAX]; /* field of the first __print_symbolic, "" if none */
	struct tp_symbol *symbols;        /* its table, sorted by value */
	size_t nsymbols;
};

/* Parses `text` (`len` bytes, need not be NUL-terminated). Returns 0,
 * -EINVAL when a field line is malformed or there are no fields, -E2BIG
 * when there are more than TP_FIELDS_MAX fields, -ENOMEM. A print fmt
 * without __print_symbolic is not an error (nsymbols == 0); a malformed
 * or unterminated __print_symbolic table, a bad "ID:" or an over-long
 * "name:" is -EINVAL. On error the struct holds nothing to free. */
int tp_format_parse(struct tp_format *fmt, const char *text, size_t len);

void tp_format_free(struct tp_format *fmt);

/* The field called `name`, or NULL. */
const struct tp_field *tp_format_field(const struct tp_format *fmt,
				       const char *name);

/* Name for `value` in the symbolic table, or NULL. */
const char *tp_format_symbol_name(const struct tp_format *fmt, uint64_t value);

/* Value for `name` in the symbolic table (case-insensitive), 0 or -ENOENT. */
int tp_format_symbol_value(const struct tp_format *fmt, const char *name,
			   uint64_t *value);

#endif
