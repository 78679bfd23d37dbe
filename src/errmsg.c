#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int errmsg_set(struct errmsg *msg, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg->text, sizeof(msg->text), fmt, ap);
	va_end(ap);
	return code;
}
