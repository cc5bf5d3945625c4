// SPDX-License-Identifier: GPL-2.0-only
/**
 * Typed decoders of the agents' JSON-line reports, one per report kind.
 * Evidence fails closed: a report with a missing or malformed field makes
 * the run invalid, naming the report and the field; no oracle reads a
 * field by name or gets NaN.
 */
import { arrayField, booleanField, FieldError, hexField, numberField, stringField } from '../lib/fields.ts';

/**
 * One JSON line an agent printed, as the harness received it: the
 * evidence's unit, whatever carried it (SSH, a serial console).
 */
export interface AgentEvent {
  readonly event: string;
  /** Harness wall-clock ms when the line arrived. */
  readonly receivedAt: number;
  readonly [field: string]: unknown;
}

/** A report the harness cannot use: the run is invalid, never silent. */
export class EvidenceError extends FieldError {
  override readonly name = 'EvidenceError';
}

/** An agent's "error" report: the step that failed and why. */
export interface AgentFailure {
  readonly step: string;
  readonly message: string;
}

export function agentFailureOf(events: readonly AgentEvent[]): AgentFailure | null {
  const error = events.find((e) => e.event === 'error');
  if (error === undefined) return null;
  const where = 'an "error" report';
  return {
    step: stringField(error, where, 'step'),
    message: typeof error['message'] === 'string' ? error['message'] : '',
  };
}

// ---- xgmac-reset-probe (user #2 of the raw-driver scenario) ----

export interface ProbeRegisters {
  readonly control: number;
  readonly dmaControl: number;
  readonly dmaIntrEna: number;
  readonly dmaStatus: number;
  /** L1's boot clock (CLOCK_BOOTTIME), ms. */
  readonly tBootMs: number;
}

export interface ProbeIrq {
  readonly index: number;
  readonly count: number;
  readonly tBootMs: number;
}

export interface ChangedRange {
  readonly offset: number;
  readonly len: number;
  /** The first bytes of the range, as the probe showed them. */
  readonly bytes: Buffer;
}

export interface ProbeMemory {
  /** When the probe took its snapshot of the memory, on L1's boot clock (ms). */
  readonly tBootMs: number;
  readonly bytes: number;
  readonly changedBytes: number;
  readonly ranges: readonly ChangedRange[];
}

export interface ResetProbeReport {
  readonly registers: ProbeRegisters;
  readonly irqs: readonly ProbeIrq[];
  readonly memory: ProbeMemory;
}

function only(events: readonly AgentEvent[], name: string, who: string): AgentEvent {
  const found = events.filter((e) => e.event === name);
  if (found.length !== 1) throw new EvidenceError(`${who} sent ${found.length} "${name}" reports, expected one`);
  return found[0]!;
}

/** What the reset probe saw; throws EvidenceError when a report it must send is missing or malformed. */
export function decodeResetProbe(events: readonly AgentEvent[]): ResetProbeReport {
  const who = 'user #2 (xgmac-reset-probe)';
  const r = only(events, 'registers', who);
  const rw = `${who}'s "registers" report`;
  const registers: ProbeRegisters = {
    control: numberField(r, rw, 'control'),
    dmaControl: numberField(r, rw, 'dma_control'),
    dmaIntrEna: numberField(r, rw, 'dma_intr_ena'),
    dmaStatus: numberField(r, rw, 'dma_status'),
    tBootMs: numberField(r, rw, 't_boot_ms'),
  };
  const irqs = events
    .filter((e) => e.event === 'irq')
    .map((e) => {
      const iw = `${who}'s "irq" report`;
      return {
        index: numberField(e, iw, 'index'),
        count: numberField(e, iw, 'count'),
        tBootMs: numberField(e, iw, 't_boot_ms'),
      };
    });
  const m = only(events, 'memory', who);
  const mw = `${who}'s "memory" report`;
  const memory: ProbeMemory = {
    tBootMs: numberField(m, mw, 't_boot_ms'),
    bytes: numberField(m, mw, 'bytes'),
    changedBytes: numberField(m, mw, 'changed_bytes'),
    ranges: arrayField(m, mw, 'ranges').map((range) => ({
      offset: numberField(range, `${mw} range`, 'offset'),
      len: numberField(range, `${mw} range`, 'len'),
      bytes: hexField(range, `${mw} range`, 'hex'),
    })),
  };
  only(events, 'done', who);
  return { registers, irqs, memory };
}

