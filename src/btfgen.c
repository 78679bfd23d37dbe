#include "btfgen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BTFGEN_MAX_OFFSET 65536
#define BTFGEN_SIZE 4096
#define MEMBERS_MAX 12

struct writer {
	uint8_t *types;
	uint32_t types_len, types_cap;
	char *strs;
	uint32_t strs_len, strs_cap;
	uint32_t last_id;
	bool full;
};

struct member {
	const char *name;
	uint32_t type;
	int off;
};

static void put_u32(struct writer *w, uint32_t v)
{
	if (w->types_len + 4 > w->types_cap) {
		w->full = true;
		return;
	}
	memcpy(w->types + w->types_len, &v, 4);
	w->types_len += 4;
}

static uint32_t put_str(struct writer *w, const char *s)
{
	uint32_t off = w->strs_len;
	size_t n = strlen(s) + 1;

	if (!*s)
		return 0;
	if (w->strs_len + n > w->strs_cap) {
		w->full = true;
		return 0;
	}
	memcpy(w->strs + off, s, n);
	w->strs_len += (uint32_t)n;
	return off;
}

static uint32_t put_type(struct writer *w, const char *name, uint32_t kind,
			 uint32_t vlen, uint32_t size_or_type)
{
	put_u32(w, put_str(w, name));
	put_u32(w, kind << 24 | vlen);
	put_u32(w, size_or_type);
	return ++w->last_id;
}

static uint32_t put_int(struct writer *w, const char *name, uint32_t size,
			bool is_signed)
{
	uint32_t id = put_type(w, name, BTF_KIND_INT, 0, size);

	put_u32(w, (is_signed ? BTF_INT_SIGNED : 0u) << 24 | size * 8);
	return id;
}

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;

	return x->off - y->off;
}

/* A struct of the members whose offset is known, in offset order; its
 * size covers the last one. `sizes` gives each member's size. */
static uint32_t put_struct(struct writer *w, const char *name,
			   struct member *m, const uint32_t *sizes, int n)
{
	struct member kept[MEMBERS_MAX];
	uint32_t size = 0, id;
	int i, k = 0;

	for (i = 0; i < n && k < MEMBERS_MAX; i++) {
		if (m[i].off == LAYOUT_UNKNOWN)
			continue;
		kept[k] = m[i];
		if ((uint32_t)m[i].off + sizes[i] > size)
			size = (uint32_t)m[i].off + sizes[i];
		k++;
	}
	qsort(kept, (size_t)k, sizeof(kept[0]), cmp_member);
	id = put_type(w, name, BTF_KIND_STRUCT, (uint32_t)k, size);
	for (i = 0; i < k; i++) {
		put_u32(w, put_str(w, kept[i].name));
		put_u32(w, kept[i].type);
		put_u32(w, (uint32_t)kept[i].off * 8);
	}
	return id;
}

static bool offsets_valid(const struct layout *l)
{
	const int v[] = { l->head, l->tail, l->len, l->network_header,
			  l->transport_header, l->mac_header, l->sk, l->dev,
			  l->skb_iif, l->skc_state, l->skc_net, l->ns_inum,
			  l->ifindex, l->nd_net };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if ((v[i] < 0 && v[i] != LAYOUT_UNKNOWN) ||
		    v[i] >= BTFGEN_MAX_OFFSET)
			return false;
	return true;
}

