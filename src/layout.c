#include "layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define AF_INET_ 2
#define TCP_ESTABLISHED_ 1
#define IPPROTO_TCP_ 6
#define TCP_SYN_ 0x02
#define ETH_HLEN_ 14
#define BASE_READS (1 + DISC_SKB_SLOTS)
#define MAX_CHAINS ((DISC_READS - BASE_READS) / 2)

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The kernel's half of the address space, on x86_64 and arm64 alike. */
static bool kernel_ptr(uint64_t v)
{
	return v >= 0xffff000000000000ull && (v & 7) == 0;
}

static int popcount_n(const uint64_t *m, int n)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += __builtin_popcountll(m[i]);
	return c;
}

static int first_bit(const uint64_t *m, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (m[i])
			return i * 64 + __builtin_ctzll(m[i]);
	return -1;
}

static void set_bit(uint64_t *m, int bit)
{
	m[bit / 64] |= 1ull << (bit % 64);
}

void layout_init(struct layout *l)
{
	l->head = l->tail = l->len = LAYOUT_UNKNOWN;
	l->network_header = l->transport_header = l->mac_header = LAYOUT_UNKNOWN;
	l->sk = l->dev = l->skb_iif = LAYOUT_UNKNOWN;
	l->skc_state = l->skc_net = l->ns_inum = LAYOUT_UNKNOWN;
	l->ifindex = l->nd_net = LAYOUT_UNKNOWN;
}

void layout_search_init(struct layout_search *s)
{
	memset(s, 0xff, sizeof(*s));
	s->ndev = 0;
	s->netptr = 0;
	s->nsyn = 0;
}

/* --- plans ------------------------------------------------------------ */

static void add_read(struct disc_plan *p, uint32_t from, uint32_t off,
		     uint32_t add)
{
	if (p->nreads >= DISC_READS)
		return;
	p->reads[p->nreads].from = from;
	p->reads[p->nreads].off = off;
	p->reads[p->nreads].add = add;
	p->nreads++;
}

void layout_plan_base(struct disc_plan *p)
{
	int i;

	memset(p->reads, 0, sizeof(p->reads));
	p->nreads = 0;
	add_read(p, DISC_FROM_SKB, 0, 0);
	for (i = 0; i < DISC_SKB_SLOTS; i++)
		add_read(p, 0, (uint32_t)i * 8, 0);
}

void layout_plan_dev(struct disc_plan *p, const struct layout_search *s)
{
	int c, m;

	layout_plan_base(p);
	for (c = 0; c < s->ndev && c < LAYOUT_DEV_CANDS; c++)
		for (m = 0; m < LAYOUT_DEV_CHUNKS; m++)
			add_read(p, 0, (uint32_t)s->dev_slot[c] * 8,
				 (uint32_t)m * DISC_CHUNK);
}

void layout_plan_net(struct disc_plan *p, const struct layout *l)
{
	int j;

	memset(p->reads, 0, sizeof(p->reads));
	p->nreads = 0;
	add_read(p, DISC_FROM_SKB, 0, 0);
	add_read(p, 0, (uint32_t)l->sk, 0);
	for (j = 0; j < LAYOUT_SK_SLOTS; j++)
		add_read(p, 1, (uint32_t)(LAYOUT_SK_FIRST_SLOT + j) * 8, 0);
}

/* The (slot, offset) pairs still in question, in one order for the plan
 * and for its check. */
struct chain {
	int slot;     /* sk_buff slot (dev) or sock slot (net) */
	int pos;      /* nd_net or ns.inum */
};

static int net_chains(const struct layout_search *s, struct chain *c)
{
	int j, b, n = 0;

	for (j = 0; j < LAYOUT_SK_SLOTS; j++)
		for (b = 0; b < 128; b++)
			if ((s->net[j][b / 64] >> (b % 64) & 1) &&
			    n < MAX_CHAINS) {
				c[n].slot = LAYOUT_SK_FIRST_SLOT + j;
				c[n++].pos = b * 4;
			}
	return n;
}

static int dev_chains(const struct layout_search *s, struct chain *c)
{
	int d, b, n = 0;

	for (d = 0; d < s->ndev && d < LAYOUT_DEV_CANDS; d++)
		for (b = 0; b < LAYOUT_DEV_BYTES / 8; b++)
			if ((s->nd[d][b / 64] >> (b % 64) & 1) &&
			    n < MAX_CHAINS) {
				c[n].slot = s->dev_slot[d];
				c[n++].pos = b * 8;
			}
	return n;
}

