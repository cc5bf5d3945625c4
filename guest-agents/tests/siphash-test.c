// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of siphash.c against the reference vectors of the SipHash paper's code. */
#include "siphash.h"
#include "tap.h"

static const uint8_t key[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

/* The reference message of length n: bytes 00, 01, ..., n-1. */
static uint64_t hash_of_counting_bytes(size_t n)
{
	uint8_t msg[64] = { 0 };

	for (size_t i = 0; i < n; i++)
		msg[i] = (uint8_t)i;
	return siphash24(key, msg, n);
}

TEST(empty_message)
{
	EXPECT_EQ(0x726fdb47dd0e0e31ull, hash_of_counting_bytes(0));
}

TEST(one_byte)
{
	EXPECT_EQ(0x74f839c593dc67fdull, hash_of_counting_bytes(1));
}

/* One whole word and a tail of seven bytes. */
TEST(fifteen_bytes)
{
	EXPECT_EQ(0xa129ca6149be45e5ull, hash_of_counting_bytes(15));
}

/* Whole words only: the tail is just the length. */
TEST(sixteen_bytes)
{
	EXPECT_EQ(0x3f2acc7f57c29bdbull, hash_of_counting_bytes(16));
}

/* The key is read as bytes, not as host words: a different key gives a different value. */
TEST(key_matters)
{
	uint8_t other[16] = { 0 };
	uint8_t msg[1] = { 0 };

	EXPECT_NE(siphash24(key, msg, 1), siphash24(other, msg, 1));
}

TEST_HARNESS_MAIN
