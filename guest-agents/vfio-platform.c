// SPDX-License-Identifier: GPL-2.0-only
#include "vfio-platform.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "dma-barrier.h"
#include "agent-lib.h"

/* The group number is the last component of the iommu_group link. */
static void find_group(struct vfio_platform *p)
{
	char path[PATH_MAX];
	char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s/iommu_group", p->device);
	n = readlink(path, p->group_link, sizeof(p->group_link) - 1);
	if (n < 0)
		agent_fail("iommu_group", errno);
	p->group_link[n] = '\0';
	slash = strrchr(p->group_link, '/');
	p->group = slash ? slash + 1 : p->group_link;
}

void vfio_platform_open(struct vfio_platform *p, const char *device)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX];
	int grp, type;

	p->device = device;
	find_group(p);
	p->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (p->container < 0)
		agent_fail("open_container", errno);
	if (ioctl(p->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		agent_fail("api_version", EINVAL);
	if (ioctl(p->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(p->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		agent_fail("iommu_type", ENOTSUP);

	snprintf(path, sizeof(path), "/dev/vfio/%s", p->group);
	grp = open(path, O_RDWR | O_CLOEXEC);
	if (grp < 0)
		agent_fail("open_group", errno);
	if (ioctl(grp, VFIO_GROUP_GET_STATUS, &status))
		agent_fail("group_status", errno);
	/* EPERM is what VFIO_GROUP_SET_CONTAINER would say of a group that is not viable. */
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		agent_fail("group_viable", EPERM);
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &p->container))
		agent_fail("group_set_container", errno);
	if (ioctl(p->container, VFIO_SET_IOMMU, type))
		agent_fail("set_iommu", errno);
	p->dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, device);
	if (p->dev < 0)
		agent_fail("get_device_fd", errno);

	p->info = (struct vfio_device_info){ .argsz = sizeof(p->info) };
	if (ioctl(p->dev, VFIO_DEVICE_GET_INFO, &p->info))
		agent_fail("device_info", errno);
	if (!(p->info.flags & VFIO_DEVICE_FLAGS_PLATFORM))
		agent_fail("device_not_platform", ENODEV);
	/* The kernel's open path (and the reset it runs) is done: a hang or a crash before this line is its. */
	json_line(EVENT_OPENED, "\"device\":\"%s\",\"group\":\"%s\",\"irqs\":%u,\"regions\":%u",
		  p->device, p->group, p->info.num_irqs, p->info.num_regions);
}

bool vfio_platform_map_regs(const struct vfio_platform *p, uint64_t min_size, struct vfio_regs *regs)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = 0 };
	void *map;

	if (ioctl(p->dev, VFIO_DEVICE_GET_REGION_INFO, &reg))
		agent_fail("region_info", errno);
	if (reg.size < min_size)
		agent_fail("region_size", ENXIO);
	*regs = (struct vfio_regs){ .fd = p->dev, .offset = reg.offset };
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		if ((reg.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) !=
		    (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE))
			agent_fail("region_rw", EACCES);
		return false;
	}
	map = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, p->dev, reg.offset);
	if (map == MAP_FAILED)
		agent_fail("region_mmap", errno);
	regs->map = map;
	return true;
}

uint32_t vfio_regs_read32(void *ctx, uint32_t off)
{
	struct vfio_regs *r = ctx;
	uint32_t val;

	if (r->map)
		val = r->map[off / 4];
	else
		agent_check_io(pread(r->fd, &val, sizeof(val), r->offset + off), sizeof(val), "mmio_read");
	/* As readl(): DMA memory read after a status register is as new as that status. */
	dma_rmb();
	return val;
}

void vfio_regs_write32(void *ctx, uint32_t off, uint32_t val)
{
	struct vfio_regs *r = ctx;

	/* As writel(): the device sees our descriptor updates before the write that points it at them. */
	dma_wmb();
	if (r->map)
		r->map[off / 4] = val;
	else
		agent_check_io(pwrite(r->fd, &val, sizeof(val), r->offset + off), sizeof(val), "mmio_write");
}

void vfio_dma_map(const struct vfio_platform *p, void *mem, uint64_t iova, uint64_t bytes)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)mem,
		.iova = iova,
		.size = bytes,
	};

	if (ioctl(p->container, VFIO_IOMMU_MAP_DMA, &map))
		agent_fail("map_dma", errno);
}

uint64_t vfio_dma_unmap(const struct vfio_platform *p, uint64_t iova, uint64_t bytes)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = bytes,
	};

	if (ioctl(p->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		agent_fail("unmap_dma", errno);
	return unmap.size;
}

struct vfio_irq_info vfio_irq_info(const struct vfio_platform *p, uint32_t index)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

	if (ioctl(p->dev, VFIO_DEVICE_GET_IRQ_INFO, &info))
		agent_fail("irq_info", errno);
	return info;
}

/* fd < 0: no data (unmask); otherwise the eventfd to trigger. */
static int set_irq(const struct vfio_platform *p, uint32_t index, uint32_t action, int fd)
{
	union {
		struct vfio_irq_set set;
		uint8_t bytes[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} u = { .set = { .index = index, .start = 0, .count = 1 } };
	int32_t fd32 = fd;

	u.set.argsz = fd < 0 ? sizeof(u.set) : sizeof(u);
	u.set.flags = action | (fd < 0 ? VFIO_IRQ_SET_DATA_NONE : VFIO_IRQ_SET_DATA_EVENTFD);
	if (fd >= 0)
		memcpy(u.set.data, &fd32, sizeof(fd32));
	return ioctl(p->dev, VFIO_DEVICE_SET_IRQS, &u.set);
}

int vfio_irq_arm(const struct vfio_platform *p, uint32_t index)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0)
		agent_fail("eventfd", errno);
	if (set_irq(p, index, VFIO_IRQ_SET_ACTION_TRIGGER, fd))
		agent_fail("irq_trigger", errno);
	return fd;
}

void vfio_irq_unmask(const struct vfio_platform *p, uint32_t index)
{
	if (set_irq(p, index, VFIO_IRQ_SET_ACTION_UNMASK, -1))
		agent_fail("irq_unmask", errno);
}
