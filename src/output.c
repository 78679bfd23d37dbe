#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define ROW_FORMAT "%-8s %-7s %-16s %-21s %-21s %-11s %-11s %s\n"

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
	/* include/net/tcp_states.h: the numbering is part of the kernel ABI
	 * (ss, /proc/net/tcp and sock_diag all expose it). */
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
		[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
		[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
		[10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
		[13] = "BOUND_INACTIVE",
	};

	if (state == TCPDROP_NO_STATE)
		return "-";
	if (state < sizeof(names) / sizeof(names[0]))
		return names[state];
	snprintf(buf, size, "STATE_%u", state);
	return buf;
}

void format_time_hms(char *buf, size_t size, const struct timespec *when)
{
	struct tm tm;

	if (!localtime_r(&when->tv_sec, &tm) ||
	    !strftime(buf, size, "%H:%M:%S", &tm))
		snprintf(buf, size, "??:??:??");
}

static int stream_status(FILE *out)
{
	if (!ferror(out))
		return 0;
	return errno == EPIPE ? -EPIPE : -EIO;
}

int output_header(FILE *out)
{
	fprintf(out, ROW_FORMAT, "TIME", "PID", "COMM", "SADDR:SPORT",
		"DADDR:DPORT", "STATE", "FLAGS", "REASON");
	fflush(out);
	return stream_status(out);
}

int output_row(FILE *out, const struct drop_row *row)
{
	const struct tcpdrop_event *ev = row->ev;
	char time[16], pid[16], comm[sizeof(ev->comm) + 1], state_buf[16];
	char src[ADDR_PORT_MAX], dst[ADDR_PORT_MAX], flags[TCP_FLAGS_MAX];

	format_time_hms(time, sizeof(time), &row->when);
	snprintf(pid, sizeof(pid), "%u", ev->pid);
	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	format_addr_port(src, sizeof(src), ev->family, ev->saddr, ev->sport);
	format_addr_port(dst, sizeof(dst), ev->family, ev->daddr, ev->dport);
	format_tcp_flags(flags, sizeof(flags), ev->tcpflags);
	fprintf(out, ROW_FORMAT, time, pid, comm, src, dst,
		tcp_state_name(ev->state, state_buf, sizeof(state_buf)), flags,
		row->reason);
	return stream_status(out);
}

int output_stack_frame(FILE *out, const char *frame)
{
	fprintf(out, "\t%s\n", frame);
	return stream_status(out);
}

int output_stack_end(FILE *out)
{
	fputc('\n', out);
	return stream_status(out);
}
