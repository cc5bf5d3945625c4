// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a freshly booted VM #2 saw first thing in its init, before any
 * driver touched the passed-through device: interrupts of the device
 * already pending (or active) in its GIC, and this run's frame payloads
 * anywhere in its RAM (only a DMA write can have put them there).
 */
import type { L2ProbeReport } from '../evidence/agent-reports.ts';
import { silent, type OracleResult } from './finding.ts';

/** `fromHarness` places a harness wall-clock time (ms) relative to the kill. */
export function vm2Oracles(report: L2ProbeReport, fromHarness: (t: number) => number): OracleResult[] {
  const out: OracleResult[] = [];
  const spis = report.gic.spis.filter((s) => s.pending || s.active);
  const gicLooked = "the passed-through SPIs in VM #2's GIC distributor (pending/active) before any driver";
  out.push(
    spis.length === 0
      ? silent('user2-gic-pending', 'user2', gicLooked)
      : {
          oracle: 'user2-gic-pending',
          vantage: 'user2',
          fired: true,
          count: spis.length,
          first: {
            tRelMs: fromHarness(report.gic.receivedAt),
            detail: spis
              .map((s) =>
                `SPI ${s.spi} (INTID ${s.intid}) ${s.pending ? 'pending' : ''}${s.active ? ' active' : ''}`.trim(),
              )
              .join(', '),
          },
          looked: gicLooked,
        },
  );
  const memLooked = `this run's frame payloads in VM #2's RAM (${Math.round(report.scan.bytes / 1048576)} MiB scanned)`;
  const first = report.payloads[0];
  out.push(
    report.scan.payloads === 0
      ? silent('user2-memory', 'user2', memLooked)
      : {
          oracle: 'user2-memory',
          vantage: 'user2',
          fired: true,
          count: report.scan.payloads,
          first:
            first !== undefined
              ? {
                  tRelMs: fromHarness(first.receivedAt),
                  detail: `frame payload seq ${first.seq} at guest-physical ${first.phys}`,
                }
              : null,
          looked: memLooked,
        },
  );
  return out;
}
