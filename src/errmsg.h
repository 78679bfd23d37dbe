/* The one-line message a failed step leaves for main() to print. Library
 * code never prints; it returns -errno and, where the user needs to know
 * what is missing and what to do, fills one of these. */
#ifndef TCPDROP_ERRMSG_H
#define TCPDROP_ERRMSG_H

struct errmsg {
	char text[4096];      /* room for the list of a kernel's reason names */
};

/* Formats the message and returns `code`, so a step can
 * `return errmsg_set(msg, -ENOENT, "...")`. */
int errmsg_set(struct errmsg *msg, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
