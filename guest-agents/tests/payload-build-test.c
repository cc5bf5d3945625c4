// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side unit test of payload-build.c's frames: the Ethernet header of
 * harness/traffic/payload.ts's buildFrame, then a payload the scanner finds
 * at the header's end (the payload's own bytes are checked against the
 * TypeScript ones in payload-scan-test).
 */
#include <string.h>
#include "payload-build.h"
#include "tap.h"

static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static uint32_t seen_seq;
static size_t seen_offset;

static void on_found(void *ctx, size_t offset, uint32_t seq)
{
	(void)ctx;
	seen_offset = offset;
	seen_seq = seq;
}

TEST(header_as_the_harness_sends_it)
{
	/* buildFrame: broadcast, SOURCE_MAC 52:54:00:76:66:72, EtherType 0x88b5. */
	static const uint8_t header[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54,
					    0x00, 0x76, 0x66, 0x72, 0x88, 0xb5 };
	uint8_t frame[FRAME_LEN];

	frame_build(frame, key, 77, 5);
	EXPECT_EQ(0, memcmp(header, frame, sizeof(header)));
}

TEST(payload_follows_the_header)
{
	uint8_t frame[FRAME_LEN], payload[PAYLOAD_LEN];

	frame_build(frame, key, 77, 5);
	payload_build(payload, key, 77, 5);
	EXPECT_EQ(0, memcmp(payload, frame + 14, PAYLOAD_LEN));
	ASSERT_EQ(1, payload_scan(frame, sizeof(frame), key, 77, on_found, NULL));
	EXPECT_EQ(14, seen_offset);
	EXPECT_EQ(5, seen_seq);
}

TEST(another_run_is_not_recognised)
{
	uint8_t frame[FRAME_LEN];

	frame_build(frame, key, 77, 5);
	EXPECT_EQ(0, payload_scan(frame, sizeof(frame), key, 78, NULL, NULL));
}

TEST_HARNESS_MAIN
