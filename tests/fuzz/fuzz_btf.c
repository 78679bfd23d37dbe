/* BTF reader: btf_load_raw over the first half of the input and every
 * accessor over every type; the same half read lazily from a file through
 * a 16-byte window (btf_load_fd), which must agree record for record; then the second half as a .BTF.ext section
 * whose CO-RE records are walked and each calculated against the same
 * BTF (the object relocated against itself), as object.c does against the
 * kernel's. Seeds are a .BTF and a .BTF.ext padded to the same length:
 * both parsers accept trailing bytes. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "btf.h"
#include "core.h"
#include "fuzz.h"

/* btf_find and btf_enum_value scan every type: bound how many are made,
 * so that an input with many types stays linear. */
#define LOOKUPS 64

struct walk {
	const struct btf *btf;
	int lookups;
	int relos;
};

static const char *name_of(const struct btf *btf, uint32_t off)
{
	const char *s = btf_str(btf, off);

	fuzz_touch(s, strlen(s) + 1);
	return s;
}

static void check_enum(struct walk *w, const struct btf_type *t,
		       const char *enum_name)
{
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);
	int64_t v;

	for (i = 0; i < vlen && w->lookups < LOOKUPS; i++, w->lookups++) {
		uint32_t off;

		/* Both enum layouts start each entry with its name. */
		if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM)
			off = ((const struct btf_enum *)(t + 1))[i].name_off;
		else
			off = ((const struct btf_enum64 *)(t + 1))[i].name_off;
		FUZZ_CHECK(btf_enum_value(w->btf, enum_name,
					  name_of(w->btf, off), &v) == 0);
	}
}

static void walk_type(struct walk *w, uint32_t id)
{
	const struct btf *btf = w->btf;
	const struct btf_type *t = btf_type_by_id(btf, id);
	const struct btf_member *m;
	uint32_t i, kind, vlen;
	const char *name;
	int found;

	FUZZ_CHECK(t != NULL);
	kind = BTF_INFO_KIND(t->info);
	vlen = BTF_INFO_VLEN(t->info);
	name = name_of(btf, t->name_off);
	btf_skip_modifiers(btf, id);
	btf_type_size(btf, id);
	if (w->lookups < LOOKUPS) {
		w->lookups++;
		found = btf_find(btf, name, (int)kind);
		FUZZ_CHECK(found > 0 && (uint32_t)found <= id);
	}
	switch (kind) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		m = (const struct btf_member *)(t + 1);
		for (i = 0; i < vlen; i++) {
			name_of(btf, m[i].name_off);
			btf_type_size(btf, m[i].type);
		}
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		check_enum(w, t, name);
		break;
	case BTF_KIND_FUNC_PROTO:
		for (i = 0; i < vlen; i++)
			name_of(btf, ((const struct btf_param *)(t + 1))[i].name_off);
		break;
	case BTF_KIND_ARRAY:
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
		btf_skip_modifiers(btf, t->type);
		break;
	}
}

static int on_relo(void *ctx, const char *sec_name,
		   const struct bpf_core_relo *relo)
{
	struct walk *w = ctx;
	struct core_target target = { .btf = w->btf };
	struct core_result res;
	struct errmsg msg;

	fuzz_touch(sec_name, strlen(sec_name) + 1);
	/* Every record is visited once; the count bounds the work. */
	if (w->relos++ < 256)
		core_calculate(w->btf, relo, &target, &res, &msg);
	/* A non-zero return must stop the walk and come back unchanged. */
	return relo->kind == 0x7f ? 42 : 0;
}

/* The size of a record's trailing data, from the reader's own walk: the
 * next record's address (records are contiguous in a memory BTF). */
static size_t record_len(const struct btf *btf, uint32_t id,
			 const uint8_t *end)
{
	const uint8_t *t = (const uint8_t *)btf_type_by_id(btf, id);
	const uint8_t *next = (const uint8_t *)btf_type_by_id(btf, id + 1);

	return (size_t)((next ? next : end) - t);
}

/* The lazy reader gives what the memory one gives, or refuses likewise. */
static void check_lazy(const struct btf *mem, int mem_err,
		       const uint8_t *data, size_t len)
{
	int fd = memfd_create("fuzz_btf", MFD_CLOEXEC);
	const struct btf_type *tm, *tl;
	struct btf *lazy = NULL;
	uint32_t id, count;
	size_t n;
	int err;

	if (fd < 0)
		return;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return;
	}
	err = btf_load_fd(&lazy, fd, 0, len, 16);
	FUZZ_CHECK(err == mem_err);
	if (err == 0) {
		count = btf_type_count(mem);
		FUZZ_CHECK(btf_type_count(lazy) == count);
		for (id = 1; id <= count; id++) {
			tm = btf_type_by_id(mem, id);
			tl = btf_type_by_id(lazy, id);
			/* The last record ends where the type section does,
			 * which only the reader knows: its header and the
			 * trailer its kind implies are compared. */
			n = id < count ? record_len(mem, id, NULL)
				       : sizeof(*tm);
			FUZZ_CHECK(tl && memcmp(tm, tl, n) == 0);
			FUZZ_CHECK(strcmp(btf_str(mem, tm->name_off),
					  btf_str(lazy, tl->name_off)) == 0);
		}
	}
	btf_free(lazy);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2;
	struct walk w = { 0 };
	struct btf *btf;
	uint32_t id, count;
	int err;

	err = btf_load_raw(&btf, data, half);
	check_lazy(btf, err, data, half);
	if (err != 0) {
		FUZZ_CHECK(btf == NULL);
		return 0;
	}
	w.btf = btf;
	count = btf_type_count(btf);
	FUZZ_CHECK(btf_type_by_id(btf, 0) == NULL);
	FUZZ_CHECK(btf_type_by_id(btf, count + 1) == NULL);
	FUZZ_CHECK(btf_skip_modifiers(btf, 0) == 0);
	for (id = 1; id <= count; id++)
		walk_type(&w, id);
	btf_find(btf, "sk_buff", BTF_KIND_STRUCT);
	btf_enum_value(btf, "skb_drop_reason", "SKB_DROP_REASON_NO_SOCKET",
		       &(int64_t){ 0 });

	err = btf_ext_for_each_core_relo(btf, data + half, size - half,
					 on_relo, &w);
	FUZZ_CHECK(err == 0 || err == -EINVAL || err == 42);
	btf_free(btf);
	return 0;
}
