// SPDX-License-Identifier: GPL-2.0-only
#include "changed-ranges.h"
#include <stdbool.h>

struct changed_scan changed_ranges(const uint8_t *buf, const uint8_t *was, size_t len,
				   struct changed_range *out, size_t max)
{
	struct changed_scan s = { 0, 0 };
	bool in_range = false;

	for (size_t off = 0; off < len; off += CHANGED_BLOCK) {
		size_t end = len - off < CHANGED_BLOCK ? len : off + CHANGED_BLOCK;
		size_t differ = 0;

		for (size_t i = off; i < end; i++)
			differ += buf[i] != was[i];
		s.changed_bytes += differ;
		if (!differ) {
			in_range = false;
			continue;
		}
		if (!in_range) {
			if (s.nranges < max)
				out[s.nranges].offset = off;
			s.nranges++;
			in_range = true;
		}
		if (s.nranges <= max)
			out[s.nranges - 1].len = end - out[s.nranges - 1].offset;
	}
	return s;
}
