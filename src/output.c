#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "json.h"
#include "tcpstate.h"

/* Column widths: IPv4 address and port fit in 21, any IPv6 one in 47. */
#define ROW_FORMAT "%-*s %-7s %-16s %-*s %-*s %-11s %-11s %s\n"
#define ADDR_WIDTH 21
#define ADDR_WIDTH_WIDE 47

int format_addr(char *buf, size_t size, uint16_t family,
		const uint8_t addr[16])
{
	if ((family == AF_INET || family == AF_INET6) &&
	    inet_ntop(family, addr, buf, size))
		return 0;
	snprintf(buf, size, "-");
	return -EAFNOSUPPORT;
}

void format_addr_port(char *buf, size_t size, uint16_t family,
		      const uint8_t addr[16], uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == AF_INET6 && inet_ntop(AF_INET6, addr, ip, sizeof(ip)))
		snprintf(buf, size, "[%s]:%u", ip, port);
	else if (family == AF_INET && inet_ntop(AF_INET, addr, ip, sizeof(ip)))
		snprintf(buf, size, "%s:%u", ip, port);
	else
		snprintf(buf, size, "-");
}

void format_tcp_flags(char *buf, size_t size, uint8_t flags)
{
	/* In the order tcpdump and the kernel's own tables use. */
	static const char *const names[8] = {
		"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
	};
	size_t used = 0;
	int bit;

	buf[0] = '\0';
	for (bit = 0; bit < 8; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		used += (size_t)snprintf(buf + used, used < size ? size - used : 0,
					 "%s%s", used ? "|" : "", names[bit]);
	}
	if (!flags)
		snprintf(buf, size, "-");
}

const char *tcp_state_name(uint8_t state, char *buf, size_t size)
{
	const char *name = tcp_state_lookup(state);

	if (state == TCPDROP_NO_STATE)
		return "-";
	if (name)
		return name;
	snprintf(buf, size, "STATE_%u", state);
	return buf;
}

static void format_local_hms(char *buf, size_t size,
			     const struct timespec *when)
{
	struct tm tm;

	if (!localtime_r(&when->tv_sec, &tm) ||
	    !strftime(buf, size, "%H:%M:%S", &tm))
		snprintf(buf, size, "??:??:??");
}

void format_time(char *buf, size_t size, enum time_style style,
		 const struct timespec *when)
{
	size_t len;

	if (style == TIME_ISO) {
		json_format_time(buf, size, when);
		return;
	}
	format_local_hms(buf, size, when);
	len = strlen(buf);
	if (style == TIME_US && len < size)
		snprintf(buf + len, size - len, ".%06ld",
			 when->tv_nsec / 1000);
}

static int time_width(enum time_style style)
{
	switch (style) {
	case TIME_US:
		return 15;
	case TIME_ISO:
		return 30;
	default:
		return 8;
	}
}

static int addr_width(const struct output_style *style)
{
	return style->wide ? ADDR_WIDTH_WIDE : ADDR_WIDTH;
}

int output_status(FILE *out)
{
	if (!ferror(out))
		return 0;
	return errno == EPIPE ? -EPIPE : -EIO;
}

int output_header(FILE *out, const struct output_style *style)
{
	int aw = addr_width(style);

	fprintf(out, ROW_FORMAT, time_width(style->time), "TIME", "PID", "COMM",
		aw, "SADDR:SPORT", aw, "DADDR:DPORT", "STATE", "FLAGS",
		"REASON");
	fflush(out);
	return output_status(out);
}

int output_row(FILE *out, const struct output_style *style,
	       const struct drop_view *d)
{
	const struct tcpdrop_event *ev = d->ev;
	char time[TIME_MAX], pid[16], comm[sizeof(ev->comm) + 1];
	char src[ADDR_PORT_MAX], dst[ADDR_PORT_MAX], flags[TCP_FLAGS_MAX];
	char state_buf[16];
	int aw = addr_width(style);

	format_time(time, sizeof(time), style->time, &d->when);
	snprintf(pid, sizeof(pid), "%u", ev->pid);
	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	format_addr_port(src, sizeof(src), ev->family, ev->saddr, ev->sport);
	format_addr_port(dst, sizeof(dst), ev->family, ev->daddr, ev->dport);
	/* Without packet headers (no BTF) there are no flags to show. */
	if (drop_has_packet(d))
		format_tcp_flags(flags, sizeof(flags), ev->tcpflags);
	else
		snprintf(flags, sizeof(flags), "-");
	fprintf(out, ROW_FORMAT, time_width(style->time), time, pid, comm, aw,
		src, aw, dst,
		tcp_state_name(ev->state, state_buf, sizeof(state_buf)), flags,
		drop_reason_text(d));
	return output_status(out);
}

int output_stack_frame(FILE *out, const char *frame)
{
	fprintf(out, "\t%s\n", frame);
	return output_status(out);
}

int output_stack_end(FILE *out)
{
	fputc('\n', out);
	return output_status(out);
}
