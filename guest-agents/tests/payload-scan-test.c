// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side unit test of payload-scan.c: payloads built here, in the layout
 * of harness/traffic/payload.ts, found at any offset, and near misses not
 * found.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "payload-build.h"
#include "payload-scan.h"
#include "siphash.h"
#include "tap.h"

/*
 * One payload as harness/traffic/payload.ts builds it, from
 *   npx tsx -e "import {payloadKey,buildPayload} from './harness/traffic/payload.ts';
 *     const k=payloadKey('cross-check');
 *     console.log(k.key.toString('hex'), k.runId, buildPayload(k, 7).toString('hex'))"
 */
#define TS_KEY "b492ed2b11858253374b1e09074cb8ea"
#define TS_RUN_ID 4265458819u
#define TS_SEQ 7
#define TS_PAYLOAD \
	"7666696f5253543183bc3dfe07000000bb1ff93e66f778d3fffb72de3bab436f" \
	"17ebe137d55b88347f393b72958ff74ea36afe0b89dd843e1d4733b417310fae" \
	"5f84fb4d368fb2388860a64edf52421ea5dc51ae275bdb52101ca19010efca69" \
	"d400713862d93977e67657b247087ab3c41b2cbe7c4f6b50743edc64a086e828"

#define MAX_FOUND 64

static const uint8_t key[16] = {
	0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};
static const uint32_t run_id = 0x5eed1234;

static struct {
	unsigned int n;
	uint64_t offset[MAX_FOUND];
	uint32_t seq[MAX_FOUND];
} found;

static void hex_bytes(uint8_t *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = b;
	}
}

/* Bytes that hold no payload but are not all alike, as memory is. */
static void noise(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = seed >> 16;
	}
}

/* Copies the part of a payload at offset that fits in len bytes. */
static void place(uint8_t *buf, size_t len, size_t offset, uint32_t seq)
{
	uint8_t p[PAYLOAD_LEN];

	payload_build(p, key, run_id, seq);
	memcpy(buf + offset, p, len - offset < PAYLOAD_LEN ? len - offset : PAYLOAD_LEN);
}

static void on_found(void *ctx, size_t offset, uint32_t seq)
{
	(void)ctx;
	if (found.n < MAX_FOUND) {
		found.offset[found.n] = offset;
		found.seq[found.n] = seq;
	}
	found.n++;
}

static size_t scan(const uint8_t *buf, size_t len)
{
	found.n = 0;
	return payload_scan(buf, len, key, run_id, on_found, NULL);
}

/*
 * len bytes that end where an unreadable page starts, so that a scan reading
 * past the end of its buffer crashes the test instead of passing by chance.
 */
static uint8_t *guarded(size_t len)
{
	static uint8_t *map;
	long page = sysconf(_SC_PAGESIZE);

	if (!map) {
		map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED || mprotect(map + page, page, PROT_NONE))
			return NULL;
	}
	return len <= (size_t)page ? map + page - len : NULL;
}

TEST(ts_cross_check)
{
	uint8_t ts_key[16], ts[PAYLOAD_LEN], c[PAYLOAD_LEN], buf[PAYLOAD_LEN + 3];

	hex_bytes(ts_key, TS_KEY, sizeof(ts_key));
	hex_bytes(ts, TS_PAYLOAD, sizeof(ts));
	payload_build(c, ts_key, TS_RUN_ID, TS_SEQ);
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		if (!EXPECT_EQ(ts[i], c[i]))
			printf("# at byte %zu\n", i);
	/* The TypeScript bytes themselves, at an odd offset. */
	noise(buf, sizeof(buf), 1);
	memcpy(buf + 3, ts, sizeof(ts));
	found.n = 0;
	EXPECT_EQ(1, payload_scan(buf, sizeof(buf), ts_key, TS_RUN_ID, on_found, NULL));
	ASSERT_EQ(1, found.n);
	EXPECT_EQ(3, found.offset[0]);
	EXPECT_EQ(TS_SEQ, found.seq[0]);
}