void layout_plan_verify_syn(struct disc_plan *p, const struct layout *l,
			    const struct layout_search *s)
{
	struct chain c[MAX_CHAINS];
	int i, n = dev_chains(s, c);

	layout_plan_base(p);
	if (l->ns_inum == LAYOUT_UNKNOWN)
		return;
	for (i = 0; i < n; i++) {
		add_read(p, 0, (uint32_t)c[i].slot * 8,
			 (uint32_t)c[i].pos & ~(uint32_t)(DISC_CHUNK - 1));
		add_read(p, p->nreads - 1,
			 (uint32_t)c[i].pos & (DISC_CHUNK - 1), 0);
	}
}

void layout_plan_verify_tx(struct disc_plan *p, const struct layout *l,
			   const struct layout_search *s)
{
	struct chain c[MAX_CHAINS];
	int i, n = net_chains(s, c);

	layout_plan_base(p);
	if (l->sk == LAYOUT_UNKNOWN)
		return;
	for (i = 0; i < n; i++)
		add_read(p, 1 + (uint32_t)l->sk / 8, (uint32_t)c[i].slot * 8,
			 0);
}

/* --- narrowing -------------------------------------------------------- */

static int no_record(const struct disc_record *r, struct errmsg *msg)
{
	if (!r->taken)
		return errmsg_set(msg, -ENOENT, "the known drop left no "
				  "record");
	if (!r->ok[0])
		return errmsg_set(msg, -ENOENT, "the sk_buff of the known "
				  "drop could not be read");
	return 0;
}

/* The known packet's IP and TCP headers at `b` (`avail` bytes): its
 * IP header length and the IP packet's length, or -1. */
static int ip_match(const uint8_t *b, size_t avail,
		    const struct layout_pkt *k, unsigned int *iphl,
		    unsigned int *total)
{
	const uint8_t *tcp;

	if (k->family == AF_INET_) {
		if (avail < 40 || b[0] != 0x45 || b[9] != IPPROTO_TCP_ ||
		    memcmp(b + 12, k->saddr, 4) || memcmp(b + 16, k->daddr, 4))
			return -1;
		*iphl = 20;
		*total = be16(b + 2);
	} else {
		if (avail < 60 || (b[0] >> 4) != 6 || b[6] != IPPROTO_TCP_ ||
		    memcmp(b + 8, k->saddr, 16) || memcmp(b + 24, k->daddr, 16))
			return -1;
		*iphl = 40;
		*total = 40u + be16(b + 4);
	}
	tcp = b + *iphl;
	if (be16(tcp) != k->sport || be16(tcp + 2) != k->dport ||
	    (tcp[13] & 0x17) != TCP_SYN_ || *total < *iphl + 20)
		return -1;
	return 0;
}

static int narrow_hn(struct layout_search *s, const struct disc_record *r,
		     const struct layout_pkt *k, unsigned int *total)
{
	const uint8_t *skb = r->buf[0];
	uint64_t m[DISC_SKB_SLOTS][2];
	unsigned int iphl, tot;
	int h, p;

	memset(m, 0, sizeof(m));
	for (h = 0; h < DISC_SKB_SLOTS; h++) {
		if (!kernel_ptr(rd64(skb + 8 * h)) || !r->ok[1 + h])
			continue;
		for (p = 2; p < 256; p += 2) {
			unsigned int nh = rd16(skb + p);

			if (nh >= DISC_CHUNK ||
			    ip_match(r->buf[1 + h] + nh, DISC_CHUNK - nh, k,
				     &iphl, &tot) ||
			    rd16(skb + p - 2) != nh + iphl)
				continue;
			m[h][p / 128] |= 1ull << (p / 2 % 64);
			*total = tot;
		}
	}
	for (h = 0; h < DISC_SKB_SLOTS; h++) {
		s->hn[h][0] &= m[h][0];
		s->hn[h][1] &= m[h][1];
	}
	return popcount_n(&s->hn[0][0], DISC_SKB_SLOTS * 2);
}

/* Several (pointer, u16) pairs reach the known packet's IP header, with
 * a transport_header just before (a copy of the pointer elsewhere, or the
 * inner_* headers equal to the outer ones): keep the likeliest. head is
 * the lowest address into the buffer (data and tail lie above it), and
 * the outer headers come after the inner ones in every sk_buff since 3.x
 * (inner_transport_header .. inner_mac_header, protocol, then
 * transport_header, network_header, mac_header). The drops that follow
 * verify the choice like any other. Returns how many are left: 1. */
