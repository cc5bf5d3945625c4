// SPDX-License-Identifier: GPL-2.0-only
/** The oracles by name, and where each looks from. */

export const ORACLE_NAMES = [
  'l0-device-state',
  'l0-dma-after-release',
  'l0-dma-read-after-release',
  'l0-irq-after-release',
  'l0-smmu-faults',
  'wire-after-release',
  'wire-leak',
  'l1-smmu-events',
  'l1-vfio-irq-count',
  'user2-registers',
  'user2-irqs',
  'user2-gic-pending',
  'user2-memory',
] as const;
export type OracleName = (typeof ORACLE_NAMES)[number];

export const VANTAGES = ['L0', 'L1', 'user2'] as const;
export type Vantage = (typeof VANTAGES)[number];

/** Where each oracle looks from: L0 needs the emulated device's trace, the others any host under test has. */
export const ORACLE_VANTAGE: Readonly<Record<OracleName, Vantage>> = {
  'l0-device-state': 'L0',
  'l0-dma-after-release': 'L0',
  'l0-dma-read-after-release': 'L0',
  'l0-irq-after-release': 'L0',
  'l0-smmu-faults': 'L0',
  // The harness at L0 is the device's link partner: the frames it sends come there.
  'wire-after-release': 'L0',
  'wire-leak': 'L0',
  'l1-smmu-events': 'L1',
  'l1-vfio-irq-count': 'L1',
  'user2-registers': 'user2',
  'user2-irqs': 'user2',
  'user2-gic-pending': 'user2',
  'user2-memory': 'user2',
};