TEST(several_at_odd_offsets)
{
	static const size_t at[] = { 1, 333, 1001, 1001 + PAYLOAD_LEN, 3999 };
	static const uint32_t seq[] = { 0, 5, 0xfffffffe, 6, 77 };
	uint8_t buf[4096];

	noise(buf, sizeof(buf), 2);
	for (unsigned int i = 0; i < 5; i++)
		place(buf, sizeof(buf), at[i], seq[i]);
	EXPECT_EQ(5, scan(buf, sizeof(buf)));
	ASSERT_EQ(5, found.n);
	for (unsigned int i = 0; i < 5; i++) {
		EXPECT_EQ(at[i], found.offset[i]);
		EXPECT_EQ(seq[i], found.seq[i]);
	}
}

TEST(no_callback_still_counts)
{
	uint8_t buf[512];

	noise(buf, sizeof(buf), 3);
	place(buf, sizeof(buf), 17, 1);
	place(buf, sizeof(buf), 301, 2);
	EXPECT_EQ(2, payload_scan(buf, sizeof(buf), key, run_id, NULL, NULL));
}

/* A frame cut after the check value is recognised; one cut before it is not, and nothing past the end is read. */
TEST(cut_at_end_of_buffer)
{
	uint8_t *buf;

	for (size_t keep = 0; keep <= PAYLOAD_LEN; keep++) {
		size_t len = 100 + keep;

		buf = guarded(len);
		ASSERT_EQ(1, buf != NULL);
		noise(buf, len, 4);
		place(buf, len, 100, 9);
		EXPECT_EQ(keep >= PAYLOAD_RECOGNISED_LEN, scan(buf, len));
		if (keep >= PAYLOAD_RECOGNISED_LEN && found.n == 1) {
			EXPECT_EQ(100, found.offset[0]);
			EXPECT_EQ(9, found.seq[0]);
		}
	}
}

TEST(near_misses_not_reported)
{
	uint8_t buf[2048], p[PAYLOAD_LEN];
	uint8_t other_key[16];

	noise(buf, sizeof(buf), 5);
	/* A bare magic. */
	memcpy(buf + 10, PAYLOAD_MAGIC, PAYLOAD_MAGIC_LEN);
	/* Another run's payload under the same key. */
	payload_build(p, key, run_id + 1, 1);
	memcpy(buf + 201, p, sizeof(p));
	/* A payload whose check was altered. */
	payload_build(p, key, run_id, 2);
	p[16 + 5] ^= 0x10;
	memcpy(buf + 403, p, sizeof(p));
	/* A payload whose seq was altered, so that its check no longer matches. */
	payload_build(p, key, run_id, 3);
	p[12] ^= 1;
	memcpy(buf + 605, p, sizeof(p));
	/* This run's id under another key. */
	memcpy(other_key, key, sizeof(key));
	other_key[15] ^= 0x80;
	payload_build(p, other_key, run_id, 4);
	memcpy(buf + 807, p, sizeof(p));
	/* A magic whose payload is cut before the check. */
	payload_build(p, key, run_id, 5);
	memcpy(buf + 1009, p, 20);
	/* The scan goes on after all of them: a real one at the end is found. */
	place(buf, sizeof(buf), 1500, 6);
	EXPECT_EQ(1, scan(buf, sizeof(buf)));
	ASSERT_EQ(1, found.n);
	EXPECT_EQ(1500, found.offset[0]);
	EXPECT_EQ(6, found.seq[0]);
}

/* A magic right before a real payload's magic: the real one is not skipped. */
TEST(magic_then_payload)
{
	uint8_t buf[256];

	noise(buf, sizeof(buf), 6);
	memcpy(buf + 3, PAYLOAD_MAGIC, PAYLOAD_MAGIC_LEN);
	place(buf, sizeof(buf), 3 + PAYLOAD_MAGIC_LEN, 8);
	EXPECT_EQ(1, scan(buf, sizeof(buf)));
	EXPECT_EQ(3 + PAYLOAD_MAGIC_LEN, found.offset[0]);
}

TEST(empty_and_short_buffers)
{
	uint8_t *buf = guarded(PAYLOAD_RECOGNISED_LEN - 1);

	ASSERT_EQ(1, buf != NULL);
	EXPECT_EQ(0, scan(buf, 0));
	memcpy(buf, PAYLOAD_MAGIC, PAYLOAD_MAGIC_LEN);
	EXPECT_EQ(0, scan(buf, PAYLOAD_RECOGNISED_LEN - 1));
}

TEST_HARNESS_MAIN
