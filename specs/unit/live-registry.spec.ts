// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveRegistry } from '../../harness/process/live-registry.ts';
import { identityOf } from '../../harness/process/process-identity.ts';
import { until } from '../support.ts';

/** A sleep leading a process group of its own, as the harness starts its children. */
function groupLeader(): ChildProcess {
  return spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
}

const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

describe('the live registry (what a dead harness left, swept by the next)', () => {
  let dir: string;
  let leaders: ChildProcess[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vfio-reset-registry-'));
    leaders = [];
  });
  afterEach(async () => {
    for (const p of leaders) if (alive(p)) process.kill(-p.pid!, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const leader = () => {
    const p = groupLeader();
    leaders.push(p);
    return p;
  };
  /** This process as a harness that died: its pid now has another start time. */
  const deadHarness = { pid: process.pid, startTime: 'started-long-ago' };

  it("kills a dead harness's groups and forgets it", async () => {
    const registry = new LiveRegistry(dir);
    const p = leader();
    registry.record({ harness: deadHarness, cgroup: null, groups: [identityOf(p.pid!)!] });
    expect(registry.sweep()).to.deep.equal({ invocations: 1, groups: 1, cgroupProcesses: 0 });
    await until(() => !alive(p), 'the group is killed');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('leaves a live harness alone, groups and record', () => {
    const registry = new LiveRegistry(dir);
    const p = leader();
    registry.record({ harness: identityOf(process.pid)!, cgroup: null, groups: [identityOf(p.pid!)!] });
    expect(registry.sweep()).to.deep.equal({ invocations: 0, groups: 0, cgroupProcesses: 0 });
    expect(alive(p)).to.equal(true);
    expect(existsSync(join(dir, `${process.pid}.json`))).to.equal(true);
  });

  it('never kills a group whose leader pid now belongs to another process', () => {
    const registry = new LiveRegistry(dir);
    const p = leader();
    registry.record({ harness: deadHarness, cgroup: null, groups: [{ pid: p.pid!, startTime: 'another-process' }] });
    expect(registry.sweep()).to.deep.equal({ invocations: 1, groups: 0, cgroupProcesses: 0 });
    expect(alive(p)).to.equal(true);
  });

  it('passes over a record it cannot read (gone since the listing, as when two harnesses sweep at once)', async () => {
    const registry = new LiveRegistry(dir);
    await mkdir(join(dir, '4243.json'));
    expect(registry.sweep()).to.deep.equal({ invocations: 0, groups: 0, cgroupProcesses: 0 });
  });

  it('forgets a torn record (a full disk, a crash mid-write) without killing anything', async () => {
    const registry = new LiveRegistry(dir);
    await writeFile(join(dir, '4242.json'), '{"harness": {"pid": 42');
    expect(registry.sweep()).to.deep.equal({ invocations: 1, groups: 0, cgroupProcesses: 0 });
    expect(await readdir(dir)).to.deep.equal([]);
  });
});
