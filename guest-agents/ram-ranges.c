// SPDX-License-Identifier: GPL-2.0-only
#include "ram-ranges.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ram_ranges(FILE *iomem, struct ram_range *r, unsigned int max)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned int n = 0;
	int err = 0;

	while (!err && getline(&line, &cap, iomem) > 0) {
		unsigned long long start, end;
		int name_at = 0;

		/* Children are indented; %llx would skip the indent. */
		if (!isxdigit((unsigned char)line[0]) ||
		    sscanf(line, "%llx-%llx : %n", &start, &end, &name_at) != 2 || !name_at ||
		    strcmp(line + name_at, "System RAM\n"))
			continue;
		if (!start && !end)
			err = EPERM;
		else if (end < start)
			err = EINVAL;
		else if (n && r[n - 1].start + r[n - 1].bytes == start)
			r[n - 1].bytes += end - start + 1;
		else if (n == max)
			err = E2BIG;
		else
			r[n++] = (struct ram_range){ start, end - start + 1 };
	}
	free(line);
	if (!err && !n)
		err = ENOENT;
	return err ? -err : (int)n;
}
