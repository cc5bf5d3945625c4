// SPDX-License-Identifier: GPL-2.0-only
/** Named instants of a run (harness wall clock, ms) and phase durations. */
export class Timeline {
  readonly marks: Record<string, number> = {};
  readonly phases: Array<{ name: string; seconds: number }> = [];

  mark(name: string, at = Date.now()): number {
    this.marks[name] = at;
    return at;
  }

  /** Runs `body` as a phase with a timeout; the phase's duration is recorded even when it fails. */
  async phase<T>(name: string, timeoutMs: number, body: () => Promise<T>): Promise<T> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        body(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PhaseTimeout(name, timeoutMs)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
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
