#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errmsg_set(struct errmsg *msg, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
	va_end(ap);
	return code;
}

void errmsg_init(struct errmsg *msg)
{
	msg->text[0] = '\0';
}

bool errmsg_is_set(const struct errmsg *msg)
{
	return msg->text[0] != '\0';
}

int errmsg_fallback(struct errmsg *msg, int code, const char *what)
{
	if (code < 0 && !errmsg_is_set(msg))
		errmsg_set(msg, code, "%s: %s", what, strerror(-code));
	return code;
}
