// SPDX-License-Identifier: GPL-2.0-only
/**
 * Typed decoders of the agents' JSON-line reports, one per report kind.
 * Evidence fails closed: a report with a missing or malformed field makes
 * the run invalid, naming the report and the field; no oracle reads a
 * field by name or gets NaN.
 */
import { arrayField, booleanField, field, FieldError, hexField, numberField, stringField } from '../lib/fields.ts';
import type { AgentEventName } from '../plan/contract.ts';

/** Whether a report is the one named: names are the contract's (plan/contract.ts), which the C agents share. */
const is = (name: AgentEventName) => (e: AgentEvent) => e.event === name;

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
  const error = events.find(is('error'));
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
  /** Where the probe mapped the memory for the device. */
  readonly iova: number;
  /** When the probe took its snapshot of the memory, on L1's boot clock (ms). */
  readonly tBootMs: number;
  readonly bytes: number;
  readonly changedBytes: number;
  /** The changed ranges, the first `ranges.length` of `rangesTotal`. */
  readonly ranges: readonly ChangedRange[];
  readonly rangesTotal: number;
}

export interface ResetProbeReport {
  /** The IRQ indexes whose eventfds the probe armed, before it read a register. */
  readonly armedIrqs: readonly number[];
  readonly registers: ProbeRegisters;
  readonly irqs: readonly ProbeIrq[];
  readonly memory: ProbeMemory;
}

function only(events: readonly AgentEvent[], name: AgentEventName, who: string): AgentEvent {
  const found = events.filter(is(name));
  if (found.length !== 1) throw new EvidenceError(`${who} sent ${found.length} "${name}" reports, expected one`);
  return found[0]!;
}

/** What the reset probe saw; throws EvidenceError when a report it must send is missing or malformed. */
export function decodeResetProbe(events: readonly AgentEvent[]): ResetProbeReport {
  const who = 'user #2 (xgmac-reset-probe)';
  const armed = only(events, 'irqs-armed', who);
  const indexes = field(armed, `${who}'s "irqs-armed" report`, 'indexes');
  if (!Array.isArray(indexes) || !indexes.every((i) => Number.isInteger(i) && i >= 0))
    throw new EvidenceError(`${who}'s "irqs-armed" report: field indexes is not a list of IRQ indexes`);
  // An IRQ raised before its eventfd was armed, or while none was, is lost: the IRQ check would be blind.
  if (indexes.length === 0) throw new EvidenceError(`${who} armed no IRQ eventfd: its IRQ check was blind`);
  const r = only(events, 'registers', who);
  if (events.indexOf(armed) > events.indexOf(r))
    throw new EvidenceError(`${who} read the registers before it armed its IRQs: its IRQ check was blind until then`);
  const rw = `${who}'s "registers" report`;
  const registers: ProbeRegisters = {
    control: numberField(r, rw, 'control'),
    dmaControl: numberField(r, rw, 'dma_control'),
    dmaIntrEna: numberField(r, rw, 'dma_intr_ena'),
    dmaStatus: numberField(r, rw, 'dma_status'),
    tBootMs: numberField(r, rw, 't_boot_ms'),
  };
  const irqs = events.filter(is('irq')).map((e) => {
    const iw = `${who}'s "irq" report`;
    return {
      index: numberField(e, iw, 'index'),
      count: numberField(e, iw, 'count'),
      tBootMs: numberField(e, iw, 't_boot_ms'),
    };
  });
  const m = only(events, 'memory', who);
  const mapped = only(events, 'dma-mapped', who);
  const rawIova = stringField(mapped, `${who}'s "dma-mapped" report`, 'iova');
  const iova = hexAddress(rawIova);
  if (iova === null) throw new EvidenceError(`${who}'s "dma-mapped" report: iova ${rawIova} is not a hex address`);
  const mw = `${who}'s "memory" report`;
  const memory: ProbeMemory = {
    iova,
    tBootMs: numberField(m, mw, 't_boot_ms'),
    bytes: numberField(m, mw, 'bytes'),
    changedBytes: numberField(m, mw, 'changed_bytes'),
    ranges: arrayField(m, mw, 'ranges').map((range) => ({
      offset: numberField(range, `${mw} range`, 'offset'),
      len: numberField(range, `${mw} range`, 'len'),
      bytes: hexField(range, `${mw} range`, 'hex'),
    })),
    rangesTotal: numberField(m, mw, 'ranges_total'),
  };
  only(events, 'done', who);
  return { armedIrqs: indexes as number[], registers, irqs, memory };
}

