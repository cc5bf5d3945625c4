/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Numeric command-line arguments of the VFIO agents: a bad one is reported
 * like any other failed step (JSON error line, exit 2) before the device is
 * opened.
 */
#ifndef PARSE_NUM_H
#define PARSE_NUM_H

#include <errno.h>
#include <stdlib.h>
#include "vfio-platform.h"

static inline unsigned long long parse_num(const char *s, int base, unsigned long long min,
					   unsigned long long max, const char *step)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v < min || v > max)
		vfio_fail(step, errno ? errno : EINVAL);
	return v;
}

#endif
