/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where a buffer has been written since it held what `was` holds: the
 * maximal runs of CHANGED_BLOCK-byte blocks with any byte that differs.
 * Pure, so that it is unit-tested on the host.
 */
#ifndef CHANGED_RANGES_H
#define CHANGED_RANGES_H

#include <stddef.h>
#include <stdint.h>

/* Coarse enough that a descriptor or a frame shows as one range, not as its non-zero bytes. */
#define CHANGED_BLOCK 16

struct changed_range {
	size_t offset;
	size_t len;		/* whole blocks, except at the end of the buffer */
};

struct changed_scan {
	size_t changed_bytes;	/* bytes that differ from was in the whole buffer */
	size_t nranges;		/* ranges found, also those beyond max */
};

/* Stores the first max ranges of buf, in order, in out. */
struct changed_scan changed_ranges(const uint8_t *buf, const uint8_t *was, size_t len,
				   struct changed_range *out, size_t max);

#endif
