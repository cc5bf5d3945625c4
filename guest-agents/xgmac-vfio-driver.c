/*
 * Raw VFIO userspace driver for the Calxeda XGMAC, run as root in L1 on a
 * device bound to vfio-platform: sets up reception as Linux's xgmac driver
 * would, then reports each interrupt and received frame as a JSON line
 * until killed. Nothing needs undoing on exit: closing the VFIO files (on
 * SIGKILL too) resets the device and drops its IOMMU mappings.
 *
 * Usage: xgmac-vfio-driver --device NAME [--iova HEX] [--ring N]
 *                          [--unmap-after-frames N] [--frames-max N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "dma-barrier.h"
#include "json-line.h"
#include "xgmac-regs.h"
#include "xgmac-ring.h"

#define BUF_SIZE 2048
#define HEAD_BYTES 64
#define POLL_MS 500
#define STATS_MS 1000

static _Noreturn void fail(const char *step, int err)
{
	json_line("error", "\"step\":\"%s\",\"errno\":%d,\"message\":\"%s\"", step, err, strerror(err));
	exit(2);
}

/* A short transfer sets no errno: report it as EIO. */
static void check_io(ssize_t n, size_t want, const char *step)
{
	if (n != (ssize_t)want)
		fail(step, n < 0 ? errno : EIO);
}

struct mmio {
	int fd;
	volatile uint32_t *map;	/* NULL: pread/pwrite at offset instead */
	off_t offset;
};

static uint32_t mmio_read32(void *ctx, uint32_t reg)
{
	struct mmio *m = ctx;
	uint32_t val;

	if (m->map)
		val = m->map[reg / 4];
	else
		check_io(pread(m->fd, &val, sizeof(val), m->offset + reg), sizeof(val), "mmio_read");
	/* As readl(): DMA memory read after a status register is as new as that status. */
	dma_rmb();
	return val;
}

static void mmio_write32(void *ctx, uint32_t reg, uint32_t val)
{
	struct mmio *m = ctx;

	/* As writel(): the device sees our descriptor updates before the write that points it at them. */
	dma_wmb();
	if (m->map)
		m->map[reg / 4] = val;
	else
		check_io(pwrite(m->fd, &val, sizeof(val), m->offset + reg), sizeof(val), "mmio_write");
}

struct agent {
	const char *device;
	uint64_t iova;
	unsigned int ring_size;
	unsigned long unmap_after;	/* 0: never */
	unsigned long frames_max;	/* 0: run until killed */

	int container, dev, irq_fd;
	uint64_t dma_bytes;
	struct mmio mmio;
	struct xgmac_io io;
	struct xgmac_ring ring;
	unsigned long frames, irqs;
};

static unsigned long long parse_num(const char *s, int base, unsigned long long min,
				    unsigned long long max, const char *step)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v < min || v > max)
		fail(step, errno ? errno : EINVAL);
	return v;
}

static void parse_args(struct agent *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "iova", required_argument, NULL, 'i' },
		{ "ring", required_argument, NULL, 'r' },
		{ "unmap-after-frames", required_argument, NULL, 'u' },
		{ "frames-max", required_argument, NULL, 'm' },
		{ 0 }
	};
	int c;

	/* getopt's own messages would not be JSON. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->device = optarg; break;
		case 'i': a->iova = parse_num(optarg, 16, 0, UINT32_MAX, "arg_iova"); break;
		case 'r': a->ring_size = parse_num(optarg, 10, 1, 1024, "arg_ring"); break;
		case 'u': a->unmap_after = parse_num(optarg, 10, 1, ULONG_MAX, "arg_unmap_after_frames"); break;
		case 'm': a->frames_max = parse_num(optarg, 10, 1, ULONG_MAX, "arg_frames_max"); break;
		default: fail("args", EINVAL);
		}
	}
	/* The name goes into a sysfs path and into JSON strings unescaped. */
	if (optind != argc || !a->device || !a->device[0] || strpbrk(a->device, "/\"\\"))
		fail("arg_device", EINVAL);
}

