/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A read-only view of physical addresses through /dev/mem, read with plain
 * 32-bit loads: how a probe looks at a device's or the GIC's registers
 * without writing any, before a driver has claimed them.
 */
#ifndef PHYS_VIEW_H
#define PHYS_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct phys_view {
	uint8_t *map;
	size_t map_len;
	const volatile uint8_t *regs;	/* base, within map */
};

/* Maps [base, base + len); ends the agent with step on failure. */
void phys_view_open(struct phys_view *v, uint64_t base, uint64_t len, const char *step);

/* The 32-bit register at off from base. */
uint32_t phys_read32(const struct phys_view *v, uint32_t off);

void phys_view_close(struct phys_view *v);

#endif