int btfgen_write(const struct layout *l, uint8_t *buf, size_t size)
{
	uint8_t types[BTFGEN_SIZE];
	char strs[1024];
	struct writer w = { .types = types, .types_cap = sizeof(types),
			    .strs = strs, .strs_len = 1,
			    .strs_cap = sizeof(strs) };
	struct btf_header hdr = { .magic = BTF_MAGIC, .version = BTF_VERSION,
				  .hdr_len = sizeof(hdr) };
	uint32_t u32, u16, u8, s32, u8ptr, sock_common, sock, sockptr;
	uint32_t ns_common, net, netptr, anon, possible_net, net_device, devptr;
	size_t total;

	if (!offsets_valid(l))
		return -EINVAL;
	strs[0] = '\0';
	u32 = put_int(&w, "unsigned int", 4, false);
	u16 = put_int(&w, "unsigned short", 2, false);
	u8 = put_int(&w, "unsigned char", 1, false);
	s32 = put_int(&w, "int", 4, true);
	u8ptr = put_type(&w, "", BTF_KIND_PTR, 0, u8);
	{
		struct member m[] = { { "inum", u32, l->ns_inum >= 0 ? 0 :
					LAYOUT_UNKNOWN } };
		const uint32_t sz[] = { 4 };

		ns_common = put_struct(&w, "ns_common", m, sz, 1);
	}
	{
		struct member m[] = { { "ns", ns_common, l->ns_inum } };
		const uint32_t sz[] = { 4 };

		net = put_struct(&w, "net", m, sz, 1);
	}
	netptr = put_type(&w, "", BTF_KIND_PTR, 0, net);
	{
		struct member m[] = { { "net", netptr, 0 } };
		const uint32_t sz[] = { 8 };

		anon = put_struct(&w, "", m, sz, 1);
	}
	possible_net = put_type(&w, "possible_net_t", BTF_KIND_TYPEDEF, 0, anon);
	{
		/* skc_num and skc_family sit before skc_state at the places
		 * every kernel since 2.6 has them (include/net/sock.h): known
		 * with it, as the search verified the socket by them. */
		int known = l->skc_state != LAYOUT_UNKNOWN;
		struct member m[] = {
			{ "skc_num", u16, known ? l->skc_state - 4 : LAYOUT_UNKNOWN },
			{ "skc_family", u16, known ? l->skc_state - 2 : LAYOUT_UNKNOWN },
			{ "skc_state", u8, l->skc_state },
			{ "skc_net", possible_net, l->skc_net },
		};
		const uint32_t sz[] = { 2, 2, 1, 8 };

		sock_common = put_struct(&w, "sock_common", m, sz, 4);
	}
	{
		struct member m[] = { { "__sk_common", sock_common, 0 } };
		const uint32_t sz[] = { 24 };

		sock = put_struct(&w, "sock", m, sz, 1);
	}
	sockptr = put_type(&w, "", BTF_KIND_PTR, 0, sock);
	{
		struct member m[] = {
			{ "ifindex", s32, l->ifindex },
			{ "nd_net", possible_net, l->nd_net },
		};
		const uint32_t sz[] = { 4, 8 };

		net_device = put_struct(&w, "net_device", m, sz, 2);
	}
	devptr = put_type(&w, "", BTF_KIND_PTR, 0, net_device);
	{
		struct member m[] = {
			{ "sk", sockptr, l->sk },
			{ "dev", devptr, l->dev },
			{ "len", u32, l->len },
			{ "skb_iif", s32, l->skb_iif },
			{ "transport_header", u16, l->transport_header },
			{ "network_header", u16, l->network_header },
			{ "mac_header", u16, l->mac_header },
			{ "tail", u32, l->tail },
			{ "head", u8ptr, l->head },
		};
		const uint32_t sz[] = { 8, 8, 4, 4, 2, 2, 2, 4, 8 };

		put_struct(&w, "sk_buff", m, sz, 9);
	}
	if (w.full)
		return -ENOSPC;
	hdr.type_len = w.types_len;
	hdr.str_off = w.types_len;
	hdr.str_len = w.strs_len;
	total = sizeof(hdr) + w.types_len + w.strs_len;
	if (total > size)
		return -ENOSPC;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), types, w.types_len);
	memcpy(buf + sizeof(hdr) + w.types_len, strs, w.strs_len);
	return (int)total;
}

int btfgen_load(const struct layout *l, struct btf **out)
{
	uint8_t buf[BTFGEN_SIZE + 1024 + sizeof(struct btf_header)];
	int len = btfgen_write(l, buf, sizeof(buf));

	if (len < 0)
		return len;
	return btf_load_raw(out, buf, (size_t)len);
}
