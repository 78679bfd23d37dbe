#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char short_opts[] = ":46Sd:vhV";

/* Long options without a short form. */
enum { OPT_BTF = 256 };

static const struct option long_opts[] = {
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "no-stack", no_argument, NULL, 'S' },
	{ "duration", required_argument, NULL, 'd' },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void cli_print_help(FILE *out)
{
	fputs("Usage: tcpdrop [OPTIONS]\n"
	      "Trace the TCP packets the kernel drops: time, process on the "
	      "CPU, addresses\nand ports, socket state, TCP flags, the "
	      "kernel's drop reason and stack.\n"
	      "\n"
	      "Options:\n"
	      "  -4, --ipv4            trace IPv4 drops only\n"
	      "  -6, --ipv6            trace IPv6 drops only\n"
	      "  -S, --no-stack        do not collect or print kernel stacks\n"
	      "  -d, --duration SECS   stop after SECS seconds\n"
	      "      --btf FILE        the kernel's BTF, when /sys/kernel/btf/"
	      "vmlinux is\n"
	      "                        missing: a vmlinux with .BTF, or a raw "
	      "BTF file\n"
	      "  -v, --verbose         say what the kernel offers; the whole "
	      "verifier log\n"
	      "                        when the kernel refuses the program\n"
	      "  -h, --help            show this help and exit\n"
	      "  -V, --version         show the version and exit\n"
	      "\n"
	      "Examples:\n"
	      "  tcpdrop               trace all TCP drops, with stacks\n"
	      "  tcpdrop -4 -S         IPv4 drops only, one line each\n"
	      "  tcpdrop -d 10         trace for 10 seconds\n"
	      "  tcpdrop --btf /boot/vmlinux-$(uname -r)\n"
	      "                        on a kernel without /sys/kernel/btf\n"
	      "  tcpdrop | head -20    the first drops; exits when head does\n"
	      "\n"
	      "Exit status: 0 done (Ctrl-C, SIGTERM, SIGHUP, --duration, "
	      "closed output),\n"
	      "1 the kernel or the system refused (message on stderr), "
	      "2 bad usage.\n", out);
}

void cli_print_usage_hint(FILE *out)
{
	fputs("Try 'tcpdrop --help' for more information.\n", out);
}

static int parse_seconds(const char *arg, unsigned *out)
{
	char *end;
	unsigned long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || v == 0 || v > INT_MAX / 1000)
		return -EINVAL;
	*out = (unsigned)v;
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

static int unknown_option(int argc, char **argv, int c, struct errmsg *msg)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	/* Only the last argument can lack its value; libcs disagree on where
	 * optind then points. */
	if (c == ':')
		return errmsg_set(msg, -EINVAL, "option '%s' needs a value",
				  argv[argc - 1]);
	if (optopt)
		return errmsg_set(msg, -EINVAL, "unknown option '-%c'", optopt);
	return errmsg_set(msg, -EINVAL, "unknown option '%s'", arg);
}

static int apply_option(int argc, char **argv, int c, struct options *opts,
			struct errmsg *msg)
{
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
					  "want whole seconds, 1 or more",
					  optarg);
		return 0;
	case 'v':
		opts->verbose = true;
		return 0;
	case OPT_BTF:
		opts->btf_path = optarg;
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
	int c, ret;

	memset(opts, 0, sizeof(*opts));
	opts->stack = true;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		ret = apply_option(argc, argv, c, opts, msg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return errmsg_set(msg, -EINVAL, "unexpected argument '%s'",
				  argv[optind]);
	return 0;
}
