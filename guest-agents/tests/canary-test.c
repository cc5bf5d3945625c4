// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of canary.c: the blocks the harness's findCanary reads. */
#include <string.h>
#include "canary.h"
#include "tap.h"

TEST(blocks_carry_magic_run_id_and_index)
{
	static const uint8_t want[CANARY_BLOCK_LEN] = { 'v', 'f', 'i', 'o', 'C', 'N', 'R', 'Y',
							0x78, 0x56, 0x34, 0x12, 0x02, 0x00, 0x00, 0x00 };
	uint8_t buf[4 * CANARY_BLOCK_LEN];

	canary_fill(buf, sizeof(buf), 0x12345678);
	EXPECT_EQ(0, memcmp(buf + 2 * CANARY_BLOCK_LEN, want, sizeof(want)));
	EXPECT_EQ(3, buf[3 * CANARY_BLOCK_LEN + 12]);
}

TEST_HARNESS_MAIN
