/* tracefs format parser: tp_format_parse over the input (not
 * NUL-terminated: it takes a length), then every lookup must find what
 * the parse produced, the table must be sorted, and free must be safe
 * after success and after failure alike. */
#include <errno.h>
#include <strings.h>

#include "fuzz.h"
#include "tpformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_format fmt;
	const struct tp_field *f;
	uint64_t value;
	size_t i;
	int err, n;

	err = tp_format_parse(&fmt, (const char *)data, size);
	if (err) {
		FUZZ_CHECK(err == -EINVAL || err == -E2BIG);
		FUZZ_CHECK(fmt.symbols == NULL && fmt.nsymbols == 0);
		tp_format_free(&fmt);
		return 0;
	}
	FUZZ_CHECK(fmt.nfields > 0 && fmt.nfields <= TP_FIELDS_MAX);
	FUZZ_CHECK(strlen(fmt.name) < TP_NAME_MAX);
	FUZZ_CHECK(strlen(fmt.symbolic_field) < TP_NAME_MAX);
	for (n = 0; n < fmt.nfields; n++) {
		FUZZ_CHECK(strlen(fmt.fields[n].name) < TP_NAME_MAX);
		FUZZ_CHECK(strlen(fmt.fields[n].type) < TP_NAME_MAX);
		f = tp_format_field(&fmt, fmt.fields[n].name);
		FUZZ_CHECK(f && f <= &fmt.fields[n]);
	}
	for (i = 0; i < fmt.nsymbols; i++) {
		const char *name = fmt.symbols[i].name;

		FUZZ_CHECK(name != NULL);
		if (i)
			FUZZ_CHECK(fmt.symbols[i - 1].value <=
				   fmt.symbols[i].value);
		FUZZ_CHECK(tp_format_symbol_name(&fmt, fmt.symbols[i].value));
		FUZZ_CHECK(tp_format_symbol_value(&fmt, name, &value) == 0);
		/* The first case-insensitive match may be another entry. */
		FUZZ_CHECK(tp_format_symbol_name(&fmt, value) != NULL);
	}
	tp_format_field(&fmt, "reason");
	tp_format_symbol_name(&fmt, 0);
	tp_format_symbol_name(&fmt, UINT64_MAX);
	tp_format_symbol_value(&fmt, "NO_SOCKET", &value);
	tp_format_free(&fmt);
	FUZZ_CHECK(fmt.symbols == NULL && fmt.nsymbols == 0);
	tp_format_free(&fmt);
	return 0;
}
