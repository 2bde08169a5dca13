/* rs_error.c - formatting of library error messages (see rs_error.h). */
#include "rs_error.h"

#include <stdarg.h>
#include <stdio.h>

int rs_error_set(struct rs_error *err, int code, const char *fmt, ...)
{
	if (err == NULL)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

void rs_error_clear(struct rs_error *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
