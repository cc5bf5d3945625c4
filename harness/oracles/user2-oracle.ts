/**
 * The next user's view: what user #2 (the reset probe) saw before it
 * programmed anything: the register state, interrupts on its eventfds, and
 * bytes written into the fresh zeroed memory it mapped at the old IOVAs.
 */
import { quiescenceViolations, type XgmacRegisterState } from '../devices/xgmac.ts';
import type { AgentEvent } from '../machines/remote-process.ts';
import { scanForPayloads, type PayloadKey } from '../traffic/payload.ts';
import { silent, type OracleResult } from './finding.ts';

const num = (v: unknown) => (typeof v === 'number' ? v : Number(String(v)));

export function registerStateOf(event: AgentEvent): XgmacRegisterState {
  return { control: num(event['control']), dmaControl: num(event['dma_control']), dmaIntrEna: num(event['dma_intr_ena']), dmaStatus: num(event['dma_status']) };
}

export function user2Oracles(events: readonly AgentEvent[], key: PayloadKey, killAt: number): OracleResult[] {
  const rel = (e: AgentEvent) => (typeof e['t_ms'] === 'number' ? Math.round((e['t_ms'] as number) - killAt) : Math.round(e.receivedAt - killAt));
  const out: OracleResult[] = [];

  const registers = events.find((e) => e.event === 'registers');
  if (registers === undefined) {
    out.push({ ...silent('user2-registers', 'user2', 'register state'), looked: 'register state (never reported)' });
  } else {
    const violations = quiescenceViolations(registerStateOf(registers));
    out.push(
      violations.length === 0
        ? silent('user2-registers', 'user2', 'DMA_CONTROL SR/ST, DMA_INTR_ENA, MAC RE/TE as user #2 found them')
        : { oracle: 'user2-registers', vantage: 'user2', fired: true, count: violations.length, first: { tRelMs: rel(registers), detail: violations.join(', ') }, looked: 'DMA_CONTROL SR/ST, DMA_INTR_ENA, MAC RE/TE as user #2 found them' },
    );
  }

  const irqs = events.filter((e) => e.event === 'irq');
  out.push(
    irqs.length === 0
      ? silent('user2-irqs', 'user2', 'interrupts on user #2\'s eventfds before it enabled anything')
      : { oracle: 'user2-irqs', vantage: 'user2', fired: true, count: irqs.length, first: { tRelMs: rel(irqs[0]!), detail: `IRQ index ${String(irqs[0]!['index'])} fired` }, looked: 'interrupts on user #2\'s eventfds before it enabled anything' },
  );

  const memory = events.find((e) => e.event === 'memory');
  const changed = memory === undefined ? 0 : num(memory['changed_bytes']);
  const looked = 'bytes changed in the fresh zeroed memory user #2 mapped at the old IOVAs';
  if (changed === 0) {
    out.push(silent('user2-memory', 'user2', looked));
  } else {
    const ranges = (memory!['ranges'] as Array<{ offset: number; hex: string }> | undefined) ?? [];
    const payloads = ranges.flatMap((r) => scanForPayloads(key, Buffer.from(r.hex, 'hex')).map((p) => ({ offset: r.offset + p.offset, seq: p.seq })));
    const detail = payloads.length > 0
      ? `frame payload seq ${payloads[0]!.seq} of this run at offset ${payloads[0]!.offset} (${payloads.length} payloads)`
      : `${changed} bytes changed, first at offset ${ranges[0]?.offset ?? '?'}`;
    out.push({ oracle: 'user2-memory', vantage: 'user2', fired: true, count: changed, first: { tRelMs: rel(memory!), detail }, looked });
  }
  return out;
}
