/* In-kernel filters: parsing the options into values the BPF program
 * compares against (its .rodata), and checking them against what the
 * running kernel can evaluate. Kinds combine with AND, the values of one
 * kind with OR. */
#ifndef TCPDROP_FILTER_H
#define TCPDROP_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "errmsg.h"
#include "tpformat.h"

/* The limits (TCPDROP_*_MAX) are the program's, from bpf/config.h. */
#define FILTER_NAME_MAX 64

struct port_list {
	uint16_t ports[TCPDROP_PORTS_MAX];
	uint32_t count;
};

struct filter {
	struct port_list any_port;    /* -p: source or destination */
	struct port_list sport;
	struct port_list dport;
	struct tcpdrop_cidr addrs[TCPDROP_ADDRS_MAX]; /* -a: source or dest */
	uint32_t naddrs;
	char reason_names[TCPDROP_REASONS_MAX][FILTER_NAME_MAX];
	uint32_t nreasons;
	uint32_t state_mask;          /* bit n: TCP state n; bit 0: none */
	uint32_t netns;               /* 0: any */
	/* -N NAME or container ID: the namespaces are a set the kernel
	 * looks up (tcpdrop_netns_set), filled as the name resolves, at
	 * start and later (main.c); netns stays 0. */
	bool netns_by_name;
};

/* Each adds the values of one option argument (a comma list). 0, or
 * -EINVAL with `msg` saying what is wrong (a usage error). */
int filter_add_ports(struct port_list *list, const char *arg,
		     struct errmsg *msg);
int filter_add_addr(struct filter *f, const char *arg, struct errmsg *msg);
int filter_add_reasons(struct filter *f, const char *arg,
		       struct errmsg *msg);
int filter_add_states(struct filter *f, const char *arg,
		      struct errmsg *msg);
int filter_set_netns(struct filter *f, const char *arg, struct errmsg *msg);

/* Port, address, state and netns filters read the packet or the socket,
 * which takes the kernel's BTF. */
bool filter_needs_btf(const struct filter *f);

/* The reason names as numbers of the running kernel, from the tracepoint's
 * format (`fmt`). -EINVAL (a usage error) for a name the kernel does not
 * know (the message lists the valid ones) or a kernel without reasons. */
int filter_resolve_reasons(const struct filter *f, const struct tp_format *fmt,
			   uint32_t out[TCPDROP_REASONS_MAX],
			   struct errmsg *msg);

/* Copies the filter into the program's settings (`cfg`), with the reason
 * numbers resolved by filter_resolve_reasons(). */
void filter_to_config(const struct filter *f,
		      const uint32_t reasons[TCPDROP_REASONS_MAX],
		      struct tcpdrop_config *cfg);

#endif
