// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where the L0 oracles look, and whether they could see anything there:
 * the window from user #1's release to the end of user #2, and frames
 * reaching the device all through it (a device left running only shows by
 * what it does with frames).
 */
import { ofKind, type TraceEvent } from '../trace/l0-trace.ts';

/** How long after the reset handler's first write the window opens: ample for its few register writes (~60 us here). */
export const RELEASE_SETTLE_MS = 10;

/** The longest stretch of the window the device may go without a frame before the trace counts as blind. */
export const MAX_FRAME_GAP_MS = 500;

/**
 * The window opens at the release: once the reset handler's writes have
 * landed (its first quiescing write plus RELEASE_SETTLE_MS), else when
 * user #1 was seen gone. Until then the dying user #1 may still
 * legitimately use the device.
 */
export function windowStart(releaseWriteAt: number | null, user1GoneAt: number): number {
  return Math.min(user1GoneAt, (releaseWriteAt ?? Infinity) + RELEASE_SETTLE_MS);
}

/** The first write after `killAt` that the profile calls the reset's first quiescing write, or null. */
export function releaseWriteAt(
  trace: readonly TraceEvent[],
  instance: number,
  killAt: number,
  isReleaseWrite: (e: { readonly op: 'read' | 'write'; readonly offset: number; readonly value: number }) => boolean,
): number | null {
  return ofKind(trace, 'mmio').find((e) => e.instance === instance && e.t > killAt && isReleaseWrite(e))?.t ?? null;
}

/**
 * The longest stretch of [from, to] in which no frame reached the device, when longer than MAX_FRAME_GAP_MS; else
 * null.
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
  let worst = { from, to: from };
  for (let i = 1; i < edges.length; i++)
    if (edges[i]! - edges[i - 1]! > worst.to - worst.from) worst = { from: edges[i - 1]!, to: edges[i]! };
  return worst.to - worst.from > MAX_FRAME_GAP_MS ? worst : null;
}
