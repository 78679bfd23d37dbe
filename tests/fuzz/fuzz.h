/* Shared by the fuzz harnesses. A broken promise of an API (a length that
 * does not match, a lookup that misses what it just returned) is a bug as
 * much as a bad read: FUZZ_CHECK aborts, so libFuzzer keeps the input. */
#ifndef TCPDROP_FUZZ_H
#define TCPDROP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                    \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n",    \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* Reads every byte of what a parser handed out, so that ASan checks the
 * whole range, not just the first byte the harness happens to look at. */
static inline void fuzz_touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x ^= b[i];
	/* Keeps the loop: the compiler must assume x is used. */
	__asm__ volatile("" : : "r"(x));
}

/* A NUL-terminated copy of the input, of exactly size + 1 bytes, for the
 * parsers that take C strings. */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Little-endian numbers from the head of the input. */
static inline uint64_t fuzz_take(const uint8_t **data, size_t *size, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && i < *size; i++)
		v |= (uint64_t)(*data)[i] << (8 * i);
	if (n > *size)
		n = *size;
	*data += n;
	*size -= n;
	return v;
}

#endif
