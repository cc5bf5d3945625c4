// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of device-tree.c on trees built in a temporary directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agent-fail.h"
#include "device-tree.h"
#include "fake-dt.h"
#include "tap.h"

/*
 * A virt-like tree: a GIC with an ITS under it, a bus whose devices take
 * another interrupt controller as their parent unless they say otherwise,
 * and nodes whose compatible only looks like the one searched for.
 */
FIXTURE(tree) {
	char root[PATH_MAX];
};

FIXTURE_SETUP(tree)
{
	const char *r = self->root;

	fake_dt_create(self->root);
	fake_dt_prop(r, "", "compatible", DT_STRINGS("linux,dummy-virt"));
	fake_dt_cells(r, "", "#address-cells", 1, 2);
	fake_dt_cells(r, "", "interrupt-parent", 1, 0x8002);
	fake_dt_node(r, "/memory@40000000");
	fake_dt_prop(r, "/memory@40000000", "device_type", DT_STRINGS("memory"));
	fake_dt_cells(r, "/memory@40000000", "reg", 4, 0, 0x40000000, 0, 0x6000000);
	fake_dt_node(r, "/intc@8000000");
	fake_dt_prop(r, "/intc@8000000", "compatible", DT_STRINGS("arm,gic-v3"));
	fake_dt_cells(r, "/intc@8000000", "phandle", 1, 0x8002);
	fake_dt_cells(r, "/intc@8000000", "reg", 4, 0, 0x8000000, 0, 0x10000);
	fake_dt_node(r, "/intc@8000000/its@8080000");
	fake_dt_prop(r, "/intc@8000000/its@8080000", "compatible", DT_STRINGS("arm,gic-v3-its"));
	fake_dt_node(r, "/soc");
	fake_dt_prop(r, "/soc", "compatible", DT_STRINGS("simple-bus"));
	fake_dt_prop(r, "/soc", "ranges", "", 0);
	fake_dt_cells(r, "/soc", "interrupt-parent", 1, 0x8004);
	fake_dt_node(r, "/soc/pic@100");
	fake_dt_cells(r, "/soc/pic@100", "linux,phandle", 1, 0x8004);
	fake_dt_node(r, "/soc/xgmac@c000000");
	fake_dt_prop(r, "/soc/xgmac@c000000", "compatible", DT_STRINGS("calxeda,hb-xgmac"));
	fake_dt_node(r, "/soc/eth@1");
	fake_dt_prop(r, "/soc/eth@1", "compatible", DT_STRINGS("vendor,eth\0calxeda,hb-xgmac"));
	fake_dt_cells(r, "/soc/eth@1", "interrupt-parent", 1, 0x8002);
	fake_dt_node(r, "/lookalike");
	fake_dt_prop(r, "/lookalike", "compatible", DT_STRINGS("calxeda,hb-xgmac-v2\0xcalxeda,hb-xgmac"));
	fake_dt_node(r, "/unterminated");
	fake_dt_prop(r, "/unterminated", "compatible", "calxeda,hb-xgmac", strlen("calxeda,hb-xgmac"));
	fake_dt_prop(r, "/unterminated", "short", "\x12\x34", 2);
	fake_dt_prop(r, "/unterminated", "wide", "\0\0\0\1\0\0\0\2", 8);
}

FIXTURE_TEARDOWN(tree)
{
	fake_dt_destroy(self->root);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(a, b);
}

TEST(be32_and_cells)
{
	static const uint8_t p[] = { 0x12, 0x34, 0x56, 0x78, 0x80, 0x00, 0x00, 0x01 };

	EXPECT_EQ(0x12345678, dt_be32(p));
	EXPECT_EQ(0x80000001, dt_be32(p + 4));
	EXPECT_EQ(0x12345678, dt_read_cells(p, 1));
	EXPECT_EQ(0x1234567880000001ull, dt_read_cells(p, 2));
	EXPECT_EQ(0, dt_read_cells(p, 0));
}