/** An address as the agents write it ("0x" and lower-case hex digits), or null if it is not one. */
function hexAddress(raw: string): number | null {
  const value = Number(raw);
  return /^0x[0-9a-f]+$/.test(raw) && Number.isSafeInteger(value) ? value : null;
}

/**
 * Where the reset probe's canary-filled memory sits, if its "dma-mapped"
 * report says it filled it (an older probe, or one without the run's id,
 * maps zeros): the IOVA of the canary's block 0. Read leniently, before the
 * probe's reports are decoded whole, since a run that crashed has none.
 */
export function canaryBaseOf(events: readonly AgentEvent[] | null): number | null {
  const mapped = events?.find((e) => e.event === 'dma-mapped');
  if (mapped?.['canary'] !== true || typeof mapped['iova'] !== 'string') return null;
  return hexAddress(mapped['iova']);
}

// ---- VM #2: its RAM read from L1 while paused (vm-ram-scan), then its first process (l2-probe) ----

export interface GicSpi {
  readonly spi: number;
  readonly intid: number;
  readonly pending: boolean;
  readonly active: boolean;
}

/** One of the run's payloads found in VM #2's RAM before VM #2 ran. */
export interface StalePayload {
  readonly gpa: number;
  readonly seq: number;
}

export interface RamSnapshot {
  readonly gpaBase: number;
  readonly bytes: number;
  /** How many payloads the scan found; the first `listed` of them are in `stalePayloads`. */
  readonly payloads: number;
  readonly listed: number;
  /** Harness wall-clock ms when the report arrived. */
  readonly receivedAt: number;
}

/** Where a guest's RAM is, as its own device tree says. */
export interface GuestRam {
  readonly gpaBase: number;
  readonly bytes: number;
}

export interface Vm2Report {
  readonly snapshot: RamSnapshot;
  readonly stalePayloads: readonly StalePayload[];
  /**
   * What VM #2's probe saw once VM #2 ran: its RAM and its GIC (receivedAt:
   * when the GIC report arrived); null when VM #2 never got to it after
   * stale writes landed in its RAM.
   */
  readonly probe: {
    readonly ram: GuestRam;
    readonly spis: readonly GicSpi[];
    readonly receivedAt: number;
    /** The device's quiescence registers as VM #2 saw them through the passthrough, before any driver. */
    readonly registers: Vm2Registers;
  } | null;
}

export interface Vm2Registers {
  readonly control: number;
  readonly dmaControl: number;
  readonly dmaIntrEna: number;
  readonly dmaStatus: number;
  /** Harness wall-clock ms when the report arrived. */
  readonly receivedAt: number;
}

/** The read of VM #2's RAM from L1; throws EvidenceError when its reports are missing or malformed. */
export function decodeRamSnapshot(events: readonly AgentEvent[]): {
  snapshot: RamSnapshot;
  stalePayloads: StalePayload[];
} {
  const who = "VM #2's RAM scan (vm-ram-scan, in L1)";
  const s = only(events, 'ram-snapshot', who);
  const sw = `${who}'s "ram-snapshot" report`;
  const snapshot = {
    gpaBase: Number(stringField(s, sw, 'gpa_base')),
    bytes: numberField(s, sw, 'bytes'),
    payloads: numberField(s, sw, 'payloads'),
    listed: numberField(s, sw, 'listed'),
    receivedAt: s.receivedAt,
  };
  const stalePayloads = events.filter(is('stale-payload')).map((e) => {
    const gpa = stringField(e, `${who}'s "stale-payload" report`, 'gpa');
    if (!/^0x[0-9a-f]+$/.test(gpa)) throw new EvidenceError(`${who}: "stale-payload" gpa ${gpa} is not hex`);
    return { gpa: Number(gpa), seq: numberField(e, `${who}'s "stale-payload" report`, 'seq') };
  });
  if (!Number.isSafeInteger(snapshot.gpaBase)) throw new EvidenceError(`${sw}: gpa_base is not a hex address`);
  if (stalePayloads.length !== snapshot.listed || snapshot.listed > snapshot.payloads)
    throw new EvidenceError(
      `${who} listed ${stalePayloads.length} payloads of ${snapshot.payloads}, but said it listed ${snapshot.listed}`,
    );
  return { snapshot, stalePayloads };
}

