// SPDX-License-Identifier: GPL-2.0-only
/*
 * Raw VFIO userspace driver for the Calxeda XGMAC, run as root in L1 on a
 * device bound to vfio-platform: sets up reception and transmission as
 * Linux's xgmac driver would, then reports each interrupt and received
 * frame as a JSON line until killed. Given a payload key, it transmits the
 * run's frames (payload seq from TX_SEQ_BASE on) all its life, its TX ring
 * kept full, so that its TX engine is mid-ring whenever it dies. Nothing
 * needs undoing on exit: closing the VFIO files (on SIGKILL too) resets
 * the device and drops its IOMMU mappings.
 *
 * Usage: xgmac-vfio-driver --device NAME --iova HEX [--ring N]
 *                          [--tx-key HEX32 --tx-run-id N]
 *                          [--unmap-after-frames N] [--frames-max N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "agent-lib.h"
#include "payload-build.h"
#include "vfio-platform.h"
#include "xgmac-regs.h"
#include "xgmac-ring.h"

#define HEAD_BYTES 64
#define POLL_MS 500
/* While transmitting: how often the ring is topped up, a frame interval of the L0 model's TX engine. */
#define TX_POLL_MS 10
#define STATS_MS 1000

struct agent {
	const char *device;
	uint64_t iova;
	unsigned int ring_size;
	unsigned long unmap_after;	/* 0: never */
	unsigned long frames_max;	/* 0: run until killed */
	bool tx_on;
	uint8_t tx_key[16];
	uint32_t tx_run_id;

	struct vfio_platform vfio;
	int irq_fd;
	uint64_t dma_bytes;
	struct vfio_regs regs;
	struct xgmac_io io;
	struct xgmac_ring ring;
	struct xgmac_tx tx;
	uint32_t tx_seq;
	unsigned long frames, irqs, tx_given, tx_done;
};

static void parse_args(struct agent *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "iova", required_argument, NULL, 'i' },
		{ "ring", required_argument, NULL, 'r' },
		{ "unmap-after-frames", required_argument, NULL, 'u' },
		{ "frames-max", required_argument, NULL, 'm' },
		{ "tx-key", required_argument, NULL, 'k' },
		{ "tx-run-id", required_argument, NULL, 't' },
		{ 0 }
	};
	bool have_run_id = false;
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
		case 'k': parse_hex(optarg, a->tx_key, sizeof(a->tx_key), "arg_tx_key"); a->tx_on = true; break;
		case 't':
			a->tx_run_id = parse_num(optarg, 0, 0, UINT32_MAX, "arg_tx_run_id");
			have_run_id = true;
			break;
		default: agent_fail("args", EINVAL);
		}
	}
	/* The name goes into a sysfs path and into JSON strings unescaped. */
	if (optind != argc || !a->device || !a->device[0] || strpbrk(a->device, "/\"\\"))
		agent_fail("arg_device", EINVAL);
	/* The harness chooses the IOVA (harness/scenarios/raw-driver.ts): no default to drift from it. */
	if (a->iova == UINT64_MAX)
		agent_fail("arg_iova", EINVAL);
	if (a->tx_on != have_run_id)
		agent_fail("arg_tx_key_and_run_id", EINVAL);
}

static void map_dma(struct agent *a)
{
	uint64_t page = sysconf(_SC_PAGESIZE);
	uint64_t desc_bytes = xgmac_desc_bytes(a->ring_size, page);
	uint64_t ring_bytes = xgmac_dma_bytes(a->ring_size, page);
	uint8_t *mem;

	/* The TX ring's half is mapped even when it stays unused: the next user's area is the same either way. */
	a->dma_bytes = xgmac_area_bytes(a->ring_size, page);
	/* The descriptors hold 32-bit bus addresses. */
	if (a->iova & (page - 1) || a->iova + a->dma_bytes > (1ull << 32))
		agent_fail("iova_range", ERANGE);
	mem = mmap(NULL, a->dma_bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED)
		agent_fail("dma_alloc", errno);
	vfio_dma_map(&a->vfio, mem, a->iova, a->dma_bytes);

	a->io = (struct xgmac_io){ &a->regs, vfio_regs_read32, vfio_regs_write32 };
	a->ring = (struct xgmac_ring){
		.io = &a->io,
		.desc = (struct xgmac_desc *)mem,
		.desc_iova = a->iova,
		.buf = mem + desc_bytes,
		.buf_iova = a->iova + desc_bytes,
		.n = a->ring_size,
		.buf_size = XGMAC_RX_BUF_SIZE,
	};
	a->tx.ring = a->ring;
	a->tx.ring.desc = (struct xgmac_desc *)(mem + ring_bytes);
	a->tx.ring.desc_iova = a->iova + ring_bytes;
	a->tx.ring.buf = mem + ring_bytes + desc_bytes;
	a->tx.ring.buf_iova = a->iova + ring_bytes + desc_bytes;
}

