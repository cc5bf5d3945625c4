// SPDX-License-Identifier: GPL-2.0-only
/**
 * What VM #2 showed of a device left running: this run's frame payloads in
 * its RAM, read from L1 while VM #2 was paused before its first instruction
 * (only a DMA write can have put them there, and nothing of the guest can
 * have overwritten them yet), and, when its first process looked before
 * any driver, the device's registers not quiescent and its interrupts
 * already pending (or active) in its GIC.
 */
import type { Vm2Report } from '../evidence/agent-reports.ts';
import { fired, silent, type OracleResult } from './finding.ts';
import { registersOracle } from './registers-oracle.ts';

/**
 * Why VM #2's GIC and registers went unread: the hazard itself, when stale
 * writes broke what QEMU had loaded into its RAM.
 */
const VM2_BROKEN_BY_STALE_WRITES =
  'VM #2 never reached its probe: the stale DMA writes found in its RAM broke what QEMU had loaded there';

/** `fromHarness` places a harness wall-clock time (ms) relative to the kill. */
export function vm2Oracles(report: Vm2Report, fromHarness: (t: number) => number): OracleResult[] {
  const gicLooked = "the passed-through SPIs in VM #2's GIC distributor (pending/active) before any driver";
  const spis = report.probe?.spis.filter((s) => s.pending || s.active) ?? [];
  const gic: OracleResult =
    report.probe === null
      ? silent('user2-gic-pending', 'user2', `${gicLooked}: ${VM2_BROKEN_BY_STALE_WRITES}`)
      : spis.length === 0
        ? silent('user2-gic-pending', 'user2', gicLooked)
        : fired('user2-gic-pending', 'user2', gicLooked, spis.length, {
            tRelMs: fromHarness(report.probe.receivedAt),
            detail: spis
              .map((s) =>
                `SPI ${s.spi} (INTID ${s.intid}) ${s.pending ? 'pending' : ''}${s.active ? ' active' : ''}`.trim(),
              )
              .join(', '),
          });
  const { snapshot } = report;
  const memLooked =
    `this run's frame payloads in VM #2's RAM (${Math.round(snapshot.bytes / 1048576)} MiB), ` +
    'read from L1 while VM #2 was paused before its first instruction';
  const first = report.stalePayloads[0];
  const memory: OracleResult =
    snapshot.payloads === 0
      ? silent('user2-memory', 'user2', memLooked)
      : fired('user2-memory', 'user2', memLooked, snapshot.payloads, {
          tRelMs: fromHarness(snapshot.receivedAt),
          detail:
            first !== undefined
              ? `frame payload seq ${first.seq} at guest-physical 0x${first.gpa.toString(16)}`
              : `${snapshot.payloads} frame payloads`,
        });
  const registersLooked = 'DMA_CONTROL SR/ST, DMA_INTR_ENA, MAC RE/TE as VM #2 found them, before any driver';
  const registers =
    report.probe === null
      ? silent('user2-registers', 'user2', `${registersLooked}: ${VM2_BROKEN_BY_STALE_WRITES}`)
      : registersOracle(report.probe.registers, fromHarness(report.probe.registers.receivedAt), registersLooked);
  return [registers, gic, memory];
}
