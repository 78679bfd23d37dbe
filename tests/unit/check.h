/* A very small test harness for the unit tests: each test binary runs its
 * TEST functions with RUN() and prints one "PASS name" or "FAIL name: why"
 * line per test; tests/run.sh adds them up. No root, no kernel state. */
#ifndef TCPDROP_CHECK_H
#define TCPDROP_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failed_in_test;
static int check_skipped_in_test;
static int check_passed, check_failed;

#define CHECK_FAIL_(...)                                                    \
	do {                                                                 \
		if (!check_failed_in_test)                                   \
			printf("FAIL %s: ", check_current_);                 \
		else                                                         \
			printf("     %s: ", check_current_);                 \
		printf("%s:%d: ", __FILE__, __LINE__);                       \
		printf(__VA_ARGS__);                                         \
		printf("\n");                                                \
		check_failed_in_test = 1;                                    \
	} while (0)

static const char *check_current_ = "";

#define CHECK(cond)                                                         \
	do {                                                                 \
		if (!(cond))                                                 \
			CHECK_FAIL_("CHECK(%s)", #cond);                     \
	} while (0)

#define CHECK_INT(got, want)                                                \
	do {                                                                 \
		long long got_ = (long long)(got), want_ = (long long)(want); \
		if (got_ != want_)                                           \
			CHECK_FAIL_("%s == %lld, want %lld", #got, got_,     \
				    want_);                                  \
	} while (0)

#define CHECK_STR(got, want)                                                \
	do {                                                                 \
		const char *got_ = (got), *want_ = (want);                   \
		if (!got_ || strcmp(got_, want_) != 0)                       \
			CHECK_FAIL_("%s == \"%s\", want \"%s\"", #got,       \
				    got_ ? got_ : "(null)", want_);          \
	} while (0)

#define RUN(fn)                                                             \
	do {                                                                 \
		check_current_ = #fn;                                        \
		check_failed_in_test = 0;                                    \
		check_skipped_in_test = 0;                                   \
		fn();                                                        \
		if (check_failed_in_test) {                                  \
			check_failed++;                                      \
		} else if (!check_skipped_in_test) {                         \
			check_passed++;                                      \
			printf("PASS %s\n", #fn);                            \
		}                                                            \
	} while (0)

/* Prints a SKIP line: the test could not run here, and says why. Called
 * inside a test, the test then counts as skipped, not passed. */
#define SKIP(fn, why)                                                       \
	do {                                                                 \
		printf("SKIP %s: %s\n", #fn, why);                          \
		check_skipped_in_test = 1;                                   \
	} while (0)

static inline int check_exit_code(void)
{
	fflush(stdout);
	return check_failed ? 1 : 0;
}

#endif
