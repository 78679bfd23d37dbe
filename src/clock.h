/* CLOCK_MONOTONIC, for deadlines and for what start-up steps took: never
 * set back, unlike the wall clock. */
#ifndef TCPDROP_CLOCK_H
#define TCPDROP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds since an arbitrary point (the boot). */
static inline int64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Milliseconds since the same point. */
static inline int64_t monotonic_ms(void)
{
	return monotonic_us() / 1000;
}

#endif
