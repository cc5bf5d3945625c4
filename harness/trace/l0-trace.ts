// SPDX-License-Identifier: GPL-2.0-only
/**
 * The L0 QEMU's trace log (log backend, -msg timestamp=on) as typed,
 * timestamped events: every XGMAC DMA access, IRQ level change, MMIO
 * access and RX frame, and every SMMUv3 event. This is the ground truth.
 * Lines look like `4242@1732461234.123456:xgmac_dma xgmac=0 dir=read ...`.
 */

/** Wall-clock milliseconds since the epoch, as QEMU stamped the line. */
type Stamp = { readonly t: number };

export type TraceEvent = Stamp &
  (
    | {
        readonly kind: 'dma';
        readonly instance: number;
        readonly dir: 'read' | 'write';
        readonly what: DmaTarget;
        readonly iova: number;
        readonly len: number;
        readonly ok: boolean;
      }
    | { readonly kind: 'irq'; readonly instance: number; readonly line: number; readonly level: 0 | 1 }
    | {
        readonly kind: 'mmio';
        readonly instance: number;
        readonly op: 'read' | 'write';
        readonly offset: number;
        readonly value: number;
      }
    | {
        readonly kind: 'rx-frame';
        readonly instance: number;
        readonly verdict: 'accepted' | 'dropped';
        readonly size: number;
        readonly reason: string;
      }
    | { readonly kind: 'quiesce-ignored'; readonly instance: number; readonly offset: number; readonly value: number }
    | {
        /** The registers that say whether the device is quiescent, as a write left them. */
        readonly kind: 'state';
        readonly instance: number;
        readonly dmaControl: number;
        readonly dmaIntrEna: number;
        readonly control: number;
      }
    | {
        /** A frame the device sent: its length and the 64-bit FNV-1a of its bytes, in hex. */
        readonly kind: 'tx-frame';
        readonly instance: number;
        readonly size: number;
        readonly fnv1a: string;
      }
    | { readonly kind: 'smmu-event'; readonly type: string; readonly sid: number }
    | { readonly kind: 'smmu-abort'; readonly sid: number; readonly iova: number }
  );

/** The words the L0 model's trace uses for a DMA's direction, target and result, and an RX frame's verdict. */
export const DMA_DIRS = ['read', 'write'] as const;
export const DMA_TARGETS = ['rx-desc', 'tx-desc', 'rx-buf', 'tx-buf'] as const;
export const DMA_RESULTS = ['ok', 'fault'] as const;
export const RX_VERDICTS = ['accepted', 'dropped'] as const;
export type DmaTarget = (typeof DMA_TARGETS)[number];
export type TraceKind = TraceEvent['kind'];

/**
 * The trace events the L0 QEMU logs (-d trace:...). Not the MMIO reads: a
 * reset handler that polls a status register forever makes millions of
 * them, and no rule reads them.
 */
export const L0_TRACE_EVENTS = [
  'xgmac_dma',
  'xgmac_irq',
  'xgmac_mmio_write',
  'xgmac_rx_frame',
  'xgmac_quiesce_ignored',
  'xgmac_state',
  'xgmac_tx_frame',
  'smmuv3_record_event',
  'smmuv3_translate_abort',
] as const;

const LINE = /^(\d+)@(\d+)\.(\d{6}):(\w+) (.*)$/;

function fields(rest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of rest.trim().split(/\s+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function num(f: Map<string, string>, key: string): number {
  const raw = f.get(key);
  if (raw === undefined) throw new Error(`missing ${key}`);
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${key}=${raw} is not a number`);
  return value;
}

function oneOf<T extends string>(f: Map<string, string>, key: string, allowed: readonly T[]): T {
  const raw = f.get(key);
  if (raw === undefined || !(allowed as readonly string[]).includes(raw))
    throw new Error(`${key}=${raw ?? ''} is not one of ${allowed.join('|')}`);
  return raw as T;
}

export class TraceParseError extends Error {
  override readonly name = 'TraceParseError';
}

/** Parses one line; null for lines of other events or other output. Throws on a malformed event this parser owns. */
export function parseTraceLine(line: string): TraceEvent | null {
  const m = LINE.exec(line.trimEnd());
  if (m === null) return null;
  const [, , sec, usec, name, rest] = m as unknown as [string, string, string, string, string, string];
  const t = Number(sec) * 1000 + Number(usec) / 1000;
  try {
    if (name === 'smmuv3_translate_abort') {
      // "%s sid=0x%x abort on iova:0x%"PRIx64" is_write=%d"
      const abort = /sid=(0x[0-9a-f]+) abort on iova:(0x[0-9a-f]+)/.exec(rest);
      if (abort === null) throw new Error('no sid or iova');
      return { t, kind: 'smmu-abort', sid: Number(abort[1]), iova: Number(abort[2]) };
    }
    if (name === 'smmuv3_record_event') {
      const [type, ...more] = rest.trim().split(/\s+/);
      return { t, kind: 'smmu-event', type: type ?? 'UNKNOWN', sid: num(fields(more.join(' ')), 'sid') };
    }
    if (!name.startsWith('xgmac_')) return null;
    const f = fields(rest);
    const instance = num(f, 'xgmac');
    switch (name) {
      case 'xgmac_dma':
        return {
          t,
          kind: 'dma',
          instance,
          dir: oneOf(f, 'dir', DMA_DIRS),
          what: oneOf(f, 'what', DMA_TARGETS),
          iova: num(f, 'iova'),
          len: num(f, 'len'),
          ok: oneOf(f, 'result', DMA_RESULTS) === 'ok',
        };
      case 'xgmac_irq':
        return { t, kind: 'irq', instance, line: num(f, 'line'), level: num(f, 'level') ? 1 : 0 };
      case 'xgmac_mmio_read':
      case 'xgmac_mmio_write':
        return {
          t,
          kind: 'mmio',
          instance,
          op: name === 'xgmac_mmio_read' ? 'read' : 'write',
          offset: num(f, 'offset'),
          value: num(f, 'value'),
        };
      case 'xgmac_rx_frame':
        return {
          t,
          kind: 'rx-frame',
          instance,
          verdict: oneOf(f, 'verdict', RX_VERDICTS),
          size: num(f, 'size'),
          reason: f.get('reason') ?? '',
        };
      case 'xgmac_quiesce_ignored':
        return { t, kind: 'quiesce-ignored', instance, offset: num(f, 'offset'), value: num(f, 'value') };
      case 'xgmac_state':
        return {
          t,
          kind: 'state',
          instance,
          dmaControl: num(f, 'dma_control'),
          dmaIntrEna: num(f, 'intr_ena'),
          control: num(f, 'mac_control'),
        };
      case 'xgmac_tx_frame': {
        const fnv1a = f.get('fnv1a') ?? '';
        if (!/^0x[0-9a-f]{16}$/.test(fnv1a)) throw new Error(`fnv1a=${fnv1a} is not 16 hex digits`);
        return { t, kind: 'tx-frame', instance, size: num(f, 'size'), fnv1a: fnv1a.slice(2) };
      }
      default:
        return null;
    }
  } catch (error) {
    throw new TraceParseError(`malformed trace line (${(error as Error).message}): ${line}`);
  }
}

export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    const event = parseTraceLine(line);
    if (event !== null) out.push(event);
  }
  return out;
}

/** Events of one kind, with the type narrowed. */
export function ofKind<K extends TraceKind>(
  events: readonly TraceEvent[],
  kind: K,
): Array<Extract<TraceEvent, { kind: K }>> {
  return events.filter((e): e is Extract<TraceEvent, { kind: K }> => e.kind === kind);
}
