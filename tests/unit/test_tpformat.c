/* tpformat: the four kfree_skb format fixtures (real 6.18, hand-written
 * 5.10 / 6.1 / 6.12 from those kernels' sources) and malformed input. */
#include "check.h"
#include "fixture.h"

#include "fileio.h"
#include "tpformat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check_field(const struct tp_format *fmt, const char *name,
			uint32_t offset, uint32_t size, const char *type)
{
	const struct tp_field *f = tp_format_field(fmt, name);

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(f->offset, offset);
	CHECK_INT(f->size, size);
	CHECK_STR(f->type, type);
}

static void check_common_fields(const struct tp_format *fmt)
{
	const struct tp_field *pid = tp_format_field(fmt, "common_pid");

	check_field(fmt, "common_type", 0, 2, "unsigned short");
	check_field(fmt, "common_flags", 2, 1, "unsigned char");
	check_field(fmt, "common_preempt_count", 3, 1, "unsigned char");
	check_field(fmt, "common_pid", 4, 4, "int");
	CHECK(pid && pid->is_signed);
	CHECK(!tp_format_field(fmt, "common_type")->is_signed);
}

static void check_value(const struct tp_format *fmt, const char *name,
			uint64_t want)
{
	uint64_t v = 0;

	CHECK_INT(tp_format_symbol_value(fmt, name, &v), 0);
	CHECK_INT(v, want);
}

static void test_kfree_skb_5_10(void)
{
	struct tp_format fmt;
	uint64_t v = 0;

	if (parse_fixture(&fmt, "kfree_skb-5.10.format"))
		return;
	CHECK_STR(fmt.name, "kfree_skb");
	CHECK_INT(fmt.id, 1395);
	CHECK_INT(fmt.nfields, 7);
	check_common_fields(&fmt);
	check_field(&fmt, "skbaddr", 8, 8, "void *");
	check_field(&fmt, "location", 16, 8, "void *");
	check_field(&fmt, "protocol", 24, 2, "unsigned short");
	CHECK(!tp_format_field(&fmt, "reason"));
	CHECK(!tp_format_field(&fmt, "rx_sk"));
	CHECK_STR(fmt.symbolic_field, "");
	CHECK_INT(fmt.nsymbols, 0);
	CHECK(fmt.symbols == NULL);
	CHECK(!tp_format_symbol_name(&fmt, 2));
	CHECK_INT(tp_format_symbol_value(&fmt, "NO_SOCKET", &v), -ENOENT);
	tp_format_free(&fmt);
}

static void test_kfree_skb_6_1(void)
{
	struct tp_format fmt;
	uint64_t v = 0;

	if (parse_fixture(&fmt, "kfree_skb-6.1.format"))
		return;
	CHECK_STR(fmt.name, "kfree_skb");
	CHECK_INT(fmt.id, 1524);
	CHECK_INT(fmt.nfields, 8);
	check_common_fields(&fmt);
	check_field(&fmt, "skbaddr", 8, 8, "void *");
	check_field(&fmt, "location", 16, 8, "void *");
	check_field(&fmt, "protocol", 24, 2, "unsigned short");
	check_field(&fmt, "reason", 28, 4, "enum skb_drop_reason");
	CHECK(!tp_format_field(&fmt, "rx_sk"));
	CHECK(!tp_format_field(&fmt, "reason")->is_signed);
	CHECK_STR(fmt.symbolic_field, "reason");
	/* 6.1: NOT_DROPPED_YET = 0 is not listed, no SKB_CONSUMED yet. */
	CHECK_INT(fmt.nsymbols, 65);
	CHECK(!tp_format_symbol_name(&fmt, 0));
	CHECK_STR(tp_format_symbol_name(&fmt, 1), "NOT_SPECIFIED");
	CHECK_STR(tp_format_symbol_name(&fmt, 2), "NO_SOCKET");
	CHECK_STR(tp_format_symbol_name(&fmt, 4), "TCP_CSUM");
	CHECK_STR(tp_format_symbol_name(&fmt, 27), "TCP_INVALID_SEQUENCE");
	CHECK_STR(tp_format_symbol_name(&fmt, 64), "PKT_TOO_BIG");
	CHECK_STR(tp_format_symbol_name(&fmt, 65), "MAX");
	CHECK(!tp_format_symbol_name(&fmt, 66));
	check_value(&fmt, "no_socket", 2);
	check_value(&fmt, "Tcp_Csum", 4);
	check_value(&fmt, "NOT_SPECIFIED", 1);
	CHECK_INT(tp_format_symbol_value(&fmt, "CONSUMED", &v), -ENOENT);
	tp_format_free(&fmt);
}

