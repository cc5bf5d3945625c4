// SPDX-License-Identifier: GPL-2.0-only
/**
 * A registry of live harness invocations and what each started. A harness
 * killed outright (SIGKILL, the OOM killer) runs no handler of its own: its
 * group leaders die of their parent-death signal, but their children (a
 * compiler under make, a helper of QEMU) live on. The next invocation on
 * the host sweeps what the dead one recorded: its process groups and its
 * cgroup. One file per invocation, rewritten atomically when its groups
 * change; synchronous, because the 'exit' handler updates it too.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killCgroup } from './invocation-cgroup.ts';
import { groupExists, startTimeOf, stillRunning, type ProcessIdentity } from './process-identity.ts';

export interface LiveRecord {
  readonly harness: ProcessIdentity;
  /** The invocation's cgroup directory, or null where there is none. */
  readonly cgroup: string | null;
  /** The leaders of its live process groups (a group's id is its leader's pid). */
  readonly groups: readonly ProcessIdentity[];
}

export interface Swept {
  /** Dead invocations whose records were swept. */
  readonly invocations: number;
  readonly groups: number;
  /** Processes killed through cgroups. */
  readonly cgroupProcesses: number;
}

/**
 * Whether the recorded group may be killed: its leader still runs, or the
 * leader is gone and no process took its pid (so no new group can carry
 * that id: a group's id is the pid of the process that created it).
 */
function stillOurs(leader: ProcessIdentity): boolean {
  return stillRunning(leader) || (startTimeOf(leader.pid) === null && groupExists(leader.pid));
}

function parse(text: string): LiveRecord | null {
  try {
    const r = JSON.parse(text) as LiveRecord;
    return typeof r.harness?.pid === 'number' && Array.isArray(r.groups) ? r : null;
  } catch {
    return null;
  }
}

export class LiveRegistry {
  constructor(readonly dir: string) {}

  private fileOf(pid: number): string {
    return join(this.dir, `${pid}.json`);
  }

  record(r: LiveRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.fileOf(r.harness.pid);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(r)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  remove(pid: number): void {
    rmSync(this.fileOf(pid), { force: true });
  }

  /** Kills what dead invocations left and forgets them; live ones (and this one) are left alone. */
  sweep(): Swept {
    let invocations = 0;
    let groups = 0;
    let cgroupProcesses = 0;
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => /^\d+\.json$/.test(n));
    } catch {
      return { invocations, groups, cgroupProcesses };
    }
    for (const name of names) {
      const file = join(this.dir, name);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        // Gone since the listing: its harness ended, or another harness swept it first.
        continue;
      }
      const r = parse(text);
      if (r !== null && stillRunning(r.harness)) continue;
      invocations++;
      for (const leader of r?.groups ?? []) {
        if (!stillOurs(leader)) continue;
        try {
          process.kill(-leader.pid, 'SIGKILL');
          groups++;
        } catch {
          // Gone meanwhile.
        }
      }
      if (r?.cgroup) {
        cgroupProcesses += killCgroup(r.cgroup);
        // Its killed processes not reaped yet: the cgroup stays, and so does the record, for the next sweep.
        if (existsSync(r.cgroup)) {
          this.record({ ...r, groups: [] });
          continue;
        }
      }
      rmSync(file, { force: true });
    }
    return { invocations, groups, cgroupProcesses };
  }
}
