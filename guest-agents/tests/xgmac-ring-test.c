// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-side unit test of xgmac-ring.c against a simulated XGMAC: a register
 * file plus the RX behaviour of the harness's device model, so that ring
 * bugs show up here rather than as a silent VM in an integration test.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "tap.h"
#include "xgmac-regs.h"
#include "xgmac-ring.h"

/* ---- simulated device ---- */

#define RING_MAX 8
#define BUF_SIZE 2048
#define DESC_IOVA 0x10000000u
#define BUF_IOVA 0x10001000u
#define TX_DESC_IOVA 0x20000000u
#define TX_BUF_IOVA 0x20001000u
#define MAX_WRITES 64

struct reg_write {
	uint32_t off, val;
};

struct sim {
	uint32_t regs[0x1000 / 4];
	uint32_t cur_rx;		/* IOVA of the descriptor the next frame uses */
	uint32_t cur_tx;		/* IOVA of the descriptor the TX engine sends next */
	bool rx_suspended;		/* after RU, until RX_POLL */
	int reset_reads;		/* BUS_MODE reads until SFT_RESET clears; <0: never */
	bool buf_unmapped;		/* the IOMMU no longer maps the buffers */
	struct reg_write writes[MAX_WRITES];
	unsigned int nwrites;
	unsigned int rx_polls, tx_polls;
	struct xgmac_desc desc[RING_MAX];
	uint8_t buf[RING_MAX * BUF_SIZE];
	struct xgmac_desc tx_desc[RING_MAX];
	uint8_t tx_buf[RING_MAX * BUF_SIZE];
};

/* Stands in for the IOMMU: NULL when [iova, iova+len) is not mapped. */
static void *sim_dma(struct sim *s, uint32_t iova, uint32_t len)
{
	if (iova >= DESC_IOVA && iova + len <= DESC_IOVA + sizeof(s->desc))
		return (uint8_t *)s->desc + (iova - DESC_IOVA);
	if (!s->buf_unmapped && iova >= BUF_IOVA && iova + len <= BUF_IOVA + sizeof(s->buf))
		return s->buf + (iova - BUF_IOVA);
	if (iova >= TX_DESC_IOVA && iova + len <= TX_DESC_IOVA + sizeof(s->tx_desc))
		return (uint8_t *)s->tx_desc + (iova - TX_DESC_IOVA);
	if (iova >= TX_BUF_IOVA && iova + len <= TX_BUF_IOVA + sizeof(s->tx_buf))
		return s->tx_buf + (iova - TX_BUF_IOVA);
	return NULL;
}

static uint32_t *reg(struct sim *s, uint32_t off)
{
	return &s->regs[off / 4];
}

static bool sim_irq(struct sim *s)
{
	return (*reg(s, XGMAC_DMA_STATUS) & *reg(s, XGMAC_DMA_INTR_ENA)) != 0;
}

static uint32_t sim_read32(void *ctx, uint32_t off)
{
	struct sim *s = ctx;

	if (off == XGMAC_DMA_BUS_MODE && s->reset_reads > 0 && --s->reset_reads == 0)
		*reg(s, off) &= ~XGMAC_DMA_BUS_MODE_SFT_RESET;
	if (off == XGMAC_DMA_CUR_RX_DESC)
		return s->cur_rx;
	return *reg(s, off);
}

static void sim_write32(void *ctx, uint32_t off, uint32_t val)
{
	struct sim *s = ctx;

	if (s->nwrites < MAX_WRITES)
		s->writes[s->nwrites++] = (struct reg_write){ off, val };
	switch (off) {
	case XGMAC_DMA_BUS_MODE:
		if (val & XGMAC_DMA_BUS_MODE_SFT_RESET) {
			uint32_t hi = *reg(s, XGMAC_ADDR_HIGH0), lo = *reg(s, XGMAC_ADDR_LOW0);

			memset(s->regs, 0, sizeof(s->regs));
			*reg(s, XGMAC_ADDR_HIGH0) = hi;
			*reg(s, XGMAC_ADDR_LOW0) = lo;
			s->cur_rx = 0;
			s->rx_suspended = false;
		}
		*reg(s, off) = s->reset_reads ? val : val & ~XGMAC_DMA_BUS_MODE_SFT_RESET;
		break;
	case XGMAC_DMA_STATUS:
		*reg(s, off) &= ~val;
		break;
	case XGMAC_DMA_RX_BASE_ADDR:
		*reg(s, off) = s->cur_rx = val;
		break;
	case XGMAC_DMA_RX_POLL:
		s->rx_polls++;
		s->rx_suspended = false;
		break;
	case XGMAC_DMA_TX_BASE_ADDR:
		*reg(s, off) = s->cur_tx = val;
		break;
	case XGMAC_DMA_TX_POLL:
		s->tx_polls++;
		break;
	default:
		*reg(s, off) = val;
	}
}