/* 6.11 inserted rx_sk and moved protocol and reason. */
static void check_layout_6_11(const struct tp_format *fmt, uint32_t id)
{
	CHECK_STR(fmt->name, "kfree_skb");
	CHECK_INT(fmt->id, id);
	CHECK_INT(fmt->nfields, 9);
	check_common_fields(fmt);
	check_field(fmt, "skbaddr", 8, 8, "void *");
	check_field(fmt, "location", 16, 8, "void *");
	check_field(fmt, "rx_sk", 24, 8, "void *");
	check_field(fmt, "protocol", 32, 2, "unsigned short");
	check_field(fmt, "reason", 36, 4, "enum skb_drop_reason");
	CHECK_STR(fmt->symbolic_field, "reason");
}

static void test_kfree_skb_6_12(void)
{
	struct tp_format fmt;

	if (parse_fixture(&fmt, "kfree_skb-6.12.format"))
		return;
	check_layout_6_11(&fmt, 1884);
	/* 6.2+: SKB_CONSUMED = 1, so the table starts at 2. */
	CHECK_INT(fmt.nsymbols, 89);
	CHECK(!tp_format_symbol_name(&fmt, 1));
	CHECK_STR(tp_format_symbol_name(&fmt, 2), "NOT_SPECIFIED");
	CHECK_STR(tp_format_symbol_name(&fmt, 3), "NO_SOCKET");
	CHECK_STR(tp_format_symbol_name(&fmt, 5), "TCP_CSUM");
	CHECK_STR(tp_format_symbol_name(&fmt, 6), "SOCKET_FILTER");
	CHECK_STR(tp_format_symbol_name(&fmt, 28), "TCP_ABORT_ON_DATA");
	CHECK_STR(tp_format_symbol_name(&fmt, 89), "TC_RECLASSIFY_LOOP");
	CHECK_STR(tp_format_symbol_name(&fmt, 90), "MAX");
	check_value(&fmt, "no_socket", 3);
	check_value(&fmt, "tcp_invalid_sequence", 35);
	tp_format_free(&fmt);
}

static void test_kfree_skb_6_18(void)
{
	struct tp_format fmt;

	if (parse_fixture(&fmt, "kfree_skb-6.18.format"))
		return;
	check_layout_6_11(&fmt, 2310);
	CHECK_INT(fmt.nsymbols, 127);
	CHECK_INT(fmt.symbols[0].value, 2);
	CHECK_INT(fmt.symbols[126].value, 128);
	CHECK_STR(tp_format_symbol_name(&fmt, 2), "NOT_SPECIFIED");
	CHECK_STR(tp_format_symbol_name(&fmt, 3), "NO_SOCKET");
	CHECK_STR(tp_format_symbol_name(&fmt, 4), "SOCKET_CLOSE");
	CHECK_STR(tp_format_symbol_name(&fmt, 10), "TCP_CSUM");
	CHECK_STR(tp_format_symbol_name(&fmt, 42), "TCP_INVALID_SEQUENCE");
	CHECK_STR(tp_format_symbol_name(&fmt, 127), "RECURSION_LIMIT");
	CHECK_STR(tp_format_symbol_name(&fmt, 128), "MAX");
	CHECK(!tp_format_symbol_name(&fmt, 129));
	check_value(&fmt, "no_socket", 3);
	check_value(&fmt, "TCP_ZEROWINDOW", 32);
	tp_format_free(&fmt);
}

#define FIELD(decl, off, size) "\tfield:" decl ";\toffset:" off ";\tsize:" size ";\tsigned:0;\n"

static int parse_str(struct tp_format *fmt, const char *s)
{
	return tp_format_parse(fmt, s, strlen(s));
}