/* The group number is the last component of the iommu_group link. */
static const char *iommu_group(const char *device)
{
	static char link[PATH_MAX];
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/platform/devices/%s/iommu_group", device);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		fail("iommu_group", errno);
	link[n] = '\0';
	return strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
}

static void open_device(struct agent *a, const char *group)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX];
	int grp, type;

	a->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (a->container < 0)
		fail("open_container", errno);
	if (ioctl(a->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		fail("api_version", EINVAL);
	if (ioctl(a->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(a->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		fail("iommu_type", ENOTSUP);

	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	grp = open(path, O_RDWR | O_CLOEXEC);
	if (grp < 0)
		fail("open_group", errno);
	if (ioctl(grp, VFIO_GROUP_GET_STATUS, &status))
		fail("group_status", errno);
	/* EPERM is what VFIO_GROUP_SET_CONTAINER would say of a group that is not viable. */
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		fail("group_viable", EPERM);
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &a->container))
		fail("group_set_container", errno);
	if (ioctl(a->container, VFIO_SET_IOMMU, type))
		fail("set_iommu", errno);
	a->dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, a->device);
	if (a->dev < 0)
		fail("get_device_fd", errno);
}

/* Returns whether the registers are mmapped. */
static bool map_registers(struct agent *a)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = 0 };
	void *map;

	if (ioctl(a->dev, VFIO_DEVICE_GET_REGION_INFO, &reg))
		fail("region_info", errno);
	if (reg.size < XGMAC_DMA_CUR_RX_DESC + 4)
		fail("region_size", ENXIO);
	a->mmio = (struct mmio){ .fd = a->dev, .offset = reg.offset };
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		if ((reg.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)) !=
		    (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE))
			fail("region_rw", EACCES);
		return false;
	}
	map = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, a->dev, reg.offset);
	if (map == MAP_FAILED)
		fail("region_mmap", errno);
	a->mmio.map = map;
	return true;
}

static void map_dma(struct agent *a)
{
	uint64_t page = sysconf(_SC_PAGESIZE);
	uint64_t desc_bytes = (a->ring_size * XGMAC_DESC_SIZE + page - 1) & ~(page - 1);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	uint8_t *mem;

	a->dma_bytes = (desc_bytes + a->ring_size * BUF_SIZE + page - 1) & ~(page - 1);
	/* The descriptors hold 32-bit bus addresses. */
	if (a->iova & (page - 1) || a->iova + a->dma_bytes > (1ull << 32))
		fail("iova_range", ERANGE);
	mem = mmap(NULL, a->dma_bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		fail("dma_alloc", errno);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)mem;
	map.iova = a->iova;
	map.size = a->dma_bytes;
	if (ioctl(a->container, VFIO_IOMMU_MAP_DMA, &map))
		fail("map_dma", errno);

	a->io = (struct xgmac_io){ &a->mmio, mmio_read32, mmio_write32 };
	a->ring = (struct xgmac_ring){
		.io = &a->io,
		.desc = (struct xgmac_desc *)mem,
		.desc_iova = a->iova,
		.buf = mem + desc_bytes,
		.buf_iova = a->iova + desc_bytes,
		.n = a->ring_size,
		.buf_size = BUF_SIZE,
	};
}

/* fd < 0: no data (unmask); otherwise the eventfd to trigger. */
static int set_irq(int dev, uint32_t action, int fd)
{
	union {
		struct vfio_irq_set set;
		uint8_t bytes[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} u = { .set = { .index = 0, .start = 0, .count = 1 } };
	int32_t fd32 = fd;

	u.set.argsz = fd < 0 ? sizeof(u.set) : sizeof(u);
	u.set.flags = action | (fd < 0 ? VFIO_IRQ_SET_DATA_NONE : VFIO_IRQ_SET_DATA_EVENTFD);
	if (fd >= 0)
		memcpy(u.set.data, &fd32, sizeof(fd32));
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, &u.set);
}

static void arm_irq(struct agent *a)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = 0 };

	if (ioctl(a->dev, VFIO_DEVICE_GET_IRQ_INFO, &info))
		fail("irq_info", errno);
	if (info.count < 1 || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
		fail("irq_eventfd_capable", ENOTSUP);
	a->irq_fd = eventfd(0, EFD_CLOEXEC);
	if (a->irq_fd < 0)
		fail("eventfd", errno);
	if (set_irq(a->dev, VFIO_IRQ_SET_ACTION_TRIGGER, a->irq_fd))
		fail("irq_trigger", errno);
}

