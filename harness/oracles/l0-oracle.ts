// SPDX-License-Identifier: GPL-2.0-only
/**
 * The ground truth: the emulated device's own trace. After the release of
 * the device by user #1 and until user #2 is done with it (user #2 never
 * enables anything), the device must make no DMA access at all (a
 * successful one may land in the next user's memory, a failed one is an
 * SMMU fault), must not assert its interrupt line, and must be left
 * quiescent: no DMA engine started, no interrupt source enabled, its MAC
 * off, whether or not anything happens to show it.
 */
import { quiescenceViolations } from '../devices/xgmac.ts';
import { DMA_TARGETS, ofKind, type TraceEvent } from '../trace/l0-trace.ts';
import type { OracleName } from '../plan/oracles.ts';
import { fired, silent, type OracleResult } from './finding.ts';

export interface L0Window {
  readonly instance: number;
  readonly sid: number;
  readonly killAt: number;
  /** Start of the window: user #1 is gone and its file descriptors are closed. */
  readonly from: number;
  /** When user #2 came: the release's writes are all in, user #2's open has not begun. */
  readonly nextUserAt: number;
  /** End of the window: user #2 released the device. */
  readonly to: number;
}

const rel = (t: number, w: L0Window) => Math.round(t - w.killAt);
const hex = (v: number) => `0x${v.toString(16)}`;

export function l0Oracles(unsorted: readonly TraceEvent[], w: L0Window): OracleResult[] {
  // Lines from QEMU's threads can interleave slightly out of order.
  const trace = [...unsorted].sort((a, b) => a.t - b.t);
  const inWindow = trace.filter((e) => e.t >= w.from && e.t <= w.to);
  const span = `${rel(w.from, w)}..${rel(w.to, w)} ms after the kill`;

  const dma = ofKind(inWindow, 'dma').filter((e) => e.instance === w.instance);
  const dmaOracle = (oracle: OracleName, dir: 'write' | 'read', what: string): OracleResult => {
    const mine = dma.filter((e) => e.dir === dir);
    const looked = `XGMAC ${w.instance} DMA ${what} ${span}`;
    if (mine.length === 0) return silent(oracle, 'L0', looked);
    const first = mine[0]!;
    return fired(oracle, 'L0', looked, mine.length, {
      tRelMs: rel(first.t, w),
      detail:
        `${first.dir} ${first.what} iova ${hex(first.iova)} len ${first.len}: ` +
        `${first.ok ? 'translated' : 'faulted'} ` +
        `(${mine.filter((e) => e.ok).length} translated, ${mine.filter((e) => !e.ok).length} faulted; ` +
        `${DMA_TARGETS.map((t) => `${t} ${mine.filter((e) => e.what === t).length}`).join(', ')})`,
    });
  };
  // Writes land in the next user's memory; reads take it, descriptors and TX buffers, towards the wire.
  const dmaResult = dmaOracle('l0-dma-after-release', 'write', 'writes');
  const readResult = dmaOracle('l0-dma-read-after-release', 'read', 'reads (descriptors and TX buffers)');

  // The line's level when the window opens, then every assertion inside it.
  const irqs = ofKind(trace, 'irq').filter((e) => e.instance === w.instance && e.line === 0);
  const levelAtStart = [...irqs].reverse().find((e) => e.t < w.from)?.level ?? 0;
  const raised = irqs.filter((e) => e.t >= w.from && e.t <= w.to && e.level === 1);
  const irqCount = raised.length + levelAtStart;
  const irqResult: OracleResult =
    irqCount === 0
      ? silent('l0-irq-after-release', 'L0', `XGMAC ${w.instance} IRQ line ${span}`)
      : fired(
          'l0-irq-after-release',
          'L0',
          `XGMAC ${w.instance} IRQ line ${span}`,
          irqCount,
          levelAtStart
            ? { tRelMs: rel(w.from, w), detail: 'IRQ line still asserted when user #1 was gone' }
            : { tRelMs: rel(raised[0]!.t, w), detail: 'IRQ line asserted' },
        );

  const faults = [
    ...ofKind(inWindow, 'smmu-event').filter((e) => e.sid === w.sid),
    ...ofKind(inWindow, 'smmu-abort').filter((e) => e.sid === w.sid),
  ].sort((a, b) => a.t - b.t);
  const faultResult: OracleResult =
    faults.length === 0
      ? silent('l0-smmu-faults', 'L0', `SMMU events for stream ${hex(w.sid)} ${span}`)
      : fired('l0-smmu-faults', 'L0', `SMMU events for stream ${hex(w.sid)} ${span}`, faults.length, {
          tRelMs: rel(faults[0]!.t, w),
          detail: faults[0]!.kind === 'smmu-event' ? faults[0]!.type : 'translation aborted',
        });

  return [deviceStateOracle(trace, w), dmaResult, readResult, irqResult, faultResult];
}

/**
 * The quiescence registers as the model traced them, at two instants when
 * nobody writes them: when user #2 came (what the release left) and when it
 * was done (what user #2's open left, which resets the device again).
 */
function deviceStateOracle(trace: readonly TraceEvent[], w: L0Window): OracleResult {
  const states = ofKind(trace, 'state').filter((e) => e.instance === w.instance);
  const looked = `XGMAC ${w.instance} DMA_CONTROL, DMA_INTR_ENA and MAC CONTROL when user #2 came and when it was done`;
  const at = (t: number) => [...states].reverse().find((e) => e.t <= t);
  const instants = [
    { name: 'when user #2 came', t: w.nextUserAt },
    { name: 'when user #2 was done', t: w.to },
  ].map((i) => {
    const state = at(i.t);
    return { ...i, violations: state === undefined ? [] : quiescenceViolations(state) };
  });
  const found = instants.filter((i) => i.violations.length > 0);
  if (found.length === 0) return silent('l0-device-state', 'L0', looked);
  return fired('l0-device-state', 'L0', looked, sum(found.map((i) => i.violations.length)), {
    tRelMs: rel(found[0]!.t, w),
    detail: found.map((i) => `${i.name}: ${i.violations.join(', ')}`).join('; '),
  });
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
