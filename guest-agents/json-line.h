/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Agents report one JSON object a line on stdout, flushed at once, so that
 * the harness can read each report as soon as it is written, even when the
 * agent dies right after.
 */
#ifndef JSON_LINE_H
#define JSON_LINE_H

#include <stdarg.h>
#include <stdio.h>

/* Prints `{"event":"<event>",<fields>}` where fields is a printf format of JSON members. */
static inline void __attribute__((format(printf, 2, 3)))
json_line(const char *event, const char *fields_fmt, ...)
{
	va_list ap;

	printf("{\"event\":\"%s\"", event);
	if (fields_fmt && fields_fmt[0]) {
		putchar(',');
		va_start(ap, fields_fmt);
		vprintf(fields_fmt, ap);
		va_end(ap);
	}
	puts("}");
	fflush(stdout);
}

#endif