static void unmap_dma(struct agent *a)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = a->iova, .size = a->dma_bytes,
	};

	if (ioctl(a->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		fail("unmap_dma", errno);
	/* The kernel reports in size how much it actually unmapped. */
	json_line("unmapped", "\"iova\":\"0x%llx\",\"bytes\":%llu,\"after_frames\":%lu",
		  (unsigned long long)a->iova, (unsigned long long)unmap.size, a->frames);
}

static void on_frame(void *arg, const uint8_t *frame, unsigned int len)
{
	struct agent *a = arg;
	unsigned int n = len < HEAD_BYTES ? len : HEAD_BYTES;
	char head[2 * HEAD_BYTES + 1] = "";

	for (unsigned int i = 0; i < n; i++)
		snprintf(head + 2 * i, 3, "%02x", frame[i]);
	a->frames++;
	json_line("frame", "\"seq\":%lu,\"len\":%u,\"head\":\"%s\"", a->frames, len, head);
	/* Right at the Nth frame, so that the test knows exactly which frames preceded the unmap. */
	if (a->frames == a->unmap_after)
		unmap_dma(a);
	if (a->frames == a->frames_max)
		exit(0);
}

static void on_irq(struct agent *a)
{
	uint64_t events;
	uint32_t status;

	check_io(read(a->irq_fd, &events, sizeof(events)), sizeof(events), "eventfd_read");
	/* Ack before polling: a frame completing meanwhile raises the line again instead of being missed. */
	status = xgmac_irq_ack(&a->ring);
	a->irqs++;
	json_line("irq", "\"count\":%lu,\"status\":\"0x%08x\"", a->irqs, status);
	xgmac_rx_poll(&a->ring, on_frame, a);
	/* vfio-platform masks a level interrupt when it fires, until we say we are done. */
	if (set_irq(a->dev, VFIO_IRQ_SET_ACTION_UNMASK, -1))
		fail("irq_unmask", errno);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct agent a = { .iova = 0x10000000, .ring_size = 16 };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	const char *group;
	bool mmapped;
	uint64_t next_stats;

	parse_args(&a, argc, argv);
	group = iommu_group(a.device);
	open_device(&a, group);
	if (ioctl(a.dev, VFIO_DEVICE_GET_INFO, &info))
		fail("device_info", errno);
	if (!(info.flags & VFIO_DEVICE_FLAGS_PLATFORM))
		fail("device_not_platform", ENODEV);
	if (info.num_regions < 1 || info.num_irqs < 1)
		fail("device_resources", ENODEV);
	mmapped = map_registers(&a);
	map_dma(&a);
	/* Armed before the device can raise the line, so no interrupt is lost. */
	arm_irq(&a);
	if (xgmac_rx_setup(&a.ring))
		fail("soft_reset", ETIMEDOUT);
	json_line("ready", "\"device\":\"%s\",\"group\":\"%s\",\"iova\":\"0x%llx\",\"dma_bytes\":%llu,"
		  "\"regions\":%u,\"irqs\":%u,\"mmap\":%s",
		  a.device, group, (unsigned long long)a.iova, (unsigned long long)a.dma_bytes,
		  info.num_regions, info.num_irqs, mmapped ? "true" : "false");

	next_stats = now_ms() + STATS_MS;
	for (;;) {
		struct pollfd p = { .fd = a.irq_fd, .events = POLLIN };
		int n = poll(&p, 1, POLL_MS);

		if (n < 0 && errno != EINTR)
			fail("poll", errno);
		if (n > 0)
			on_irq(&a);
		if (now_ms() >= next_stats) {
			json_line("stats", "\"frames\":%lu,\"irqs\":%lu,\"status\":\"0x%08x\"",
				  a.frames, a.irqs, mmio_read32(&a.mmio, XGMAC_DMA_STATUS));
			next_stats = now_ms() + STATS_MS;
		}
	}
}
