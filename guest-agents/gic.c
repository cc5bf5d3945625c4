// SPDX-License-Identifier: GPL-2.0-only
#include "gic.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent-lib.h"
#include "device-tree.h"
#include "phys-view.h"

#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ISPENDR 0x200
#define GICD_ISACTIVER 0x300
#define GICD_REGS_END 0x380	/* past the last ISACTIVER */
#define GIC_SPI_BASE 32
#define GIC_MAX_INTID 1020	/* 1020..1023 are special */

/* A bit per interrupt, as the distributor's registers hold them. */
struct gic_state {
	uint32_t lines;
	uint32_t pending[32], active[32], enabled[32];
};

/* The specifiers are <type number flags ...>, as #interrupt-cells of the GIC says. */
void gic_read_spis(const char *root, const char *gic, const char *node, struct gic_spis *spis)
{
	uint32_t gic_phandle = dt_phandle(root, gic);
	uint32_t cells = dt_read_u32(root, gic, "#interrupt-cells", 0);
	uint8_t prop[DT_PROP_MAX];
	ssize_t n;

	if (!gic_phandle || dt_interrupt_parent(root, node) != gic_phandle)
		agent_fail("device_interrupt_parent", ENOTSUP);
	if (cells < 3)
		agent_fail("gic_interrupt_cells", ENOTSUP);
	n = dt_read_prop(root, node, "interrupts", prop, sizeof(prop));
	if (n < 0)
		agent_fail("device_interrupts", errno);
	if (n % (4 * cells))
		agent_fail("device_interrupts", EINVAL);
	for (ssize_t at = 0; at < n; at += 4 * cells) {
		uint32_t type = dt_be32(prop + at), number = dt_be32(prop + at + 4);

		/* 0: SPI; the others (PPI, extended ranges) are not the device's lines on virt. */
		if (type != 0)
			continue;
		if (number >= GIC_MAX_INTID - GIC_SPI_BASE)
			agent_fail("device_interrupts", ERANGE);
		if (spis->n >= GIC_MAX_SPIS)
			agent_fail("device_interrupts", E2BIG);
		spis->spi[spis->n++] = number;
	}
}

/*
 * Every interrupt the distributor has, read in one go. With affinity routing
 * (always on for a guest's GICv3 under KVM), SGIs and PPIs (0..31) are the
 * redistributors': those bits read as zero here.
 */
static void snapshot(uint64_t base, uint64_t size, struct gic_state *s)
{
	struct phys_view v;

	if (size < GICD_REGS_END)
		agent_fail("gic_reg_size", EINVAL);
	phys_view_open(&v, base, GICD_REGS_END, "gic_mmap");
	memset(s, 0, sizeof(*s));
	s->lines = ((phys_read32(&v, GICD_TYPER) & 0x1f) + 1) * 32;
	if (s->lines > GIC_MAX_INTID)
		s->lines = GIC_MAX_INTID;
	for (uint32_t i = 0; i < (s->lines + 31) / 32; i++) {
		s->pending[i] = phys_read32(&v, GICD_ISPENDR + 4 * i);
		s->active[i] = phys_read32(&v, GICD_ISACTIVER + 4 * i);
		s->enabled[i] = phys_read32(&v, GICD_ISENABLER + 4 * i);
	}
	phys_view_close(&v);
}

static bool bit(const uint32_t *regs, uint32_t intid)
{
	return regs[intid / 32] >> (intid % 32) & 1;
}

static void list_set_bits(FILE *f, const uint32_t *regs, uint32_t lines)
{
	bool first = true;

	for (uint32_t intid = 0; intid < lines; intid++) {
		if (!bit(regs, intid))
			continue;
		fprintf(f, "%s%u", first ? "" : ",", intid);
		first = false;
	}
}

void gic_report(const char *root, const char *gic, const struct gic_spis *spis)
{
	struct gic_state s;
	uint64_t base, size;
	char *text;
	size_t len;
	FILE *f;

	dt_reg(root, gic, &base, &size);
	snapshot(base, size, &s);
	f = json_text_open(&text, &len);
	fprintf(f, "\"base\":\"0x%llx\",\"lines\":%u,\"pending\":[", (unsigned long long)base, s.lines);
	list_set_bits(f, s.pending, s.lines);
	fputs("],\"active\":[", f);
	list_set_bits(f, s.active, s.lines);
	fputs("],\"spis\":[", f);
	for (unsigned int i = 0; i < spis->n; i++) {
		uint32_t intid = GIC_SPI_BASE + spis->spi[i];

		fprintf(f, "%s{\"spi\":%u,\"intid\":%u,\"pending\":%s,\"active\":%s,\"enabled\":%s}",
			i ? "," : "", spis->spi[i], intid,
			bit(s.pending, intid) ? "true" : "false", bit(s.active, intid) ? "true" : "false",
			bit(s.enabled, intid) ? "true" : "false");
	}
	fputc(']', f);
	json_text_close(f);
	json_line(EVENT_GIC, "%s", text);
	free(text);
}
