/* One drop -> one text row (and its stack lines). Pure formatting: the
 * caller resolves everything that needs kernel state (reason name, stack
 * symbols) before calling, so every function here is testable as is. */
#ifndef TCPDROP_OUTPUT_H
#define TCPDROP_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "drop.h"
#include "event.h"
#include "format.h"

struct output_style {
	enum time_style time;
	int wide;   /* address columns wide enough for any IPv6 address */
	int netns;  /* a last NETNS column (-n) */
};

/* 0, or -EPIPE (a closed pipe) / -EIO once a write to `out` failed. */
int output_status(FILE *out);

/* These return 0, or -EIO/-EPIPE when the stream failed (a closed pipe).
 * The header and the rows use the same column widths for a `style`. */
int output_header(FILE *out, const struct output_style *style);
int output_row(FILE *out, const struct output_style *style,
	       const struct drop_view *d);
/* The stack under a row: "\t<frame>\n" for each of the `n` frames
 * (innermost first; "[stack unavailable]" when n is 0), then an empty
 * line. 0, -EPIPE or -EIO. */
int output_stack(FILE *out, const char *const *frames, int n);

#endif
