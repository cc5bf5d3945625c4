// SPDX-License-Identifier: GPL-2.0-only
/** How fast frames flow and how long each part of a cycle may take, per scenario. */
import { WINDOW_RULES } from './windows.ts';

/** Every scenario's cycle. */
export const CYCLE_TIMING = {
  framesPerSecond: 200,
  /** After user #1 is gone, the quiet window passes before user #2 arrives: WINDOW_RULES.quiet. */
  windows: WINDOW_RULES,
  /** silent-until-reassigned: frames stop this long before the kill, so that none is in flight at the release. */
  silenceBeforeKillMs: 300,
  /**
   * How long an open of the device, or the release after the kill, may take
   * before it counts as hung: longer than the kernel's own hung-task and
   * soft-lockup reports (20 s, kernel-config/debug.config), so that the
   * console can name the hang.
   */
  openTimeoutMs: 30_000,
  releaseTimeoutMs: 30_000,
  /** User #1 (a raw driver or VM #1's driver) must have received this many frames, with IRQs, before the kill. */
  liveFrames: 50,
  /** A kill aimed at a state (--kill-at) waits this long for the trace to show it, then goes ahead. */
  killAimTimeoutMs: 10_000,
} as const;

/** The cycle's phases, in the order they run: each has a time limit, and each is timed in the report. */
export const CYCLE_PHASES = ['boot', 'bind', 'user1-live', 'silence', 'kill', 'quiet', 'user2', 'collect'] as const;
export type CyclePhase = (typeof CYCLE_PHASES)[number];

/** How long each phase may take before it is cut short as a failure. */
export const PHASE_LIMIT_MS: Readonly<Record<CyclePhase, number>> = {
  // Longer than bootL1's own waits (QMP, console 120 s, SSH 60 s), so that it never outlives the phase.
  boot: 240_000,
  bind: 30_000,
  'user1-live': 180_000,
  silence: CYCLE_TIMING.silenceBeforeKillMs + 30_000,
  kill: CYCLE_TIMING.killAimTimeoutMs + CYCLE_TIMING.releaseTimeoutMs + 15_000,
  quiet: WINDOW_RULES.quiet.maxMs + 15_000,
  user2: 240_000,
  collect: 30_000,
};
