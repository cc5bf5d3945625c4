// SPDX-License-Identifier: GPL-2.0-only
/**
 * How long the cycle watches: the quiet window after user #1's release and
 * user #2's window end when the evidence is sufficient, not after a fixed
 * time. A window ends once it has lasted its floor and, where frames flow,
 * once that many frames have reached the device since it opened (seen in
 * the L0 trace); it never outlasts its bound. Both figures are derived from
 * the first events of every detected control on record
 * (specs/fixtures/first-events.json, re-derived by specs/tools/first-events.ts):
 * a spec fails when the rule below is not what that evidence gives.
 */
import type { OracleName } from './oracles.ts';

export const WINDOWS = ['quiet', 'user2'] as const;
export type WindowName = (typeof WINDOWS)[number];

export interface WindowRule {
  /** Frames that must reach the device after the window opens, where frames flow. */
  readonly frames: number;
  /** The shortest the window lasts. */
  readonly floorMs: number;
  /** The longest: the fixed windows this rule replaced. */
  readonly maxMs: number;
}

/** How much longer than the slowest first event on record a window waits. */
export const WINDOW_MARGIN = 2;

/** The bounds are the fixed windows that detected every control before windows were sized by evidence. */
const BOUNDS: Readonly<Record<WindowName, number>> = { quiet: 3000, user2: 2000 };

/** Derived from specs/fixtures/first-events.json by deriveWindowRules (a spec checks that they agree). */
export const WINDOW_RULES: Readonly<Record<WindowName, WindowRule>> = {
  quiet: { frames: 150, floorMs: 820, maxMs: BOUNDS.quiet },
  user2: { frames: 6, floorMs: 40, maxMs: BOUNDS.user2 },
};

/** One must-fire oracle's first event in one detected control run, measured from the window it fell in. */
export interface FirstEventSample {
  readonly run: string;
  readonly window: WindowName;
  readonly oracle: OracleName;
  /** From the window's opening to the event. */
  readonly latencyMs: number;
  /** Frames that reached the device from the window's opening to the event. */
  readonly frames: number;
}

/** Floors are whole tens of ms: the poll of the trace is no finer. */
const roundUp = (ms: number, step: number) => Math.ceil(ms / step) * step;

/** The rule per window: the margin times the slowest first event (time and frames), within the window's bound. */
export function deriveWindowRules(samples: readonly FirstEventSample[]): Record<WindowName, WindowRule> {
  const ruleOf = (window: WindowName): WindowRule => {
    const mine = samples.filter((s) => s.window === window);
    if (mine.length === 0) throw new Error(`no first event on record for the ${window} window`);
    const latency = Math.max(...mine.map((s) => s.latencyMs));
    const frames = Math.max(...mine.map((s) => s.frames));
    return {
      frames: Math.max(1, Math.ceil(WINDOW_MARGIN * frames)),
      floorMs: Math.min(BOUNDS[window], roundUp(WINDOW_MARGIN * Math.max(latency, 0), 10)),
      maxMs: BOUNDS[window],
    };
  };
  return { quiet: ruleOf('quiet'), user2: ruleOf('user2') };
}
