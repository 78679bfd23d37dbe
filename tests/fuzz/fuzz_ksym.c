/* kallsyms parser: ksyms_load_text over the input, then lookups and
 * formatting at the address of each line (and either side of it), into a
 * roomy buffer and a tiny one. */
#include <errno.h>

#include "fuzz.h"
#include "ksym.h"

#define LINES_MAX 64

static void look_up(const struct ksyms *ks, uint64_t addr)
{
	const struct ksym *sym = ksyms_lookup(ks, addr);
	char big[512], tiny[8];
	int n;

	if (sym) {
		FUZZ_CHECK(sym->addr <= addr && sym->name != NULL);
		fuzz_touch(sym->name, strlen(sym->name) + 1);
		if (sym->module)
			fuzz_touch(sym->module, strlen(sym->module) + 1);
	}
	n = ksyms_format(ks, addr, big, sizeof(big));
	FUZZ_CHECK(n >= 0);
	if ((size_t)n < sizeof(big))
		FUZZ_CHECK(strlen(big) == (size_t)n);
	n = ksyms_format(ks, addr, tiny, sizeof(tiny));
	FUZZ_CHECK(n >= 0 && strlen(tiny) < sizeof(tiny));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksyms *ks;
	char *text, *p, *end;
	uint64_t addr;
	int err, lines = 0;

	err = ksyms_load_text(&ks, (const char *)data, size);
	if (err) {
		FUZZ_CHECK(ks == NULL);
		FUZZ_CHECK(err == -EINVAL || err == -EPERM || err == -ENOMEM);
		return 0;
	}
	/* The leading hex number of each line is where its symbol starts. */
	text = fuzz_strdup(data, size);
	for (p = text; *p && lines < LINES_MAX; lines++) {
		addr = strtoull(p, &end, 16);
		look_up(ks, addr);
		look_up(ks, addr - 1);
		look_up(ks, addr + 1);
		p = strchr(end, '\n');
		if (!p)
			break;
		p++;
	}
	free(text);
	look_up(ks, 0);
	look_up(ks, UINT64_MAX);
	ksyms_free(ks);
	return 0;
}
