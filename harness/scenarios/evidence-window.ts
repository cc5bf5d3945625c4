// SPDX-License-Identifier: GPL-2.0-only
/** Keeps a window open while the L0 trace is read, until its rule (plan/windows.ts) is met or its bound passes. */
import { sleep } from '../lib/time.ts';
import type { TraceFollower } from '../trace/trace-follower.ts';
import type { WindowRule } from '../plan/windows.ts';

export interface WindowEnd {
  /** 'evidence' once the rule was met, 'bound' if the window ran to its bound without it. */
  readonly endedBy: 'evidence' | 'bound';
  readonly ms: number;
  /** Frames that reached the device while the window was open. */
  readonly frames: number;
}

/** How often the trace is read while a window is open. */
const POLL_MS = 10;

/**
 * Keeps a window open from `openedAt` (wall clock, ms) until `rule` is met:
 * its floor passed and, if `framesFlow`, its frames reached XGMAC `instance`.
 */
export async function keepWindowOpen(
  rule: WindowRule,
  trace: TraceFollower,
  instance: number,
  openedAt: number,
  framesFlow: boolean,
): Promise<WindowEnd> {
  for (;;) {
    await trace.refresh();
    const ms = Date.now() - openedAt;
    const frames = trace.framesSince(instance, openedAt);
    const met = ms >= rule.floorMs && (!framesFlow || frames >= rule.frames);
    if (met || ms >= rule.maxMs) return { endedBy: met ? 'evidence' : 'bound', ms, frames };
    await sleep(Math.min(POLL_MS, rule.maxMs - ms));
  }
}