static void test_field_shapes(void)
{
	static const char text[] =
		"name: sched_switch\n"
		"ID: 0x10\n"
		FIELD("char prev_comm[16]", "8", "16")
		FIELD("__data_loc char[] name", "24", "4")
		FIELD("unsigned long long  ts", "32", "8")
		"\tfield:int  x ;  offset:40 ; size:4 ;\n";
	struct tp_format fmt;
	const struct tp_field *x;

	CHECK_INT(parse_str(&fmt, text), 0);
	CHECK_INT(fmt.id, 16);
	CHECK_INT(fmt.nfields, 4);
	check_field(&fmt, "prev_comm", 8, 16, "char[16]");
	check_field(&fmt, "name", 24, 4, "__data_loc char[]");
	check_field(&fmt, "ts", 32, 8, "unsigned long long");
	check_field(&fmt, "x", 40, 4, "int");
	x = tp_format_field(&fmt, "x");
	CHECK(x && !x->is_signed);
	tp_format_free(&fmt);
}

static void test_hex_symbols_sorted(void)
{
	static const char text[] =
		FIELD("int state", "8", "4")
		"print fmt: \"%s\", __print_symbolic(REC->state, "
		"{ 0x10, \"SIXTEEN\" }, { 3, \"THREE\" }, {0x0,\"ZERO\"}, "
		"{ 0xffffffffffffffff, \"ALL\" } )\n";
	struct tp_format fmt;

	CHECK_INT(parse_str(&fmt, text), 0);
	CHECK_STR(fmt.symbolic_field, "state");
	CHECK_INT(fmt.nsymbols, 4);
	CHECK_INT(fmt.symbols[0].value, 0);
	CHECK_INT(fmt.symbols[1].value, 3);
	CHECK_INT(fmt.symbols[2].value, 16);
	CHECK(fmt.symbols[3].value == UINT64_MAX);
	CHECK_STR(tp_format_symbol_name(&fmt, 0x10), "SIXTEEN");
	CHECK_STR(tp_format_symbol_name(&fmt, 0), "ZERO");
	CHECK_STR(tp_format_symbol_name(&fmt, UINT64_MAX), "ALL");
	CHECK(!tp_format_symbol_name(&fmt, 4));
	tp_format_free(&fmt);
}

static void check_rejects(const char *text, int want)
{
	struct tp_format fmt;

	CHECK_INT(parse_str(&fmt, text), want);
	/* Nothing to free after an error. */
	CHECK(fmt.symbols == NULL);
	CHECK_INT(fmt.nsymbols, 0);
	CHECK_INT(fmt.nfields, 0);
}

static void test_malformed(void)
{
	check_rejects("", -EINVAL);
	check_rejects("name: kfree_skb\nID: 1\nformat:\n", -EINVAL);
	/* Field without offset, without size, with a non-number size. */
	check_rejects("\tfield:int x;\tsize:4;\tsigned:1;\n", -EINVAL);
	check_rejects("\tfield:int x;\toffset:4;\tsigned:1;\n", -EINVAL);
	check_rejects("\tfield:int x;\toffset:4;\tsize:four;\n", -EINVAL);
	check_rejects("\tfield:int x;\toffset:4;\tsize:4x;\n", -EINVAL);
	check_rejects("\tfield:int x;\toffset:-4;\tsize:4;\n", -EINVAL);
	/* Offset beyond 32 bits, and offset + size beyond 32 bits. */
	check_rejects("\tfield:int x;\toffset:4294967296;\tsize:4;\n", -EINVAL);
	check_rejects("\tfield:int x;\toffset:99999999999999999999999;\tsize:4;\n",
		      -EINVAL);
	check_rejects("\tfield:int x;\toffset:4294967295;\tsize:4;\n", -EINVAL);
	/* Missing ';' after the declaration or after a value. */
	check_rejects("\tfield:int x\toffset:4\tsize:4\n", -EINVAL);
	check_rejects("\tfield:int x;\toffset:4;\tsize:4\n", -EINVAL);
	/* No name, no type, unbalanced array. */
	check_rejects("\tfield:int ;\toffset:4;\tsize:4;\n", -EINVAL);
	check_rejects("\tfield:x;\toffset:4;\tsize:4;\n", -EINVAL);
	check_rejects("\tfield:char c 16];\toffset:4;\tsize:4;\n", -EINVAL);
	/* Name too long for TP_NAME_MAX. */
	check_rejects("\tfield:int "
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		      ";\toffset:4;\tsize:4;\n", -EINVAL);
	check_rejects("ID: 12ab\n" FIELD("int x", "8", "4"), -EINVAL);
	check_rejects("ID: 4294967296\n" FIELD("int x", "8", "4"), -EINVAL);
}

