// SPDX-License-Identifier: GPL-2.0-only
#include "payload-build.h"
#include <string.h>
#include "siphash.h"

static const uint8_t source_mac[6] = FRAME_SOURCE_MAC;

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

void payload_build(uint8_t out[PAYLOAD_LEN], const uint8_t key[16], uint32_t run_id, uint32_t seq)
{
	memcpy(out, PAYLOAD_MAGIC, PAYLOAD_MAGIC_LEN);
	put_le32(out + 8, run_id);
	put_le32(out + 12, seq);
	put_le64(out + 16, siphash24(key, out + 8, 8));
	for (uint32_t off = 24, i = 0; off < PAYLOAD_LEN; off += 8, i++) {
		uint8_t m[12];

		put_le32(m, run_id);
		put_le32(m + 4, seq);
		put_le32(m + 8, i);
		put_le64(out + off, siphash24(key, m, sizeof(m)));
	}
}

void frame_build(uint8_t out[FRAME_LEN], const uint8_t key[16], uint32_t run_id, uint32_t seq)
{
	memset(out, 0xff, 6);
	memcpy(out + 6, source_mac, 6);
	out[12] = FRAME_ETHERTYPE >> 8;
	out[13] = FRAME_ETHERTYPE & 0xff;
	payload_build(out + 14, key, run_id, seq);
}
