/* ksym: a small kallsyms text (unsorted, modules, data symbols) and, when
 * readable, the machine's own /proc/kallsyms. */
#include "check.h"

#include "fileio.h"
#include "ksym.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char sample_text[] =
	"ffffffff81e42dc0 T sk_skb_reason_drop\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff82000000 D some_data\n"             /* data: skipped */
	"ffffffff81c00000 t tcp_v4_rcv\n"
	"ffffffff81c00400 W weak_thing\n"
	"ffffffffc0a01000 t foo\t[ext4]\n"
	"ffffffff81c00200 B bss_thing\n"             /* bss: skipped */
	"ffffffff81c00300 r rodata_thing\n"          /* rodata: skipped */
	"ffffffffc0a02000 T bar\t[nf_tables]\n"
	"ffffffff81c00800 w weak_lower\n"
	"ffffffff81c00ff0 t __pfx_next_fn\n"         /* padding: skipped */
	"ffffffff81c01000 t next_fn\n"
	"ffffffff81c00000 T alias_of_tcp_v4_rcv\n"   /* same address */
	"ffffffffc0a03000 t last_one\t[ext4]";       /* no final newline */

static struct ksyms *load_sample(void)
{
	struct ksyms *ks = NULL;

	CHECK_INT(ksyms_load_text(&ks, sample_text, strlen(sample_text)), 0);
	CHECK(ks != NULL);
	return ks;
}

static void check_lookup(const struct ksyms *ks, uint64_t addr,
			 const char *name, const char *module)
{
	const struct ksym *s = ksyms_lookup(ks, addr);

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STR(s->name, name);
	if (module)
		CHECK_STR(s->module, module);
	else
		CHECK(s->module == NULL);
}

static void test_lookup(void)
{
	struct ksyms *ks = load_sample();

	if (!ks)
		return;
	/* Exact starts. */
	check_lookup(ks, 0xffffffff81000000ull, "_stext", NULL);
	check_lookup(ks, 0xffffffff81e42dc0ull, "sk_skb_reason_drop", NULL);
	check_lookup(ks, 0xffffffff81c00400ull, "weak_thing", NULL);
	check_lookup(ks, 0xffffffff81c00800ull, "weak_lower", NULL);
	check_lookup(ks, 0xffffffffc0a01000ull, "foo", "ext4");
	check_lookup(ks, 0xffffffffc0a02000ull, "bar", "nf_tables");
	/* Aliases: the first by name, whatever the lookup address. */
	check_lookup(ks, 0xffffffff81c00000ull, "alias_of_tcp_v4_rcv", NULL);
	check_lookup(ks, 0xffffffff81c0001aull, "alias_of_tcp_v4_rcv", NULL);
	/* Inside: data symbols do not end a function. */
	check_lookup(ks, 0xffffffff81c00350ull, "alias_of_tcp_v4_rcv", NULL);
	check_lookup(ks, 0xffffffff81c007ffull, "weak_thing", NULL);
	/* A return address in the padding before a function belongs to the
	 * function before the padding. */
	check_lookup(ks, 0xffffffff81c00ff0ull, "weak_lower", NULL);
	check_lookup(ks, 0xffffffff81c01000ull, "next_fn", NULL);
	check_lookup(ks, 0xffffffff82000010ull, "sk_skb_reason_drop", NULL);
	check_lookup(ks, 0xffffffffc0a01fffull, "foo", "ext4");
	/* After the last symbol. */
	check_lookup(ks, 0xffffffffc0a03000ull, "last_one", "ext4");
	check_lookup(ks, 0xffffffffffffffffull, "last_one", "ext4");
	/* Below the first. */
	CHECK(ksyms_lookup(ks, 0xffffffff80ffffffull) == NULL);
	CHECK(ksyms_lookup(ks, 0) == NULL);
	ksyms_free(ks);
}

static void check_format(const struct ksyms *ks, uint64_t addr,
			 const char *want)
{
	char buf[128];
	int n = ksyms_format(ks, addr, buf, sizeof(buf));

	CHECK_STR(buf, want);
	CHECK_INT(n, strlen(want));
}

static void test_format(void)
{
	struct ksyms *ks = load_sample();
	char small[8];

	if (!ks)
		return;
	check_format(ks, 0xffffffff81e42ddaull, "sk_skb_reason_drop+0x1a");
	check_format(ks, 0xffffffffc0a01000ull, "foo+0x0 [ext4]");
	check_format(ks, 0xffffffffc0a02123ull, "bar+0x123 [nf_tables]");
	check_format(ks, 0x1234, "0x1234");
	check_format(NULL, 0xffffffff81e42ddaull, "0xffffffff81e42dda");

	/* Truncated but terminated; the return value is the full length. */
	CHECK_INT(ksyms_format(ks, 0xffffffffc0a01000ull, small,
			       sizeof(small)), strlen("foo+0x0 [ext4]"));
	CHECK_STR(small, "foo+0x0");
	ksyms_free(ks);
}

