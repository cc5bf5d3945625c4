// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where the L0 oracles look, and whether they could see anything there:
 * the window from user #1's release to the end of user #2, and frames
 * reaching the device all through it (a device left running only shows by
 * what it does with frames).
 */
import { ofKind, type TraceEvent } from '../trace/l0-trace.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';

/** The longest stretch of the window the device may go without a frame before the trace counts as blind. */
export const MAX_FRAME_GAP_MS = 500;
/**
 * A stretch that ends with this many ms holding at least half the frames
 * sent meanwhile was L0 not running the device (its main loop starved on a
 * loaded host), not frames lost: the frames queued in its socket and the
 * device got every one, late. It did nothing meanwhile, so nothing was missed.
 */
const BACKLOG_MS = 50;

/** The writes to the device between the kill and the next user: the release's own (and a dying user #1's last). */
export interface ReleaseWrites {
  readonly first: number;
  readonly last: number;
}

/**
 * The device's writes after `killAt` and before `nextUserAt`, whatever the
 * register: a reset may quiesce by any of them (an interrupt mask, the DMA
 * engines' start bits, the software-reset bit), stop DMA first and poll in
 * between. Null if there were none.
 */
export function releaseWrites(
  trace: readonly TraceEvent[],
  instance: number,
  killAt: number,
  nextUserAt: number,
): ReleaseWrites | null {
  const writes = ofKind(trace, 'mmio').filter(
    (e) => e.instance === instance && e.op === 'write' && e.t > killAt && e.t < nextUserAt,
  );
  return writes.length === 0 ? null : { first: writes[0]!.t, last: writes[writes.length - 1]!.t };
}

/**
 * The window opens at the release: at the last write the release made, once
 * the reset is done (until then the device was still the dying user #1's,
 * its memory still mapped); for a release that wrote nothing, when user #1
 * was seen gone. A dying user #1 can write no later than the release.
 */
export function windowStart(writes: ReleaseWrites | null, user1GoneAt: number): number {
  return writes?.last ?? user1GoneAt;
}

/**
 * The longest stretch of [from, to] in which no frame reached the device,
 * when longer than MAX_FRAME_GAP_MS and not ended by its frames' backlog
 * (BACKLOG_MS); else null.
 */
export function blindStretch(
  trace: readonly TraceEvent[],
  instance: number,
  from: number,
  to: number,
): { readonly from: number; readonly to: number } | null {
  const times = ofKind(trace, 'rx-frame')
    .filter((e) => e.instance === instance && e.t >= from && e.t <= to)
    .map((e) => e.t)
    .sort((a, b) => a - b);
  const edges = [from, ...times, to];
  const backlogEnds = (i: number) => {
    const sentMeanwhile = ((edges[i]! - edges[i - 1]!) * CYCLE_TIMING.framesPerSecond) / 1000;
    const arrived = times.filter((t) => t >= edges[i]! && t <= edges[i]! + BACKLOG_MS).length;
    return arrived >= sentMeanwhile / 2;
  };
  let worst = { from, to: from };
  for (let i = 1; i < edges.length; i++)
    if (edges[i]! - edges[i - 1]! > worst.to - worst.from && !backlogEnds(i))
      worst = { from: edges[i - 1]!, to: edges[i]! };
  return worst.to - worst.from > MAX_FRAME_GAP_MS ? worst : null;
}
