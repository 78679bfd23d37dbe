/* Discovery's pure parts: offsets found in hand-made raw sk_buff, sock,
 * net and net_device images (src/layout.c), a wrong guess rejected by the
 * second image, and the synthetic BTF (src/btfgen.c) read back by
 * src/btf.c and used to relocate the embedded object. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "btfgen.h"
#include "check.h"
#include "fixture.h"
#include "layout.h"
#include "object.h"

extern const unsigned char tcpdrop_bpf_object[];
extern const unsigned char tcpdrop_bpf_object_end[];
#define OBJ_LEN ((size_t)(tcpdrop_bpf_object_end - tcpdrop_bpf_object))

/* The layout the images below are made with (6.18's, x86_64). */
#define HEAD 192
#define DATA 200
#define TAIL 184
#define LEN 112
#define NH 180
#define SK 24
#define DEV 16
#define SKC_NET 48
#define NS_INUM 176
#define ND_NET 1288
#define NH_BASE 270
#define HEADPTR 0xffff888012340000ull
#define SKPTR 0xffff888055550000ull
#define DEVPTR 0xffff888066660000ull
#define NETPTR 0xffff888077770000ull

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static struct layout_pkt pkt4(uint16_t sport, uint16_t dport)
{
	struct layout_pkt k = { .family = 2, .sport = sport, .dport = dport };
	uint32_t lo = htonl(0x7f000001);

	memcpy(k.saddr, &lo, 4);
	memcpy(k.daddr, &lo, 4);
	return k;
}

static struct layout_pkt pkt6(uint16_t sport, uint16_t dport)
{
	struct layout_pkt k = { .family = 10, .sport = sport, .dport = dport };

	k.saddr[15] = k.daddr[15] = 1;
	return k;
}

/* A received SYN of `k`, `tcplen` bytes of TCP, its network header at
 * `nh`, in a base-plan record. */
static void make_syn(struct disc_record *r, const struct layout_pkt *k,
		     unsigned int nh, unsigned int tcplen)
{
	uint8_t *skb = r->buf[0], *head = r->buf[1 + HEAD / 8], *ip, *tcp;
	unsigned int iphl = k->family == 2 ? 20 : 40;

	memset(r, 0, sizeof(*r));
	r->taken = 1;
	r->ok[0] = 1;
	put64(skb + HEAD, HEADPTR);
	put64(skb + DATA, HEADPTR + nh + iphl);
	put64(skb + DEV, DEVPTR);
	put32(skb + TAIL, nh + iphl + tcplen);
	put32(skb + LEN, tcplen);
	put16(skb + NH - 2, (uint16_t)(nh + iphl));
	put16(skb + NH, (uint16_t)nh);
	put16(skb + NH + 2, (uint16_t)(nh - 14));
	r->ok[1 + HEAD / 8] = r->ok[1 + DATA / 8] = r->ok[1 + DEV / 8] = 1;
	ip = head + nh;
	if (k->family == 2) {
		ip[0] = 0x45;
		ip[9] = 6;
		put16(ip + 2, htons((uint16_t)(20 + tcplen)));
		memcpy(ip + 12, k->saddr, 4);
		memcpy(ip + 16, k->daddr, 4);
	} else {
		ip[0] = 0x60;
		ip[6] = 6;
		put16(ip + 4, htons((uint16_t)tcplen));
		memcpy(ip + 8, k->saddr, 16);
		memcpy(ip + 24, k->daddr, 16);
	}
	tcp = ip + iphl;
	put16(tcp, htons(k->sport));
	put16(tcp + 2, htons(k->dport));
	tcp[13] = 0x02;
}

