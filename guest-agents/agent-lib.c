// SPDX-License-Identifier: GPL-2.0-only
#include "agent-lib.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void json_line(const char *event, const char *fields_fmt, ...)
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

_Noreturn void agent_fail(const char *step, int err)
{
	json_line(EVENT_ERROR, "\"step\":\"%s\",\"errno\":%d,\"message\":\"%s\"", step, err, strerror(err));
	exit(2);
}

/* A short transfer sets no errno: report it as EIO. */
void agent_check_io(ssize_t n, size_t want, const char *step)
{
	if (n != (ssize_t)want)
		agent_fail(step, n < 0 ? errno : EIO);
}

void json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

FILE *json_text_open(char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	if (!f)
		agent_fail("json_buffer", errno);
	return f;
}

void json_text_close(FILE *f)
{
	if (fclose(f))
		agent_fail("json_buffer", errno);
}

double uptime_seconds(void)
{
	double up = -1;
	FILE *f = fopen("/proc/uptime", "r");

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = -1;
		fclose(f);
	}
	return up;
}

static struct timespec clock_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts;
}

double mono_seconds(void)
{
	struct timespec ts = clock_now(CLOCK_MONOTONIC);

	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t mono_ms(void)
{
	struct timespec ts = clock_now(CLOCK_MONOTONIC);

	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

uint64_t boot_us(void)
{
	struct timespec ts = clock_now(CLOCK_BOOTTIME);

	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

unsigned long long parse_num(const char *s, int base, unsigned long long min, unsigned long long max,
			     const char *step)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v < min || v > max)
		agent_fail(step, errno ? errno : EINVAL);
	return v;
}

static int hex_digit(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

void parse_hex(const char *s, uint8_t *out, size_t n, const char *step)
{
	if (strlen(s) != 2 * n)
		agent_fail(step, EINVAL);
	for (size_t i = 0; i < 2 * n; i++)
		if (!isxdigit((unsigned char)s[i]))
			agent_fail(step, EINVAL);
	for (size_t i = 0; i < n; i++)
		out[i] = hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]);
}
