/* --metrics and --metrics-file: cumulative counters of the drops the
 * report saw, as a page in the Prometheus text exposition format 0.0.4.
 *
 * The one way in is metrics_add(): a key and how many drops it stands
 * for. Today report.c calls it once per record (metrics_key_of() makes the
 * key), so every drop the summary counts is in the page, exactly; an
 * aggregation done elsewhere (in a kernel map, say) can add its counts the
 * same way. Nothing here depends on count.c's tables.
 *
 * Keys hold raw numbers; names are looked up when a page is rendered, and
 * series whose labels come out the same (two addresses in one function,
 * two namespaces with one name) are merged into one. */
#ifndef TCPDROP_METRICS_H
#define TCPDROP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "errmsg.h"
#include "event.h"

/* The most distinct keys kept. A drop whose key is new once the table is
 * full is counted in one series whose labels all say "other": the sum of
 * tcpdrop_drops_total stays exact, and memory stays bounded (about 200
 * KiB) whatever the traffic and the opted-in labels. */
#define METRICS_MAX_KEYS 2048

/* Labels beyond reason, family and state, each only when asked for
 * (--metrics-labels): they can have many values. */
#define METRICS_LABEL_PORT  0x1u   /* the local (destination) port */
#define METRICS_LABEL_NETNS 0x2u   /* the namespace's name (netns.h) */

struct metrics_key {
	uint64_t location;   /* only where the kernel gives no reason */
	uint32_t reason;     /* raw, or TCPDROP_NO_REASON */
	uint32_t netns;      /* inode, with METRICS_LABEL_NETNS, else 0 */
	uint16_t family;     /* AF_INET, AF_INET6, 0 without headers */
	uint16_t port;       /* with METRICS_LABEL_PORT, else 0 */
	uint8_t state;
	uint8_t pad[7];
};

/* How keys become label values when a page is rendered (report.c and
 * netns.c supply them). `location` writes the function's name (no
 * offset: one series per function, which code sites bound); `netns` the
 * namespace's name, NULL for none asked for. */
struct metrics_namer {
	const char *(*reason)(void *ctx, uint32_t reason, char *buf,
			      size_t size);
	void (*location)(void *ctx, uint64_t addr, char *buf, size_t size);
	void (*netns)(void *ctx, uint32_t inode, char *buf, size_t size);
	void *ctx;
};

/* What the exporter says about itself. */
struct metrics_self {
	uint64_t lost;                 /* records the program could not write */
	const char *version, *kernel;  /* tcpdrop_build_info */
	bool http;                     /* the server's counters below */
	const int *http_codes;         /* status codes ... */
	const uint64_t *http_responses; /* ... and how many of each */
	int http_ncodes;
	uint64_t http_refused;         /* connections over the limit */
	bool file;                     /* --metrics-file's counter */
	uint64_t file_errors;
};

struct metrics;

/* `labels`: METRICS_LABEL_* bits. 0 or -ENOMEM. */
int metrics_new(struct metrics **out, unsigned labels);
void metrics_free(struct metrics *m);

/* The key of one record: the opted-in fields only. */
void metrics_key_of(const struct metrics *m, const struct tcpdrop_event *ev,
		    struct metrics_key *k);

/* Adds `n` drops under `k` (or under the "other" series, table full). */
void metrics_add(struct metrics *m, const struct metrics_key *k, uint64_t n);

/* Adds `n` drops whose key is not known (the kernel's count map was
 * full): in the "other" series. */
void metrics_add_other(struct metrics *m, uint64_t n);

/* Every drop added since metrics_new(). */
uint64_t metrics_total(const struct metrics *m);

/* The page: # HELP and # TYPE lines, then tcpdrop_drops_total{reason,
 * family,state[,port][,netns]} sorted by labels, tcpdrop_lost_events_total,
 * tcpdrop_build_info, and the exporter's own counters. Label values are
 * escaped as the format wants (\\, \", \n) and made valid UTF-8. 0 or
 * -ENOMEM. */
int metrics_render(struct metrics *m, const struct metrics_namer *names,
		   const struct metrics_self *self, struct buf *out);

/* Writes `len` bytes to `path` the way node_exporter's textfile collector
 * wants it: into a temporary file in the same directory, then renamed over
 * `path`, so a reader sees the old page or the new one, never a part.
 * Refused (-EEXIST) when `path` is there and not a regular file. 0 or
 * -errno with `msg` saying what failed. */
int metrics_write_file(const char *path, const char *data, size_t len,
		       struct errmsg *msg);

/* Before anything is loaded: whether metrics_write_file(`path`) can work.
 * What is at `path` must be nothing or a regular file (-EEXIST: a
 * symbolic link, a directory, a device, a FIFO or a socket, which the
 * rename would replace), and the temporary file must be creatable beside
 * it (it is created and removed). 0 or -errno with `msg`. */
int metrics_check_file(const char *path, struct errmsg *msg);

#endif
