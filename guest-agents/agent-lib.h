/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every agent needs: its reports, one JSON object a line on stdout,
 * flushed at once, so that the harness reads each as soon as it is written,
 * even when the agent dies right after; its failures, reported the same way
 * and ended with exit status 2; the clocks its reports are stamped with, and
 * the parsing of its parameters, whose errors are failures like any other.
 */
#ifndef AGENT_LIB_H
#define AGENT_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "contract.h"

/* Prints `{"event":"<event>",<fields>}` where fields is a printf format of JSON members. */
void __attribute__((format(printf, 2, 3))) json_line(const char *event, const char *fields_fmt, ...);

/* Reports {"event":"error","step":step,"errno":err,"message":...} and exits with status 2. */
_Noreturn void agent_fail(const char *step, int err);

/* Fails step unless a read or write transferred exactly want bytes. */
void agent_check_io(ssize_t n, size_t want, const char *step);

/* Writes s as a JSON string, NULL as null. */
void json_string(FILE *f, const char *s);

/* A stream into a growing string, for JSON members too long for one printf; closing ends the string. */
FILE *json_text_open(char **text, size_t *len);
void json_text_close(FILE *f);

/* Seconds since the system booted, as /proc/uptime says (-1 if unknown). */
double uptime_seconds(void);

/* CLOCK_MONOTONIC, for durations. */
double mono_seconds(void);
uint64_t mono_ms(void);

/*
 * CLOCK_BOOTTIME, the clock of /proc/uptime, which the harness reads too:
 * stamps on it fall on the harness's time base for the machine, where the
 * wall clock would not (a machine without an RTC starts near 1970).
 */
uint64_t boot_us(void);

/* s as a number in base between min and max, the whole of it; fails step if not. */
unsigned long long parse_num(const char *s, int base, unsigned long long min, unsigned long long max,
			     const char *step);

/* s as exactly 2 * n hex digits, into n bytes; fails step if not. */
void parse_hex(const char *s, uint8_t *out, size_t n, const char *step);

#endif