static void test_tcp_v4_rcv_offset(void)
{
	static const char text[] =
		"ffffffff81c00000 T tcp_v4_rcv\n"
		"ffffffff81c01000 T tcp_v4_do_rcv\n";
	struct ksyms *ks = NULL;

	CHECK_INT(ksyms_load_text(&ks, text, strlen(text)), 0);
	check_format(ks, 0xffffffff81c0001aull, "tcp_v4_rcv+0x1a");
	check_format(ks, 0xffffffff81c01000ull, "tcp_v4_do_rcv+0x0");
	ksyms_free(ks);
}

static void test_all_zero_is_eperm(void)
{
	static const char text[] =
		"0000000000000000 T tcp_v4_rcv\n"
		"0000000000000000 t foo\t[ext4]\n"
		"0000000000000000 D data\n";
	struct ksyms *ks = (struct ksyms *)1;

	CHECK_INT(ksyms_load_text(&ks, text, strlen(text)), -EPERM);
	CHECK(ks == NULL);
}

static void test_empty_and_malformed(void)
{
	struct ksyms *ks = NULL;

	CHECK_INT(ksyms_load_text(&ks, "", 0), 0);
	CHECK(ks != NULL);
	CHECK(ksyms_lookup(ks, 0xffffffff81000000ull) == NULL);
	ksyms_free(ks);

	CHECK_INT(ksyms_load_text(&ks, "xyz T foo\n", 10), -EINVAL);
	CHECK(ks == NULL);
	CHECK_INT(ksyms_load_text(&ks, "ffff T\n", 7), -EINVAL);
	CHECK_INT(ksyms_load_text(&ks, "ffffTfoo\n", 9), -EINVAL);
	CHECK_INT(ksyms_load_text(&ks, "ffff T foo\t[ext4\n", 17), -EINVAL);
	CHECK_INT(ksyms_load_text(&ks, "11ffffffff81000000 T foo\n", 25),
		  -EINVAL);
}

static void test_missing_file(void)
{
	struct ksyms *ks = (struct ksyms *)1;

	CHECK_INT(ksyms_load(&ks, "/nonexistent/kallsyms"), -ENOENT);
	CHECK(ks == NULL);
}

/* The address of `name` in kallsyms text, found without the library. */
static bool find_symbol(const char *text, const char *name, uint64_t *addr)
{
	char needle[128];
	const char *hit;

	snprintf(needle, sizeof(needle), " T %s\n", name);
	hit = strstr(text, needle);
	if (!hit || hit - text < 16)
		return false;
	*addr = strtoull(hit - 16, NULL, 16);
	return true;
}

static bool real_kallsyms_usable(char **text)
{
	size_t len;
	uint64_t addr;

	if (read_whole_file("/proc/kallsyms", text, &len))
		return false;
	if (find_symbol(*text, "tcp_v4_rcv", &addr) && addr != 0)
		return true;
	free(*text);
	return false;
}

static void test_real_kallsyms(void)
{
	struct ksyms *ks = NULL;
	char *text = NULL, buf[128];
	uint64_t addr = 0;

	if (!real_kallsyms_usable(&text))
		return;
	CHECK(find_symbol(text, "tcp_v4_rcv", &addr));
	CHECK_INT(ksyms_load(&ks, "/proc/kallsyms"), 0);
	if (ks) {
		const struct ksym *s = ksyms_lookup(ks, addr);

		CHECK(s != NULL);
		if (s)
			CHECK_STR(s->name, "tcp_v4_rcv");
		ksyms_format(ks, addr + 0x10, buf, sizeof(buf));
		CHECK_STR(buf, "tcp_v4_rcv+0x10");
	}
	ksyms_free(ks);
	free(text);
}

int main(void)
{
	char *text = NULL;

	RUN(test_lookup);
	RUN(test_format);
	RUN(test_tcp_v4_rcv_offset);
	RUN(test_all_zero_is_eperm);
	RUN(test_empty_and_malformed);
	RUN(test_missing_file);
	if (real_kallsyms_usable(&text)) {
		free(text);
		RUN(test_real_kallsyms);
	} else {
		SKIP(test_real_kallsyms,
		     "/proc/kallsyms unreadable or addresses hidden");
	}
	return check_exit_code();
}
