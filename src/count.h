/* -c/--count: instead of rows, counts by (reason, location) and by
 * (reason, local address:port), printed as sorted tables (or JSON objects)
 * every interval or once at exit. The local end of a drop is its
 * destination: TCP drops happen on receipt far more than on sending. Keys
 * hold raw numbers; names are looked up only when a table is printed. */
#ifndef TCPDROP_COUNT_H
#define TCPDROP_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "event.h"

struct count_table;

/* Distinct keys each table holds between two prints. A drop whose key is
 * new once a table is full counts in that table's last row, "other" (as
 * the metrics' series past their limit do), so the rows still add up to
 * "N drops". The cap bounds memory whatever the traffic (about 4 MiB per
 * table when full). */
#define COUNT_MAX_KEYS 65536

/* How keys are named at print time (report.c supplies them). `reason` is
 * given the raw reason (TCPDROP_NO_REASON on kernels without one) and
 * returns the name to print; `location` writes "sym+0xoff". */
struct count_namer {
	const char *(*reason)(void *ctx, uint32_t reason, char *buf,
			      size_t size);
	void (*location)(void *ctx, uint64_t addr, char *buf, size_t size);
	void *ctx;
};

int count_new(struct count_table **out);
void count_free(struct count_table *t);

/* Counts `n` drops like `ev` (a record, or a key of the kernel's counts
 * made into one). -ENOSPC when a table is full (COUNT_MAX_KEYS) and
 * -ENOMEM when it cannot grow: the new key is left out of that table and
 * the drops count in its "other" row. Neither needs to end the run. */
int count_add(struct count_table *t, const struct tcpdrop_event *ev,
	      uint64_t n);

/* Counts `n` drops that are in no key: the kernel's count map was full
 * (tcpdrop_count_full). They count in the total, and the print says how
 * many of it no row shows. */
void count_add_unkept(struct count_table *t, uint64_t n);

uint64_t count_total(const struct count_table *t);

/* Prints the tables, most frequent first (ties by key, so the order is
 * stable), then forgets every count. `when` is the wall clock time of the
 * print, `lost` the records lost since the last print, `interval` the
 * interval in seconds (0: once at exit). Returns 0 or -EPIPE / -EIO.
 *
 * Text (each table ends with a blank line, so that prints made every
 * interval stay apart; with no drops, the first line, the headers and the
 * blank lines only):
 *   07:10:00  2 drops, 0 lost
 *   (then ", N in no row (the kernel's count map was full)" when N > 0)
 *   COUNT   REASON               LOCATION
 *   2       NO_SOCKET            tcp_v4_rcv+0x91
 *
 *   COUNT   REASON               LOCAL ADDRESS:PORT
 *   2       NO_SOCKET            127.0.0.3:9
 *
 * The time is local; REASON is whatever names->reason returns (also for
 * TCPDROP_NO_REASON), "-" if it returns NULL; LOCAL is "-" for drops
 * without packet headers. A table that was full ends with the row
 *   N       other                other
 * (in JSON a last object with reason "other", reason_code null, location
 * "other" or family, addr and port null).
 * JSON (one line): {"type":"counts","time":...,"interval":5,"total":2,
 *   "lost":0,"unkept":0,"by_location":[{"reason":"NO_SOCKET","reason_code":3,
 *   "location":"tcp_v4_rcv+0x91","count":2}],"by_local":[{"reason":...,
 *   "reason_code":...,"family":"ipv4","addr":"127.0.0.3","port":9,
 *   "count":2}]}
 * ("time" as format_time_rfc3339(), "interval" null when 0; "reason" and
 * "reason_code" null on kernels without reasons; drops without packet
 * headers count under family null, addr null, port null.)
 * The total (count_total) starts again from 0 too. Without a namer
 * callback, reasons print as "REASON_<n>" and locations as "0x<addr>". */
int count_print_text(FILE *out, struct count_table *t,
		     const struct count_namer *names,
		     const struct timespec *when, uint64_t lost);
int count_print_json(FILE *out, struct count_table *t,
		     const struct count_namer *names,
		     const struct timespec *when, uint64_t lost,
		     unsigned interval);

#endif
