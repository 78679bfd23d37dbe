/* The synthetic BTF writer (src/btfgen.c) over any layout: it writes BTF
 * that src/btf.c loads, with each member where the layout put it, or it
 * refuses the layout (-EINVAL) or the buffer (-ENOSPC). */
#include <errno.h>

#include "btfgen.h"
#include "fuzz.h"

static int member_off(const struct btf *btf, const char *type,
		      const char *member)
{
	int id = btf_find(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;
	uint32_t i;

	FUZZ_CHECK(id > 0);
	t = btf_type_by_id(btf, (uint32_t)id);
	m = (const struct btf_member *)(t + 1);
	for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++)
		if (strcmp(btf_str(btf, m->name_off), member) == 0)
			return (int)(m->offset / 8);
	return LAYOUT_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout l;
	int *f = &l.head, n = (int)(sizeof(l) / sizeof(int)), i, len;
	uint8_t buf[8192];
	struct btf *btf = NULL;
	size_t cap;

	layout_init(&l);
	for (i = 0; i < n && (size_t)(i * 3 + 3) <= size; i++)
		f[i] = (int)(int32_t)((uint32_t)data[i * 3] << 16 |
				      (uint32_t)data[i * 3 + 1] << 8 |
				      data[i * 3 + 2]) - 0x100;
	cap = size > (size_t)n * 3 ? data[n * 3] * 32u : sizeof(buf);
	if (cap > sizeof(buf))
		cap = sizeof(buf);
	len = btfgen_write(&l, buf, cap);
	if (len < 0) {
		FUZZ_CHECK(len == -EINVAL || len == -ENOSPC);
		return 0;
	}
	FUZZ_CHECK((size_t)len <= cap);
	FUZZ_CHECK(btf_load_raw(&btf, buf, (size_t)len) == 0);
	FUZZ_CHECK(member_off(btf, "sk_buff", "head") == l.head);
	FUZZ_CHECK(member_off(btf, "sk_buff", "tail") == l.tail);
	FUZZ_CHECK(member_off(btf, "sk_buff", "skb_iif") == l.skb_iif);
	FUZZ_CHECK(member_off(btf, "sock_common", "skc_net") == l.skc_net);
	FUZZ_CHECK(member_off(btf, "net", "ns") == l.ns_inum);
	FUZZ_CHECK(member_off(btf, "net_device", "nd_net") == l.nd_net);
	btf_free(btf);
	return 0;
}