static void test_malformed_symbolic(void)
{
	static const char *const bad[] = {
		/* Unterminated table, at several cut points. */
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, \"A\" }",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, \"A\"",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, \"A",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1,",
		"print fmt: \"%s\", __print_symbolic(REC->r, {",
		"print fmt: \"%s\", __print_symbolic(REC->r",
		"print fmt: \"%s\", __print_symbolic(",
		/* Broken entries. */
		"print fmt: \"%s\", __print_symbolic(REC->r, { x, \"A\" })",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1 \"A\" })",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, A })",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, \"A\" } { 2, \"B\" })",
		"print fmt: \"%s\", __print_symbolic(REC->r, { 0x, \"A\" })",
		"print fmt: \"%s\", __print_symbolic(REC->r, "
		"{ 18446744073709551616, \"A\" })",
		"print fmt: \"%s\", __print_symbolic(r, { 1, \"A\" })",
		/* Two print fmt lines, each with a table (found by
		 * fuzzing: the second table overran the first's array). */
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, \"A\" })\n"
		"print fmt: \"%s\", __print_symbolic(REC->r, { 2, \"B\" })",
		/* The table goes on past the line: it is one line. */
		"print fmt: \"%s\", __print_symbolic(REC->r, { 1, \"A\" },\n"
		"{ 2, \"B\" })",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text), "%s%s", FIELD("int r", "8", "4"),
			 bad[i]);
		check_rejects(text, -EINVAL);
	}
}

static void test_no_symbolic_is_fine(void)
{
	struct tp_format fmt;

	CHECK_INT(parse_str(&fmt, FIELD("int r", "8", "4")
			    "print fmt: \"r=%d\", REC->r\n"), 0);
	CHECK_INT(fmt.nsymbols, 0);
	CHECK_STR(fmt.symbolic_field, "");
	tp_format_free(&fmt);
}

static void build_fields(char *buf, size_t cap, int n)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used,
					 "\tfield:int f%d;\toffset:%d;\tsize:4;\tsigned:1;\n",
					 i, 8 + 4 * i);
}

static void test_too_many_fields(void)
{
	struct tp_format fmt;
	char text[8192];

	build_fields(text, sizeof(text), TP_FIELDS_MAX);
	CHECK_INT(parse_str(&fmt, text), 0);
	CHECK_INT(fmt.nfields, TP_FIELDS_MAX);
	check_field(&fmt, "f31", 8 + 4 * 31, 4, "int");
	tp_format_free(&fmt);

	build_fields(text, sizeof(text), TP_FIELDS_MAX + 1);
	check_rejects(text, -E2BIG);
}

/* Every prefix of the real file either parses or fails cleanly; the
 * prefix is copied into an exact-size heap buffer so ASan catches any
 * read past len. */
static void test_every_prefix_of_6_18(void)
{
	size_t len, n;
	char *text = read_fixture("kfree_skb-6.18.format", &len);
	size_t ok = 0, failed = 0;

	if (!text) {
		CHECK_FAIL_("fixture kfree_skb-6.18.format not found");
		return;
	}
	for (n = 0; n <= len; n++) {
		char *copy = malloc(n ? n : 1);
		struct tp_format fmt;
		int err;

		memcpy(copy, text, n);
		err = tp_format_parse(&fmt, copy, n);
		if (err == 0) {
			ok++;
			tp_format_free(&fmt);
		} else {
			failed++;
			CHECK(err == -EINVAL);
			CHECK(fmt.symbols == NULL && fmt.nsymbols == 0);
		}
		free(copy);
	}
	/* The whole file parses, and so does any cut that leaves the
	 * field lines complete but drops the print fmt line entirely. */
	CHECK(ok > 0);
	CHECK(failed > 0);
	CHECK_INT(ok + failed, len + 1);
	free(text);
}

int main(void)
{
	RUN(test_kfree_skb_5_10);
	RUN(test_kfree_skb_6_1);
	RUN(test_kfree_skb_6_12);
	RUN(test_kfree_skb_6_18);
	RUN(test_field_shapes);
	RUN(test_hex_symbols_sorted);
	RUN(test_malformed);
	RUN(test_malformed_symbolic);
	RUN(test_no_symbolic_is_fine);
	RUN(test_too_many_fields);
	RUN(test_every_prefix_of_6_18);
	return check_exit_code();
}