TEST(string_lists)
{
	static const char list[] = "vendor,eth\0calxeda,hb-xgmac";

	EXPECT_EQ(true, dt_has_string(list, sizeof(list), "vendor,eth"));
	EXPECT_EQ(true, dt_has_string(list, sizeof(list), "calxeda,hb-xgmac"));
	/* Whole strings only: not a prefix, a suffix, or a string cut by len. */
	EXPECT_EQ(false, dt_has_string(list, sizeof(list), "vendor"));
	EXPECT_EQ(false, dt_has_string(list, sizeof(list), "hb-xgmac"));
	EXPECT_EQ(false, dt_has_string(list, sizeof(list), "calxeda,hb-xgmac-v2"));
	EXPECT_EQ(false, dt_has_string(list, sizeof(list) - 1, "calxeda,hb-xgmac"));
	EXPECT_EQ(false, dt_has_string(list, 0, "vendor,eth"));
}

TEST(node_names_and_parents)
{
	char node[] = "/soc/eth@1";

	EXPECT_STREQ("/", dt_node_name(""));
	EXPECT_STREQ("/soc", dt_node_name("/soc"));
	dt_parent(node);
	EXPECT_STREQ("/soc", node);
	dt_parent(node);
	EXPECT_STREQ("", node);
	dt_parent(node);
	EXPECT_STREQ("", node);
}

TEST_F(tree, finds_exact_compatible_anywhere)
{
	char nodes[4][PATH_MAX];

	ASSERT_EQ(2, dt_find_compatible(self->root, "calxeda,hb-xgmac", nodes, 4));
	/* In directory order, which is the file system's. */
	qsort(nodes, 2, sizeof(nodes[0]), by_path);
	EXPECT_STREQ("/soc/eth@1", nodes[0]);
	EXPECT_STREQ("/soc/xgmac@c000000", nodes[1]);
	ASSERT_EQ(1, dt_find_compatible(self->root, "arm,gic-v3", nodes, 4));
	EXPECT_STREQ("/intc@8000000", nodes[0]);
	ASSERT_EQ(1, dt_find_compatible(self->root, "linux,dummy-virt", nodes, 4));
	EXPECT_STREQ("", nodes[0]);
	EXPECT_EQ(0, dt_find_compatible(self->root, "calxeda", nodes, 4));
}

TEST_F(tree, counts_nodes_past_max)
{
	char nodes[2][PATH_MAX];

	memset(nodes, 0xa5, sizeof(nodes));
	EXPECT_EQ(2, dt_find_compatible(self->root, "calxeda,hb-xgmac", nodes, 1));
	EXPECT_EQ(1, !strcmp(nodes[0], "/soc/eth@1") || !strcmp(nodes[0], "/soc/xgmac@c000000"));
	EXPECT_EQ(0xa5, (uint8_t)nodes[1][0]);
	memset(nodes, 0xa5, sizeof(nodes));
	EXPECT_EQ(2, dt_find_compatible(self->root, "calxeda,hb-xgmac", nodes, 0));
	EXPECT_EQ(0xa5, (uint8_t)nodes[0][0]);
}

TEST_F(tree, reads_properties)
{
	char buf[64];

	EXPECT_EQ(sizeof("simple-bus"), dt_read_prop(self->root, "/soc", "compatible", buf, sizeof(buf)));
	EXPECT_STREQ("simple-bus", buf);
	EXPECT_EQ(0, dt_read_prop(self->root, "/soc", "ranges", buf, sizeof(buf)));
	EXPECT_EQ(-1, dt_read_prop(self->root, "/soc", "reg", buf, sizeof(buf)));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, dt_read_prop(self->root, "/nowhere", "reg", buf, sizeof(buf)));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(tree, reads_u32)
{
	EXPECT_EQ(0x8002, dt_read_u32(self->root, "/intc@8000000", "phandle", 7));
	EXPECT_EQ(2, dt_read_u32(self->root, "", "#address-cells", 7));
	EXPECT_EQ(7, dt_read_u32(self->root, "", "#size-cells", 7));
}