static int keep_likeliest_hn(struct layout_search *s, const uint8_t *skb)
{
	int h, p, best_h = -1, best_p = -1;
	uint64_t best_v = 0;

	for (h = 0; h < DISC_SKB_SLOTS; h++) {
		for (p = 2; p < 256; p += 2) {
			uint64_t v = rd64(skb + 8 * h);

			if (!(s->hn[h][p / 128] >> (p / 2 % 64) & 1))
				continue;
			if (best_h < 0 || v < best_v ||
			    (v == best_v && p > best_p)) {
				best_h = h;
				best_p = p;
				best_v = v;
			}
		}
	}
	memset(s->hn, 0, sizeof(s->hn));
	s->hn[best_h][best_p / 128] |= 1ull << (best_p / 2 % 64);
	return 1;
}

/* Among several sk_buff.len candidates, the one followed by data_len,
 * which is 0 for the linear packets discovery makes. */
static int pick_len(uint64_t cands, const uint8_t *skb)
{
	int q;

	for (q = 0; q < 64; q++)
		if ((cands >> q & 1) && q * 4 + 8 <= 256 &&
		    rd32(skb + q * 4 + 4) == 0)
			return q * 4;
	return -1;
}

/* `end` follows `tail` in every sk_buff ("sk_buff_data_t tail; ... end;"
 * in include/linux/skbuff.h since 2.6.22), and the two hold the same
 * offset when the data fills the buffer to its end (the embedded 5.10
 * kernel's loopback SYNs): two adjacent candidates are tail, then end. */
static bool tail_end_pair(uint64_t cands)
{
	int low = __builtin_ctzll(cands);

	return __builtin_popcountll(cands) == 2 && (cands >> (low + 1) & 1);
}

int layout_narrow_syn(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, const struct layout_pkt *k,
		      struct errmsg *msg)
{
	const uint8_t *skb = r->buf[0];
	uint64_t tail = 0, len = 0, mac[2] = { 0, 0 }, head;
	unsigned int total = 0, nh, tailv;
	int n, bit, h, d, q, p, ret = no_record(r, msg);

	if (ret)
		return ret;
	n = narrow_hn(s, r, k, &total);
	if (n > 1)
		n = keep_likeliest_hn(s, skb);
	if (n != 1)
		return errmsg_set(msg, -ENOENT, n ? "%d places in struct "
				  "sk_buff could be head and network_header" :
				  "no place in struct sk_buff holds head and "
				  "network_header of the known packet%.0d", n);
	bit = first_bit(&s->hn[0][0], DISC_SKB_SLOTS * 2);
	h = bit / 128;
	l->head = h * 8;
	l->network_header = bit % 128 * 2;
	l->transport_header = l->network_header - 2;
	head = rd64(skb + l->head);
	nh = rd16(skb + l->network_header);
	tailv = nh + total;
	for (p = 0; p < 256; p += 2)
		if (rd16(skb + p) == nh - ETH_HLEN_)
			set_bit(mac, p / 2);
	for (q = 0; q < 256; q += 4)
		if (rd32(skb + q) == tailv)
			tail |= 1ull << (q / 4);
	for (d = 0; d < DISC_SKB_SLOTS; d++) {
		uint64_t v = rd64(skb + 8 * d);

		if (d == h || v <= head || v > head + tailv)
			continue;
		for (q = 0; q < 256; q += 4)
			if (rd32(skb + q) == head + tailv - v &&
			    !(tail >> (q / 4) & 1))
				len |= 1ull << (q / 4);
	}
	/* net_device candidates: the other pointers, from the first SYN. */
	if (s->nsyn == 0) {
		for (d = 0; d < DISC_SKB_SLOTS && s->ndev < LAYOUT_DEV_CANDS;
		     d++) {
			uint64_t v = rd64(skb + 8 * d);

			if (d == h || !kernel_ptr(v) ||
			    (v >= head && v <= head + tailv))
				continue;
			s->dev_slot[s->ndev++] = d;
		}
	}
	s->tail &= tail;
	s->len &= len;
	s->mac[0] &= mac[0];
	s->mac[1] &= mac[1];
	s->nsyn++;
	if (!s->tail)
		return errmsg_set(msg, -ENOENT, "no place in struct sk_buff "
				  "holds tail");
	if (!s->len)
		return errmsg_set(msg, -ENOENT, "no place in struct sk_buff "
				  "holds len");
	if (__builtin_popcountll(s->tail) == 1)
		l->tail = __builtin_ctzll(s->tail) * 4;
	else if (s->nsyn >= 2 && tail_end_pair(s->tail))
		l->tail = __builtin_ctzll(s->tail) * 4;
	if (__builtin_popcountll(s->len) == 1)
		l->len = __builtin_ctzll(s->len) * 4;
	else if (s->nsyn >= 2)
		l->len = pick_len(s->len, skb);
	if (popcount_n(s->mac, 2) == 1)
		l->mac_header = first_bit(s->mac, 2) * 2;
	else
		l->mac_header = LAYOUT_UNKNOWN;
	if (s->nsyn >= 2 && l->tail == LAYOUT_UNKNOWN)
		return errmsg_set(msg, -ENOENT, "%d places in struct sk_buff "
				  "could be tail", __builtin_popcountll(s->tail));
	if (s->nsyn >= 2 && l->len == LAYOUT_UNKNOWN)
		return errmsg_set(msg, -ENOENT, "%d places in struct sk_buff "
				  "could be len", __builtin_popcountll(s->len));
	return 0;
}