/**
 * What VM #2 showed: its RAM as L1 read it before VM #2 ran, and where its
 * RAM is, its GIC and the device's registers as its probe read them; throws EvidenceError when a report is missing or
 * malformed, or a look was blind.
 */
export function decodeVm2(events: readonly AgentEvent[]): Vm2Report {
  const { snapshot, stalePayloads } = decodeRamSnapshot(events);
  const who = "VM #2's l2-probe";
  const g = events.filter(is('gic'));
  // A stale write can break what QEMU loaded into VM #2's RAM: then the hazard itself kept the probe from looking.
  if (g.length === 0 && snapshot.payloads > 0) return { snapshot, stalePayloads, probe: null };
  const device = only(events, 'device', who);
  if (booleanField(device, `${who}'s "device" report`, 'driver_bound'))
    throw new EvidenceError(`${who}: an xgmac driver was bound before the probe ran; its checks are not valid`);
  const memory = only(events, 'memory', who);
  const mw = `${who}'s "memory" report`;
  const rawBase = stringField(memory, mw, 'base');
  const gpaBase = hexAddress(rawBase);
  if (gpaBase === null) throw new EvidenceError(`${mw}: base ${rawBase} is not a hex address`);
  const ram = { gpaBase, bytes: numberField(memory, mw, 'bytes') };
  const gic = only(events, 'gic', who);
  const gw = `${who}'s "gic" report`;
  const spis = arrayField(gic, gw, 'spis').map((s) => ({
    spi: numberField(s, `${gw} SPI`, 'spi'),
    intid: numberField(s, `${gw} SPI`, 'intid'),
    pending: booleanField(s, `${gw} SPI`, 'pending'),
    active: booleanField(s, `${gw} SPI`, 'active'),
  }));
  if (spis.length === 0)
    throw new EvidenceError(`${who}: the GIC report names no SPI of the device, so its check was blind`);
  const r = only(events, 'registers', who);
  const rw = `${who}'s "registers" report`;
  const registers = {
    control: numberField(r, rw, 'control'),
    dmaControl: numberField(r, rw, 'dma_control'),
    dmaIntrEna: numberField(r, rw, 'dma_intr_ena'),
    dmaStatus: numberField(r, rw, 'dma_status'),
    receivedAt: r.receivedAt,
  };
  only(events, 'probe-done', who);
  return { snapshot, stalePayloads, probe: { ram, spis, receivedAt: gic.receivedAt, registers } };
}

// ---- user #1 ----

/** The raw driver's "frame" reports: the first bytes of each frame it received. */
export function decodeDriverFrames(events: readonly AgentEvent[]): Buffer[] {
  return events.filter(is('frame')).map((e) => hexField(e, 'user #1\'s "frame" report', 'head'));
}

/** VM #1's latest traffic statistics, or null before its first report. */
export function decodeVmStats(
  events: readonly AgentEvent[],
): { readonly rxPackets: number; readonly irqs: number } | null {
  const s = events.filter(is('stats')).at(-1);
  if (s === undefined) return null;
  const where = 'VM #1\'s "stats" report';
  return { rxPackets: numberField(s, where, 'rx_packets'), irqs: numberField(s, where, 'irqs') };
}
