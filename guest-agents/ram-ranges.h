/* SPDX-License-Identifier: GPL-2.0-only */
/* Where a machine's RAM is, from the text of its /proc/iomem. */
#ifndef RAM_RANGES_H
#define RAM_RANGES_H

#include <stdint.h>
#include <stdio.h>

struct ram_range {
	uint64_t start, bytes;
};

/*
 * The top-level System RAM entries of iomem, adjacent ones merged, into r:
 * how many (at most max), or a negative errno: -EPERM if the addresses are
 * hidden (all zeros, as a process without CAP_SYS_ADMIN sees them), -EINVAL
 * if an entry ends before it starts, -E2BIG if there are more than max,
 * -ENOENT if there is none.
 */
int ram_ranges(FILE *iomem, struct ram_range *r, unsigned int max);

#endif
