/* A growable byte buffer for pages built in memory (the /metrics page,
 * HTTP responses). Once an allocation failed the buffer stays failed:
 * callers append without checking and look at `failed` once. */
#ifndef TCPDROP_BUF_H
#define TCPDROP_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;     /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool failed;    /* an allocation failed: the content is cut */
};

void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_append(struct buf *b, const char *s, size_t len);
void buf_reset(struct buf *b);   /* empty, memory kept */
void buf_free(struct buf *b);

#endif
