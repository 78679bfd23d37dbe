/* What a fleet of hosts and containers needs around the drop loop: the
 * metrics (metrics.c) served over HTTP (httpd.c) and/or written to a file
 * for node_exporter, and namespaces named for operators (netns.c). The run
 * loop sees four calls: open before tracing, attach to the report once
 * tracing, events and ticks in the loop, finish at the end. */
#ifndef TCPDROP_FLEET_H
#define TCPDROP_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "errmsg.h"
#include "httpd.h"

#define FLEET_INTERVAL_DEFAULT 15   /* --metrics-interval, seconds */
/* -N NAME is looked up again this often (ms): a namespace made after the
 * start, or made again, is traced from then on. */
#define FLEET_NETNS_LOOKUP_MS 2000

/* The options (cli.c fills them). */
struct fleet_options {
	bool serve;                 /* --metrics */
	struct httpd_addr addr;
	const char *file;           /* --metrics-file, NULL: none */
	unsigned interval;          /* --metrics-interval, seconds */
	unsigned labels;            /* --metrics-labels: METRICS_LABEL_* */
	bool names;                 /* -n/--netns-names */
	bool quiet;                 /* -q: no rows on stdout */
	const char *netns_ref;      /* -N NAME or container ID prefix */
};

/* Parsers of the options' values, for cli.c: 0 or -EINVAL with `msg`. */
int fleet_parse_labels(const char *arg, unsigned *labels, struct errmsg *msg);

/* Keeps a descriptor of the root as it is now, for /run/netns to be read
 * as the host has it once tcpdrop is in a mount namespace of its own
 * (fleet.c). Called before tracing; the descriptor stays for the run. */
void fleet_pin_netns_dir(void);

/* -N NAME / CONTAINER-ID-PREFIX into the inode of the namespace it names
 * now. 0 (nothing to do, or `*inode` set), or -ENOENT (none yet: the run
 * goes on and looks again every FLEET_NETNS_LOOKUP_MS) / -EEXIST (a
 * prefix of several containers' IDs: exit 2) with `msg` saying why. */
int fleet_resolve_netns(const struct fleet_options *o, uint32_t *inode,
			struct errmsg *msg);

struct report;
struct fleet;

/* What the fleet needs from the run: its epoll set, and the report made
 * current (rings drained, lost count read) before a page is made. */
struct fleet_hooks {
	int (*watch)(void *ctx, int fd, uint32_t events, uint64_t tag);
	void (*refresh)(void *ctx);
	/* -N NAME: one more namespace inode to trace; 0 or -errno. */
	int (*add_netns)(void *ctx, uint32_t inode);
	void *ctx;
	uint64_t tag_base;          /* the server's tags: tag_base and up */
};

/* Before tracing: checks that the metrics file can be written and binds
 * the metrics address (so a bad file or a taken port fails before
 * anything is loaded). NULL *out when no option asks for any of
 * this. 0, or -errno with `msg` (exit 1). */
int fleet_open(struct fleet **out, const struct fleet_options *o,
	       struct errmsg *msg);

/* Once tracing: the report counts into the metrics and names namespaces
 * for its rows; the server joins the epoll set, and the first metrics
 * file is written. 0 or -errno with `msg`. */
int fleet_attach(struct fleet *f, struct report *r,
		 const struct fleet_hooks *hooks, struct errmsg *msg);

/* A tag of ours (>= hooks.tag_base) woke the loop. */
void fleet_event(struct fleet *f, uint64_t tag, int64_t now_ms);

/* The next deadline (CLOCK_MONOTONIC ms; 0 for none), and the work due at
 * `now_ms`: slow clients dropped, the file rewritten. */
int64_t fleet_next_deadline(const struct fleet *f);
void fleet_tick(struct fleet *f, int64_t now_ms);

/* At the end: the file written a last time, with the final counts. */
void fleet_finish(struct fleet *f);

void fleet_free(struct fleet *f);

#endif