/* A frame arriving from the wire; false if the device dropped it. */
static bool sim_rx(struct sim *s, const uint8_t *frame, uint32_t len)
{
	struct xgmac_desc *d = sim_dma(s, s->cur_rx, sizeof(*d));
	uint8_t *buf;

	if (!(*reg(s, XGMAC_DMA_CONTROL) & XGMAC_DMA_CONTROL_SR) || s->rx_suspended || !d)
		return false;
	if (!(d->ctl_stat & XGMAC_DESC_OWN)) {
		*reg(s, XGMAC_DMA_STATUS) |= XGMAC_DMA_STATUS_RU | XGMAC_DMA_STATUS_AIS;
		s->rx_suspended = true;
		return false;
	}
	buf = sim_dma(s, d->buffer1_addr, len);
	if (!buf) {
		*reg(s, XGMAC_DMA_STATUS) |= XGMAC_DMA_STATUS_FBI | XGMAC_DMA_STATUS_AIS;
		return false;
	}
	memcpy(buf, frame, len);
	d->ctl_stat = (len + 4) << XGMAC_RXDESC_FRAME_LEN_SHIFT | 0x300;
	s->cur_rx = d->buffer1_size & XGMAC_RXDESC_END_RING ?
		*reg(s, XGMAC_DMA_RX_BASE_ADDR) : s->cur_rx + XGMAC_DESC_SIZE;
	*reg(s, XGMAC_DMA_STATUS) |= XGMAC_DMA_STATUS_RI | XGMAC_DMA_STATUS_NIS;
	return true;
}

/* The TX engine sends one frame into out (its length returned), or 0 on a descriptor it does not own. */
static unsigned int sim_tx(struct sim *s, uint8_t *out)
{
	struct xgmac_desc *d = sim_dma(s, s->cur_tx, sizeof(*d));
	uint32_t want = XGMAC_DESC_OWN | XGMAC_TXDESC_FIRST_SEG | XGMAC_TXDESC_LAST_SEG;
	unsigned int len;
	uint8_t *buf;

	if (!(*reg(s, XGMAC_DMA_CONTROL) & XGMAC_DMA_CONTROL_ST) || !d || (d->ctl_stat & want) != want)
		return 0;
	len = d->buffer1_size;
	buf = sim_dma(s, d->buffer1_addr, len);
	if (!buf)
		return 0;
	memcpy(out, buf, len);
	d->ctl_stat &= ~XGMAC_DESC_OWN;
	s->cur_tx = d->ctl_stat & XGMAC_TXDESC_END_RING ? *reg(s, XGMAC_DMA_TX_BASE_ADDR) : s->cur_tx + XGMAC_DESC_SIZE;
	return len;
}

/* ---- fixtures ---- */

static struct sim sim;
static struct xgmac_io io;
static struct xgmac_ring ring;
static struct xgmac_tx tx;

/* A device in some state left behind, with a ring of n descriptors. */
static void fixture(unsigned int n)
{
	memset(&sim, 0xa5, sizeof(sim));
	memset(sim.regs, 0, sizeof(sim.regs));
	*reg(&sim, XGMAC_CONTROL) = 0x60;
	*reg(&sim, XGMAC_DMA_STATUS) = XGMAC_DMA_STATUS_RI;
	*reg(&sim, XGMAC_DMA_INTR_ENA) = XGMAC_DMA_STATUS_TI;
	*reg(&sim, XGMAC_ADDR_LOW0) = 0x5452;
	sim.reset_reads = 3;
	sim.buf_unmapped = false;
	sim.rx_suspended = false;
	sim.nwrites = 0;
	sim.rx_polls = sim.tx_polls = 0;
	io = (struct xgmac_io){ &sim, sim_read32, sim_write32 };
	ring = (struct xgmac_ring){
		.io = &io, .desc = sim.desc, .desc_iova = DESC_IOVA,
		.buf = sim.buf, .buf_iova = BUF_IOVA, .n = n, .buf_size = BUF_SIZE,
	};
	tx = (struct xgmac_tx){ .ring = {
		.io = &io, .desc = sim.tx_desc, .desc_iova = TX_DESC_IOVA,
		.buf = sim.tx_buf, .buf_iova = TX_BUF_IOVA, .n = n, .buf_size = BUF_SIZE,
	} };
}

