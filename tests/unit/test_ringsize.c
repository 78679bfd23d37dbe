/* ringsize.c: ring sizes from the rate and the record size, and their
 * bounds (--ring-pages's values are tests/cli.sh's). */
#include "check.h"
#include "ringsize.h"

static void test_from_rate(void)
{
	/* 300k/s of 104 + 8 bytes for 20 ms: 672,000 bytes, 165 pages of
	 * 4 KiB, rounded up to 256. */
	CHECK_INT(ringsize_pages(300000, 104, 4096, 2), 256);
	/* 100k/s of 304 + 8 bytes: 624,000 bytes, 153 pages: 256. */
	CHECK_INT(ringsize_pages(100000, 304, 4096, 2), 256);
	/* 64 KiB pages (arm64): 10 pages, 16. */
	CHECK_INT(ringsize_pages(100000, 304, 65536, 2), 16);
	/* A tiny rate still gets the least ring. */
	CHECK_INT(ringsize_pages(10, 104, 4096, 1), RINGSIZE_MIN_PAGES);
	/* ncpus below 1 is taken as 1. */
	CHECK_INT(ringsize_pages(300000, 104, 4096, 0), 256);
}

/* Many CPUs share RINGSIZE_TOTAL_MAX; never below the least ring, never
 * above the most. */
static void test_bounds(void)
{
	/* 256 pages x 4 KiB x 128 CPUs = 128 MiB: halved to 64 MiB. */
	CHECK_INT(ringsize_pages(300000, 104, 4096, 128), 128);
	CHECK_INT(ringsize_pages(300000, 104, 4096, 100000),
		  RINGSIZE_MIN_PAGES);
	CHECK_INT(ringsize_pages(100000000, 1024, 4096, 1), RINGSIZE_MAX_PAGES);
}

int main(void)
{
	RUN(test_from_rate);
	RUN(test_bounds);
	return check_exit_code();
}
