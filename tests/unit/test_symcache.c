/* symcache.c: names kept by address, replaced on collision, never for 0
 * or past their size. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "symcache.h"

static void test_put_get(void)
{
	struct symcache *c = symcache_new();

	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(symcache_get(c, 0xffffffff81000010ull) == NULL);
	symcache_put(c, 0xffffffff81000010ull, "tcp_v4_rcv+0x99");
	CHECK_STR(symcache_get(c, 0xffffffff81000010ull), "tcp_v4_rcv+0x99");
	CHECK(symcache_get(c, 0xffffffff81000011ull) == NULL);
	symcache_put(c, 0xffffffff81000010ull, "ip_rcv+0x4");
	CHECK_STR(symcache_get(c, 0xffffffff81000010ull), "ip_rcv+0x4");
	symcache_put(c, 0, "zero");
	CHECK(symcache_get(c, 0) == NULL);
	symcache_free(c);
}

/* A name that does not fit is not kept (never cut); one that just fits
 * is. */
static void test_long_names(void)
{
	struct symcache *c = symcache_new();
	char name[SYMCACHE_NAME_MAX + 1];

	CHECK(c != NULL);
	if (!c)
		return;
	memset(name, 'a', sizeof(name) - 1);
	name[SYMCACHE_NAME_MAX] = '\0';
	symcache_put(c, 0x1000, name);
	CHECK(symcache_get(c, 0x1000) == NULL);
	name[SYMCACHE_NAME_MAX - 1] = '\0';
	symcache_put(c, 0x1000, name);
	CHECK_STR(symcache_get(c, 0x1000), name);
	symcache_free(c);
}

/* More addresses than slots: whatever is found is the right name. */
static void test_collisions(void)
{
	struct symcache *c = symcache_new();
	char name[32];
	const char *got;
	uint64_t a;
	int found = 0, wrong = 0;

	CHECK(c != NULL);
	if (!c)
		return;
	for (a = 1; a <= 4 * SYMCACHE_SLOTS; a++) {
		snprintf(name, sizeof(name), "f+0x%llx", (unsigned long long)a);
		symcache_put(c, 0xffffffff81000000ull + a * 16, name);
	}
	for (a = 1; a <= 4 * SYMCACHE_SLOTS; a++) {
		got = symcache_get(c, 0xffffffff81000000ull + a * 16);
		snprintf(name, sizeof(name), "f+0x%llx", (unsigned long long)a);
		if (got) {
			found++;
			wrong += strcmp(got, name) != 0;
		}
	}
	CHECK_INT(wrong, 0);
	CHECK(found > 0 && found <= SYMCACHE_SLOTS);
	symcache_free(c);
}

int main(void)
{
	RUN(test_put_get);
	RUN(test_long_names);
	RUN(test_collisions);
	return check_exit_code();
}
