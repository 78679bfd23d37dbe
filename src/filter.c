#include "filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tcpstate.h"

/* Calls `fn` for each item of a comma list; empty items are errors. */
static int for_each_item(const char *arg, const char *what,
			 int (*fn)(void *ctx, const char *item,
				   struct errmsg *msg),
			 void *ctx, struct errmsg *msg)
{
	char item[FILTER_NAME_MAX];
	const char *p = arg;
	int ret;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(item))
			return errmsg_set(msg, -EINVAL, "invalid %s list '%s'",
					  what, arg);
		memcpy(item, p, len);
		item[len] = '\0';
		ret = fn(ctx, item, msg);
		if (ret)
			return ret;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int add_port(void *ctx, const char *item, struct errmsg *msg)
{
	struct port_list *list = ctx;
	unsigned long port;

	if (parse_number(item, 65535, &port) || port == 0)
		return errmsg_set(msg, -EINVAL, "invalid port '%s': want 1 "
				  "to 65535", item);
	if (list->count == TCPDROP_PORTS_MAX)
		return errmsg_set(msg, -EINVAL, "too many ports: at most %d "
				  "per option", TCPDROP_PORTS_MAX);
	list->ports[list->count++] = (uint16_t)port;
	return 0;
}

int filter_add_ports(struct port_list *list, const char *arg,
		     struct errmsg *msg)
{
	return for_each_item(arg, "port", add_port, list, msg);
}

static void mask_network(struct tcpdrop_cidr *c, unsigned prefix)
{
	unsigned i;

	memset(c->mask, 0, sizeof(c->mask));
	for (i = 0; i < prefix / 8; i++)
		c->mask[i] = 0xff;
	if (prefix % 8)
		c->mask[i] = (uint8_t)(0xff << (8 - prefix % 8));
	for (i = 0; i < sizeof(c->addr); i++)
		c->addr[i] &= c->mask[i];
}

/* ADDR or ADDR/PREFIX, IPv4 or IPv6. */
static int parse_cidr(const char *arg, struct tcpdrop_cidr *c)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(arg, '/');
	size_t len = slash ? (size_t)(slash - arg) : strlen(arg);
	unsigned long prefix, max;

	if (len == 0 || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, arg, len);
	addr[len] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	prefix = max;
	if (slash && parse_number(slash + 1, max, &prefix))
		return -EINVAL;
	mask_network(c, (unsigned)prefix);
	return 0;
}

int filter_add_addr(struct filter *f, const char *arg, struct errmsg *msg)
{
	if (f->naddrs == TCPDROP_ADDRS_MAX)
		return errmsg_set(msg, -EINVAL, "too many -a/--addr: at most %d",
				  TCPDROP_ADDRS_MAX);
	if (parse_cidr(arg, &f->addrs[f->naddrs]))
		return errmsg_set(msg, -EINVAL, "invalid address '%s': want an "
				  "IPv4 or IPv6 address, with an optional "
				  "/PREFIX (0-32 or 0-128)", arg);
	f->naddrs++;
	return 0;
}

static int add_reason(void *ctx, const char *item, struct errmsg *msg)
{
	struct filter *f = ctx;

	if (f->nreasons == TCPDROP_REASONS_MAX)
		return errmsg_set(msg, -EINVAL, "too many reasons: at most %d",
				  TCPDROP_REASONS_MAX);
	snprintf(f->reason_names[f->nreasons++], FILTER_NAME_MAX, "%s", item);
	return 0;
}

int filter_add_reasons(struct filter *f, const char *arg, struct errmsg *msg)
{
	return for_each_item(arg, "reason", add_reason, f, msg);
}

static int add_state(void *ctx, const char *item, struct errmsg *msg)
{
	struct filter *f = ctx;
	int state = tcp_state_parse(item);

	if (state >= 0) {
		f->state_mask |= 1u << state;
		return 0;
	}
	return errmsg_set(msg, -EINVAL, "unknown TCP state '%s': want "
			  "ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, "
			  "FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, "
			  "LISTEN, CLOSING, NEW_SYN_RECV, BOUND_INACTIVE or "
			  "NONE", item);
}

int filter_add_states(struct filter *f, const char *arg, struct errmsg *msg)
{
	return for_each_item(arg, "state", add_state, f, msg);
}

int filter_set_netns(struct filter *f, const char *arg, struct errmsg *msg)
{
	unsigned long inode;

	if (parse_number(arg, UINT32_MAX, &inode) || inode == 0)
		return errmsg_set(msg, -EINVAL, "invalid network namespace "
				  "'%s': want its inode number, as "
				  "'stat -L -c %%i /proc/PID/ns/net' shows", arg);
	f->netns = (uint32_t)inode;
	return 0;
}

bool filter_needs_btf(const struct filter *f)
{
	return f->any_port.count || f->sport.count || f->dport.count ||
	       f->naddrs || f->state_mask || f->netns || f->netns_by_name;
}

/* "A, B, C": the names the kernel knows, for the error message. */
/* The table's last entry, MAX (SKB_DROP_REASON_MAX), counts the reasons:
 * no packet is ever dropped with it. */
static bool is_reason(const char *name)
{
	return strcasecmp(name, "MAX") != 0;
}

static void list_reasons(const struct tp_format *fmt, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < fmt->nsymbols && used < size; i++)
		if (is_reason(fmt->symbols[i].name))
			used += (size_t)snprintf(buf + used, size - used,
						 "%s%s", used ? ", " : "",
						 fmt->symbols[i].name);
}

int filter_resolve_reasons(const struct filter *f, const struct tp_format *fmt,
			   uint32_t out[TCPDROP_REASONS_MAX], struct errmsg *msg)
{
	char known[3072];
	uint64_t value;
	uint32_t i;

	if (f->nreasons && !tp_format_field(fmt, "reason"))
		return errmsg_set(msg, -EINVAL, "-r/--reason: this kernel's "
				  "skb:kfree_skb has no drop reasons (they "
				  "came with Linux 5.17)");
	for (i = 0; i < f->nreasons; i++) {
		if (tp_format_symbol_value(fmt, f->reason_names[i], &value) ||
		    !is_reason(f->reason_names[i])) {
			list_reasons(fmt, known, sizeof(known));
			return errmsg_set(msg, -EINVAL, "unknown drop reason "
					  "'%s'; this kernel knows: %s",
					  f->reason_names[i], known);
		}
		out[i] = (uint32_t)value;
	}
	return 0;
}

void filter_to_config(const struct filter *f,
		      const uint32_t reasons[TCPDROP_REASONS_MAX],
		      struct tcpdrop_config *cfg)
{
	cfg->nports = f->any_port.count;
	memcpy(cfg->ports, f->any_port.ports, sizeof(cfg->ports));
	cfg->nsports = f->sport.count;
	memcpy(cfg->sports, f->sport.ports, sizeof(cfg->sports));
	cfg->ndports = f->dport.count;
	memcpy(cfg->dports, f->dport.ports, sizeof(cfg->dports));
	cfg->naddrs = f->naddrs;
	memcpy(cfg->addrs, f->addrs, sizeof(cfg->addrs));
	cfg->nreasons = f->nreasons;
	memcpy(cfg->reasons, reasons, sizeof(cfg->reasons));
	cfg->state_mask = f->state_mask;
	cfg->netns = f->netns;
	cfg->netns_by_name = f->netns_by_name;
}
