// SPDX-License-Identifier: GPL-2.0-only
#include "canary.h"
#include <string.h>

_Static_assert(CANARY_MAGIC_LEN + 8 == CANARY_BLOCK_LEN, "canary block layout");

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void canary_fill(uint8_t *buf, size_t len, uint32_t run_id)
{
	for (size_t off = 0; off + CANARY_BLOCK_LEN <= len; off += CANARY_BLOCK_LEN) {
		memcpy(buf + off, CANARY_MAGIC, CANARY_MAGIC_LEN);
		put_le32(buf + off + CANARY_MAGIC_LEN, run_id);
		put_le32(buf + off + CANARY_MAGIC_LEN + 4, (uint32_t)(off / CANARY_BLOCK_LEN));
	}
}
