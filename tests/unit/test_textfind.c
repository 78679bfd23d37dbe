/* textfind.c: the first match, none, the edges, NULs in the text. */
#include "check.h"
#include "textfind.h"

static void test_find(void)
{
	static const char text[] = "Name:\tx\nCapEff:\t0000\n";
	static const char nul[] = "ab\0cd\0cde";

	CHECK(text_find(text, sizeof(text) - 1, "\nCapEff:") == text + 7);
	CHECK(text_find(text, sizeof(text) - 1, "Name") == text);
	CHECK(text_find(text, sizeof(text) - 1, "0000\n") == text + 16);
	CHECK(text_find(text, sizeof(text) - 1, "CapPrm") == NULL);
	CHECK(text_find(text, 5, "Name:\t") == NULL);    /* past the end */
	CHECK(text_find(text, 0, "N") == NULL);
	CHECK(text_find(text, sizeof(text) - 1, "") == NULL);
	CHECK(text_find(nul, sizeof(nul) - 1, "cde") == nul + 6);
	CHECK(text_find("aaab", 4, "aab") != NULL);
}

int main(void)
{
	RUN(test_find);
	return check_exit_code();
}
