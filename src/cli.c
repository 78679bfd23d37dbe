#include "cli.h"
#include "ringsize.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lz4.h"
#include "pcapng.h"
#include "netns.h"

/* "c::": the interval of -c is optional (see take_count_interval). */
static const char short_opts[] = ":46Sd:vhVp:a:r:N:jc::t:w:s:nq";

/* Long options without a short form. */
enum {
	OPT_BTF = 256, OPT_SPORT, OPT_DPORT, OPT_STATE, OPT_NO_DISCOVERY,
	OPT_METRICS, OPT_METRICS_FILE, OPT_METRICS_INTERVAL,
	OPT_METRICS_LABELS, OPT_RING_PAGES, OPT_WIDE,
};

static const struct option long_opts[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "no-stack", no_argument, NULL, 'S' },
	{ "duration", required_argument, NULL, 'd' },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "no-discovery", no_argument, NULL, OPT_NO_DISCOVERY },
	{ "port", required_argument, NULL, 'p' },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "addr", required_argument, NULL, 'a' },
	{ "reason", required_argument, NULL, 'r' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "netns", required_argument, NULL, 'N' },
	{ "json", no_argument, NULL, 'j' },
	{ "count", optional_argument, NULL, 'c' },
	{ "timestamp", required_argument, NULL, 't' },
	{ "wide", no_argument, NULL, OPT_WIDE },
	{ "write", required_argument, NULL, 'w' },
	{ "snaplen", required_argument, NULL, 's' },
	{ "netns-names", no_argument, NULL, 'n' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
	{ "metrics-labels", required_argument, NULL, OPT_METRICS_LABELS },
	{ "ring-pages", required_argument, NULL, OPT_RING_PAGES },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The text is src/help.txt, embedded as an LZ4 frame (src/help_blob.S):
 * 4 KiB of text in 2 KiB of the binary, decoded by the decoder the BPF
 * objects need anyway (README "Size"). */
extern const unsigned char tcpdrop_help_lz4[];
extern const unsigned char tcpdrop_help_lz4_end[];

void cli_print_help(FILE *out)
{
	size_t len = (size_t)(tcpdrop_help_lz4_end - tcpdrop_help_lz4), n = 0;
	uint8_t *text = NULL;

	if (lz4_frame_decode(tcpdrop_help_lz4, len, &text, &n)) {
		fputs("Usage: tcpdrop [OPTIONS]; see man tcpdrop\n", out);
		return;
	}
	fwrite(text, 1, n, out);
	free(text);
}

void cli_print_usage_hint(FILE *out)
{
	fputs("Try 'tcpdrop --help' for more information.\n", out);
}

/* The longest interval: the run loop keeps its deadlines in milliseconds
 * in an int. */
#define SECONDS_MAX (INT_MAX / 1000)

/* A whole decimal number from `min` to `max`, digits only: strtoul()
 * alone would take " 5", "+5", "-5" (as a huge number) and "5s". 0 or
 * -EINVAL. */
static int parse_decimal(const char *arg, unsigned long min,
			 unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_seconds(const char *arg, unsigned *out)
{
	unsigned long v;

	if (parse_decimal(arg, 1, SECONDS_MAX, &v))
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_time_style(const char *arg, enum time_style *out)
{
	static const char *const names[] = {
		[TIME_HMS] = "hms", [TIME_US] = "us", [TIME_ISO] = "iso",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(arg, names[i]) == 0) {
			*out = (enum time_style)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* -c takes its interval attached (-c5, --count=5) as getopt allows for an
 * optional value, and also as the next argument when that is a number
 * (-c 5, --count 5), which is what users type. */
static int take_count_interval(int argc, char **argv, struct options *opts,
			       struct errmsg *msg)
{
	const char *arg = optarg;

	opts->count = true;
	if (!arg && optind < argc && argv[optind][0] >= '0' &&
	    argv[optind][0] <= '9')
		arg = argv[optind++];
	if (arg && parse_seconds(arg, &opts->count_interval))
		return errmsg_set(msg, -EINVAL, "invalid count interval '%s': "
				  "want whole seconds, 1 to %d", arg,
				  SECONDS_MAX);
	return 0;
}

static int set_family(struct options *opts, uint16_t family,
		      struct errmsg *msg)
{
	if (opts->family && opts->family != family)
		return errmsg_set(msg, -EINVAL, "-4 and -6 exclude each other");
	opts->family = family;
	return 0;
}

/* The long option that `arg` ("--json=1") names, if it names one that
 * takes no value. */
static const struct option *valueless_long_option(const char *arg)
{
	const struct option *o;
	size_t len;

	if (strncmp(arg, "--", 2) != 0 || !strchr(arg, '='))
		return NULL;
	arg += 2;
	len = (size_t)(strchr(arg, '=') - arg);
	for (o = long_opts; o->name; o++)
		if (o->has_arg == no_argument && strlen(o->name) == len &&
		    strncmp(o->name, arg, len) == 0)
			return o;
	return NULL;
}

static int unknown_option(int argc, char **argv, int c, struct errmsg *msg)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	const struct option *valueless = valueless_long_option(arg);

	/* Only the last argument can lack its value; libcs disagree on where
	 * optind then points. */
	if (c == ':')
		return errmsg_set(msg, -EINVAL, "option '%s' needs a value",
				  argv[argc - 1]);
	/* getopt reports "--json=1" as an unknown -j. */
	if (valueless)
		return errmsg_set(msg, -EINVAL, "option '--%s' takes no value",
				  valueless->name);
	if (optopt && strncmp(arg, "--", 2) != 0)
		return errmsg_set(msg, -EINVAL, "unknown option '-%c'", optopt);
	return errmsg_set(msg, -EINVAL, "unknown option '%s'", arg);
}

/* Options that take one value may be given once: a second one would
 * silently replace the first. `seen` has a bit per option below. */
static int check_once(int c, unsigned *seen, struct errmsg *msg)
{
	static const struct { int c; const char *names; } single[] = {
		{ 'd', "-d/--duration" }, { OPT_BTF, "--btf" },
		{ 'N', "-N/--netns" }, { 't', "-t/--timestamp" },
		{ 'c', "-c/--count" }, { OPT_METRICS, "--metrics" },
		{ OPT_METRICS_FILE, "--metrics-file" },
		{ OPT_METRICS_INTERVAL, "--metrics-interval" },
		{ OPT_METRICS_LABELS, "--metrics-labels" },
		{ OPT_RING_PAGES, "--ring-pages" },
		{ 'w', "-w/--write" }, { 's', "-s/--snaplen" },
	};
	size_t i;

	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		if (single[i].c != c)
			continue;
		if (*seen & (1u << i))
			return errmsg_set(msg, -EINVAL, "option %s given more "
					  "than once", single[i].names);
		*seen |= 1u << i;
	}
	return 0;
}

/* -t and --wide shape the text rows; with JSON (its own RFC 3339 time),
 * count tables or no rows (-w -) they would change nothing, silently. */
static int check_text_options(const struct options *opts,
			      struct errmsg *msg)
{
	const char *mode = opts->json ? "-j" : opts->count ? "-c" :
			   cli_pcap_to_stdout(opts) ? "-w -" : NULL;

	if (!mode)
		return 0;
	if (opts->style.time != TIME_HMS)
		return errmsg_set(msg, -EINVAL, "-t/--timestamp styles text "
				  "rows; it has no effect with %s", mode);
	if (opts->style.wide)
		return errmsg_set(msg, -EINVAL, "--wide widens text rows; "
				  "it has no effect with %s", mode);
	return 0;
}

/* An address of the other family than -4 or -6 asks for drops that the
 * family filter then hides: a filter that can never match. */
static int check_families(const struct options *opts, struct errmsg *msg)
{
	uint32_t i;

	for (i = 0; i < opts->filter.naddrs; i++) {
		uint16_t family = opts->filter.addrs[i].family;

		if (opts->family && family != opts->family)
			return errmsg_set(msg, -EINVAL, "-%c and an %s "
					  "address (-a) never match",
					  opts->family == AF_INET ? '4' : '6',
					  family == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

/* Digits that make an inode number: 1 to 4294967295 (the program
 * compares the 32-bit ns.inum). */
static bool inode_number(const char *arg)
{
	unsigned long long v = 0;
	const char *p;

	for (p = arg; *p; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > UINT32_MAX)
			return false;
	}
	return v != 0;
}

/* -N: digits are an inode number, else a name or container ID prefix
 * that main() looks up at start (cli.c does no I/O). Digits that are no
 * inode (0, past 2^32 - 1) are refused, unless they can be a container
 * ID prefix (12 hex digits or more). An inode is not checked against the
 * namespaces of now: one may be held by a process or a bind mount this
 * program cannot see, and a drop in it is then filtered as asked. */
/* The container ID of Kubernetes' containerStatuses[].containerID is
 * "RUNTIME://ID" (docker, containerd, cri-o): the ID, as pasted. */
static const char *strip_runtime_scheme(const char *arg)
{
	static const char *const schemes[] = {
		"docker://", "containerd://", "cri-o://",
	};
	size_t i, n;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i]);
		if (strncmp(arg, schemes[i], n) == 0)
			return arg + n;
	}
	return arg;
}

static int set_netns(struct options *opts, const char *arg,
		     struct errmsg *msg)
{
	const char *id = strip_runtime_scheme(arg);
	size_t len = strlen(arg);

	if (id != arg) {
		if (!netns_is_container_prefix(id))
			return errmsg_set(msg, -EINVAL, "invalid container ID "
					  "'%s': want 12 to 64 lowercase hex "
					  "digits after the runtime's '://'",
					  arg);
		opts->fleet.netns_ref = id;
		return 0;
	}
	if (len && strspn(arg, "0123456789") == len) {
		if (inode_number(arg))
			return filter_set_netns(&opts->filter, arg, msg);
		if (!netns_is_container_prefix(arg))
			return errmsg_set(msg, -EINVAL, "invalid network "
					  "namespace '%s': an inode number is "
					  "1 to 4294967295", arg);
	}
	if (!arg[0] || strchr(arg, '/') || strlen(arg) >= 256 ||
	    strcmp(arg, ".") == 0 || strcmp(arg, "..") == 0)
		return errmsg_set(msg, -EINVAL, "invalid network namespace "
				  "'%s': want its inode number, an ip netns "
				  "name, or a container ID prefix", arg);
	opts->fleet.netns_ref = arg;
	return 0;
}

/* The metrics options that need another one, and -q's partners. */
static int check_fleet(const struct options *opts, struct errmsg *msg)
{
	const struct fleet_options *f = &opts->fleet;

	if (f->quiet && !f->serve && !f->file && !opts->pcap_path)
		return errmsg_set(msg, -EINVAL, "-q without -w, --metrics or "
				  "--metrics-file would show nothing");
	if (f->quiet && (opts->json || opts->count))
		return errmsg_set(msg, -EINVAL, "-q and %s exclude each other",
				  opts->json ? "-j" : "-c");
	if (f->interval && !f->file)
		return errmsg_set(msg, -EINVAL, "--metrics-interval is the "
				  "interval of --metrics-file");
	if (f->labels && !f->serve && !f->file)
		return errmsg_set(msg, -EINVAL, "--metrics-labels without "
				  "--metrics or --metrics-file");
	return 0;
}

bool cli_pcap_to_stdout(const struct options *opts)
{
	return opts->pcap_path && strcmp(opts->pcap_path, "-") == 0;
}

/* -s: 1 to the largest the BPF record has room for; 0 is that largest,
 * as tcpdump's -s 0 is its own. */
static int parse_snaplen(const char *arg, uint32_t *out)
{
	unsigned long v;

	if (parse_decimal(arg, 0, PCAPNG_SNAPLEN_MAX, &v))
		return -EINVAL;
	*out = v ? (uint32_t)v : PCAPNG_SNAPLEN_MAX;
	return 0;
}

/* --ring-pages: perf rings are a power of two of pages. */
static int parse_ring_pages(const char *arg, size_t *out)
{
	unsigned long v;

	if (parse_decimal(arg, 1, RINGSIZE_MAX_PAGES, &v) || (v & (v - 1)))
		return -EINVAL;
	*out = v;
	return 0;
}

/* -s belongs to -w; -w - is stdout, where rows, JSON or count tables
 * would mix with the file. */
static int check_pcap(const struct options *opts, bool snaplen_given,
		      struct errmsg *msg)
{
	if (snaplen_given && !opts->pcap_path)
		return errmsg_set(msg, -EINVAL, "-s/--snaplen is the snap "
				  "length of -w; give -w FILE too");
	if (cli_pcap_to_stdout(opts) && (opts->json || opts->count))
		return errmsg_set(msg, -EINVAL, "-w - writes the packets to "
				  "stdout; %s would write there too (give -w "
				  "FILE)", opts->json ? "-j" : "-c");
	return 0;
}

static int apply_option(int argc, char **argv, int c, struct options *opts,
			struct errmsg *msg)
{
	int ret;

	switch (c) {
	case '4':
		return set_family(opts, AF_INET, msg);
	case '6':
		return set_family(opts, AF_INET6, msg);
	case 'S':
		opts->stack = false;
		return 0;
	case 'd':
		if (parse_seconds(optarg, &opts->duration))
			return errmsg_set(msg, -EINVAL, "invalid duration '%s': "
					  "want whole seconds, 1 to %d",
					  optarg, SECONDS_MAX);
		return 0;
	case 'v':
		opts->verbose = true;
		return 0;
	case OPT_BTF:
		if (!optarg[0])
			return errmsg_set(msg, -EINVAL, "option '--btf' needs "
					  "a file name");
		opts->btf_path = optarg;
		return 0;
	case OPT_NO_DISCOVERY:
		opts->no_discovery = true;
		return 0;
	case 'p':
		return filter_add_ports(&opts->filter.any_port, optarg, msg);
	case OPT_SPORT:
		return filter_add_ports(&opts->filter.sport, optarg, msg);
	case OPT_DPORT:
		return filter_add_ports(&opts->filter.dport, optarg, msg);
	case 'a':
		return filter_add_addr(&opts->filter, optarg, msg);
	case 'r':
		return filter_add_reasons(&opts->filter, optarg, msg);
	case OPT_STATE:
		return filter_add_states(&opts->filter, optarg, msg);
	case 'N':
		return set_netns(opts, optarg, msg);
	case 'j':
		opts->json = true;
		return 0;
	case 'c':
		return take_count_interval(argc, argv, opts, msg);
	case 't':
		if (parse_time_style(optarg, &opts->style.time))
			return errmsg_set(msg, -EINVAL, "invalid timestamp "
					  "style '%s': want hms, us or iso",
					  optarg);
		return 0;
	case OPT_WIDE:
		opts->style.wide = 1;
		return 0;
	case 'w':
		if (!optarg[0])
			return errmsg_set(msg, -EINVAL, "option '-w/--write' "
					  "needs a file name, or - for stdout");
		opts->pcap_path = optarg;
		return 0;
	case 's':
		if (parse_snaplen(optarg, &opts->snaplen))
			return errmsg_set(msg, -EINVAL, "invalid snap length "
					  "'%s': want bytes, 1 to %d (0 for %d)",
					  optarg, PCAPNG_SNAPLEN_MAX,
					  PCAPNG_SNAPLEN_MAX);
		return 0;
	case 'n':
		opts->fleet.names = true;
		opts->style.netns = 1;
		return 0;
	case 'q':
		opts->fleet.quiet = true;
		return 0;
	case OPT_METRICS:
		ret = httpd_parse_addr(optarg, &opts->fleet.addr);
		if (ret == -EADDRNOTAVAIL)
			return errmsg_set(msg, -EINVAL, "invalid metrics "
					  "address '%s': a multicast, broadcast "
					  "or IPv4-mapped address, where no "
					  "client can connect", optarg);
		if (ret)
			return errmsg_set(msg, -EINVAL, "invalid metrics "
					  "address '%s': want :PORT (127.0.0.1),"
					  " IPV4:PORT or [IPV6]:PORT", optarg);
		opts->fleet.serve = true;
		return 0;
	case OPT_METRICS_FILE:
		if (!optarg[0])
			return errmsg_set(msg, -EINVAL, "option "
					  "'--metrics-file' needs a file name");
		opts->fleet.file = optarg;
		return 0;
	case OPT_METRICS_INTERVAL:
		if (parse_seconds(optarg, &opts->fleet.interval))
			return errmsg_set(msg, -EINVAL, "invalid metrics "
					  "interval '%s': want whole seconds, "
					  "1 to %d", optarg, SECONDS_MAX);
		return 0;
	case OPT_METRICS_LABELS:
		return fleet_parse_labels(optarg, &opts->fleet.labels, msg);
	case OPT_RING_PAGES:
		if (parse_ring_pages(optarg, &opts->ring_pages))
			return errmsg_set(msg, -EINVAL, "invalid ring size '%s': "
					  "want pages per CPU, a power of two "
					  "from 1 to %d", optarg,
					  RINGSIZE_MAX_PAGES);
		return 0;
	case 'h':
		opts->action = CLI_HELP;
		return 0;
	case 'V':
		opts->action = CLI_VERSION;
		return 0;
	default:
		return unknown_option(argc, argv, c, msg);
	}
}

int cli_parse(int argc, char **argv, struct options *opts,
	      struct errmsg *msg)
{
	unsigned seen = 0;
	int c, ret;

	memset(opts, 0, sizeof(*opts));
	opts->stack = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		ret = check_once(c, &seen, msg);
		if (ret == 0)
			ret = apply_option(argc, argv, c, opts, msg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return errmsg_set(msg, -EINVAL, "unexpected argument '%s'",
				  argv[optind]);
	ret = check_families(opts, msg);
	if (ret == 0)
		ret = check_text_options(opts, msg);
	if (ret == 0)
		ret = check_fleet(opts, msg);
	if (ret == 0)
		ret = check_pcap(opts, opts->snaplen != 0, msg);
	if (ret)
		return ret;
	if (opts->pcap_path && !opts->snaplen)
		opts->snaplen = PCAPNG_SNAPLEN_DEFAULT;
	if (!opts->fleet.interval)
		opts->fleet.interval = FLEET_INTERVAL_DEFAULT;
	/* IPv6 rows only: columns that fit them cost nothing. */
	if (opts->family == AF_INET6)
		opts->style.wide = 1;
	return 0;
}
