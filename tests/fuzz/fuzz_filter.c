/* Command-line filter values: each line of the input (NUL-terminated
 * copy) goes through every filter_add_* and filter_set_netns, into one
 * struct filter that fills up across lines (so the "too many" paths run),
 * then the reason names are resolved against a fixed kfree_skb format. */
#include <errno.h>

#include "filter.h"
#include "fuzz.h"
#include "tpformat.h"

#define LINES_MAX 32

static const char reason_format[] =
	"name: kfree_skb\n"
	"format:\n"
	"\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:enum skb_drop_reason reason;\toffset:36;\tsize:4;\tsigned:0;\n"
	"print fmt: \"reason: %s\", __print_symbolic(REC->reason, "
	"{ 2, \"NOT_SPECIFIED\" }, { 3, \"NO_SOCKET\" }, "
	"{ 4, \"PKT_TOO_SMALL\" }, { 5, \"TCP_CSUM\" })\n";

static struct tp_format fmt;

/* Every call either succeeds or leaves a terminated message. */
static void check_ret(int ret, const struct errmsg *msg)
{
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret)
		FUZZ_CHECK(memchr(msg->text, '\0', sizeof(msg->text)) &&
			   msg->text[0] != '\0');
}

static void check_filter(const struct filter *f)
{
	uint32_t i, b;

	FUZZ_CHECK(f->any_port.count <= TCPDROP_PORTS_MAX);
	FUZZ_CHECK(f->sport.count <= TCPDROP_PORTS_MAX);
	FUZZ_CHECK(f->naddrs <= TCPDROP_ADDRS_MAX);
	FUZZ_CHECK(f->nreasons <= TCPDROP_REASONS_MAX);
	for (i = 0; i < f->any_port.count; i++)
		FUZZ_CHECK(f->any_port.ports[i] != 0);
	/* Pre-masked, as the BPF side compares without masking again. */
	for (i = 0; i < f->naddrs; i++)
		for (b = 0; b < 16; b++)
			FUZZ_CHECK((f->addrs[i].addr[b] & f->addrs[i].mask[b]) ==
				   f->addrs[i].addr[b]);
	for (i = 0; i < f->nreasons; i++)
		FUZZ_CHECK(memchr(f->reason_names[i], '\0', FILTER_NAME_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t reasons[TCPDROP_REASONS_MAX];
	struct filter f;
	struct errmsg msg;
	char *text = fuzz_strdup(data, size), *line, *nl;
	int i;

	if (!fmt.nfields &&
	    tp_format_parse(&fmt, reason_format, sizeof(reason_format) - 1))
		abort();
	memset(&f, 0, sizeof(f));
	for (line = text, i = 0; line && i < LINES_MAX; line = nl, i++) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		msg.text[0] = '\0';
		check_ret(filter_add_ports(&f.any_port, line, &msg), &msg);
		check_ret(filter_add_ports(&f.sport, line, &msg), &msg);
		check_ret(filter_add_addr(&f, line, &msg), &msg);
		check_ret(filter_add_states(&f, line, &msg), &msg);
		check_ret(filter_add_reasons(&f, line, &msg), &msg);
		check_ret(filter_set_netns(&f, line, &msg), &msg);
	}
	check_filter(&f);
	filter_needs_btf(&f);
	check_ret(filter_resolve_reasons(&f, &fmt, reasons, &msg), &msg);
	free(text);
	return 0;
}
