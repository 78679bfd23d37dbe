/* The kernel structure layout that discovery finds without BTF (see
 * discover.h for how the raw images are made): pure functions over the
 * raw bytes of disc_record images (bpf/disc.h), testable with hand-made
 * images, plus the plans that make those images.
 *
 * Every fact is a set of candidate offsets. Each known drop narrows the
 * sets to the offsets at which that drop's bytes say what is known about
 * it (its addresses, ports, lengths, namespace inode); a fact is taken
 * only when exactly one candidate survives two different drops. Offsets
 * are bytes from the start of the structure; LAYOUT_UNKNOWN when not
 * found. */
#ifndef TCPDROP_LAYOUT_H
#define TCPDROP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disc.h"
#include "errmsg.h"

#define LAYOUT_UNKNOWN (-1)
/* sock_common's slots looked at for skc_net: bytes 24 to 24 + 8 * n. */
#define LAYOUT_SK_FIRST_SLOT 3
#define LAYOUT_SK_SLOTS 30
/* net_device: this many candidate sk_buff slots, DISC_CHUNK * this many
 * chunks each. */
#define LAYOUT_DEV_CANDS 5
#define LAYOUT_DEV_CHUNKS 8
#define LAYOUT_DEV_BYTES (DISC_CHUNK * LAYOUT_DEV_CHUNKS)
#define LAYOUT_SKC_STATE 18   /* fixed since 2.6: verified, not searched */

struct layout {
	/* struct sk_buff */
	int head, tail, len, network_header, transport_header, mac_header;
	int sk, dev, skb_iif;
	/* struct sock_common */
	int skc_state, skc_net;
	/* struct net: ns.inum (ns_common at this offset, inum first) */
	int ns_inum;
	/* struct net_device */
	int ifindex, nd_net;
};

/* A known packet: what the drop-making child sent. */
struct layout_pkt {
	uint16_t family;          /* AF_INET or AF_INET6 */
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;    /* host order */
};

/* The candidate sets, narrowed drop by drop. Bit i of a mask stands for
 * offset i * step of its fact. */
struct layout_search {
	uint64_t hn[DISC_SKB_SLOTS][2];  /* head slot x network_header/2 */
	uint64_t tail, len;              /* offset / 4, in the first 256 */
	uint64_t mac[2];                 /* offset / 2 */
	uint32_t sk;                     /* slot */
	uint64_t net[LAYOUT_SK_SLOTS][2]; /* sk slot x ns.inum / 4 */
	int ndev;                        /* dev candidates: sk_buff slots */
	int dev_slot[LAYOUT_DEV_CANDS];
	uint64_t nd[LAYOUT_DEV_CANDS][LAYOUT_DEV_BYTES / 8 / 64];
	uint64_t netptr;                 /* struct net of the first child */
	int nsyn;                        /* SYN drops narrowed so far */
};

void layout_init(struct layout *l);
void layout_search_init(struct layout_search *s);

/* Plans (bpf/disc.h). The base plan: the sk_buff, then DISC_CHUNK bytes
 * at each of its first DISC_SKB_SLOTS 8-byte slots (read 1 + i). */
void layout_plan_base(struct disc_plan *p);
/* Base plan, then for each dev candidate its first LAYOUT_DEV_CHUNKS
 * chunks. */
void layout_plan_dev(struct disc_plan *p, const struct layout_search *s);
/* The sk_buff, skb->sk (read 1), then each slot LAYOUT_SK_FIRST_SLOT..
 * of the sock (read 2 + j). */
void layout_plan_net(struct disc_plan *p, const struct layout *l);
/* Verification plans: the base plan, then the chains of the facts still
 * in question (skb->dev->nd_net->ns for a SYN, skb->sk->skc_net->ns for a
 * transmitted packet). */
void layout_plan_verify_syn(struct disc_plan *p, const struct layout *l,
			    const struct layout_search *s);
void layout_plan_verify_tx(struct disc_plan *p, const struct layout *l,
			   const struct layout_search *s);

/* Narrowing, one known drop each, on images made with the plans above.
 * Each returns 0, or -ENOENT with `msg` saying which fact has no
 * candidate left (or, for a fact that must be unique by then, more than
 * one), and sets in `l` what is settled. */
/* A SYN received on loopback (no socket), base plan: head,
 * network_header, transport_header, mac_header, tail, len. */
int layout_narrow_syn(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, const struct layout_pkt *k,
		      struct errmsg *msg);
/* A segment of an ESTABLISHED socket dropped on its way out, base plan:
 * skb->sk, by its sock_common (k: the socket's own view, saddr/sport
 * local), and skc_state at 18. */
int layout_narrow_tx(struct layout_search *s, struct layout *l,
		     const struct disc_record *r, const struct layout_pkt *k,
		     struct errmsg *msg);
/* The same kind of drop, net plan: skc_net and ns.inum, by the inode of
 * the namespace; remembers the struct net's address. */
int layout_narrow_net(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, uint32_t inum,
		      struct errmsg *msg);
/* A SYN again, dev plan, in the same namespace: skb->dev and nd_net (the
 * same struct net). Not finding them is not an error: they stay
 * unknown. */
int layout_narrow_dev(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, struct errmsg *msg);
/* Second drops, in another namespace, verification plans. */
int layout_verify_syn(struct layout_search *s, struct layout *l,
		      const struct disc_record *r, const struct layout_pkt *k,
		      uint32_t inum, struct errmsg *msg);
int layout_verify_tx(struct layout_search *s, struct layout *l,
		     const struct disc_record *r, const struct layout_pkt *k,
		     uint32_t inum, struct errmsg *msg);

/* "head 192, tail 184, ..." for -v; unknown facts say so. */
void layout_describe(const struct layout *l, char *buf, size_t size);

#endif
