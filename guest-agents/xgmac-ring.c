// SPDX-License-Identifier: GPL-2.0-only
/*
 * Follows drivers/net/ethernet/calxeda/xgmac.c (xgmac_hw_init, xgmac_open,
 * xgmac_rx) so that the device sees what it would see under Linux.
 */
#include "xgmac-ring.h"
#include "dma-barrier.h"
#include "xgmac-regs.h"

_Static_assert(sizeof(struct xgmac_desc) == XGMAC_DESC_SIZE, "descriptor layout");
/* Descriptors are shared with the device as native integers. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian CPU required");

/* As many polls as Linux allows the reset, so a stuck device fails the same way. */
#define RESET_POLLS 15000

static uint64_t page_up(uint64_t bytes, uint64_t page)
{
	return (bytes + page - 1) & ~(page - 1);
}

uint64_t xgmac_desc_bytes(unsigned int n, uint64_t page)
{
	return page_up((uint64_t)n * XGMAC_DESC_SIZE, page);
}

uint64_t xgmac_dma_bytes(unsigned int n, uint64_t page)
{
	return page_up(xgmac_desc_bytes(n, page) + (uint64_t)n * XGMAC_RX_BUF_SIZE, page);
}

uint64_t xgmac_area_bytes(unsigned int n, uint64_t page)
{
	return 2 * xgmac_dma_bytes(n, page);
}

static uint32_t rd(const struct xgmac_ring *r, uint32_t off)
{
	return r->io->read32(r->io->ctx, off);
}

static void wr(const struct xgmac_ring *r, uint32_t off, uint32_t val)
{
	r->io->write32(r->io->ctx, off, val);
}

/*
 * Rewrites the buffer fields too, because the device writes whole
 * descriptors back; ownership goes last so that the device never sees a
 * half-written descriptor it owns.
 */
static void give_to_device(struct xgmac_ring *r, unsigned int i)
{
	volatile struct xgmac_desc *d = &r->desc[i];

	d->buffer1_addr = r->buf_iova + i * r->buf_size;
	d->buffer1_size = r->buf_size | (i == r->n - 1 ? XGMAC_RXDESC_END_RING : 0);
	d->buffer2_addr = 0;
	d->buffer2_size = 0;
	d->ext_stat = 0;
	dma_wmb();
	d->ctl_stat = XGMAC_DESC_OWN;
}

int xgmac_setup(struct xgmac_ring *r, struct xgmac_tx *tx)
{
	int polls = RESET_POLLS;

	wr(r, XGMAC_DMA_BUS_MODE, XGMAC_DMA_BUS_MODE_SFT_RESET);
	while (rd(r, XGMAC_DMA_BUS_MODE) & XGMAC_DMA_BUS_MODE_SFT_RESET)
		if (--polls == 0)
			return -1;

	for (unsigned int i = 0; i < r->n; i++)
		give_to_device(r, i);
	r->next = 0;
	wr(r, XGMAC_DMA_RX_BASE_ADDR, r->desc_iova);
	if (tx) {
		/* Like xgmac_dma_desc_init: the CPU's, the last one closing the ring. */
		for (unsigned int i = 0; i < tx->ring.n; i++)
			tx->ring.desc[i] = (struct xgmac_desc){
				.ctl_stat = i == tx->ring.n - 1 ? XGMAC_TXDESC_END_RING : 0,
			};
		tx->ring.next = tx->clean = tx->in_flight = 0;
		wr(r, XGMAC_DMA_TX_BASE_ADDR, tx->ring.desc_iova);
	}

	wr(r, XGMAC_CONTROL, rd(r, XGMAC_CONTROL) | XGMAC_CONTROL_RE | XGMAC_CONTROL_TE);
	wr(r, XGMAC_DMA_CONTROL,
	   rd(r, XGMAC_DMA_CONTROL) | XGMAC_DMA_CONTROL_SR | XGMAC_DMA_CONTROL_ST);
	/* Like xgmac_open: drop status latched before enabling, so the first IRQ is ours. */
	wr(r, XGMAC_DMA_STATUS, XGMAC_DMA_INTR_DEFAULT);
	wr(r, XGMAC_DMA_INTR_ENA, XGMAC_DMA_INTR_DEFAULT);
	return 0;
}

unsigned int xgmac_rx_poll(struct xgmac_ring *r, xgmac_frame_fn *fn, void *arg)
{
	unsigned int done;

	/* One lap at most: descriptors given back may fill again while we walk. */
	for (done = 0; done < r->n; done++) {
		uint32_t st = r->desc[r->next].ctl_stat;
		uint32_t len = (st >> XGMAC_RXDESC_FRAME_LEN_SHIFT) & XGMAC_RXDESC_FRAME_LEN_MASK;

		if (st & XGMAC_DESC_OWN)
			break;
		/* The frame is only valid once the device has released its descriptor. */
		dma_rmb();
		fn(arg, r->buf + r->next * r->buf_size, len > 4 ? len - 4 : 0);
		give_to_device(r, r->next);
		r->next = (r->next + 1) % r->n;
	}
	return done;
}

uint32_t xgmac_irq_ack(struct xgmac_ring *r)
{
	uint32_t status = rd(r, XGMAC_DMA_STATUS);

	wr(r, XGMAC_DMA_STATUS, status);
	if (status & XGMAC_DMA_STATUS_RU)
		wr(r, XGMAC_DMA_RX_POLL, 1);
	return status;
}

unsigned int xgmac_tx_reclaim(struct xgmac_tx *t)
{
	unsigned int done = 0;

	while (t->in_flight && !(t->ring.desc[t->clean].ctl_stat & XGMAC_DESC_OWN)) {
		t->clean = (t->clean + 1) % t->ring.n;
		t->in_flight--;
		done++;
	}
	return done;
}

unsigned int xgmac_tx_fill(struct xgmac_tx *t, xgmac_build_fn *build, void *arg, uint32_t *seq)
{
	struct xgmac_ring *r = &t->ring;
	unsigned int given = 0;

	while (t->in_flight < r->n) {
		unsigned int i = r->next;
		volatile struct xgmac_desc *d = &r->desc[i];
		unsigned int len = build(arg, (*seq)++, r->buf + i * r->buf_size, r->buf_size);

		d->buffer1_addr = r->buf_iova + i * r->buf_size;
		d->buffer1_size = len;
		d->buffer2_addr = 0;
		d->buffer2_size = 0;
		d->ext_stat = 0;
		/* The frame and the buffer fields before ownership, as in give_to_device. */
		dma_wmb();
		d->ctl_stat = XGMAC_DESC_OWN | XGMAC_TXDESC_FIRST_SEG | XGMAC_TXDESC_LAST_SEG |
			      (i == r->n - 1 ? XGMAC_TXDESC_END_RING : 0);
		r->next = (i + 1) % r->n;
		t->in_flight++;
		given++;
	}
	/* A TX engine suspended on a descriptor it did not own looks again only when told. */
	if (given)
		wr(r, XGMAC_DMA_TX_POLL, 1);
	return given;
}