/* sock_common: daddr 0, rcv_saddr 4, hash 8, dport 12 (network order),
 * num 14 (host order), family 16, state 18. */
static bool sock_match(const uint8_t *b, const struct layout_pkt *k)
{
	return memcmp(b, k->daddr, 4) == 0 && memcmp(b + 4, k->saddr, 4) == 0 &&
	       be16(b + 12) == k->dport && rd16(b + 14) == k->sport &&
	       rd16(b + 16) == AF_INET_ &&
	       b[LAYOUT_SKC_STATE] == TCP_ESTABLISHED_;
}

int layout_narrow_tx(struct layout_search *s, struct layout *l,
		     const struct disc_record *r, const struct layout_pkt *k,
		     struct errmsg *msg)
{
	uint32_t m = 0;
	int i, ret = no_record(r, msg);

	if (ret)
		return ret;
	for (i = 0; i < DISC_SKB_SLOTS; i++)
		if (kernel_ptr(rd64(r->buf[0] + 8 * i)) && r->ok[1 + i] &&
		    sock_match(r->buf[1 + i], k))
			m |= 1u << i;
	s->sk &= m;
	if (__builtin_popcount(s->sk) != 1)
		return errmsg_set(msg, -ENOENT, s->sk ? "%d places in struct "
				  "sk_buff could be sk" : "no place in struct "
				  "sk_buff points to the known socket%.0d",
				  __builtin_popcount(s->sk));
	l->sk = __builtin_ctz(s->sk) * 8;
	l->skc_state = LAYOUT_SKC_STATE;
	return 0;
}

int layout_narrow_net(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, uint32_t inum,
		      struct errmsg *msg)
{
	uint64_t m[LAYOUT_SK_SLOTS][2];
	struct chain c[MAX_CHAINS];
	int j, q, ret = no_record(r, msg);

	if (ret)
		return ret;
	if (!r->ok[1] || rd16(r->buf[1] + 16) != AF_INET_ ||
	    r->buf[1][LAYOUT_SKC_STATE] != TCP_ESTABLISHED_)
		return errmsg_set(msg, -ENOENT, "the known socket could not be "
				  "read again");
	memset(m, 0, sizeof(m));
	for (j = 0; j < LAYOUT_SK_SLOTS; j++) {
		if (!r->ok[2 + j] ||
		    !kernel_ptr(rd64(r->buf[1] + (LAYOUT_SK_FIRST_SLOT + j) * 8)))
			continue;
		for (q = 0; q < DISC_CHUNK; q += 4)
			if (rd32(r->buf[2 + j] + q) == inum)
				set_bit(m[j], q / 4);
	}
	for (j = 0; j < LAYOUT_SK_SLOTS; j++) {
		s->net[j][0] &= m[j][0];
		s->net[j][1] &= m[j][1];
	}
	if (net_chains(s, c) == 0)
		return errmsg_set(msg, -ENOENT, "no pointer of struct "
				  "sock_common leads to the namespace's inode");
	s->netptr = rd64(r->buf[1] + c[0].slot * 8);
	return 0;
}