/* A segment of an ESTABLISHED socket, local port `sport`. */
static void make_tx(struct disc_record *r, const struct layout_pkt *k)
{
	uint8_t *skb = r->buf[0], *sk = r->buf[1 + SK / 8];

	memset(r, 0, sizeof(*r));
	r->taken = 1;
	r->ok[0] = r->ok[1 + SK / 8] = 1;
	put64(skb + SK, SKPTR);
	memcpy(sk, k->daddr, 4);
	memcpy(sk + 4, k->saddr, 4);
	put16(sk + 12, htons(k->dport));
	put16(sk + 14, k->sport);
	put16(sk + 16, 2);
	sk[18] = 1;
	put64(sk + SKC_NET, NETPTR);
}

static void find_all(struct layout_search *s, struct layout *l,
		     struct disc_record *r, struct errmsg *err)
{
	struct layout_pkt a = pkt4(40001, 9), b = pkt4(40002, 8080);
	struct disc_plan plan;
	int j;

	layout_init(l);
	layout_search_init(s);
	make_syn(r, &a, NH_BASE, 40);
	CHECK_INT(layout_narrow_syn(s, l, r, &a, err), 0);
	make_tx(r, &b);
	CHECK_INT(layout_narrow_tx(s, l, r, &b, err), 0);
	CHECK_INT(l->sk, SK);
	/* The net plan: skb, the sock, and what its slots point to. */
	layout_plan_net(&plan, l);
	CHECK_INT(plan.nreads, 2 + LAYOUT_SK_SLOTS);
	CHECK_INT(plan.reads[1].off, SK);
	make_tx(r, &b);
	memcpy(r->buf[1], r->buf[1 + SK / 8], DISC_CHUNK);
	r->ok[1] = 1;
	j = SKC_NET / 8 - LAYOUT_SK_FIRST_SLOT;
	r->ok[2 + j] = 1;
	put32(r->buf[2 + j] + NS_INUM, 4026531840u);
	CHECK_INT(layout_narrow_net(s, l, r, 4026531840u, err), 0);
	CHECK(s->netptr == NETPTR);
	/* The dev plan: the candidates' first chunks. */
	layout_plan_dev(&plan, s);
	make_syn(r, &a, NH_BASE, 40);
	for (j = 0; j < s->ndev; j++)
		if (s->dev_slot[j] == DEV / 8) {
			int i = 1 + DISC_SKB_SLOTS + j * LAYOUT_DEV_CHUNKS +
				ND_NET / DISC_CHUNK;

			r->ok[i] = 1;
			put64(r->buf[i] + ND_NET % DISC_CHUNK, NETPTR);
		}
	CHECK_INT(layout_narrow_dev(s, l, r, err), 0);
}

static void test_find_and_verify(void)
{
	struct disc_record *r = calloc(1, sizeof(*r));
	struct layout_search *s = calloc(1, sizeof(*s));
	struct layout_pkt c = pkt4(40003, 9), d = pkt6(40004, 443);
	struct errmsg err = { "" };
	struct disc_plan plan;
	struct layout l;
	int i;

	find_all(s, &l, r, &err);
	/* The second namespace: a transmitted segment with its chains. */
	layout_plan_verify_tx(&plan, &l, s);
	CHECK_INT(plan.nreads, 1 + DISC_SKB_SLOTS + 1);
	make_tx(r, &c);
	i = 1 + DISC_SKB_SLOTS;
	r->ok[i] = 1;
	put32(r->buf[i] + NS_INUM, 4026532000u);
	CHECK_INT(layout_verify_tx(s, &l, r, &c, 4026532000u, &err), 0);
	CHECK_INT(l.skc_net, SKC_NET);
	CHECK_INT(l.ns_inum, NS_INUM);
	/* An IPv6 SYN, another size and place. */
	layout_plan_verify_syn(&plan, &l, s);
	CHECK_INT(plan.nreads, 1 + DISC_SKB_SLOTS + 2);
	CHECK_INT(plan.reads[i].add, ND_NET / DISC_CHUNK * DISC_CHUNK);
	CHECK_INT(plan.reads[i + 1].off, ND_NET % DISC_CHUNK);
	make_syn(r, &d, 230, 32);
	r->ok[i] = r->ok[i + 1] = 1;
	put32(r->buf[i + 1] + NS_INUM, 4026532000u);
	CHECK_INT(layout_verify_syn(s, &l, r, &d, 4026532000u, &err), 0);
	if (err.text[0])
		printf("     %s\n", err.text);
	CHECK_INT(l.head, HEAD);
	CHECK_INT(l.network_header, NH);
	CHECK_INT(l.transport_header, NH - 2);
	CHECK_INT(l.mac_header, NH + 2);
	CHECK_INT(l.tail, TAIL);
	CHECK_INT(l.len, LEN);
	CHECK_INT(l.sk, SK);
	CHECK_INT(l.skc_state, 18);
	CHECK_INT(l.dev, DEV);
	CHECK_INT(l.nd_net, ND_NET);
	CHECK_INT(l.ifindex, LAYOUT_UNKNOWN);
	CHECK_INT(l.skb_iif, LAYOUT_UNKNOWN);
	free(r);
	free(s);
}

