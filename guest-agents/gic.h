/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A guest's GICv3 as l2-probe sees it: the SPIs its device tree wires to it,
 * and the pending and active state of every interrupt at its distributor,
 * read through /dev/mem. Failures are agent_fail()s.
 */
#ifndef GIC_H
#define GIC_H

#include <stdint.h>

/* Exact: "arm,gic-v3-its" is the ITS under it. */
#define GIC_COMPATIBLE "arm,gic-v3"
#define GIC_MAX_SPIS 32

struct gic_spis {
	uint32_t spi[GIC_MAX_SPIS];
	unsigned int n;
};

/* Appends the SPIs of node, which must be wired to the GIC at node gic, to spis. */
void gic_read_spis(const char *root, const char *gic, const char *node, struct gic_spis *spis);


/* Reports, as the "gic" line, the distributor's state and that of each of spis. */
void gic_report(const char *root, const char *gic, const struct gic_spis *spis);

#endif
