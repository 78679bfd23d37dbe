#include "ringsize.h"


static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n && p < ((size_t)1 << (sizeof(size_t) * 8 - 2)))
		p <<= 1;
	return p;
}

size_t ringsize_pages(unsigned long rate, size_t record_bytes,
		      size_t page_size, int ncpus)
{
	size_t bytes = (size_t)rate * (record_bytes + 8) * RINGSIZE_HOLD_MS /
		       1000;
	size_t pages = pow2_at_least((bytes + page_size - 1) / page_size);

	if (ncpus < 1)
		ncpus = 1;
	while (pages > RINGSIZE_MIN_PAGES &&
	       pages * page_size * (size_t)ncpus > RINGSIZE_TOTAL_MAX)
		pages /= 2;
	if (pages < RINGSIZE_MIN_PAGES)
		pages = RINGSIZE_MIN_PAGES;
	return pages > RINGSIZE_MAX_PAGES ? RINGSIZE_MAX_PAGES : pages;
}
