/* The verifier's log, as shown when the kernel refuses our program: the
 * cause of a refusal is at the end, so by default only the last lines. */
#ifndef TCPDROP_VLOG_H
#define TCPDROP_VLOG_H

#include <stddef.h>

#define VLOG_TAIL_LINES 20

/* Start of the last `lines` lines of log[0..len) (a final newline does not
 * start a line of its own); `log` itself when it has no more lines than
 * that. */
const char *vlog_tail(const char *log, size_t len, int lines);

#endif