/* Frame number id: its bytes depend on id, so a frame delivered out of order fails memcmp. */
static const uint8_t *frame(unsigned int id, unsigned int len)
{
	static uint8_t f[BUF_SIZE];

	for (unsigned int i = 0; i < len; i++)
		f[i] = (uint8_t)(id * 31 + i);
	return f;
}

static struct {
	unsigned int count;
	unsigned int len[2 * RING_MAX];
	uint8_t data[2 * RING_MAX][BUF_SIZE];
} got;

static void record(void *arg, const uint8_t *f, unsigned int len)
{
	(void)arg;
	if (got.count < 2 * RING_MAX) {
		got.len[got.count] = len;
		memcpy(got.data[got.count], f, len < BUF_SIZE ? len : BUF_SIZE);
	}
	got.count++;
}

static void expect_got(unsigned int i, unsigned int id, unsigned int len)
{
	EXPECT_EQ(len, got.len[i]);
	EXPECT_EQ(0, memcmp(got.data[i], frame(id, len), len));
}

static void inject(unsigned int id, unsigned int len)
{
	EXPECT_EQ(true, sim_rx(&sim, frame(id, len), len));
}

/* ---- tests ---- */

TEST(setup_programs_registers)
{
	const struct reg_write want[] = {
		{ XGMAC_DMA_BUS_MODE, XGMAC_DMA_BUS_MODE_SFT_RESET },
		{ XGMAC_DMA_RX_BASE_ADDR, DESC_IOVA },
		{ XGMAC_CONTROL, XGMAC_CONTROL_RE | XGMAC_CONTROL_TE },
		{ XGMAC_DMA_CONTROL, XGMAC_DMA_CONTROL_SR | XGMAC_DMA_CONTROL_ST },
		{ XGMAC_DMA_STATUS, XGMAC_DMA_INTR_DEFAULT },
		{ XGMAC_DMA_INTR_ENA, XGMAC_DMA_INTR_DEFAULT },
	};
	const unsigned int n = 4;

	fixture(n);
	ASSERT_EQ(0, xgmac_setup(&ring, NULL));
	ASSERT_EQ(sizeof(want) / sizeof(want[0]), sim.nwrites);
	for (unsigned int i = 0; i < sim.nwrites; i++) {
		EXPECT_EQ(want[i].off, sim.writes[i].off);
		EXPECT_EQ(want[i].val, sim.writes[i].val);
	}
	for (unsigned int i = 0; i < n; i++) {
		EXPECT_EQ(XGMAC_DESC_OWN, sim.desc[i].ctl_stat);
		EXPECT_EQ(BUF_IOVA + i * BUF_SIZE, sim.desc[i].buffer1_addr);
		EXPECT_EQ(BUF_SIZE | (i == n - 1 ? XGMAC_RXDESC_END_RING : 0), sim.desc[i].buffer1_size);
		EXPECT_EQ(0, sim.desc[i].buffer2_addr);
		EXPECT_EQ(0, sim.desc[i].buffer2_size);
	}
	EXPECT_EQ(DESC_IOVA, sim_read32(&sim, XGMAC_DMA_CUR_RX_DESC));
	EXPECT_EQ(0, *reg(&sim, XGMAC_DMA_STATUS));
	EXPECT_EQ(0x5452, *reg(&sim, XGMAC_ADDR_LOW0));
	EXPECT_EQ(false, sim_irq(&sim));
}

TEST(setup_fails_when_reset_hangs)
{
	fixture(4);
	sim.reset_reads = -1;
	EXPECT_EQ(-1, xgmac_setup(&ring, NULL));
	/* Nothing else may be programmed into a device that did not reset. */
	EXPECT_EQ(1, sim.nwrites);
}

