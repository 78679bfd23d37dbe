/* HTTP request heads: httpd_parse_request on the input as it is (no NUL
 * added: the server parses its receive buffer), and on every prefix the
 * first byte picks, as a client sending in pieces would. A request judged
 * complete stays complete and keeps its answer as more bytes come, and
 * every answer is one the server knows; before the first line ends, the
 * only answers are 400 and 431. Then the metrics address parser
 * on a NUL-terminated copy. */
#include "fuzz.h"
#include "httpd.h"

static void check_answer(const struct httpd_request *req)
{
	int i, known = 0;

	for (i = 0; i < HTTPD_NCODES; i++)
		known |= httpd_codes[i] == req->status;
	FUZZ_CHECK(known);
	FUZZ_CHECK(req->status != 200 || req->page != HTTPD_PAGE_NONE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpd_request whole, part;
	struct httpd_addr addr;
	size_t cut = size ? (size_t)data[0] * size / 256 : 0;
	char *s;
	int r_whole, r_part;

	r_whole = httpd_parse_request((const char *)data, size, &whole);
	FUZZ_CHECK(r_whole == HTTPD_DONE || r_whole == HTTPD_INCOMPLETE);
	if (r_whole == HTTPD_DONE)
		check_answer(&whole);
	/* Before a line ends, only what cannot become a request (400) or
	 * a head past the bound (431) is answered. */
	if (r_whole == HTTPD_DONE && !memchr(data, '\n', size))
		FUZZ_CHECK(whole.status == 400 || whole.status == 431);
	else
		FUZZ_CHECK(size < HTTPD_REQUEST_MAX);
	r_part = httpd_parse_request((const char *)data, cut, &part);
	if (r_part == HTTPD_DONE) {
		check_answer(&part);
		FUZZ_CHECK(r_whole == HTTPD_DONE);
		FUZZ_CHECK(part.status == whole.status || part.status == 431 ||
			   whole.status == 431);
	}
	s = fuzz_strdup(data, size);
	if (httpd_parse_addr(s, &addr) == 0) {
		FUZZ_CHECK(memchr(addr.text, '\0', sizeof(addr.text)));
		FUZZ_CHECK(addr.len > 0);
	}
	free(s);
	return 0;
}
