#include "textfind.h"

#include <string.h>

const char *text_find(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (!n || n > len)
		return NULL;
	for (i = 0; i + n <= len; i++)
		if (text[i] == needle[0] && memcmp(text + i, needle, n) == 0)
			return text + i;
	return NULL;
}
