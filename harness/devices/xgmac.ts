// SPDX-License-Identifier: GPL-2.0-only
/**
 * The Calxeda XGMAC device profile: everything specific to the device under
 * test, defined once. The C agents get the register map through a header
 * generated from this module (see c-header.ts).
 */

/** Register byte offsets within the XGMAC's MMIO region (Linux: drivers/net/ethernet/calxeda/xgmac.c). */
export const XGMAC_REGS = {
  CONTROL: 0x0000,
  FRAME_FILTER: 0x0004,
  VERSION: 0x0020,
  ADDR_HIGH0: 0x0040,
  ADDR_LOW0: 0x0044,
  DMA_BUS_MODE: 0x0f00,
  DMA_TX_POLL: 0x0f04,
  DMA_RX_POLL: 0x0f08,
  DMA_RX_BASE_ADDR: 0x0f0c,
  DMA_TX_BASE_ADDR: 0x0f10,
  DMA_STATUS: 0x0f14,
  DMA_CONTROL: 0x0f18,
  DMA_INTR_ENA: 0x0f1c,
  DMA_CUR_RX_DESC: 0x0f4c,
} as const;

export const XGMAC_BITS = {
  CONTROL_TE: 0x00000008,
  CONTROL_RE: 0x00000004,
  DMA_BUS_MODE_SFT_RESET: 0x00000001,
  DMA_CONTROL_ST: 0x00002000,
  DMA_CONTROL_SR: 0x00000002,
  DMA_STATUS_NIS: 0x00010000,
  DMA_STATUS_AIS: 0x00008000,
  DMA_STATUS_FBI: 0x00002000,
  DMA_STATUS_RU: 0x00000080,
  DMA_STATUS_RI: 0x00000040,
  DMA_STATUS_TU: 0x00000004,
  DMA_STATUS_TI: 0x00000001,
  /** What the kernel driver enables: normal and abnormal summaries, RX and TX, fatal bus errors. */
  DMA_INTR_DEFAULT: 0x00010000 | 0x00008000 | 0x00002000 | 0x00000080 | 0x00000040 | 0x00000001,
  DESC_OWN: 0x80000000,
  RXDESC_END_RING: 0x8000,
  TXDESC_END_RING: 0x00200000,
  TXDESC_FIRST_SEG: 0x10000000,
  TXDESC_LAST_SEG: 0x20000000,
  RXDESC_FRAME_LEN_SHIFT: 16,
  RXDESC_FRAME_LEN_MASK: 0x3fff,
} as const;

/** Size of one DMA descriptor in bytes (struct xgmac_dma_desc). */
export const XGMAC_DESC_SIZE = 32;

/**
 * The XGMACs are the only devices on the L0 virt board's platform bus, created in instance order: instance i gets
 * the i-th 4 KiB MMIO slot from the bus's base, its next three SPIs and the next fixed SMMUv3 stream ID
 * (QEMU: hw/arm/virt.c VIRT_PLATFORM_BUS, VIRT_PLATFORM_SID_BASE; hw/core/platform-bus.c).
 */
const MMIO_BASE = 0x0c000000;
const MMIO_STRIDE = 0x1000;
const SPI_BASE = 112;

export const XGMAC_PROFILE = {
  /** The L0 model's QEMU device type (-device). */
  qemuDevice: 'xgmac',
  compatible: 'calxeda,hb-xgmac',
  /** SMMUv3 stream ID of instance i is sidBase + i. */
  sidBase: 0xff00,
  /**
   * GIC interrupt IDs (hwirq numbers in L1) of instance i's three lines, sbd
   * (DMA/MAC), pmt and mci as on Midway: SPIs from SPI_BASE + 3i.
   */
  hwirqs: (instance: number) => [0, 1, 2].map((k) => 32 + SPI_BASE + 3 * instance + k),
  /** Linux's platform device name of instance i. */
  deviceName: (instance: number) => `${(MMIO_BASE + instance * MMIO_STRIDE).toString(16)}.xgmac`,
  /**
   * The kernel's reset handler's first quiescing write (DMA_INTR_ENA = 0),
   * which no driver writes while in use: a kernel without the handler
   * writes none after the kill.
   */
  isHandlerWrite: (e: { readonly op: 'read' | 'write'; readonly offset: number; readonly value: number }) =>
    e.op === 'write' && e.offset === XGMAC_REGS.DMA_INTR_ENA && e.value === 0,
  /**
   * Options of the L0 model in every run. Like real DMA engines, the RX
   * engine holds the descriptors it fetched ahead (x-rx-prefetch): a device
   * left running writes the next frames to those buffers, which belong to
   * the next user once the device is reassigned. Its TX engine walks the TX
   * ring on its own while started (x-tx-interval-us, one descriptor a step)
   * and holds descriptors fetched ahead too (x-tx-prefetch): one left
   * running sends whatever is mapped at their buffers' IOVAs by then.
   */
  l0Globals: ['xgmac.x-rx-prefetch=4', 'xgmac.x-tx-interval-us=10000', 'xgmac.x-tx-prefetch=4'],
  /**
   * Options of the L0 model under the device-ignores-reset control: it
   * drops the writes that would quiesce it, and traces each one.
   */
  ignoreResetGlobals: ['xgmac.x-quiesce-ignored=on'],
  /**
   * Options of the L0 model under a partial control: the bits of what it
   * names (tx: DMA_CONTROL.ST and MAC TE; rx: SR and RE; irq: DMA_INTR_ENA)
   * survive the quiescing writes, and each write that would clear one is
   * traced as ignored.
   */
  keepGlobals: (part: 'tx' | 'rx' | 'irq') => [`xgmac.x-quiesce-keep=${part}`],
  /** The reset module that quiesces it. */
  resetModule: 'vfio-platform-calxedaxgmac',
} as const;

export interface XgmacRegisterState {
  readonly control: number;
  readonly dmaControl: number;
  readonly dmaIntrEna: number;
  readonly dmaStatus: number;
}

/**
 * Quiescent means: no DMA engine running (DMA_CONTROL SR/ST clear), no
 * interrupt enabled (DMA_INTR_ENA zero) and the MAC disabled (RE/TE clear).
 * Latched DMA_STATUS bits are harmless once interrupts are disabled, so
 * they are reported but do not count.
 */
export function quiescenceViolations(state: Omit<XgmacRegisterState, 'dmaStatus'>): string[] {
  const out: string[] = [];
  const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
  if (state.dmaControl & XGMAC_BITS.DMA_CONTROL_SR) out.push(`DMA_CONTROL.SR set (${hex(state.dmaControl)})`);
  if (state.dmaControl & XGMAC_BITS.DMA_CONTROL_ST) out.push(`DMA_CONTROL.ST set (${hex(state.dmaControl)})`);
  if (state.dmaIntrEna !== 0) out.push(`DMA_INTR_ENA not zero (${hex(state.dmaIntrEna)})`);
  if (state.control & XGMAC_BITS.CONTROL_RE) out.push(`MAC CONTROL.RE set (${hex(state.control)})`);
  if (state.control & XGMAC_BITS.CONTROL_TE) out.push(`MAC CONTROL.TE set (${hex(state.control)})`);
  return out;
}
