/* The names of stack frames already resolved: a stack seen before is not
 * looked up in kallsyms (a binary search over ~100k symbols) and printed
 * with snprintf() again, frame by frame. Direct-mapped by address: a
 * frame that collides with another is simply resolved again. */
#ifndef TCPDROP_SYMCACHE_H
#define TCPDROP_SYMCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Slots, a power of two; names longer than SYMCACHE_NAME_MAX - 1 bytes
 * are not kept. 1024 slots of 128 bytes: 136 KiB, taken at the first
 * stack. */
#define SYMCACHE_SLOTS 1024
#define SYMCACHE_NAME_MAX 120

struct symcache;

/* NULL when out of memory (the caller then resolves every frame). */
struct symcache *symcache_new(void);
void symcache_free(struct symcache *c);

/* The name kept for `addr` (0 is never kept), or NULL. Valid until the
 * next symcache_put(). */
const char *symcache_get(const struct symcache *c, uint64_t addr);

/* Keeps `name` (NUL-terminated) for `addr`, replacing what its slot held. */
void symcache_put(struct symcache *c, uint64_t addr, const char *name);

#endif