static char *fail_root;

static void read_short(void *name)
{
	dt_read_u32(fail_root, "/unterminated", name, 0);
}

static void read_reg_into_8(void *ctx)
{
	uint8_t reg[8];

	(void)ctx;
	dt_read_prop(fail_root, "/intc@8000000", "reg", reg, sizeof(reg));
}

static void find_in(void *root)
{
	char nodes[1][PATH_MAX];

	dt_find_compatible(root, "arm,gic-v3", nodes, 1);
}

TEST_F(tree, bad_properties_fail)
{
	char gone[PATH_MAX + 8];

	fail_root = self->root;
	EXPECT_AGENT_FAIL(read_short, "short", "device_tree_property", EINVAL);
	/* Eight bytes fill the buffer of a u32: the property may be longer still. */
	EXPECT_AGENT_FAIL(read_short, "wide", "device_tree_property", EOVERFLOW);
	EXPECT_AGENT_FAIL(read_reg_into_8, NULL, "device_tree_property", EOVERFLOW);
	snprintf(gone, sizeof(gone), "%s/gone", self->root);
	EXPECT_AGENT_FAIL(find_in, gone, "device_tree", ENOENT);
}

static void read_memory(void *root)
{
	uint64_t base, size;

	dt_memory(root, &base, &size);
}

TEST_F(tree, memory_from_the_memory_node)
{
	uint64_t base = 0, size = 0;

	fake_dt_cells(self->root, "", "#size-cells", 1, 2);
	EXPECT_EQ(1, dt_memory(self->root, &base, &size));
	EXPECT_EQ(0x40000000, base);
	EXPECT_EQ(0x6000000, size);
	/* With one size cell, these 16 bytes of reg are no whole number of ranges. */
	fake_dt_cells(self->root, "", "#size-cells", 1, 1);
	EXPECT_AGENT_FAIL(read_memory, self->root, "device_tree_property", EINVAL);
}

TEST_F(tree, memory_fails_on_a_second_node_and_counts_none_without_one)
{
	uint64_t base = 0, size = 0;
	char bare[PATH_MAX];

	fake_dt_node(self->root, "/memory@80000000");
	fake_dt_prop(self->root, "/memory@80000000", "device_type", DT_STRINGS("memory"));
	EXPECT_AGENT_FAIL(read_memory, self->root, "device_tree_memory", E2BIG);
	fake_dt_create(bare);
	EXPECT_EQ(0, dt_memory(bare, &base, &size));
	fake_dt_destroy(bare);
}

TEST_F(tree, interrupt_parents_are_inherited)
{
	EXPECT_EQ(0x8004, dt_interrupt_parent(self->root, "/soc/xgmac@c000000"));
	EXPECT_EQ(0x8002, dt_interrupt_parent(self->root, "/soc/eth@1"));
	EXPECT_EQ(0x8004, dt_interrupt_parent(self->root, "/soc"));
	EXPECT_EQ(0x8002, dt_interrupt_parent(self->root, "/intc@8000000/its@8080000"));
	EXPECT_EQ(0x8002, dt_interrupt_parent(self->root, ""));
}

TEST_F(tree, no_interrupt_parent_up_to_the_root)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/interrupt-parent", self->root);
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(0, dt_interrupt_parent(self->root, "/intc@8000000/its@8080000"));
	EXPECT_EQ(0x8004, dt_interrupt_parent(self->root, "/soc/pic@100"));
}

TEST_F(tree, phandles_old_and_new)
{
	EXPECT_EQ(0x8002, dt_phandle(self->root, "/intc@8000000"));
	EXPECT_EQ(0x8004, dt_phandle(self->root, "/soc/pic@100"));
	EXPECT_EQ(0, dt_phandle(self->root, "/soc"));
}

