// SPDX-License-Identifier: GPL-2.0-only
/* Host-side unit test of what gic.c reads of the device tree: the SPIs of a device, the distributor's address. */
#include <arpa/inet.h>
#include <errno.h>
#include "agent-fail.h"
#include "fake-dt.h"
#include "gic.h"
#include "tap.h"

#define GIC "/intc@8000000"

FIXTURE(tree) {
	char root[PATH_MAX];
};

FIXTURE_SETUP(tree)
{
	const char *r = self->root;

	fake_dt_create(self->root);
	fake_dt_cells(r, "", "#address-cells", 1, 2);
	fake_dt_cells(r, "", "#size-cells", 1, 2);
	fake_dt_cells(r, "", "interrupt-parent", 1, 0x8002);
	fake_dt_node(r, GIC);
	fake_dt_prop(r, GIC, "compatible", DT_STRINGS(GIC_COMPATIBLE));
	fake_dt_cells(r, GIC, "phandle", 1, 0x8002);
	fake_dt_cells(r, GIC, "#interrupt-cells", 1, 3);
	fake_dt_cells(r, GIC, "reg", 8, 0, 0x8000000, 0, 0x10000, 0, 0x80a0000, 0, 0xf60000);
	fake_dt_node(r, "/xgmac");
	/* A PPI between its two SPIs. */
	fake_dt_cells(r, "/xgmac", "interrupts", 9, 0, 16, 4, 1, 9, 4, 0, 17, 4);
}

FIXTURE_TEARDOWN(tree)
{
	fake_dt_destroy(self->root);
}

/* For the code run by EXPECT_AGENT_FAIL. */
static const char *root;

static void read_spis(void *node)
{
	struct gic_spis spis = { .n = 0 };

	gic_read_spis(root, GIC, node, &spis);
}

static void read_distributor(void *gic)
{
	uint64_t base, size;

	gic_distributor(root, gic, &base, &size);
}

TEST_F(tree, spis_appended)
{
	struct gic_spis spis = { .spi = { 5 }, .n = 1 };

	gic_read_spis(self->root, GIC, "/xgmac", &spis);
	ASSERT_EQ(3, spis.n);
	EXPECT_EQ(5, spis.spi[0]);
	EXPECT_EQ(16, spis.spi[1]);
	EXPECT_EQ(17, spis.spi[2]);
}

TEST_F(tree, four_cell_specifiers)
{
	struct gic_spis spis = { .n = 0 };

	fake_dt_cells(self->root, GIC, "#interrupt-cells", 1, 4);
	fake_dt_cells(self->root, "/xgmac", "interrupts", 8, 0, 40, 4, 0, 0, 41, 4, 0);
	gic_read_spis(self->root, GIC, "/xgmac", &spis);
	ASSERT_EQ(2, spis.n);
	EXPECT_EQ(40, spis.spi[0]);
	EXPECT_EQ(41, spis.spi[1]);
}

/* INTIDs 1020 and up are special: SPI 987 is the last. */
TEST_F(tree, spi_range)
{
	struct gic_spis spis = { .n = 0 };

	root = self->root;
	fake_dt_cells(self->root, "/xgmac", "interrupts", 3, 0, 987, 4);
	gic_read_spis(self->root, GIC, "/xgmac", &spis);
	ASSERT_EQ(1, spis.n);
	EXPECT_EQ(987, spis.spi[0]);
	fake_dt_cells(self->root, "/xgmac", "interrupts", 3, 0, 988, 4);
	EXPECT_AGENT_FAIL(read_spis, "/xgmac", "device_interrupts", ERANGE);
}

TEST_F(tree, too_many_spis)
{
	uint32_t cells[3 * (GIC_MAX_SPIS + 1)];
	struct gic_spis spis = { .n = 0 };

	root = self->root;
	for (unsigned int i = 0; i < GIC_MAX_SPIS + 1; i++) {
		cells[3 * i] = 0;
		cells[3 * i + 1] = htonl(100 + i);
		cells[3 * i + 2] = htonl(4);
	}
	fake_dt_prop(self->root, "/xgmac", "interrupts", cells, sizeof(cells) - 12);
	gic_read_spis(self->root, GIC, "/xgmac", &spis);
	ASSERT_EQ(GIC_MAX_SPIS, spis.n);
	EXPECT_EQ(100 + GIC_MAX_SPIS - 1, spis.spi[GIC_MAX_SPIS - 1]);
	fake_dt_prop(self->root, "/xgmac", "interrupts", cells, sizeof(cells));
	EXPECT_AGENT_FAIL(read_spis, "/xgmac", "device_interrupts", E2BIG);
}

