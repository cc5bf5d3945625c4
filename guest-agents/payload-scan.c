// SPDX-License-Identifier: GPL-2.0-only
#define _GNU_SOURCE		/* memmem */
#include "payload-scan.h"
#include <errno.h>
#include <stdbool.h>
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

struct stream_scan {
	uint64_t base;		/* stream position of buf[0] */
	size_t owned;		/* payloads starting at or after this are left to the next scan */
	void (*found)(void *ctx, uint64_t pos, uint32_t seq);
	void *ctx;
	uint64_t count;
};

static void stream_found(void *ctx, size_t offset, uint32_t seq)
{
	struct stream_scan *s = ctx;

	if (offset >= s->owned)
		return;
	s->count++;
	if (s->found)
		s->found(s->ctx, s->base + offset, seq);
}

int payload_scan_stream(uint64_t start, uint64_t len, uint8_t *buf, size_t chunk,
			payload_read_fn read, void *read_ctx,
			const uint8_t key[16], uint32_t run_id,
			void (*found)(void *ctx, uint64_t pos, uint32_t seq), void *found_ctx,
			uint64_t *count)
{
	struct stream_scan s = { .found = found, .ctx = found_ctx };
	uint64_t pos = start, end = start + len;
	size_t carry = 0;
	int err = 0;

	if (chunk < PAYLOAD_OVERLAP)
		err = EINVAL;
	while (!err && pos < end) {
		size_t n = end - pos < chunk ? end - pos : chunk;
		bool last = pos + n == end;
		size_t have = carry + n;

		err = read(read_ctx, buf + carry, pos, n);
		if (err)
			break;
		/* Not the last chunk: n == chunk, so have >= PAYLOAD_OVERLAP. */
		s.base = pos - carry;
		s.owned = last ? have : have - PAYLOAD_OVERLAP;
		payload_scan(buf, have, key, run_id, stream_found, &s);
		if (!last) {
			memmove(buf, buf + have - PAYLOAD_OVERLAP, PAYLOAD_OVERLAP);
			carry = PAYLOAD_OVERLAP;
		}
		pos += n;
	}
	*count = s.count;
	return err;
}