/* A decoy that holds tail's value in the first image only: two
 * candidates after it, one after the second image. A decoy that holds it
 * in both stays ambiguous, and is refused. */
static void test_second_image_rejects(void)
{
	struct disc_record *r = calloc(1, sizeof(*r));
	struct layout_search s;
	struct layout_pkt a = pkt4(40001, 9), b = pkt6(40002, 9);
	struct errmsg err = { "" };
	struct layout l;

	layout_init(&l);
	layout_search_init(&s);
	make_syn(r, &a, 270, 40);
	put32(r->buf[0] + 140, 270 + 60);           /* decoy == tail */
	CHECK_INT(layout_narrow_syn(&s, &l, r, &a, &err), 0);
	CHECK_INT(__builtin_popcountll(s.tail), 2);
	CHECK_INT(l.tail, LAYOUT_UNKNOWN);
	make_syn(r, &b, 230, 32);
	put32(r->buf[0] + 140, 7);                  /* not this time */
	CHECK_INT(layout_narrow_syn(&s, &l, r, &b, &err), 0);
	CHECK_INT(l.tail, TAIL);

	layout_init(&l);
	layout_search_init(&s);
	make_syn(r, &a, 270, 40);
	put32(r->buf[0] + 140, 270 + 60);
	CHECK_INT(layout_narrow_syn(&s, &l, r, &a, &err), 0);
	make_syn(r, &b, 230, 32);
	put32(r->buf[0] + 140, 230 + 72);           /* again */
	CHECK_INT(layout_narrow_syn(&s, &l, r, &b, &err), -ENOENT);
	CHECK(strstr(err.text, "could be tail") != NULL);

	/* A guess of head/network_header that the second packet does not
	 * confirm: its network header is elsewhere than the first guess. */
	layout_init(&l);
	layout_search_init(&s);
	make_syn(r, &a, 270, 40);
	CHECK_INT(layout_narrow_syn(&s, &l, r, &a, &err), 0);
	make_syn(r, &b, 230, 32);
	memset(r->buf[1 + HEAD / 8] + 230, 0, 40);  /* not the packet */
	CHECK_INT(layout_narrow_syn(&s, &l, r, &b, &err), -ENOENT);
	CHECK(strstr(err.text, "head and network_header") != NULL);

	/* A socket that is not the known one. */
	layout_search_init(&s);
	make_tx(r, &a);
	b = pkt4(40009, 9);
	CHECK_INT(layout_narrow_tx(&s, &l, r, &b, &err), -ENOENT);
	/* No record at all. */
	memset(r, 0, sizeof(*r));
	CHECK_INT(layout_narrow_syn(&s, &l, r, &a, &err), -ENOENT);
	CHECK(strstr(err.text, "left no record") != NULL);
	free(r);
}

static int member_off(const struct btf *btf, const char *type,
		      const char *member)
{
	int id = btf_find(btf, type, BTF_KIND_STRUCT);
	const struct btf_type *t;
	const struct btf_member *m;
	uint32_t i;

	if (id < 0)
		return -2;
	t = btf_type_by_id(btf, (uint32_t)id);
	m = (const struct btf_member *)(t + 1);
	for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++)
		if (strcmp(btf_str(btf, m->name_off), member) == 0)
			return (int)(m->offset / 8);
	return -1;
}

