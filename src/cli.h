/* Command line -> struct options. Parsing only: no kernel, no I/O but the
 * help and usage texts. */
#ifndef TCPDROP_CLI_H
#define TCPDROP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "errmsg.h"
#include "filter.h"
#include "fleet.h"
#include "output.h"

#define EXIT_USAGE 2

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

struct options {
	enum cli_action action;
	uint16_t family;      /* 0, AF_INET (-4) or AF_INET6 (-6) */
	bool stack;           /* false with -S */
	unsigned duration;    /* seconds, 0 = until interrupted */
	bool verbose;
	const char *btf_path; /* --btf FILE, NULL to search */
	bool no_discovery;    /* --no-discovery */
	struct filter filter;
	bool json;            /* -j */
	bool count;           /* -c */
	unsigned count_interval; /* seconds, 0 = once at exit */
	struct output_style style;
	struct fleet_options fleet; /* --metrics*, -n, -q, -N NAME */
	size_t ring_pages;    /* --ring-pages, 0: sized by the mode */
	const char *pcap_path; /* -w FILE, "-" for stdout; NULL: none */
	uint32_t snaplen;     /* -s, bytes; PCAPNG_SNAPLEN_DEFAULT with -w */
};

/* 0, or -EINVAL with `msg` saying what is wrong (exit EXIT_USAGE). */
int cli_parse(int argc, char **argv, struct options *opts,
	      struct errmsg *msg);

/* -w -: the packets go to stdout, and no rows do. */
bool cli_pcap_to_stdout(const struct options *opts);

void cli_print_help(FILE *out);
void cli_print_usage_hint(FILE *out);

#endif