TEST(frames_delivered_in_order)
{
	fixture(4);
	got.count = 0;
	ASSERT_EQ(0, xgmac_setup(&ring, NULL));
	EXPECT_EQ(0, xgmac_rx_poll(&ring, record, NULL));
	inject(1, 60);
	inject(2, 1514);
	inject(3, 64);
	EXPECT_EQ(true, sim_irq(&sim));
	EXPECT_EQ(XGMAC_DMA_STATUS_RI | XGMAC_DMA_STATUS_NIS, xgmac_irq_ack(&ring));
	EXPECT_EQ(false, sim_irq(&sim));
	ASSERT_EQ(3, xgmac_rx_poll(&ring, record, NULL));
	expect_got(0, 1, 60);
	expect_got(1, 2, 1514);
	expect_got(2, 3, 64);
	for (unsigned int i = 0; i < 3; i++)
		EXPECT_EQ(XGMAC_DESC_OWN, sim.desc[i].ctl_stat);
	EXPECT_EQ(0, xgmac_rx_poll(&ring, record, NULL));
	EXPECT_EQ(0, sim.rx_polls);
}

TEST(ring_wraps_around)
{
	fixture(4);
	got.count = 0;
	ASSERT_EQ(0, xgmac_setup(&ring, NULL));
	for (unsigned int lap = 0; lap < 3; lap++) {
		for (unsigned int i = 0; i < 3; i++)
			inject(lap * 3 + i, 100 + lap * 3 + i);
		xgmac_irq_ack(&ring);
		ASSERT_EQ(3, xgmac_rx_poll(&ring, record, NULL));
	}
	ASSERT_EQ(9, got.count);
	for (unsigned int i = 0; i < 9; i++)
		expect_got(i, i, 100 + i);
	/* 9 frames in a ring of 4: the device is at descriptor 1 again, and so is the driver. */
	EXPECT_EQ(DESC_IOVA + 1 * XGMAC_DESC_SIZE, sim.cur_rx);
	EXPECT_EQ(1, ring.next);
	EXPECT_EQ(0, sim.rx_polls);
}

TEST(ru_reported_and_recovered)
{
	fixture(4);
	got.count = 0;
	ASSERT_EQ(0, xgmac_setup(&ring, NULL));
	for (unsigned int i = 0; i < 4; i++)
		inject(i, 200 + i);
	EXPECT_EQ(false, sim_rx(&sim, frame(4, 204), 204));
	EXPECT_EQ(true, sim_irq(&sim));
	EXPECT_EQ(XGMAC_DMA_STATUS_RI | XGMAC_DMA_STATUS_NIS | XGMAC_DMA_STATUS_RU |
		  XGMAC_DMA_STATUS_AIS, xgmac_irq_ack(&ring));
	EXPECT_EQ(1, sim.rx_polls);
	EXPECT_EQ(0, *reg(&sim, XGMAC_DMA_STATUS));
	ASSERT_EQ(4, xgmac_rx_poll(&ring, record, NULL));
	inject(5, 205);
	ASSERT_EQ(1, xgmac_rx_poll(&ring, record, NULL));
	ASSERT_EQ(5, got.count);
	for (unsigned int i = 0; i < 4; i++)
		expect_got(i, i, 200 + i);
	expect_got(4, 5, 205);
}

TEST(dma_fault_acked_without_rx_poll)
{
	fixture(4);
	got.count = 0;
	ASSERT_EQ(0, xgmac_setup(&ring, NULL));
	sim.buf_unmapped = true;
	EXPECT_EQ(false, sim_rx(&sim, frame(0, 60), 60));
	EXPECT_EQ(true, sim_irq(&sim));
	EXPECT_EQ(XGMAC_DMA_STATUS_FBI | XGMAC_DMA_STATUS_AIS, xgmac_irq_ack(&ring));
	EXPECT_EQ(0, *reg(&sim, XGMAC_DMA_STATUS));
	EXPECT_EQ(false, sim_irq(&sim));
	EXPECT_EQ(0, sim.rx_polls);
	EXPECT_EQ(0, xgmac_rx_poll(&ring, record, NULL));
}

