// SPDX-License-Identifier: GPL-2.0-only
/**
 * Telling a live process from a reused pid: a pid names the same process
 * only as long as its start time (clock ticks since boot) stays the same.
 */
import { readFileSync } from 'node:fs';

/** A process's start time, or null if no process has that pid. */
export function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, starttime field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** A process as recorded: its pid and start time. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: string;
}

export function identityOf(pid: number): ProcessIdentity | null {
  const startTime = startTimeOf(pid);
  return startTime === null ? null : { pid, startTime };
}

/** Whether the recorded process still runs (its pid not gone, nor reused by another). */
export function stillRunning(p: ProcessIdentity): boolean {
  return startTimeOf(p.pid) === p.startTime;
}

/** Whether any process is still in process group `pgid`. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
