/* Option parsing: values, defaults, and the exact usage errors. */
#include <errno.h>
#include <sys/socket.h>

#include "check.h"
#include "cli.h"

#define ARGV(...) ((char *[]){ "tcpdrop", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "tcpdrop", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(opts, msg, ...) cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), opts, msg)

static void test_defaults(void)
{
	char *argv[] = { "tcpdrop", NULL };
	struct options opts;
	struct errmsg msg;

	CHECK_INT(cli_parse(1, argv, &opts, &msg), 0);
	CHECK_INT(opts.action, CLI_RUN);
	CHECK_INT(opts.family, 0);
	CHECK(opts.stack);
	CHECK_INT(opts.duration, 0);
	CHECK(!opts.verbose);
}

static void test_values(void)
{
	struct options opts;
	struct errmsg msg;

	CHECK_INT(PARSE(&opts, &msg, "-4", "-S", "-d", "30", "-v"), 0);
	CHECK_INT(opts.family, AF_INET);
	CHECK(!opts.stack);
	CHECK_INT(opts.duration, 30);
	CHECK(opts.verbose);
	CHECK_INT(PARSE(&opts, &msg, "--ipv6", "--no-stack", "--duration=5"), 0);
	CHECK_INT(opts.family, AF_INET6);
	CHECK(!opts.stack);
	CHECK_INT(opts.duration, 5);
	CHECK_INT(PARSE(&opts, &msg, "--btf", "/boot/vmlinux-6.1"), 0);
	CHECK_STR(opts.btf_path, "/boot/vmlinux-6.1");
	CHECK_INT(PARSE(&opts, &msg, "-4", "-4"), 0);
	CHECK(opts.btf_path == NULL);
	CHECK_INT(opts.family, AF_INET);
	CHECK_INT(PARSE(&opts, &msg, "-h"), 0);
	CHECK_INT(opts.action, CLI_HELP);
	CHECK_INT(PARSE(&opts, &msg, "--version"), 0);
	CHECK_INT(opts.action, CLI_VERSION);
}

static void expect_error(int ret, const struct errmsg *msg, const char *want)
{
	CHECK_INT(ret, -EINVAL);
	CHECK_STR(msg->text, want);
}

static void test_errors(void)
{
	struct options opts;
	struct errmsg msg;

	expect_error(PARSE(&opts, &msg, "--bogus"), &msg,
		     "unknown option '--bogus'");
	expect_error(PARSE(&opts, &msg, "-x"), &msg, "unknown option '-x'");
	expect_error(PARSE(&opts, &msg, "-d"), &msg,
		     "option '-d' needs a value");
	expect_error(PARSE(&opts, &msg, "-S", "--btf"), &msg,
		     "option '--btf' needs a value");
	expect_error(PARSE(&opts, &msg, "-d", "-1"), &msg,
		     "invalid duration '-1': want whole seconds, 1 to 2147483");
	expect_error(PARSE(&opts, &msg, "-d", "1.5"), &msg,
		     "invalid duration '1.5': want whole seconds, 1 to 2147483");
	expect_error(PARSE(&opts, &msg, "-d", "99999999999999999999"), &msg,
		     "invalid duration '99999999999999999999': want whole "
		     "seconds, 1 to 2147483");
	expect_error(PARSE(&opts, &msg, "-6", "-4"), &msg,
		     "-4 and -6 exclude each other");
	expect_error(PARSE(&opts, &msg, "-S", "extra"), &msg,
		     "unexpected argument 'extra'");
}

/* -N: digits are an inode number; longer digits may be a container ID
 * prefix, looked up by main(); names are kept for main() too. */
static void test_netns(void)
{
	struct options opts;
	struct errmsg msg;

	CHECK_INT(PARSE(&opts, &msg, "-N", "4294967295"), 0);
	CHECK_INT(opts.filter.netns, 4294967295u);
	CHECK(opts.fleet.netns_ref == NULL);
	CHECK_INT(PARSE(&opts, &msg, "-N", "0004026531840"), 0);
	CHECK_INT(opts.filter.netns, 4026531840u);
	CHECK_INT(PARSE(&opts, &msg, "-N", "123456789012"), 0);
	CHECK_INT(opts.filter.netns, 0);
	CHECK_STR(opts.fleet.netns_ref, "123456789012");
	CHECK_INT(PARSE(&opts, &msg, "--netns=web-1"), 0);
	CHECK_STR(opts.fleet.netns_ref, "web-1");
	expect_error(PARSE(&opts, &msg, "-N", "0"), &msg,
		     "invalid network namespace '0': an inode number is 1 to "
		     "4294967295");
	expect_error(PARSE(&opts, &msg, "-N", "4294967296"), &msg,
		     "invalid network namespace '4294967296': an inode number "
		     "is 1 to 4294967295");
	/* Kubernetes' containerID, pasted whole. */
	CHECK_INT(PARSE(&opts, &msg, "-N", "containerd://0123456789abcdef"), 0);
	CHECK_STR(opts.fleet.netns_ref, "0123456789abcdef");
	CHECK_INT(PARSE(&opts, &msg, "-N", "cri-o://0123456789ab"), 0);
	CHECK_STR(opts.fleet.netns_ref, "0123456789ab");
	CHECK_INT(PARSE(&opts, &msg, "-N", "docker://0123456789ab"), 0);
	CHECK_STR(opts.fleet.netns_ref, "0123456789ab");
	expect_error(PARSE(&opts, &msg, "-N", "containerd://web"), &msg,
		     "invalid container ID 'containerd://web': want 12 to 64 "
		     "lowercase hex digits after the runtime's '://'");
	expect_error(PARSE(&opts, &msg, "-N", ".."), &msg,
		     "invalid network namespace '..': want its inode number, "
		     "an ip netns name, or a container ID prefix");
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_values);
	RUN(test_errors);
	RUN(test_netns);
	return check_exit_code();
}
