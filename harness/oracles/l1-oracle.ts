// SPDX-License-Identifier: GPL-2.0-only
/**
 * The host kernel's view (L1): SMMU events it logged after the kill (its
 * log is rate-limited, so exact counts come from L0; here any is enough),
 * and how often the device's vfio IRQ fired while user #2 held it without
 * having enabled anything.
 */
import { silent, type OracleResult } from './finding.ts';

const SMMU_EVENT = /arm-smmu-v3 [^:]+: event (0x[0-9a-f]+) received/;
const STAMP = /^\[\s*(\d+\.\d+)\]/;

/** SMMU events in the dmesg lines logged after the kill; `uptimeAtKill` (s) maps their stamps to the kill. */
export function l1SmmuOracle(dmesgAfterKill: readonly string[], uptimeAtKill: number): OracleResult {
  const events = dmesgAfterKill.filter((l) => SMMU_EVENT.test(l));
  const looked = 'arm-smmu-v3 event lines in L1 dmesg after the kill';
  if (events.length === 0) return silent('l1-smmu-events', 'L1', looked);
  const stamp = STAMP.exec(events[0]!);
  return {
    oracle: 'l1-smmu-events',
    vantage: 'L1',
    fired: true,
    count: events.length,
    first: {
      tRelMs: stamp ? Math.round((Number(stamp[1]) - uptimeAtKill) * 1000) : null,
      detail: events[0]!.replace(STAMP, '').trim(),
    },
    looked,
  };
}

/**
 * The rise of the device's interrupt count in L1 between user #1's release and a sample taken while user #2 held
 * it.
 */
export function l1IrqCountOracle(before: number | null, after: number | null, what: string): OracleResult {
  const looked = `the device's interrupt count in L1 (/sys/kernel/irq) ${what}`;
  if (after === null) return silent('l1-vfio-irq-count', 'L1', `${looked} (no IRQ descriptor)`);
  const rise = after - (before ?? 0);
  if (rise <= 0) return silent('l1-vfio-irq-count', 'L1', looked);
  return {
    oracle: 'l1-vfio-irq-count',
    vantage: 'L1',
    fired: true,
    count: rise,
    first: { tRelMs: null, detail: `interrupt count rose from ${before ?? 0} to ${after}` },
    looked,
  };
}
