// SPDX-License-Identifier: GPL-2.0-only
/**
 * One cgroup v2 per harness invocation, where the host lets us make one:
 * every child joins it before it execs, so their children are in it too
 * (compilers under make, QEMU's helpers), and killing it reaches them all,
 * even those that left their process group. The harness itself stays out,
 * so that killing the cgroup never kills the harness.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The cgroup v2 hierarchy's mount point, or null on a host without one. */
function cgroup2Mount(): string | null {
  try {
    // mountinfo: "... <mount point> <options> ... - <fs type> <source> <super options>"
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [before, after] = line.split(' - ');
      if (after?.split(' ')[0] === 'cgroup2') return before?.split(' ')[4] ?? null;
    }
  } catch {
    // No /proc: no cgroups either.
  }
  return null;
}

/** The directory of the cgroup v2 a process is in (default: the harness), or null. */
export function cgroupDirOf(pid: number | 'self' = 'self'): string | null {
  const mount = cgroup2Mount();
  if (mount === null) return null;
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    return line === undefined ? null : join(mount, line.slice(3));
  } catch {
    return null;
  }
}

/**
 * Makes the invocation's cgroup beside the harness's own, or returns null
 * where cgroup v2 is absent or not writable (then process groups and the
 * parent-death signal are all there is).
 */
export function createInvocationCgroup(pid: number): string | null {
  const parent = cgroupDirOf();
  if (parent === null) return null;
  const dir = join(parent, `vfio-reset-${pid}`);
  try {
    mkdirSync(dir);
    return dir;
  } catch {
    return null;
  }
}

/** Moves `pid` (not its existing children) into the cgroup; false if it could not. */
export function joinCgroup(dir: string, pid: number): boolean {
  try {
    writeFileSync(join(dir, 'cgroup.procs'), `${pid}\n`);
    return true;
  } catch {
    return false;
  }
}

/** The pids in the cgroup; empty once it is gone. */
export function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILLs everything in the cgroup (cgroup.kill, Linux 5.14; one by one
 * before), then removes it if it is already empty. Returns how many
 * processes it held. Synchronous: it runs in the 'exit' handler.
 */
export function killCgroup(dir: string): number {
  const pids = cgroupPids(dir);
  if (pids.length > 0) {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1\n');
    } catch {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    // EBUSY: the killed are not reaped yet; the next sweep removes it.
  }
  return pids.length;
}

/** The shell prefix that moves a child into `dir` before it execs, so that its own children start inside. */
export function cgroupEntryArgv(dir: string, argv: readonly string[]): string[] {
  // $0 is the procs file and "$@" the command: nothing is interpolated into the script.
  return ['/bin/sh', '-c', 'echo $$ 2>/dev/null >"$0"; exec "$@"', join(dir, 'cgroup.procs'), ...argv];
}
