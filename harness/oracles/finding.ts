// SPDX-License-Identifier: GPL-2.0-only
/** What an oracle says about one run: whether it saw the hazard, how much, and the first offending event. */

export const ORACLE_NAMES = [
  'l0-dma-after-release',
  'l0-irq-after-release',
  'l0-smmu-faults',
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
  'l0-dma-after-release': 'L0',
  'l0-irq-after-release': 'L0',
  'l0-smmu-faults': 'L0',
  'l1-smmu-events': 'L1',
  'l1-vfio-irq-count': 'L1',
  'user2-registers': 'user2',
  'user2-irqs': 'user2',
  'user2-gic-pending': 'user2',
  'user2-memory': 'user2',
};

export interface OracleResult {
  readonly oracle: OracleName;
  /** Which vantage point: L0 (the device's own trace), L1 (the host kernel), user #2 (the next user). */
  readonly vantage: Vantage;
  readonly fired: boolean;
  readonly count: number;
  /** The first offending event, with its time relative to the kill (ms). */
  readonly first: { readonly tRelMs: number | null; readonly detail: string } | null;
  /** One line saying what was looked at, for the report. */
  readonly looked: string;
}

export function silent(oracle: OracleName, vantage: OracleResult['vantage'], looked: string): OracleResult {
  return { oracle, vantage, fired: false, count: 0, first: null, looked };
}
