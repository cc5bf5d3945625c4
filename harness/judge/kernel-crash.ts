// SPDX-License-Identifier: GPL-2.0-only
/**
 * A kernel that oopses, BUGs, WARNs, panics, stalls or hangs while the
 * VFIO path is on trial (from the bind on) is a regression. These are the
 * console lines by which Linux says so, first one wins.
 */

const CRASH_LINES: ReadonlyArray<{ readonly kind: string; readonly line: RegExp }> = [
  { kind: 'oops', line: /Unable to handle kernel [^\n]*/ },
  { kind: 'oops', line: /Internal error: [^\n]*/ },
  { kind: 'bug', line: /kernel BUG at [^\n]*/ },
  // BUG: soft lockup, BUG: scheduling while atomic, BUG: workqueue lockup, BUG: KASAN ...
  { kind: 'bug', line: /BUG: [^\n]*/ },
  { kind: 'warning', line: /WARNING: CPU: \d+ PID: \d+ at [^\n]*/ },
  { kind: 'panic', line: /Kernel panic - not syncing[^\n]*/ },
  { kind: 'hung task', line: /INFO: task [^\n]* blocked for more than \d+ seconds[^\n]*/ },
  { kind: 'rcu stall', line: /rcu: INFO: [^\n]*detected stalls?[^\n]*/ },
  { kind: 'rcu stall', line: /rcu: [^\n]*self-detected stall[^\n]*/ },
  { kind: 'lockup', line: /watchdog: [^\n]*(?:hard|soft) LOCKUP[^\n]*/i },
];

export interface KernelCrash {
  readonly kind: string;
  /** The first line that says so, as the console printed it (without the timestamp). */
  readonly line: string;
}

const STAMP = /^\[\s*\d+\.\d+\]\s*/;

/** The first crash report in `console` (text from the bind on), or null. */
export function firstKernelCrash(console: string): KernelCrash | null {
  let first: { at: number; crash: KernelCrash } | null = null;
  for (const { kind, line } of CRASH_LINES) {
    const hit = line.exec(console);
    if (hit !== null && (first === null || hit.index < first.at))
      first = { at: hit.index, crash: { kind, line: hit[0].replace(STAMP, '').trim() } };
  }
  return first?.crash ?? null;
}