static struct layout full_layout(void)
{
	struct layout l;

	layout_init(&l);
	l.head = HEAD;
	l.tail = TAIL;
	l.len = LEN;
	l.network_header = NH;
	l.transport_header = NH - 2;
	l.mac_header = NH + 2;
	l.sk = SK;
	l.dev = DEV;
	l.skc_state = 18;
	l.skc_net = SKC_NET;
	l.ns_inum = NS_INUM;
	l.nd_net = ND_NET;
	return l;
}

static void test_btf_round_trip(void)
{
	struct layout l = full_layout();
	struct btf *btf = NULL;
	uint8_t buf[8192];

	CHECK_INT(btfgen_load(&l, &btf), 0);
	if (!btf)
		return;
	CHECK_INT(member_off(btf, "sk_buff", "head"), HEAD);
	CHECK_INT(member_off(btf, "sk_buff", "tail"), TAIL);
	CHECK_INT(member_off(btf, "sk_buff", "network_header"), NH);
	CHECK_INT(member_off(btf, "sk_buff", "sk"), SK);
	CHECK_INT(member_off(btf, "sk_buff", "skb_iif"), -1);
	CHECK_INT(member_off(btf, "sock_common", "skc_state"), 18);
	CHECK_INT(member_off(btf, "sock_common", "skc_net"), SKC_NET);
	CHECK_INT(member_off(btf, "net", "ns"), NS_INUM);
	CHECK_INT(member_off(btf, "ns_common", "inum"), 0);
	CHECK_INT(member_off(btf, "net_device", "nd_net"), ND_NET);
	CHECK_INT(member_off(btf, "net_device", "ifindex"), -1);
	CHECK(btf_find(btf, "possible_net_t", BTF_KIND_TYPEDEF) > 0);
	btf_free(btf);
	/* Offsets that no structure has are refused, not written. */
	l.head = -5;
	CHECK_INT(btfgen_write(&l, buf, sizeof(buf)), -EINVAL);
	l.head = 70000;
	CHECK_INT(btfgen_write(&l, buf, sizeof(buf)), -EINVAL);
	l = full_layout();
	CHECK_INT(btfgen_write(&l, buf, 16), -ENOSPC);
}

/* The embedded object relocates against the synthetic BTF, with every
 * fact and with only the required ones (the others' accesses are then
 * poisoned, behind field_exists()). */
static void relocate(const struct layout *l, const char *what)
{
	struct errmsg err = { "" };
	struct tp_format fmt;
	struct bpf_object obj;
	struct btf *btf = NULL;
	struct core_target target = { NULL, "trace_event_raw_kfree_skb", &fmt };

	if (parse_fixture(&fmt, "kfree_skb-6.18.format"))
		return;
	CHECK_INT(btfgen_load(l, &btf), 0);
	target.btf = btf;
	CHECK_INT(object_open(&obj, tcpdrop_bpf_object, OBJ_LEN, &err), 0);
	CHECK_INT(object_core_relocate(&obj, &target, &err), 0);
	if (err.text[0])
		printf("     %s: %s\n", what, err.text);
	object_close(&obj);
	tp_format_free(&fmt);
	btf_free(btf);
}

static void test_core_against_synthetic(void)
{
	struct layout l = full_layout();

	relocate(&l, "every fact");
	l.sk = l.dev = l.skc_net = l.ns_inum = l.nd_net = l.len = LAYOUT_UNKNOWN;
	l.skc_state = l.mac_header = l.transport_header = LAYOUT_UNKNOWN;
	relocate(&l, "the required facts only");
}

int main(void)
{
	RUN(test_find_and_verify);
	RUN(test_second_image_rejects);
	RUN(test_btf_round_trip);
	RUN(test_core_against_synthetic);
	return check_exit_code();
}