// ---- l2-probe (VM #2's first process) ----

export interface GicSpi {
  readonly spi: number;
  readonly intid: number;
  readonly pending: boolean;
  readonly active: boolean;
}

export interface RamPayload {
  readonly phys: string;
  readonly seq: number;
  /** Harness wall-clock ms when the report arrived. */
  readonly receivedAt: number;
}

export interface L2ProbeReport {
  readonly gic: { readonly spis: readonly GicSpi[]; readonly receivedAt: number };
  /** Payloads found in RAM, without the hits in the probe's own read buffer. */
  readonly payloads: readonly RamPayload[];
  readonly scan: { readonly bytes: number; readonly unreadableBytes: number; readonly payloads: number };
}

/** What VM #2's probe saw; throws EvidenceError when a report is missing or malformed, or the scan was blind. */
export function decodeL2Probe(events: readonly AgentEvent[]): L2ProbeReport {
  const who = "VM #2's l2-probe";
  const device = only(events, 'device', who);
  if (booleanField(device, `${who}'s "device" report`, 'driver_bound'))
    throw new EvidenceError(`${who}: an xgmac driver was bound before the probe ran; its checks are not valid`);
  const g = only(events, 'gic', who);
  const gw = `${who}'s "gic" report`;
  const spis = arrayField(g, gw, 'spis').map((s) => ({
    spi: numberField(s, `${gw} SPI`, 'spi'),
    intid: numberField(s, `${gw} SPI`, 'intid'),
    pending: booleanField(s, `${gw} SPI`, 'pending'),
    active: booleanField(s, `${gw} SPI`, 'active'),
  }));
  // The probe's own read buffer can hold a copy of what it just read: those hits are not evidence.
  const payloads = events
    .filter((e) => e.event === 'payload' && e['scan_buffer'] !== true)
    .map((e) => ({
      phys: stringField(e, `${who}'s "payload" report`, 'phys'),
      seq: numberField(e, `${who}'s "payload" report`, 'seq'),
      receivedAt: e.receivedAt,
    }));
  const s = only(events, 'scan', who);
  const sw = `${who}'s "scan" report`;
  const scan = {
    bytes: numberField(s, sw, 'bytes'),
    unreadableBytes: numberField(s, sw, 'unreadable_bytes'),
    payloads: numberField(s, sw, 'payloads'),
  };
  // A scan that could not read most of the RAM saw nothing for want of looking (e.g. a kernel with STRICT_DEVMEM).
  if (scan.bytes === 0 || scan.unreadableBytes > scan.bytes / 10)
    throw new EvidenceError(
      `${who}: the RAM scan was blind (${scan.unreadableBytes} of ${scan.bytes} bytes unreadable)`,
    );
  only(events, 'probe-done', who);
  return { gic: { spis, receivedAt: g.receivedAt }, payloads, scan };
}

// ---- user #1 ----

/** The raw driver's "frame" reports: the first bytes of each frame it received. */
export function decodeDriverFrames(events: readonly AgentEvent[]): Buffer[] {
  return events.filter((e) => e.event === 'frame').map((e) => hexField(e, 'user #1\'s "frame" report', 'head'));
}

/** VM #1's latest traffic statistics, or null before its first report. */
export function decodeVmStats(
  events: readonly AgentEvent[],
): { readonly rxPackets: number; readonly irqs: number } | null {
  const s = events.filter((e) => e.event === 'stats').at(-1);
  if (s === undefined) return null;
  const where = 'VM #1\'s "stats" report';
  return { rxPackets: numberField(s, where, 'rx_packets'), irqs: numberField(s, where, 'irqs') };
}
