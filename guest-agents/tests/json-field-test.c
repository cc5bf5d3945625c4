// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of json-field.c on lines as the agents print them (agent-lib.c's json_line). */
#include "json-field.h"
#include "tap.h"

static const char registers[] = "{\"event\":\"registers\",\"control\":\"0x0000000c\",\"dma_control\":\"0x00002002\","
				"\"dma_intr_ena\":\"0x00000000\",\"t_boot_ms\":1234.567}";

TEST(event_names_match_whole)
{
	EXPECT_EQ(true, json_event_is(registers, "registers"));
	EXPECT_EQ(false, json_event_is(registers, "register"));
	EXPECT_EQ(false, json_event_is(registers, "registersx"));
	EXPECT_EQ(false, json_event_is("{\"from\":\"user1\",\"event\":\"registers\"}", "registers"));
}

TEST(hex_strings_and_numbers)
{
	double v = -1;

	ASSERT_EQ(true, json_number(registers, "control", &v));
	EXPECT_EQ(12, (int)v);
	ASSERT_EQ(true, json_number(registers, "dma_control", &v));
	EXPECT_EQ(0x2002, (int)v);
	ASSERT_EQ(true, json_number(registers, "t_boot_ms", &v));
	EXPECT_EQ(1234567, (int)(v * 1000 + 0.5));
	ASSERT_EQ(true, json_number("{\"event\":\"memory\",\"changed_bytes\":0}", "changed_bytes", &v));
	EXPECT_EQ(0, (int)v);
}

TEST(missing_or_malformed_members_are_not_numbers)
{
	double v;

	EXPECT_EQ(false, json_number(registers, "dma_status", &v));
	EXPECT_EQ(false, json_number("{\"event\":\"x\",\"n\":\"twelve\"}", "n", &v));
	EXPECT_EQ(false, json_number("{\"event\":\"x\",\"n\":12abc}", "n", &v));
	EXPECT_EQ(false, json_number("{\"event\":\"x\",\"n\":\"0x\"}", "n", &v));
	EXPECT_EQ(false, json_number("{\"event\":\"x\",\"n\":}", "n", &v));
}

TEST_HARNESS_MAIN
