// SPDX-License-Identifier: GPL-2.0-only
/** Named instants of a run (harness wall clock, ms) and phase durations. */
import { withDeadline } from '../lib/time.ts';

export class Timeline {
  readonly marks: Record<string, number> = {};
  readonly phases: Array<{ name: string; seconds: number }> = [];

  mark(name: string, at = Date.now()): number {
    this.marks[name] = at;
    return at;
  }

  /**
   * Runs `body` as a phase with a timeout that cancels it (the signal aborts
   * when the phase is out of time); the phase's duration is recorded even
   * when it fails.
   */
  async phase<T>(name: string, timeoutMs: number, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await withDeadline(timeoutMs, () => new PhaseTimeout(name, timeoutMs), body);
    } finally {
      this.phases.push({ name, seconds: Math.round((Date.now() - started) / 10) / 100 });
    }
  }
}

export class PhaseTimeout extends Error {
  override readonly name = 'PhaseTimeout';
  constructor(
    readonly phase: string,
    timeoutMs: number,
  ) {
    super(`phase "${phase}" did not finish within ${timeoutMs / 1000} s`);
  }
}
