#include "output.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "netns.h"

/* Column widths: IPv4 address and port fit in 21, any IPv6 one in 47. */
/* The line ends after REASON, or after NETNS with -n. COMM is padded by
 * comm_padding(). */
#define ROW_FORMAT "%-*s %-7s %s%*s %-*s %-*s %-11s %-11s %-*s"
#define COMM_WIDTH 16
/* REASON is padded only when NETNS follows it. */
#define REASON_WIDTH 23
#define ADDR_WIDTH 21
#define ADDR_WIDTH_WIDE 47

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
		COMM_WIDTH - 4, "",
		aw, "SADDR:SPORT", aw, "DADDR:DPORT", "STATE", "FLAGS",
		style->netns ? REASON_WIDTH : 0, "REASON");
	fputs(style->netns ? " NETNS\n" : "\n", out);
	fflush(out);
	return output_status(out);
}

/* Spaces after COMM to fill its column: counted in characters, not bytes,
 * so that a UTF-8 name keeps the columns after it aligned. */
static int comm_padding(const char *comm)
{
	int chars = 0;

	for (; *comm; comm++)
		chars += ((unsigned char)*comm & 0xc0) != 0x80;
	return chars < COMM_WIDTH ? COMM_WIDTH - chars : 0;
}

/* A text row is built here and written with one fwrite(): rows are the
 * hot path of a burst, and musl's printf() spent most of its time on a
 * row's twelve padded fields (README "Performance"). */
/* 512 bytes hold every column before NETNS at its widest (about 460:
 * -t iso, COMM all escapes, IPv6 addresses, all eight flags, a location
 * for REASON); NETNS, an escaped /run/netns name, may be twice that. */
struct line {
	char buf[512 + FORMAT_PRINTABLE_MAX(NETNS_LABEL_MAX)];
	size_t len;
};

/* `s`, then spaces up to `width` bytes: printf's "%-*s". What does not
 * fit in the line is cut (a row is far shorter). */
static void put_padded(struct line *l, const char *s, int width)
{
	size_t n = strlen(s), room = sizeof(l->buf) - 1 - l->len;

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	for (; (int)n < width && l->len < sizeof(l->buf) - 1; n++)
		l->buf[l->len++] = ' ';
}

static void put(struct line *l, const char *s)
{
	put_padded(l, s, 0);
}

/* The decimal digits of v. */
static void put_u32(struct line *l, uint32_t v, int width)
{
	char digits[11];
	int i = (int)sizeof(digits) - 1;

	digits[i] = '\0';
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_padded(l, digits + i, width);
}

int output_row(FILE *out, const struct output_style *style,
	       const struct drop_view *d)
{
	const struct tcpdrop_event *ev = d->ev;
	char time[TIME_MAX];
	char comm[FORMAT_PRINTABLE_MAX(sizeof(ev->comm))];
	char src[ADDR_PORT_MAX], dst[ADDR_PORT_MAX], flags[TCP_FLAGS_MAX];
	char state_buf[16], netns[NETNS_LABEL_MAX];
	char netns_text[FORMAT_PRINTABLE_MAX(NETNS_LABEL_MAX)];
	int aw = addr_width(style);
	struct line l;

	l.len = 0;
	format_time(time, sizeof(time), style->time, &d->when);
	/* Any process can name itself anything: escape sequences in COMM
	 * must not reach a terminal. */
	format_printable(comm, sizeof(comm), ev->comm, sizeof(ev->comm));
	format_addr_port(src, sizeof(src), ev->family, ev->saddr, ev->sport);
	format_addr_port(dst, sizeof(dst), ev->family, ev->daddr, ev->dport);
	/* Without packet headers (no BTF) there are no flags to show. */
	if (drop_has_packet(d))
		format_tcp_flags(flags, sizeof(flags), ev->tcpflags);
	else
		memcpy(flags, "-", 2);
	put_padded(&l, time, time_width(style->time));
	put(&l, " ");
	put_u32(&l, ev->pid, 7);
	put(&l, " ");
	put_padded(&l, comm, (int)strlen(comm) + comm_padding(comm));
	put(&l, " ");
	put_padded(&l, src, aw);
	put(&l, " ");
	put_padded(&l, dst, aw);
	put(&l, " ");
	put_padded(&l, tcp_state_name(ev->state, state_buf, sizeof(state_buf)),
		   11);
	put(&l, " ");
	put_padded(&l, flags, 11);
	put(&l, " ");
	put_padded(&l, drop_reason_text(d), style->netns ? REASON_WIDTH : 0);
	if (style->netns) {
		/* A /run/netns name is any file name: made safe to print,
		 * and without spaces the columns stay countable. */
		netns_label(d->ns, netns, sizeof(netns));
		format_printable(netns_text, sizeof(netns_text), netns,
				 strlen(netns));
		for (char *p = netns_text; *p; p++)
			if (*p == ' ')
				*p = '_';
		put(&l, " ");
		put(&l, netns_text);
	}
	l.buf[l.len++] = '\n';
	fwrite(l.buf, 1, l.len, out);
	return output_status(out);
}

/* Appends "\t<frame>\n" to buf at *used, writing buf out first when it
 * would not fit; a frame longer than buf goes out on its own. */
static void put_frame(FILE *out, char *buf, size_t size, size_t *used,
		      const char *frame)
{
	size_t len = strlen(frame);

	if (*used + len + 2 > size) {
		fwrite(buf, 1, *used, out);
		*used = 0;
	}
	if (len + 2 > size) {
		fprintf(out, "\t%s\n", frame);
		return;
	}
	buf[(*used)++] = '\t';
	memcpy(buf + *used, frame, len);
	*used += len;
	buf[(*used)++] = '\n';
}

int output_stack(FILE *out, const char *const *frames, int n)
{
	/* A stack of 25 frames is one fwrite(), not 75 stdio calls: a
	 * burst of rows with stacks is bound by this. */
	char buf[4096];
	size_t used = 0;
	int i;

	if (n == 0)
		put_frame(out, buf, sizeof(buf) - 1, &used,
			  "[stack unavailable]");
	/* The frames fill at most sizeof(buf) - 1 bytes: the last one is
	 * kept for the blank line that ends the stack. */
	for (i = 0; i < n; i++)
		put_frame(out, buf, sizeof(buf) - 1, &used, frames[i]);
	buf[used++] = '\n';
	fwrite(buf, 1, used, out);
	return output_status(out);
}