int layout_narrow_dev(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, struct errmsg *msg)
{
	int d, mi, q, ret = no_record(r, msg);

	if (ret)
		return ret;
	for (d = 0; d < s->ndev && d < LAYOUT_DEV_CANDS; d++) {
		uint64_t m[LAYOUT_DEV_BYTES / 8 / 64];

		memset(m, 0, sizeof(m));
		for (mi = 0; mi < LAYOUT_DEV_CHUNKS; mi++) {
			int i = 1 + DISC_SKB_SLOTS + d * LAYOUT_DEV_CHUNKS + mi;

			if (i >= DISC_READS || !r->ok[i])
				continue;
			for (q = 0; q < DISC_CHUNK; q += 8)
				if (s->netptr &&
				    rd64(r->buf[i] + q) == s->netptr)
					set_bit(m, (mi * DISC_CHUNK + q) / 8);
		}
		for (mi = 0; mi < LAYOUT_DEV_BYTES / 8 / 64; mi++)
			s->nd[d][mi] &= m[mi];
	}
	return 0;
}

int layout_verify_tx(struct layout_search *s, struct layout *l,
		     const struct disc_record *r, const struct layout_pkt *k,
		     uint32_t inum, struct errmsg *msg)
{
	struct chain c[MAX_CHAINS];
	int i, n, hits = 0, hit = -1;
	int ret = layout_narrow_tx(s, l, r, k, msg);

	if (ret)
		return ret;
	n = net_chains(s, c);
	for (i = 0; i < n; i++) {
		int ri = BASE_READS + i;

		if (ri < DISC_READS && r->ok[ri] &&
		    rd32(r->buf[ri] + c[i].pos) == inum) {
			hits++;
			hit = i;
		}
	}
	/* Not an error: rows then have no namespace. */
	if (hits == 1) {
		l->skc_net = c[hit].slot * 8;
		l->ns_inum = c[hit].pos;
	} else {
		l->skc_net = l->ns_inum = LAYOUT_UNKNOWN;
	}
	return 0;
}

int layout_verify_syn(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, const struct layout_pkt *k,
		      uint32_t inum, struct errmsg *msg)
{
	struct chain c[MAX_CHAINS];
	int i, n, hits = 0, hit = -1;
	int ret = layout_narrow_syn(s, l, r, k, msg);

	if (ret)
		return ret;
	l->dev = l->nd_net = LAYOUT_UNKNOWN;
	if (l->ns_inum == LAYOUT_UNKNOWN)
		return 0;
	n = dev_chains(s, c);
	for (i = 0; i < n; i++) {
		int ri = BASE_READS + 2 * i + 1;

		if (ri < DISC_READS && r->ok[ri] &&
		    rd32(r->buf[ri] + l->ns_inum) == inum) {
			hits++;
			hit = i;
		}
	}
	if (hits == 1) {
		l->dev = c[hit].slot * 8;
		l->nd_net = c[hit].pos;
	}
	return 0;
}

static size_t put(char *buf, size_t size, size_t at, const char *name, int v)
{
	int n;

	if (at >= size)
		return at;
	if (v == LAYOUT_UNKNOWN)
		n = snprintf(buf + at, size - at, "%s%s unknown", at ? ", " : "",
			     name);
	else
		n = snprintf(buf + at, size - at, "%s%s %d", at ? ", " : "",
			     name, v);
	return n < 0 ? size : at + (size_t)n;
}

void layout_describe(const struct layout *l, char *buf, size_t size)
{
	size_t at = 0;

	if (size)
		buf[0] = '\0';
	at = put(buf, size, at, "sk_buff.head", l->head);
	at = put(buf, size, at, "sk_buff.tail", l->tail);
	at = put(buf, size, at, "sk_buff.len", l->len);
	at = put(buf, size, at, "sk_buff.transport_header", l->transport_header);
	at = put(buf, size, at, "sk_buff.network_header", l->network_header);
	at = put(buf, size, at, "sk_buff.mac_header", l->mac_header);
	at = put(buf, size, at, "sk_buff.sk", l->sk);
	at = put(buf, size, at, "sk_buff.dev", l->dev);
	at = put(buf, size, at, "sk_buff.skb_iif", l->skb_iif);
	at = put(buf, size, at, "sock_common.skc_state", l->skc_state);
	at = put(buf, size, at, "sock_common.skc_net", l->skc_net);
	at = put(buf, size, at, "net.ns.inum", l->ns_inum);
	at = put(buf, size, at, "net_device.ifindex", l->ifindex);
	put(buf, size, at, "net_device.nd_net", l->nd_net);
}