TEST_F(tree, bad_interrupts_fail)
{
	root = self->root;
	EXPECT_AGENT_FAIL(read_spis, GIC, "device_interrupts", ENOENT);
	fake_dt_cells(self->root, "/xgmac", "interrupts", 2, 0, 16);
	EXPECT_AGENT_FAIL(read_spis, "/xgmac", "device_interrupts", EINVAL);
	fake_dt_cells(self->root, GIC, "#interrupt-cells", 1, 2);
	EXPECT_AGENT_FAIL(read_spis, "/xgmac", "gic_interrupt_cells", ENOTSUP);
}

TEST_F(tree, other_interrupt_parent_fails)
{
	char path[PATH_MAX + 32];

	root = self->root;
	fake_dt_cells(self->root, "/xgmac", "interrupt-parent", 1, 0x9);
	EXPECT_AGENT_FAIL(read_spis, "/xgmac", "device_interrupt_parent", ENOTSUP);
	fake_dt_cells(self->root, "/xgmac", "interrupt-parent", 1, 0x8002);
	snprintf(path, sizeof(path), "%s" GIC "/phandle", self->root);
	ASSERT_EQ(0, unlink(path));
	EXPECT_AGENT_FAIL(read_spis, "/xgmac", "device_interrupt_parent", ENOTSUP);
}

TEST_F(tree, distributor_is_the_first_reg)
{
	uint64_t base, size;

	gic_distributor(self->root, GIC, &base, &size);
	EXPECT_EQ(0x8000000, base);
	EXPECT_EQ(0x10000, size);
	fake_dt_cells(self->root, "", "#address-cells", 1, 1);
	fake_dt_cells(self->root, "", "#size-cells", 1, 1);
	fake_dt_cells(self->root, GIC, "reg", 4, 0x2f000000, 0x20000, 0x2f100000, 0x100000);
	gic_distributor(self->root, GIC, &base, &size);
	EXPECT_EQ(0x2f000000, base);
	EXPECT_EQ(0x20000, size);
}

/* Without #address-cells and #size-cells, a parent has 2 and 1. */
TEST_F(tree, default_cells)
{
	char path[PATH_MAX + 32];
	uint64_t base, size;

	snprintf(path, sizeof(path), "%s/#address-cells", self->root);
	ASSERT_EQ(0, unlink(path));
	snprintf(path, sizeof(path), "%s/#size-cells", self->root);
	ASSERT_EQ(0, unlink(path));
	fake_dt_cells(self->root, GIC, "reg", 3, 1, 0x8000000, 0x10000);
	gic_distributor(self->root, GIC, &base, &size);
	EXPECT_EQ(0x108000000, base);
	EXPECT_EQ(0x10000, size);
}

TEST_F(tree, bad_reg_fails)
{
	root = self->root;
	fake_dt_cells(self->root, GIC, "reg", 3, 0, 0x8000000, 0);
	EXPECT_AGENT_FAIL(read_distributor, GIC, "gic_reg", EINVAL);
	EXPECT_AGENT_FAIL(read_distributor, "/xgmac", "gic_reg", ENOENT);
	fake_dt_cells(self->root, "", "#address-cells", 1, 3);
	EXPECT_AGENT_FAIL(read_distributor, GIC, "gic_reg", ENOTSUP);
}

/* Only through buses whose ranges are empty, an identity map, is the address the CPU's; no ranges is no map. */
TEST_F(tree, distributor_under_a_bus)
{
	char path[PATH_MAX + 32];
	uint64_t base, size;

	root = self->root;
	fake_dt_node(self->root, "/bus");
	fake_dt_cells(self->root, "/bus", "#address-cells", 1, 1);
	fake_dt_cells(self->root, "/bus", "#size-cells", 1, 1);
	fake_dt_prop(self->root, "/bus", "ranges", "", 0);
	fake_dt_node(self->root, "/bus/gic");
	fake_dt_cells(self->root, "/bus/gic", "reg", 2, 0x3000000, 0x10000);
	gic_distributor(self->root, "/bus/gic", &base, &size);
	EXPECT_EQ(0x3000000, base);
	EXPECT_EQ(0x10000, size);
	fake_dt_cells(self->root, "/bus", "ranges", 3, 0, 0, 0x10000000);
	EXPECT_AGENT_FAIL(read_distributor, "/bus/gic", "gic_reg_translation", ENOTSUP);
	snprintf(path, sizeof(path), "%s/bus/ranges", self->root);
	ASSERT_EQ(0, unlink(path));
	EXPECT_AGENT_FAIL(read_distributor, "/bus/gic", "gic_reg_translation", ENOTSUP);
}

TEST_HARNESS_MAIN
