/* The one-line message a failed step leaves for main() to print. Library
 * code never prints; it returns -errno and, where the user needs to know
 * what is missing and what to do, fills one of these. */
#ifndef TCPDROP_ERRMSG_H
#define TCPDROP_ERRMSG_H

#include <stdbool.h>

struct errmsg {
	char text[4096];      /* room for the list of a kernel's reason names */
};

/* Formats the message and returns `code`, so a step can
 * `return errmsg_set(msg, -ENOENT, "...")`. */
int errmsg_set(struct errmsg *msg, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Marks `msg` as not filled yet (the empty text is the sentinel). Whoever
 * hands a message down starts it so: a step that fails without filling it
 * is then a bug that errmsg_is_set() can see, not stale stack bytes. */
void errmsg_init(struct errmsg *msg);

/* Whether a step filled `msg` since errmsg_init(). */
bool errmsg_is_set(const struct errmsg *msg);

/* For a step that failed (`code` < 0): keeps the step's own message, or
 * where it left none, says "WHAT: strerror(-code)", so that the user's
 * line always names what failed and why. Returns `code`. */
int errmsg_fallback(struct errmsg *msg, int code, const char *what);

#endif
