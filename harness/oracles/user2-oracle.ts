// SPDX-License-Identifier: GPL-2.0-only
/**
 * The next user's view: what user #2 (the reset probe) saw before it
 * programmed anything: the register state, interrupts on its eventfds, and
 * bytes written into the fresh memory (the run's canary) it mapped at the
 * old IOVAs.
 */
import type { ResetProbeReport } from '../evidence/agent-reports.ts';
import { scanForPayloads, type PayloadKey } from '../traffic/payload.ts';
import { fired, silent, type OracleResult } from './finding.ts';
import { registersOracle } from './registers-oracle.ts';

/** `fromL1Boot` places a time of L1's boot clock (ms) relative to the kill. */
export function user2Oracles(
  report: ResetProbeReport,
  key: PayloadKey,
  fromL1Boot: (tBootMs: number) => number,
): OracleResult[] {
  const out: OracleResult[] = [];
  const registersLooked = 'DMA_CONTROL SR/ST, DMA_INTR_ENA, MAC RE/TE as user #2 found them';
  out.push(registersOracle(report.registers, fromL1Boot(report.registers.tBootMs), registersLooked));

  const irqsLooked = "interrupts on user #2's eventfds before it enabled anything";
  const irq = report.irqs[0];
  out.push(
    irq === undefined
      ? silent('user2-irqs', 'user2', irqsLooked)
      : fired('user2-irqs', 'user2', irqsLooked, report.irqs.length, {
          tRelMs: fromL1Boot(irq.tBootMs),
          detail: `IRQ index ${irq.index} fired`,
        }),
  );

  const memory = report.memory;
  const looked = 'bytes changed in the fresh zeroed memory user #2 mapped at the old IOVAs';
  if (memory.changedBytes === 0) {
    out.push(silent('user2-memory', 'user2', looked));
  } else {
    const payloads = memory.ranges.flatMap((r) =>
      scanForPayloads(key, r.bytes).map((p) => ({ offset: r.offset + p.offset, seq: p.seq })),
    );
    const detail =
      payloads.length > 0
        ? `frame payload seq ${payloads[0]!.seq} of this run ` +
          `at offset ${payloads[0]!.offset} (${payloads.length} payloads)`
        : `${memory.changedBytes} bytes changed, first at offset ${memory.ranges[0]?.offset ?? '?'}`;
    // When the probe saw the bytes (its snapshot after the watch): the write happened by then.
    out.push(
      fired('user2-memory', 'user2', looked, memory.changedBytes, { tRelMs: fromL1Boot(memory.tBootMs), detail }),
    );
  }
  return out;
}
