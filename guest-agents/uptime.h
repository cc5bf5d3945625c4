/* SPDX-License-Identifier: GPL-2.0-only */
/* Seconds since the guest booted, for the agents' first report (-1 if unknown). */
#ifndef UPTIME_H
#define UPTIME_H

#include <stdio.h>

static inline double uptime_seconds(void)
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

#endif
