#include "symcache.h"

#include <stdlib.h>
#include <string.h>

struct symcache_slot {
	uint64_t addr;                 /* 0: empty */
	char name[SYMCACHE_NAME_MAX];
};

struct symcache {
	struct symcache_slot slots[SYMCACHE_SLOTS];
};

struct symcache *symcache_new(void)
{
	return calloc(1, sizeof(struct symcache));
}

void symcache_free(struct symcache *c)
{
	free(c);
}

/* Kernel text addresses differ in their low bits; a multiplicative hash
 * spreads the functions of one stack over the slots. */
static size_t slot_of(uint64_t addr)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 32) &
	       (SYMCACHE_SLOTS - 1);
}

const char *symcache_get(const struct symcache *c, uint64_t addr)
{
	const struct symcache_slot *s = &c->slots[slot_of(addr)];

	return addr && s->addr == addr ? s->name : NULL;
}

void symcache_put(struct symcache *c, uint64_t addr, const char *name)
{
	struct symcache_slot *s = &c->slots[slot_of(addr)];
	size_t len = strlen(name);

	if (!addr || len >= sizeof(s->name))
		return;
	memcpy(s->name, name, len + 1);
	s->addr = addr;
}
