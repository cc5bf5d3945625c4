// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of changed-ranges.c on buffers written at chosen bytes. */
#include <string.h>
#include "changed-ranges.h"
#include "tap.h"

#define MAX 4

static uint8_t buf[1024];
static uint8_t zeros[sizeof(buf)];
static struct changed_range out[MAX + 1];

/* What out holds where the scan stored nothing. */
static size_t untouched(void)
{
	size_t v;

	memset(&v, 0xa5, sizeof(v));
	return v;
}

/* out[MAX] is a sentinel: the scan must never store past max. */
static struct changed_scan scan(size_t len)
{
	memset(out, 0xa5, sizeof(out));
	return changed_ranges(buf, zeros, len, out, MAX);
}

static void expect_range(unsigned int i, size_t offset, size_t len)
{
	EXPECT_EQ(offset, out[i].offset);
	EXPECT_EQ(len, out[i].len);
}

TEST(all_zero_has_no_range)
{
	struct changed_scan s;

	memset(buf, 0, sizeof(buf));
	s = scan(sizeof(buf));
	EXPECT_EQ(0, s.changed_bytes);
	EXPECT_EQ(0, s.nranges);
	EXPECT_EQ(untouched(), out[0].offset);
}

TEST(empty_buffer)
{
	struct changed_scan s;

	memset(buf, 0xff, sizeof(buf));
	s = scan(0);
	EXPECT_EQ(0, s.changed_bytes);
	EXPECT_EQ(0, s.nranges);
}

TEST(one_byte_marks_its_block)
{
	struct changed_scan s;

	memset(buf, 0, sizeof(buf));
	buf[17] = 1;
	s = scan(sizeof(buf));
	EXPECT_EQ(1, s.changed_bytes);
	ASSERT_EQ(1, s.nranges);
	expect_range(0, 16, 16);
}

TEST(adjacent_blocks_merge)
{
	struct changed_scan s;

	memset(buf, 0, sizeof(buf));
	buf[15] = 0x80;
	buf[16] = 0x01;
	buf[47] = 0xff;
	s = scan(sizeof(buf));
	EXPECT_EQ(3, s.changed_bytes);
	ASSERT_EQ(1, s.nranges);
	expect_range(0, 0, 48);
}

TEST(zero_block_splits)
{
	struct changed_scan s;

	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	buf[32] = 1;
	buf[33] = 1;
	s = scan(sizeof(buf));
	EXPECT_EQ(3, s.changed_bytes);
	ASSERT_EQ(2, s.nranges);
	expect_range(0, 0, 16);
	expect_range(1, 32, 16);
}

TEST(partial_last_block)
{
	struct changed_scan s;

	memset(buf, 0, sizeof(buf));
	buf[39] = 7;
	/* Beyond len: not part of the buffer scanned. */
	buf[40] = 7;
	s = scan(40);
	EXPECT_EQ(1, s.changed_bytes);
	ASSERT_EQ(1, s.nranges);
	expect_range(0, 32, 8);
}

TEST(whole_buffer_is_one_range)
{
	struct changed_scan s;

	memset(buf, 0x5a, sizeof(buf));
	s = scan(sizeof(buf));
	EXPECT_EQ(sizeof(buf), s.changed_bytes);
	ASSERT_EQ(1, s.nranges);
	expect_range(0, 0, sizeof(buf));
}

TEST(ranges_beyond_max_counted_not_stored)
{
	struct changed_scan s;

	memset(buf, 0, sizeof(buf));
	for (unsigned int i = 0; i < MAX + 2; i++)
		buf[i * 64 + 3] = 1;
	/* Makes the last range longer than one block, so a store past max would change its len. */
	buf[(MAX + 1) * 64 + 16] = 1;
	s = scan(sizeof(buf));
	EXPECT_EQ(MAX + 3, s.changed_bytes);
	EXPECT_EQ(MAX + 2, s.nranges);
	for (unsigned int i = 0; i < MAX; i++)
		expect_range(i, i * 64, 16);
	EXPECT_EQ(untouched(), out[MAX].offset);
	EXPECT_EQ(untouched(), out[MAX].len);
}

/* Against a buffer that started as a pattern: a write of zeros shows, the pattern left alone does not. */
TEST(against_a_pattern)
{
	static uint8_t was[sizeof(buf)];
	struct changed_scan s;

	for (size_t i = 0; i < sizeof(was); i++)
		was[i] = (uint8_t)(i * 7 + 1);
	memcpy(buf, was, sizeof(buf));
	memset(buf + 40, 0, 3);
	memset(out, 0xa5, sizeof(out));
	s = changed_ranges(buf, was, sizeof(buf), out, MAX);
	EXPECT_EQ(3, s.changed_bytes);
	EXPECT_EQ(1, s.nranges);
	expect_range(0, 32, 16);
}

TEST_HARNESS_MAIN