static const char *reg_root;

static void read_reg(void *node)
{
	uint64_t base, size;

	dt_reg(reg_root, node, &base, &size);
}

/* Under the root: its cells, or 2 and 1 without them. */
TEST_F(tree, reg_of_a_root_child)
{
	char path[PATH_MAX + 32];
	uint64_t base, size;

	fake_dt_cells(self->root, "", "#size-cells", 1, 2);
	dt_reg(self->root, "/intc@8000000", &base, &size);
	EXPECT_EQ(0x8000000, base);
	EXPECT_EQ(0x10000, size);
	snprintf(path, sizeof(path), "%s/#address-cells", self->root);
	ASSERT_EQ(0, unlink(path));
	snprintf(path, sizeof(path), "%s/#size-cells", self->root);
	ASSERT_EQ(0, unlink(path));
	fake_dt_cells(self->root, "/intc@8000000", "reg", 3, 1, 0x8000000, 0x10000);
	dt_reg(self->root, "/intc@8000000", &base, &size);
	EXPECT_EQ(0x108000000, base);
	EXPECT_EQ(0x10000, size);
}

/* As QEMU's virt puts a passed-through device on its platform bus: an offset, mapped by the bus's ranges. */
TEST_F(tree, reg_through_a_bus_ranges)
{
	char path[PATH_MAX + 32];
	uint64_t base, size;

	reg_root = self->root;
	fake_dt_node(self->root, "/platform-bus@c000000");
	fake_dt_cells(self->root, "/platform-bus@c000000", "#address-cells", 1, 1);
	fake_dt_cells(self->root, "/platform-bus@c000000", "#size-cells", 1, 1);
	fake_dt_cells(self->root, "/platform-bus@c000000", "ranges", 4, 0, 0, 0xc000000, 0x2000000);
	fake_dt_node(self->root, "/platform-bus@c000000/xgmac@1000");
	fake_dt_cells(self->root, "/platform-bus@c000000/xgmac@1000", "reg", 2, 0x1000, 0x1000);
	dt_reg(self->root, "/platform-bus@c000000/xgmac@1000", &base, &size);
	EXPECT_EQ(0xc001000, base);
	EXPECT_EQ(0x1000, size);
	fake_dt_cells(self->root, "/platform-bus@c000000/xgmac@1000", "reg", 2, 0x3000000, 0x1000);
	EXPECT_AGENT_FAIL(read_reg, "/platform-bus@c000000/xgmac@1000", "dt_reg_translation", ERANGE);
	/* An empty ranges maps one to one; none at all maps nothing. */
	fake_dt_prop(self->root, "/platform-bus@c000000", "ranges", "", 0);
	dt_reg(self->root, "/platform-bus@c000000/xgmac@1000", &base, &size);
	EXPECT_EQ(0x3000000, base);
	snprintf(path, sizeof(path), "%s/platform-bus@c000000/ranges", self->root);
	ASSERT_EQ(0, unlink(path));
	EXPECT_AGENT_FAIL(read_reg, "/platform-bus@c000000/xgmac@1000", "dt_reg_translation", ENOTSUP);
}

TEST_F(tree, bad_reg_fails)
{
	reg_root = self->root;
	fake_dt_cells(self->root, "/intc@8000000", "reg", 2, 0, 0x8000000);
	EXPECT_AGENT_FAIL(read_reg, "/intc@8000000", "dt_reg", EINVAL);
	EXPECT_AGENT_FAIL(read_reg, "/nothing", "dt_reg", ENOENT);
	fake_dt_cells(self->root, "", "#address-cells", 1, 3);
	EXPECT_AGENT_FAIL(read_reg, "/intc@8000000", "dt_reg_cells", ENOTSUP);
}

TEST_HARNESS_MAIN
