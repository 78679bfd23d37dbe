/* -w: the dropped packets as a pcapng file (draft-ietf-opsawg-pcapng, the
 * format Wireshark, tshark and tcpdump read): one Section Header Block,
 * one Interface Description Block of link type LINKTYPE_RAW (raw IPv4 and
 * IPv6 in one interface, the version from the first nibble) with
 * nanosecond timestamps, then one Enhanced Packet Block per drop, its
 * comment saying why the kernel dropped it.
 *
 * Blocks are written in the host's byte order, which the SHB's byte-order
 * magic tells readers. Each block goes to the stream whole: the buffer is
 * written out before a block that would not fit in it, so a file cut
 * short (a full disk, a kill -9) ends at a block boundary, or, after a
 * short write, with one partial block that readers report and skip.
 *
 * The block builders are pure functions of their arguments (tested
 * against a golden file); the writer puts their blocks on an outstream. */
#ifndef TCPDROP_PCAPNG_H
#define TCPDROP_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "drop.h"
#include "event.h"

/* LINKTYPE_RAW (tcpdump.org/linktypes.html): raw IP, IPv4 or IPv6. */
#define PCAPNG_LINKTYPE_RAW 101
/* -s: the default snap length, and the largest (the BPF record's room). */
#define PCAPNG_SNAPLEN_DEFAULT 256
#define PCAPNG_SNAPLEN_MAX TCPDROP_SNAP_MAX
/* A comment longer than this is cut (at a whole UTF-8 character); the
 * fixed form with an escaped 16-byte COMM needs about 220. */
#define PCAPNG_COMMENT_MAX 512
/* The largest EPB: 28 bytes of header, the packet padded to 4, the
 * comment option (4 + padded text), opt_endofopt, the trailing length. */
#define PCAPNG_BLOCK_MAX (28 + PCAPNG_SNAPLEN_MAX + 4 + PCAPNG_COMMENT_MAX + 4 + 4)

/* One packet of an EPB. */
struct pcapng_packet {
	uint64_t ts_ns;          /* nanoseconds since the Unix epoch (UTC) */
	uint32_t caplen;         /* bytes at data */
	uint32_t len;            /* the packet's original length */
	const uint8_t *data;
	const char *comment;     /* UTF-8, NUL-terminated; NULL: none */
};

/* Block builders: each writes one whole block into buf and returns its
 * length in bytes (a multiple of 4), or -ENOSPC when `size` is too small
 * (nothing useful is in buf then). */

/* SHB: version 1.0, section length -1 (not known), shb_userappl. */
int pcapng_section_header(uint8_t *buf, size_t size, const char *userappl);

/* IDB: LINKTYPE_RAW, `snaplen`, if_name `name`, if_tsresol 9 (ns). */
int pcapng_interface(uint8_t *buf, size_t size, uint32_t snaplen,
		     const char *name);

/* EPB on interface 0, with opt_comment if p->comment is not empty. */
int pcapng_packet(uint8_t *buf, size_t size, const struct pcapng_packet *p);

/* The comment of a drop, in one fixed form (README, "pcapng"):
 *   reason=NO_SOCKET location=tcp_v4_rcv+0x1a4 state=- netns=4026531840
 *   ifindex=1 cpu=1 pid=0 comm=swapper/0
 * on one line; reason=- on kernels without reasons; comm last, escaped
 * like the COMM column (format_printable()), and the rest of the line,
 * spaces included. d->location must be named. */
void pcapng_drop_comment(char *buf, size_t size, const struct drop_view *d);

struct outstream;

/* Writes whole blocks on `out`, an outstream's FILE whose buffer is
 * `buffer_size` bytes and which no one else writes. */
struct pcapng_writer {
	FILE *out;
	struct outstream *os;
	size_t buffer_size;
	size_t buffered;          /* bytes written since the last flush */
	uint8_t block[PCAPNG_BLOCK_MAX];
};

/* Starts the file: SHB (shb_userappl `userappl`) and IDB. 0, or what
 * outstream_flush() gives (-errno of the failed write). */
int pcapng_writer_start(struct pcapng_writer *w, FILE *out,
			struct outstream *os, size_t buffer_size,
			uint32_t snaplen, const char *userappl);

/* One drop's EPB: the packet bytes `pkt` (d->ev->caplen of them; the
 * original length d->ev->pkt_len), its time d->when, its comment. 0 or
 * -errno as above. */
int pcapng_write_drop(struct pcapng_writer *w, const struct drop_view *d,
		      const uint8_t *pkt);

/* Writes out the buffered blocks. 0 or -errno as above. */
int pcapng_flush(struct pcapng_writer *w);

#endif
