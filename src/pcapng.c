#include "pcapng.h"

#include <errno.h>
#include <string.h>

#include "format.h"
#include "outstream.h"

/* Block types and option codes (draft-ietf-opsawg-pcapng, sections 4
 * and 3.5). */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
/* if_tsresol: 10^-9 s units. */
#define TSRESOL_NS 9

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Appends to a block under construction; `fail` is set once anything
 * did not fit. */
struct block {
	uint8_t *buf;
	size_t size, len;
	int fail;
};

static void put(struct block *b, const void *p, size_t n)
{
	if (b->fail || n > b->size - b->len) {
		b->fail = 1;
		return;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void put32(struct block *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put16(struct block *b, uint16_t v)
{
	put(b, &v, sizeof(v));
}

/* `n` bytes then zeros to the next 32-bit boundary. */
static void put_padded(struct block *b, const void *p, size_t n)
{
	static const uint8_t zeros[4];

	put(b, p, n);
	put(b, zeros, pad4(n) - n);
}

/* One option: code, length, value padded. */
static void put_option(struct block *b, uint16_t code, const void *value,
		       size_t len)
{
	put16(b, code);
	put16(b, (uint16_t)len);
	put_padded(b, value, len);
}

static void start_block(struct block *b, uint8_t *buf, size_t size,
			uint32_t type)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
	b->fail = 0;
	put32(b, type);
	put32(b, 0);    /* Block Total Length, set by end_block() */
}

/* opt_endofopt, the trailing length, and the leading one filled in. */
static int end_block(struct block *b)
{
	uint32_t total;

	put16(b, OPT_ENDOFOPT);
	put16(b, 0);
	total = (uint32_t)b->len + 4;
	put32(b, total);
	if (b->fail)
		return -ENOSPC;
	memcpy(b->buf + 4, &total, sizeof(total));
	return (int)total;
}

int pcapng_section_header(uint8_t *buf, size_t size, const char *userappl)
{
	struct block b;
	uint64_t section_length = UINT64_MAX;   /* -1: not given */

	start_block(&b, buf, size, BT_SHB);
	put32(&b, BYTE_ORDER_MAGIC);
	put16(&b, 1);   /* major version */
	put16(&b, 0);   /* minor version */
	put(&b, &section_length, sizeof(section_length));
	if (userappl && userappl[0])
		put_option(&b, OPT_SHB_USERAPPL, userappl, strlen(userappl));
	return end_block(&b);
}

int pcapng_interface(uint8_t *buf, size_t size, uint32_t snaplen,
		     const char *name)
{
	struct block b;
	uint8_t tsresol = TSRESOL_NS;

	start_block(&b, buf, size, BT_IDB);
	put16(&b, PCAPNG_LINKTYPE_RAW);
	put16(&b, 0);   /* reserved */
	put32(&b, snaplen);
	if (name && name[0])
		put_option(&b, OPT_IF_NAME, name, strlen(name));
	put_option(&b, OPT_IF_TSRESOL, &tsresol, 1);
	return end_block(&b);
}

int pcapng_packet(uint8_t *buf, size_t size, const struct pcapng_packet *p)
{
	struct block b;

	start_block(&b, buf, size, BT_EPB);
	put32(&b, 0);   /* Interface ID */
	put32(&b, (uint32_t)(p->ts_ns >> 32));
	put32(&b, (uint32_t)p->ts_ns);
	put32(&b, p->caplen);
	put32(&b, p->len);
	put_padded(&b, p->data, p->caplen);
	if (p->comment && p->comment[0])
		put_option(&b, OPT_COMMENT, p->comment, strlen(p->comment));
	return end_block(&b);
}

/* `buf` was cut by snprintf at `end` bytes: cut it further to the end of
 * its last whole UTF-8 character (format_printable() gives only
 * well-formed ones). */
static void cut_whole(char *buf, size_t end)
{
	size_t lead = end;
	unsigned char c;
	size_t need;

	while (lead > 0 && ((unsigned char)buf[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return;
	lead--;
	c = (unsigned char)buf[lead];
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (lead + need > end)
		buf[lead] = '\0';
}

void pcapng_drop_comment(char *buf, size_t size, const struct drop_view *d)
{
	const struct tcpdrop_event *ev = d->ev;
	char comm[FORMAT_PRINTABLE_MAX(sizeof(ev->comm))], state[16];
	int n;

	format_printable(comm, sizeof(comm), ev->comm, sizeof(ev->comm));
	n = snprintf(buf, size, "reason=%s location=%s state=%s netns=%u "
		     "ifindex=%u cpu=%u pid=%u comm=%s",
		     d->reason ? d->reason : "-",
		     d->location && d->location[0] ? d->location : "-",
		     tcp_state_name(ev->state, state, sizeof(state)),
		     ev->netns, ev->ifindex, ev->cpu, ev->pid, comm);
	if (n >= 0 && (size_t)n >= size && size > 1)
		cut_whole(buf, size - 1);
}

/* The block goes out whole: what is buffered is written first when the
 * block would not fit behind it, so stdio never splits a block. */
static int write_block(struct pcapng_writer *w, int len)
{
	int ret;

	if (len < 0)
		return len;
	if (w->buffered + (size_t)len > w->buffer_size) {
		ret = pcapng_flush(w);
		if (ret)
			return ret;
	}
	if (fwrite(w->block, 1, (size_t)len, w->out) != (size_t)len) {
		ret = outstream_error(w->os);
		return ret ? ret : -EIO;
	}
	w->buffered += (size_t)len;
	return 0;
}

int pcapng_writer_start(struct pcapng_writer *w, FILE *out,
			struct outstream *os, size_t buffer_size,
			uint32_t snaplen, const char *userappl)
{
	int ret;

	w->out = out;
	w->os = os;
	w->buffer_size = buffer_size;
	w->buffered = 0;
	ret = write_block(w, pcapng_section_header(w->block, sizeof(w->block),
						   userappl));
	if (ret == 0)
		ret = write_block(w, pcapng_interface(w->block,
						      sizeof(w->block),
						      snaplen, "tcpdrop"));
	return ret ? ret : pcapng_flush(w);
}

int pcapng_write_drop(struct pcapng_writer *w, const struct drop_view *d,
		      const uint8_t *pkt)
{
	char comment[PCAPNG_COMMENT_MAX];
	struct pcapng_packet p = {
		.ts_ns = (uint64_t)d->when.tv_sec * 1000000000u +
			 (uint64_t)d->when.tv_nsec,
		.caplen = d->ev->caplen,
		.len = d->ev->pkt_len,
		.data = pkt,
		.comment = comment,
	};

	pcapng_drop_comment(comment, sizeof(comment), d);
	return write_block(w, pcapng_packet(w->block, sizeof(w->block), &p));
}

int pcapng_flush(struct pcapng_writer *w)
{
	w->buffered = 0;
	return outstream_flush(w->out, w->os);
}
