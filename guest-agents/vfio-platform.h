/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VFIO platform device opened from userspace through a type1 container:
 * its registers, DMA mappings and interrupt eventfds. Every failure is
 * reported as a JSON error line naming the step (agent_fail), and exits
 * with status 2, so that the agents built on it only deal with their
 * device's logic.
 */
#ifndef VFIO_PLATFORM_H
#define VFIO_PLATFORM_H

#include <limits.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct vfio_platform {
	const char *device;
	const char *group;		/* IOMMU group number, points into group_link */
	int container, dev;
	struct vfio_device_info info;
	char group_link[PATH_MAX];
};

/* Register region 0 of a device, for read32/write32 as struct xgmac_io's ctx. */
struct vfio_regs {
	int fd;
	volatile uint32_t *map;		/* NULL: pread/pwrite at offset instead */
	off_t offset;
};

/*
 * Opens device (a name under /sys/bus/platform/devices, which must not hold
 * '/') in a container of its own and checks that it is a platform device.
 */
void vfio_platform_open(struct vfio_platform *p, const char *device);

/* Gives access to region 0, of at least min_size bytes; returns whether it is mmapped. */
bool vfio_platform_map_regs(const struct vfio_platform *p, uint64_t min_size, struct vfio_regs *regs);

/* As readl()/writel(), including their ordering against DMA memory; ctx is a struct vfio_regs. */
uint32_t vfio_regs_read32(void *ctx, uint32_t off);
void vfio_regs_write32(void *ctx, uint32_t off, uint32_t val);

/* Lets the device read and write bytes of mem at iova. */
void vfio_dma_map(const struct vfio_platform *p, void *mem, uint64_t iova, uint64_t bytes);

/* Removes the mappings in [iova, iova + bytes); returns how many bytes the kernel unmapped. */
uint64_t vfio_dma_unmap(const struct vfio_platform *p, uint64_t iova, uint64_t bytes);

/* How IRQ index is delivered: how many vectors, and whether by eventfd, automasked. */
struct vfio_irq_info vfio_irq_info(const struct vfio_platform *p, uint32_t index);

/* Returns an eventfd that the kernel signals on each interrupt of IRQ index. */
int vfio_irq_arm(const struct vfio_platform *p, uint32_t index);

/* Ends the automask of a level IRQ index (VFIO_IRQ_INFO_AUTOMASKED). */
void vfio_irq_unmask(const struct vfio_platform *p, uint32_t index);

#endif
