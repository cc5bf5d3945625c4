// SPDX-License-Identifier: GPL-2.0-only
/**
 * The frames the device sent, from the L0 trace (every frame, its length
 * and hash, ground truth) and from the wire (the bytes, as the harness at
 * the other end of the link received them): after user #1 is gone the
 * device must send nothing, and above all nothing of the next user's.
 */
import { ofKind, type TraceEvent } from '../trace/l0-trace.ts';
import type { WireFrame } from '../traffic/frame-source.ts';
import {
  CANARY_BLOCK_LEN,
  findCanary,
  FRAME_HEADER_LEN,
  TX_SEQ_BASE,
  verifyPayload,
  type PayloadKey,
} from '../traffic/payload.ts';
import { fired, silent, type OracleResult } from './finding.ts';

export interface WireWindow {
  readonly instance: number;
  readonly killAt: number;
  /** User #1 is gone; from here the device sends nothing. */
  readonly from: number;
  readonly to: number;
  /** The run's payload key: its run id keys the next user's canary too. */
  readonly key: PayloadKey;
  /** Where the next user's canary-filled memory sits (IOVA of block 0); null where it has none: no leak oracle. */
  readonly canaryBase: number | null;
}

const blockHex = (bytes: Buffer, at: number) => bytes.subarray(at, at + CANARY_BLOCK_LEN).toString('hex');
const rel = (t: number, w: WireWindow) => Math.round(t - w.killAt);
const hex = (v: number) => `0x${v.toString(16)}`;

/** The 64-bit FNV-1a of a frame, as the L0 model traces it (lower-case hex, no 0x). */
export function fnv1a64(bytes: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16);
}

/** The frames user #1 sent itself before `killAt` whose run-keyed payload checks out on the wire. */
export function user1FramesOnWire(wire: readonly WireFrame[], key: PayloadKey, killAt: number): number {
  return wire.filter((f) => {
    if (f.t > killAt) return false;
    const seq = verifyPayload(key, f.bytes, FRAME_HEADER_LEN);
    return seq !== null && seq >= TX_SEQ_BASE;
  }).length;
}

export function wireOracles(trace: readonly TraceEvent[], wire: readonly WireFrame[], w: WireWindow): OracleResult[] {
  const span = `${rel(w.from, w)}..${rel(w.to, w)} ms after the kill`;
  const sent = ofKind(trace, 'tx-frame')
    .filter((e) => e.instance === w.instance && e.t >= w.from && e.t <= w.to)
    .sort((a, b) => a.t - b.t);
  const onWire = wire.filter((f) => f.t >= w.from);
  const looked = `XGMAC ${w.instance} frames sent (L0 trace) ${span}`;
  const afterRelease: OracleResult =
    sent.length === 0
      ? silent('wire-after-release', 'L0', looked)
      : fired('wire-after-release', 'L0', looked, sent.length, {
          tRelMs: rel(sent[0]!.t, w),
          detail:
            `${sent[0]!.size}-byte frame, FNV-1a ${sent[0]!.fnv1a}` +
            (onWire.some((f) => fnv1a64(f.bytes) === sent[0]!.fnv1a) ? ', received on the wire' : ''),
        });
  return w.canaryBase === null ? [afterRelease] : [afterRelease, leakOracle(onWire, w.canaryBase, w, span)];
}

/** Frames on the wire after the release that carry blocks of the next user's canary: its memory, sent out. */
function leakOracle(onWire: readonly WireFrame[], base: number, w: WireWindow, span: string): OracleResult {
  const looked = `frames on the wire ${span} for the next user's canary (run id ${w.key.runId})`;
  const leaks = onWire.map((f) => ({ f, blocks: findCanary(w.key.runId, f.bytes) })).filter((l) => l.blocks.length > 0);
  if (leaks.length === 0) return silent('wire-leak', 'L0', looked);
  const { f, blocks } = leaks[0]!;
  const first = blocks[0]!;
  const last = blocks[blocks.length - 1]!;
  const iova = (index: number) => hex(base + index * CANARY_BLOCK_LEN);
  return fired('wire-leak', 'L0', looked, leaks.length, {
    tRelMs: rel(f.t, w),
    detail:
      `${f.bytes.length}-byte frame carries ${blocks.length} canary blocks of the next user's memory, ` +
      `from IOVA ${iova(first.index)} to ${iova(last.index)} (blocks ${first.index}..${last.index}), ` +
      `at frame offset ${first.offset}: ${blockHex(f.bytes, first.offset)}`,
  });
}
