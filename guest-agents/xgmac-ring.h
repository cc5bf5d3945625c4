/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RX and TX rings of a Calxeda XGMAC driver, as pure logic: register accesses go
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

/*
 * The TX side: next (in ring) is the next descriptor to fill, clean the
 * oldest one given to the device and not yet seen given back.
 */
struct xgmac_tx {
	struct xgmac_ring ring;
	unsigned int clean;
	unsigned int in_flight;
};

/* Buffer size of the agents' rings, RX and TX: a whole frame with its CRC fits in one. */
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

/*
 * The whole DMA area of a driver with rings of n: the RX ring's area, then
 * the TX ring's of the same layout. The next user maps this much at the
 * old IOVAs, so that whatever the device still reads or writes there is
 * the next user's memory.
 */
uint64_t xgmac_area_bytes(unsigned int n, uint64_t page);

/* Called per received frame; len excludes the CRC and is as the device reported it. */
typedef void xgmac_frame_fn(void *arg, const uint8_t *frame, unsigned int len);

/*
 * Resets the device and starts reception into rx and, as Linux does, its
 * TX engine: on tx's ring, every descriptor the CPU's, when tx is given.
 * -1 if the reset never completes.
 */
int xgmac_setup(struct xgmac_ring *rx, struct xgmac_tx *tx);

/* Delivers completed frames in order and gives their descriptors back; returns how many. */
unsigned int xgmac_rx_poll(struct xgmac_ring *r, xgmac_frame_fn *fn, void *arg);

/* Clears the pending DMA status, resuming a reception stalled on RU; returns that status. */
uint32_t xgmac_irq_ack(struct xgmac_ring *r);

/* Writes frame number seq into buf (size bytes); returns its length without CRC, at most size. */
typedef unsigned int xgmac_build_fn(void *arg, uint32_t seq, uint8_t *buf, unsigned int size);

/* Takes back the descriptors the device has sent; returns how many. */
unsigned int xgmac_tx_reclaim(struct xgmac_tx *t);

/*
 * Gives every free descriptor a frame, numbered from *seq on, and demands a
 * poll if it gave any, so that the ring stays full; returns how many.
 */
unsigned int xgmac_tx_fill(struct xgmac_tx *t, xgmac_build_fn *build, void *arg, uint32_t *seq);

#endif
