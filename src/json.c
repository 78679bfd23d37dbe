#include "json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "format.h"
#include "netns.h"
#include "output.h"

const char *json_family_name(uint16_t family)
{
	if (family == AF_INET)
		return "ipv4";
	if (family == AF_INET6)
		return "ipv6";
	return NULL;
}

/* One byte that is not part of a UTF-8 sequence. Only what RFC 8259
 * requires is escaped, with its short forms where it has them. A byte
 * >= 0x80 becomes the code point of the same value (Latin-1): nothing is
 * lost, and the line stays valid UTF-8. */
static void json_write_byte(FILE *out, unsigned char c)
{
	switch (c) {
	case '"': fputs("\\\"", out); break;
	case '\\': fputs("\\\\", out); break;
	case '\b': fputs("\\b", out); break;
	case '\f': fputs("\\f", out); break;
	case '\n': fputs("\\n", out); break;
	case '\r': fputs("\\r", out); break;
	case '\t': fputs("\\t", out); break;
	default:
		if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
		break;
	}
}

void json_write_string(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	fputc('"', out);
	while (i < len && p[i]) {
		n = p[i] >= 0x80 ? utf8_sequence_length(p + i, len - i) : 0;
		if (n && format_is_control_point(utf8_code_point(p + i, n))) {
			/* Valid JSON either way; escaped, a line printed on
			 * a terminal acts on nothing. */
			fprintf(out, "\\u%04x", utf8_code_point(p + i, n));
			i += n;
		} else if (n) {
			fwrite(p + i, 1, n, out);
			i += n;
		} else {
			json_write_byte(out, p[i]);
			i++;
		}
	}
	fputc('"', out);
}

/* A C string, or null for NULL. */
static void json_write_cstring(FILE *out, const char *s)
{
	if (s)
		json_write_string(out, s, strlen(s));
	else
		fputs("null", out);
}

/* Addresses, ports and flags come from the packet's headers; there are
 * none in degraded mode (no BTF: family 0). A family this build does not
 * know cannot be printed either, so it is treated the same way. */
static bool has_headers(const struct tcpdrop_event *ev)
{
	return json_family_name(ev->family) != NULL;
}

static void json_write_tuple(FILE *out, const struct tcpdrop_event *ev)
{
	const char *family = json_family_name(ev->family);
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];

	if (!family) {
		fputs("\"family\":null,\"saddr\":null,\"sport\":null,"
		      "\"daddr\":null,\"dport\":null", out);
		return;
	}
	format_addr(saddr, sizeof(saddr), ev->family, ev->saddr);
	format_addr(daddr, sizeof(daddr), ev->family, ev->daddr);
	fprintf(out, "\"family\":\"%s\",\"saddr\":\"%s\",\"sport\":%u,"
		"\"daddr\":\"%s\",\"dport\":%u", family, saddr, ev->sport,
		daddr, ev->dport);
}

static void json_write_state(FILE *out, const struct tcpdrop_event *ev)
{
	char buf[16];

	fputs("\"state\":", out);
	if (ev->state == TCPDROP_NO_STATE)
		fputs("null", out);
	else
		json_write_cstring(out, tcp_state_name(ev->state, buf,
						       sizeof(buf)));
	fprintf(out, ",\"state_code\":%u", ev->state);
}

static void json_write_flags(FILE *out, const struct tcpdrop_event *ev)
{
	char flags[TCP_FLAGS_MAX] = "";

	fputs("\"flags\":", out);
	if (!has_headers(ev)) {
		fputs("null", out);
	} else {
		/* The text row shows "-" for no flag; JSON says it with "". */
		if (ev->tcpflags)
			format_tcp_flags(flags, sizeof(flags), ev->tcpflags);
		json_write_cstring(out, flags);
	}
	fprintf(out, ",\"flags_code\":%u", ev->tcpflags);
}

static void json_write_reason(FILE *out, const struct drop_view *d)
{
	fputs("\"reason\":", out);
	if (!d->reason) {
		fputs("null,\"reason_code\":null", out);
		return;
	}
	json_write_cstring(out, d->reason);
	fprintf(out, ",\"reason_code\":%u", d->ev->reason);
}

static void json_write_location(FILE *out, const struct drop_view *d)
{
	fputs("\"location\":", out);
	json_write_cstring(out, d->location);
	fprintf(out, ",\"location_addr\":\"0x%llx\"",
		(unsigned long long)d->ev->location);
}

static void json_write_stack(FILE *out, const struct drop_view *d)
{
	int i;

	fputs("\"stack\":[", out);
	for (i = 0; d->stack && i < d->nstack; i++) {
		if (i)
			fputc(',', out);
		json_write_cstring(out, d->stack[i]);
	}
	fputc(']', out);
}

/* "" (unknown) as null: never a guess. */
static void json_write_known(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":", key);
	json_write_cstring(out, value[0] ? value : NULL);
}

static void json_write_names(FILE *out, const struct netns_info *ns)
{
	json_write_known(out, "netns_name", ns->name);
	json_write_known(out, "container_id", ns->container_id);
	json_write_known(out, "pod_uid", ns->pod_uid);
}

int json_write_drop(FILE *out, const struct drop_view *d)
{
	const struct tcpdrop_event *ev = d->ev;
	char time[TIME_MAX];

	format_time_rfc3339(time, sizeof(time), &d->when);
	fprintf(out, "{\"type\":\"drop\",\"time\":\"%s\",\"pid\":%u,"
		"\"tid\":%u,\"comm\":", time, ev->pid, ev->tid);
	json_write_string(out, ev->comm, sizeof(ev->comm));
	fputc(',', out);
	json_write_tuple(out, ev);
	fputc(',', out);
	json_write_state(out, ev);
	fputc(',', out);
	json_write_flags(out, ev);
	fputc(',', out);
	json_write_reason(out, d);
	fputc(',', out);
	json_write_location(out, d);
	fprintf(out, ",\"hook\":\"%s\",\"netns\":%u,\"ifindex\":%u,"
		"\"len\":%u,\"cpu\":%u,",
		ev->hook == TCPDROP_HOOK_TCP_DROP ? "tcp_drop" : "kfree_skb",
		ev->netns, ev->ifindex, ev->len, ev->cpu);
	json_write_stack(out, d);
	if (d->ns)
		json_write_names(out, d->ns);
	fputs("}\n", out);
	return output_status(out);
}
