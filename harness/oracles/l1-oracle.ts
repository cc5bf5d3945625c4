// SPDX-License-Identifier: GPL-2.0-only
/**
 * The host kernel's view (L1): SMMU events for the device's stream that it
 * logged after the kill (its log is rate-limited, so exact counts come from
 * L0; here any is enough),
 * and how often the device's vfio IRQ fired while user #2 held it without
 * having enabled anything.
 */
import { fired, silent, type OracleResult } from './finding.ts';
import { killInLog } from './l1-log.ts';

const SMMU_EVENT = /arm-smmu-v3 [^:]+: event (0x[0-9a-f]+) received/;
/** The record's dwords follow, one per line (6.1 and 6.12 alike); the first has the stream ID in bits 63:32. */
const SMMU_DWORD = /arm-smmu-v3 [^:]+:\s+0x([0-9a-f]{16})$/;
const STAMP = /^\[\s*(\d+\.\d+)\]/;
/** An SMMU event the kernel logged: its head line and its stream ID, null where the log lost its record. */
interface SmmuEvent {
  readonly line: string;
  readonly sid: number | null;
}

function smmuEvents(lines: readonly string[]): SmmuEvent[] {
  const events: SmmuEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!SMMU_EVENT.test(lines[i]!)) continue;
    const first = SMMU_DWORD.exec(lines[i + 1] ?? '');
    events.push({ line: lines[i]!, sid: first === null ? null : Number(BigInt(`0x${first[1]}`) >> 32n) });
  }
  return events;
}

/**
 * SMMU events for stream `sid` in the dmesg lines logged after the kill (an
 * event whose record the log lost counts: it may be the device's), placed
 * from the note of the kill in the same log.
 */
export function l1SmmuOracle(dmesgAfterKill: readonly string[], uptimeAtKill: number, sid: number): OracleResult {
  const stream = `0x${sid.toString(16)}`;
  const events = smmuEvents(dmesgAfterKill).filter((e) => e.sid === null || e.sid === sid);
  const looked = `arm-smmu-v3 events for stream ${stream} in L1 dmesg after the kill`;
  if (events.length === 0) return silent('l1-smmu-events', 'L1', looked);
  const first = events[0]!;
  const stamp = STAMP.exec(first.line);
  return fired('l1-smmu-events', 'L1', looked, events.length, {
    tRelMs: stamp ? Math.round((Number(stamp[1]) - killInLog(dmesgAfterKill, uptimeAtKill)) * 1000) : null,
    detail: `${first.line.replace(STAMP, '').trim()} ${first.sid === null ? 'stream unknown' : `stream ${stream}`}`,
  });
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
  return fired('l1-vfio-irq-count', 'L1', looked, rise, {
    tRelMs: null,
    detail: `interrupt count rose from ${before ?? 0} to ${after}`,
  });
}
