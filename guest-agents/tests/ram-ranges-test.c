// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of ram-ranges.c on /proc/iomem texts. */
#include <errno.h>
#include <string.h>
#include "ram-ranges.h"
#include "tap.h"

#define MAX 4

static struct ram_range r[MAX + 1];

/* out[MAX] is a sentinel: the parser must never store past max. */
static int parse(const char *text, unsigned int max)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int n;

	memset(r, 0xa5, sizeof(r));
	ASSERT_EQ(1, f != NULL);
	n = ram_ranges(f, r, max);
	fclose(f);
	return n;
}

static void expect_range(unsigned int i, uint64_t start, uint64_t bytes)
{
	EXPECT_EQ(start, r[i].start);
	EXPECT_EQ(bytes, r[i].bytes);
}

/* An arm64 virt guest's, with 2 GiB of RAM. */
TEST(virt_guest)
{
	static const char iomem[] =
		"00000000-03ffffff : 0.flash flash@0\n"
		"04000000-07ffffff : 0.flash flash@0\n"
		"08000000-0800ffff : GICD\n"
		"080a0000-08ffffff : GICR\n"
		"09000000-09000fff : pl011@9000000\n"
		"  09000000-09000fff : 9000000.pl011 pl011@9000000\n"
		"0a003e00-0a003fff : a003e00.virtio_mmio virtio_mmio@a003e00\n"
		"40000000-bfffffff : System RAM\n"
		"  40210000-41b5ffff : Kernel code\n"
		"  41b60000-4220ffff : reserved\n"
		"  42210000-4276ffff : Kernel data\n"
		"  48000000-483fffff : reserved\n"
		"4010000000-401fffffff : PCI ECAM\n"
		"8000000000-ffffffffff : PCI Bus 0000:00\n";

	ASSERT_EQ(1, parse(iomem, MAX));
	expect_range(0, 0x40000000, 0x80000000);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, r[1].start);
}

TEST(adjacent_entries_merge)
{
	static const char iomem[] =
		"40000000-4fffffff : System RAM\n"
		"50000000-5fffffff : System RAM\n"
		"  50000000-5000ffff : reserved\n"
		"60000000-6fffffff : reserved\n"
		"70000000-7fffffff : System RAM\n"
		"80000000-8fffffff : System RAM\n"
		"100000000-17fffffff : System RAM\n";

	ASSERT_EQ(3, parse(iomem, MAX));
	expect_range(0, 0x40000000, 0x20000000);
	expect_range(1, 0x70000000, 0x20000000);
	expect_range(2, 0x100000000, 0x80000000);
}

/* A child is part of its parent's range, even one named System RAM. */
TEST(nested_system_ram_not_counted_twice)
{
	static const char iomem[] =
		"40000000-bfffffff : System RAM\n"
		"  40000000-4fffffff : System RAM\n"
		"  c0000000-cfffffff : System RAM\n"
		"\td0000000-dfffffff : System RAM\n";

	ASSERT_EQ(1, parse(iomem, MAX));
	expect_range(0, 0x40000000, 0x80000000);
}

TEST(other_names_and_malformed_lines_skipped)
{
	static const char iomem[] =
		"garbage\n"
		"\n"
		"40000000 : System RAM\n"
		"40000000-4fffffff System RAM\n"
		"-4fffffff : System RAM\n"
		"40000000-4fffffff : System RAM (boot alias)\n"
		"40000000-4fffffff : system ram\n"
		"50000000-5fffffff : System RAM\n";

	ASSERT_EQ(1, parse(iomem, MAX));
	expect_range(0, 0x50000000, 0x10000000);
}

TEST(max_ranges)
{
	static const char iomem[] =
		"10000000-1fffffff : System RAM\n"
		"30000000-3fffffff : System RAM\n"
		"40000000-4fffffff : System RAM\n"
		"60000000-6fffffff : System RAM\n";

	EXPECT_EQ(2, parse(iomem + strlen("10000000-1fffffff : System RAM\n") * 2, 2));
	expect_range(0, 0x40000000, 0x10000000);
	expect_range(1, 0x60000000, 0x10000000);
	EXPECT_EQ(-E2BIG, parse(iomem, 2));
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, r[2].start);
	/* A merged entry takes no more room. */
	EXPECT_EQ(1, parse("10000000-1fffffff : System RAM\n20000000-2fffffff : System RAM\n", 1));
	expect_range(0, 0x10000000, 0x20000000);
}

TEST(no_ram)
{
	EXPECT_EQ(-ENOENT, parse("", MAX));
	EXPECT_EQ(-ENOENT, parse("09000000-09000fff : pl011@9000000\n", MAX));
	EXPECT_EQ(-ENOENT, parse("garbage", MAX));
}

/* As a process without CAP_SYS_ADMIN reads it. */
TEST(hidden_addresses)
{
	static const char iomem[] =
		"00000000-00000000 : 0.flash flash@0\n"
		"00000000-00000000 : System RAM\n"
		"  00000000-00000000 : Kernel code\n";

	EXPECT_EQ(-EPERM, parse(iomem, MAX));
}

TEST(entry_ending_before_its_start)
{
	EXPECT_EQ(-EINVAL, parse("40000000-4fffffff : System RAM\n50000000-4fffffff : System RAM\n", MAX));
}

TEST_HARNESS_MAIN
