// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE		/* memmem */
#include "payload-scan.h"
#include <string.h>
#include "siphash.h"

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

size_t payload_scan(const uint8_t *buf, size_t len, const uint8_t key[16], uint32_t run_id,
		    void (*found)(void *ctx, size_t offset, uint32_t seq), void *ctx)
{
	size_t count = 0;

	for (size_t at = 0; len - at >= PAYLOAD_RECOGNISED_LEN; at++) {
		const uint8_t *p = memmem(buf + at, len - at, PAYLOAD_MAGIC, PAYLOAD_MAGIC_LEN);

		if (!p)
			break;
		at = p - buf;
		if (len - at < PAYLOAD_RECOGNISED_LEN)
			break;
		if (le32(p + 8) != run_id || le64(p + 16) != siphash24(key, p + 8, 8))
			continue;
		count++;
		if (found)
			found(ctx, at, le32(p + 12));
	}
	return count;
}
