// SPDX-License-Identifier: GPL-2.0-only
/**
 * L1's kernel log on the kill's time base. The log stamps its lines with
 * the kernel's local_clock, not with CLOCK_BOOTTIME (/proc/uptime): on a
 * loaded L1 the two have been seen 0.57 s apart, so a log time is only ever
 * measured from another line of the same log, the note of the kill
 * (RemoteAgent.kill, guest-agents/vfio-reset-target.c).
 */

const KILL_NOTE = /^\[\s*(\d+\.\d+)\] vfio-reset: SIG\w+ to pid \d+$/;
/** vfio_platform_call_reset, as 6.1 and 6.12 log it, before the reset handler runs (or instead of one). */
const RESET_CALL = /^\[\s*(\d+\.\d+)\] vfio-platform \S+: (?:VFIO: )?(?:reset|no reset function found!)$/;

const firstStamp = (lines: readonly string[], line: RegExp): number | null => {
  for (const l of lines) {
    const m = line.exec(l);
    if (m !== null) return Number(m[1]);
  }
  return null;
};

/**
 * The log's time of the kill (s): the note of it. A log without the note
 * (a run from before it, a log that refused it) falls back to L1's boot
 * clock read at the kill.
 */
export function killInLog(dmesgAfterKill: readonly string[], uptimeAtKill: number): number {
  return firstStamp(dmesgAfterKill, KILL_NOTE) ?? uptimeAtKill;
}

/**
 * When L1's kernel began the release's reset, in ms from the kill note
 * (null: no note, or no reset logged after it). The note was written once
 * the kill word reached L1, so this is early on the harness's clock by that
 * trip, never late.
 */
export function releaseInLogMs(dmesgAfterKill: readonly string[]): number | null {
  const note = dmesgAfterKill.findIndex((l) => KILL_NOTE.test(l));
  if (note < 0) return null;
  const noteAt = firstStamp([dmesgAfterKill[note]!], KILL_NOTE)!;
  const resetAt = firstStamp(dmesgAfterKill.slice(note + 1), RESET_CALL);
  return resetAt === null ? null : Math.round((resetAt - noteAt) * 1000);
}