static unsigned int build_frame(void *arg, uint32_t seq, uint8_t *buf, unsigned int size)
{
	const struct agent *a = arg;

	if (size < FRAME_LEN)
		agent_fail("tx_buf_size", EMSGSIZE);
	frame_build(buf, a->tx_key, a->tx_run_id, TX_SEQ_BASE + seq);
	return FRAME_LEN;
}

/* Takes back what the device sent and gives it the next frames: the ring stays full. */
static void keep_transmitting(struct agent *a)
{
	a->tx_done += xgmac_tx_reclaim(&a->tx);
	a->tx_given += xgmac_tx_fill(&a->tx, build_frame, a, &a->tx_seq);
}

static void arm_irq(struct agent *a)
{
	struct vfio_irq_info info = vfio_irq_info(&a->vfio, 0);

	if (info.count < 1 || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
		agent_fail("irq_eventfd_capable", ENOTSUP);
	a->irq_fd = vfio_irq_arm(&a->vfio, 0);
}

static void unmap_dma(struct agent *a)
{
	uint64_t unmapped = vfio_dma_unmap(&a->vfio, a->iova, a->dma_bytes);

	json_line(EVENT_UNMAPPED, "\"iova\":\"0x%llx\",\"bytes\":%llu,\"after_frames\":%lu",
		  (unsigned long long)a->iova, (unsigned long long)unmapped, a->frames);
}

static void on_frame(void *arg, const uint8_t *frame, unsigned int len)
{
	struct agent *a = arg;
	unsigned int n = len < HEAD_BYTES ? len : HEAD_BYTES;
	char head[2 * HEAD_BYTES + 1] = "";

	for (unsigned int i = 0; i < n; i++)
		snprintf(head + 2 * i, 3, "%02x", frame[i]);
	a->frames++;
	json_line(EVENT_FRAME, "\"seq\":%lu,\"len\":%u,\"head\":\"%s\"", a->frames, len, head);
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

	agent_check_io(read(a->irq_fd, &events, sizeof(events)), sizeof(events), "eventfd_read");
	/* Ack before polling: a frame completing meanwhile raises the line again instead of being missed. */
	status = xgmac_irq_ack(&a->ring);
	a->irqs++;
	json_line(EVENT_IRQ, "\"count\":%lu,\"status\":\"0x%08x\"", a->irqs, status);
	xgmac_rx_poll(&a->ring, on_frame, a);
	/* vfio-platform masks a level interrupt when it fires, until we say we are done. */
	vfio_irq_unmask(&a->vfio, 0);
}

int main(int argc, char **argv)
{
	struct agent a = { .iova = UINT64_MAX, .ring_size = XGMAC_DEFAULT_RING };
	bool mmapped;
	uint64_t next_stats;

	parse_args(&a, argc, argv);
	vfio_platform_open(&a.vfio, a.device);
	if (a.vfio.info.num_regions < 1 || a.vfio.info.num_irqs < 1)
		agent_fail("device_resources", ENODEV);
	mmapped = vfio_platform_map_regs(&a.vfio, XGMAC_DMA_CUR_RX_DESC + 4, &a.regs);
	map_dma(&a);
	/* Armed before the device can raise the line, so no interrupt is lost. */
	arm_irq(&a);
	if (xgmac_setup(&a.ring, &a.tx))
		agent_fail("soft_reset", ETIMEDOUT);
	json_line(EVENT_READY, "\"device\":\"%s\",\"group\":\"%s\",\"iova\":\"0x%llx\",\"dma_bytes\":%llu,"
		  "\"regions\":%u,\"irqs\":%u,\"mmap\":%s,\"tx\":%s",
		  a.device, a.vfio.group, (unsigned long long)a.iova, (unsigned long long)a.dma_bytes,
		  a.vfio.info.num_regions, a.vfio.info.num_irqs, mmapped ? "true" : "false",
		  a.tx_on ? "true" : "false");

	next_stats = mono_ms() + STATS_MS;
	for (;;) {
		struct pollfd p = { .fd = a.irq_fd, .events = POLLIN };
		int n = poll(&p, 1, a.tx_on ? TX_POLL_MS : POLL_MS);

		if (n < 0 && errno != EINTR)
			agent_fail("poll", errno);
		if (n > 0)
			on_irq(&a);
		if (a.tx_on)
			keep_transmitting(&a);
		if (mono_ms() >= next_stats) {
			json_line(EVENT_STATS, "\"frames\":%lu,\"irqs\":%lu,\"tx_given\":%lu,\"tx_done\":%lu,"
				  "\"status\":\"0x%08x\"",
				  a.frames, a.irqs, a.tx_given, a.tx_done, vfio_regs_read32(&a.regs, XGMAC_DMA_STATUS));
			next_stats = mono_ms() + STATS_MS;
		}
	}
}
