/**
 * What a freshly booted VM #2 saw first thing in its init, before any
 * driver touched the passed-through device: interrupts of the device
 * already pending (or active) in its GIC, and this run's frame payloads
 * anywhere in its RAM (only a DMA write can have put them there).
 */
import type { AgentEvent } from '../machines/remote-process.ts';
import { silent, type OracleResult } from './finding.ts';

interface GicSpi {
  readonly spi: number;
  readonly intid: number;
  readonly pending: boolean;
  readonly active: boolean;
}

export function vm2Oracles(events: readonly AgentEvent[], killAt: number): OracleResult[] {
  const rel = (e: AgentEvent) => Math.round(e.receivedAt - killAt);
  const out: OracleResult[] = [];

  const gic = events.find((e) => e.event === 'gic');
  const spis = ((gic?.['spis'] as GicSpi[] | undefined) ?? []).filter((s) => s.pending || s.active);
  const gicLooked = 'the passed-through SPIs in VM #2\'s GIC distributor (pending/active) before any driver';
  out.push(
    spis.length === 0
      ? silent('user2-gic-pending', 'user2', gicLooked)
      : { oracle: 'user2-gic-pending', vantage: 'user2', fired: true, count: spis.length, first: { tRelMs: rel(gic!), detail: spis.map((s) => `SPI ${s.spi} (INTID ${s.intid}) ${s.pending ? 'pending' : ''}${s.active ? ' active' : ''}`.trim()).join(', ') }, looked: gicLooked },
  );

  // The probe's own read buffer can hold a copy of what it just read: those hits are not evidence.
  const payloads = events.filter((e) => e.event === 'payload' && e['scan_buffer'] !== true);
  const scan = events.find((e) => e.event === 'scan');
  const total = scan !== undefined ? Number(scan['payloads']) : payloads.length;
  const memLooked = `this run's frame payloads in VM #2's RAM (${scan !== undefined ? `${Math.round(Number(scan['bytes']) / 1048576)} MiB scanned` : 'scan did not finish'})`;
  out.push(
    total === 0
      ? silent('user2-memory', 'user2', memLooked)
      : { oracle: 'user2-memory', vantage: 'user2', fired: true, count: total, first: payloads[0] ? { tRelMs: rel(payloads[0]), detail: `frame payload seq ${String(payloads[0]['seq'])} at guest-physical ${String(payloads[0]['phys'])}` } : null, looked: memLooked },
  );
  return out;
}
