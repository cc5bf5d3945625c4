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

TEST_HARNESS_MAIN
