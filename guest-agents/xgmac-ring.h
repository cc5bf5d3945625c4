/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RX side of a Calxeda XGMAC driver, as pure logic: register accesses go
 * through callbacks and DMA memory is given by the caller, so that the same
 * code runs against VFIO in L1 and against a simulated device in the unit
 * test.
 */
#ifndef XGMAC_RING_H
#define XGMAC_RING_H

#include <stdint.h>

/* DMA descriptor as the device reads and writes it (little endian). */
struct xgmac_desc {
	uint32_t ctl_stat;
	uint16_t buffer1_size;
	uint16_t buffer2_size;
	uint32_t buffer1_addr;
	uint32_t buffer2_addr;
	uint32_t ext_stat;
	uint32_t res[3];
};

struct xgmac_io {
	void *ctx;
	uint32_t (*read32)(void *ctx, uint32_t off);
	void (*write32)(void *ctx, uint32_t off, uint32_t val);
};

struct xgmac_ring {
	const struct xgmac_io *io;
	volatile struct xgmac_desc *desc;	/* n descriptors */
	uint32_t desc_iova;
	uint8_t *buf;				/* n buffers of buf_size bytes */
	uint32_t buf_iova;
	unsigned int n;
	unsigned int buf_size;
	unsigned int next;			/* next descriptor the device completes */
};

/* RX buffer size of the agents' rings: a whole frame with its CRC fits in one. */
#define XGMAC_RX_BUF_SIZE 2048u

/* xgmac-vfio-driver's ring size unless told otherwise, which the reset probe's area must cover. */
#define XGMAC_DEFAULT_RING 16u

/*
 * Layout of a ring's DMA area: the descriptors first, then the buffers of
 * XGMAC_RX_BUF_SIZE bytes from the next page on; both rounded up to whole
 * pages since the IOMMU maps pages. page is the CPU's page size, a power
 * of two.
 */
uint64_t xgmac_desc_bytes(unsigned int n, uint64_t page);
uint64_t xgmac_dma_bytes(unsigned int n, uint64_t page);

/* Called per received frame; len excludes the CRC and is as the device reported it. */
typedef void xgmac_frame_fn(void *arg, const uint8_t *frame, unsigned int len);

/* Resets the device and starts reception into the ring; -1 if the reset never completes. */
int xgmac_rx_setup(struct xgmac_ring *r);

/* Delivers completed frames in order and gives their descriptors back; returns how many. */
unsigned int xgmac_rx_poll(struct xgmac_ring *r, xgmac_frame_fn *fn, void *arg);

/* Clears the pending DMA status, resuming a reception stalled on RU; returns that status. */
uint32_t xgmac_irq_ack(struct xgmac_ring *r);

#endif
