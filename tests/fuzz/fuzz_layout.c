/* Discovery's parser of raw kernel bytes (src/layout.c): the input fills
 * disc_record images (every read marked as copied) and goes through the
 * whole search, as src/discover.c drives it. What it finds must be within
 * the bytes it looked at, and must make a synthetic BTF that loads. */
#include "btfgen.h"
#include "fuzz.h"
#include "layout.h"

static void fill(struct disc_record *r, const uint8_t *data, size_t size,
		 size_t skip)
{
	size_t n;

	memset(r, 0, sizeof(*r));
	if (size > skip) {
		n = size - skip;
		if (n > sizeof(r->buf))
			n = sizeof(r->buf);
		memcpy(r->buf, data + skip, n);
	}
	r->taken = 1;
	memset(r->ok, 1, sizeof(r->ok));
}

static void check_range(int v, int max)
{
	FUZZ_CHECK(v == LAYOUT_UNKNOWN || (v >= 0 && v < max));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disc_record *r = malloc(sizeof(*r));
	struct layout_search *s = malloc(sizeof(*s));
	struct layout_pkt k4 = { .family = 2, .sport = 40001, .dport = 9,
				 .saddr = { 127, 0, 0, 1 },
				 .daddr = { 127, 0, 0, 1 } };
	struct layout_pkt k6 = { .family = 10, .sport = 40002, .dport = 9 };
	struct errmsg err;
	struct disc_plan plan;
	struct layout l;
	struct btf *btf = NULL;
	char text[1024];

	if (!r || !s)
		abort();
	k6.saddr[15] = k6.daddr[15] = 1;
	if (size >= 4) {
		k4.sport = (uint16_t)(data[0] << 8 | data[1]);
		k4.dport = (uint16_t)(data[2] << 8 | data[3]);
	}
	layout_init(&l);
	layout_search_init(s);
	fill(r, data, size, 0);
	if (layout_narrow_syn(s, &l, r, &k4, &err) == 0) {
		fill(r, data, size, 1);
		if (layout_narrow_tx(s, &l, r, &k4, &err) == 0) {
			layout_plan_net(&plan, &l);
			FUZZ_CHECK(plan.nreads <= DISC_READS);
			fill(r, data, size, 2);
			if (layout_narrow_net(s, &l, r, 1, &err) == 0) {
				layout_plan_dev(&plan, s);
				FUZZ_CHECK(plan.nreads <= DISC_READS);
				fill(r, data, size, 3);
				layout_narrow_dev(s, &l, r, &err);
				layout_plan_verify_tx(&plan, &l, s);
				FUZZ_CHECK(plan.nreads <= DISC_READS);
				fill(r, data, size, 4);
				layout_verify_tx(s, &l, r, &k4, 2, &err);
				layout_plan_verify_syn(&plan, &l, s);
				FUZZ_CHECK(plan.nreads <= DISC_READS);
				fill(r, data, size, 5);
				layout_verify_syn(s, &l, r, &k6, 2, &err);
			}
		}
	}
	check_range(l.head, 256);
	check_range(l.network_header, 256);
	check_range(l.tail, 256);
	check_range(l.len, 256);
	check_range(l.sk, 256);
	check_range(l.dev, 256);
	check_range(l.skc_net, 8 * (LAYOUT_SK_FIRST_SLOT + LAYOUT_SK_SLOTS));
	check_range(l.ns_inum, DISC_CHUNK);
	check_range(l.nd_net, LAYOUT_DEV_BYTES);
	layout_describe(&l, text, sizeof(text));
	FUZZ_CHECK(btfgen_load(&l, &btf) == 0);
	btf_free(btf);
	free(r);
	free(s);
	return 0;
}