/* Frame seq: its length and bytes depend on seq, so a frame sent out of order fails memcmp. */
static unsigned int build(void *arg, uint32_t seq, uint8_t *buf, unsigned int size)
{
	unsigned int len = 60 + seq % 7;

	(void)arg;
	EXPECT_EQ(BUF_SIZE, size);
	memcpy(buf, frame(seq, len), len);
	return len;
}

TEST(setup_points_tx_at_a_ring_of_the_cpus_before_starting_it)
{
	const unsigned int n = 4;

	fixture(n);
	ASSERT_EQ(0, xgmac_setup(&ring, &tx));
	EXPECT_EQ(XGMAC_DMA_TX_BASE_ADDR, sim.writes[2].off);
	EXPECT_EQ(TX_DESC_IOVA, sim.writes[2].val);
	EXPECT_EQ(XGMAC_DMA_CONTROL, sim.writes[4].off);
	for (unsigned int i = 0; i < n; i++)
		EXPECT_EQ(i == n - 1 ? XGMAC_TXDESC_END_RING : 0, sim.tx_desc[i].ctl_stat);
	EXPECT_EQ(0, sim_tx(&sim, got.data[0]));
}

TEST(tx_ring_kept_full_sends_frames_in_order_around_the_ring)
{
	const unsigned int n = 4;
	uint32_t seq = 0;
	unsigned int polls;

	fixture(n);
	ASSERT_EQ(0, xgmac_setup(&ring, &tx));
	EXPECT_EQ(n, xgmac_tx_fill(&tx, build, NULL, &seq));
	EXPECT_EQ(1, sim.tx_polls);
	EXPECT_EQ(0, xgmac_tx_fill(&tx, build, NULL, &seq));
	EXPECT_EQ(1, sim.tx_polls);
	for (unsigned int i = 0; i < n; i++)
		EXPECT_EQ(TX_BUF_IOVA + i * BUF_SIZE, sim.tx_desc[i].buffer1_addr);
	/* Three laps of the ring: each frame sent once, in order, the ring topped up after each three. */
	for (unsigned int sent = 0; sent < 3 * n; sent += 3) {
		for (unsigned int k = 0; k < 3; k++) {
			unsigned int len = sim_tx(&sim, got.data[0]);

			EXPECT_EQ(60 + (sent + k) % 7, len);
			EXPECT_EQ(0, memcmp(got.data[0], frame(sent + k, len), len));
		}
		polls = sim.tx_polls;
		EXPECT_EQ(3, xgmac_tx_reclaim(&tx));
		EXPECT_EQ(3, xgmac_tx_fill(&tx, build, NULL, &seq));
		EXPECT_EQ(polls + 1, sim.tx_polls);
	}
	EXPECT_EQ(3 * n + n, seq);
}

/* The driver's area, and so the probe's default, under 4 KiB and 64 KiB pages. */
TEST(dma_area_layout)
{
	EXPECT_EQ(0x1000, xgmac_desc_bytes(XGMAC_DEFAULT_RING, 0x1000));
	EXPECT_EQ(0x1000 + XGMAC_DEFAULT_RING * XGMAC_RX_BUF_SIZE, xgmac_dma_bytes(XGMAC_DEFAULT_RING, 0x1000));
	EXPECT_EQ(0x10000, xgmac_desc_bytes(XGMAC_DEFAULT_RING, 0x10000));
	EXPECT_EQ(0x20000, xgmac_dma_bytes(XGMAC_DEFAULT_RING, 0x10000));
	/* 129 descriptors spill into a second page; 1 buffer still rounds up to a whole one. */
	EXPECT_EQ(0x2000, xgmac_desc_bytes(129, 0x1000));
	EXPECT_EQ(0x2000 + 129 * XGMAC_RX_BUF_SIZE + 0x800, xgmac_dma_bytes(129, 0x1000));
	EXPECT_EQ(0x2000, xgmac_dma_bytes(1, 0x1000));
	/* The TX ring's area follows the RX ring's, laid out alike. */
	EXPECT_EQ(2 * (0x1000 + XGMAC_DEFAULT_RING * XGMAC_RX_BUF_SIZE), xgmac_area_bytes(XGMAC_DEFAULT_RING, 0x1000));
}

TEST_HARNESS_MAIN
