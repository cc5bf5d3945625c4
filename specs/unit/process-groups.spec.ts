// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  killAllGroups,
  liveGroupCount,
  signalGroup,
  startGroup,
  STOP_GRACE_MS,
} from '../../harness/process/process-groups.ts';
import { repoRoot } from '../../harness/lib/paths.ts';
import { until } from '../support.ts';
import { cgroupDirOf } from '../../harness/process/invocation-cgroup.ts';
import { sleep } from '../../harness/lib/time.ts';

/** The process group of `pid`, read from ps; throws when there is no such process. */
function pgidOf(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim());
}

/** The pids in process group `pgid` (zombies included). */
function groupMembers(pgid: number): number[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number])
    .filter(([, g]) => g === pgid)
    .map(([pid]) => pid);
}

/** Whether `pid` has got past its cgroup wrapper and setpriv: its argv[0] is the fixture's sh, or sleep it execs. */
function runsItsCommand(pid: number): boolean {
  const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  return argv0 === 'sh' || argv0 === 'sleep';
}

/** True when `pid` no longer runs: no such process, or a zombie not yet reaped by its new parent. */
function isGone(pid: number): boolean {
  try {
    return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
      .trim()
      .startsWith('Z');
  } catch {
    return true; // ps exits 1 when there is no such process
  }
}

/** Whether `pid` catches or ignores SIGTERM yet: a signal sent before its shell ran `trap` would just kill it. */
function handlesTerm(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  const term = 1n << 14n; // SIGTERM is 15: bit 14
  return ((mask('SigCgt') | mask('SigIgn')) & term) !== 0n;
}

/** Like `until`, but blocking: no promise job or I/O callback runs while it waits. */
function untilSync(condition: () => boolean, what: string, timeoutMs = 3000): void {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

describe('process groups', () => {
  afterEach(() => killAllGroups());

  it('startGroup makes the child the leader of a new process group, not ours', () => {
    const child = startGroup('sh', ['-c', 'sleep 300 & sleep 300 & wait'], { stdio: 'ignore', reject: false });
    const pid = child.pid as number;
    expect(pgidOf(pid)).to.equal(pid);
    expect(pgidOf(pid), 'not in our group').to.not.equal(pgidOf(process.pid));
  });

  it('killAllGroups kills the leader and its grandchildren, and forgets the group', async () => {
    const child = startGroup('sh', ['-c', 'sleep 300 & sleep 300 & wait'], { stdio: 'ignore', reject: false });
    const pid = child.pid as number;
    await until(() => groupMembers(pid).length === 3, 'the shell and both sleeps run in the group');
    const members = groupMembers(pid);
    expect(liveGroupCount()).to.equal(1);
    killAllGroups();
    // Checked without yielding to the event loop, so that it is killAllGroups and not the
    // clean-up that runs when the leader's exit is noticed that killed the grandchildren.
    untilSync(() => members.every(isGone), `every process of group ${pid} (${members.join(', ')}) is gone`);
    expect(liveGroupCount()).to.equal(0);
    expect((await child).signal).to.equal('SIGKILL');
  });

  it('liveGroupCount goes back to 0 once a group ends by itself', async () => {
    const child = startGroup('sh', ['-c', 'sleep 0.05; exit 3'], { stdio: 'ignore', reject: false });
    expect(liveGroupCount()).to.equal(1);
    expect((await child).exitCode).to.equal(3);
    await until(() => liveGroupCount() === 0, 'the group is forgotten');
  });

  it('when the leader exits, a child it left behind in the group is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgroup-spec-'));
    try {
      const pidFile = join(dir, 'sleep.pid');
      const child = startGroup('sh', ['-c', `sleep 300 & echo $! > '${pidFile}'`], { stdio: 'ignore', reject: false });
      expect((await child).exitCode).to.equal(0);
      const sleepPid = Number((await readFile(pidFile, 'utf8')).trim());
      expect(sleepPid).to.be.greaterThan(0);
      await until(() => isGone(sleepPid), `the orphaned sleep ${sleepPid} is gone`);
      expect(liveGroupCount()).to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('signalGroup signals the whole group of a live leader', async () => {
    const child = startGroup('sh', ['-c', 'sleep 300 & wait'], { stdio: 'ignore', reject: false });
    const pid = child.pid as number;
    await until(() => groupMembers(pid).length === 2, 'the shell and its sleep run in the group');
    const members = groupMembers(pid);
    signalGroup(pid, 'SIGTERM');
    expect((await child).signal).to.equal('SIGTERM');
    await until(() => members.every(isGone), 'the shell and its sleep are gone');
  });
});

/** The group-holder fixture run as the harness runs (node --import tsx: one process, so a signal reaches it). */
async function startHolder(...args: string[]) {
  return startHolderIn(process.env, ...args);
}

const GROUP_HOLDER = join(repoRoot, 'specs', 'fixtures', 'group-holder.ts');

/** A harness that only starts up, which sweeps what dead ones left. */
const sweepAgain = (env: NodeJS.ProcessEnv) =>
  spawn(process.execPath, ['--import', 'tsx', GROUP_HOLDER, '--sweep'], { cwd: repoRoot, env });

async function startHolderIn(env: NodeJS.ProcessEnv, ...args: string[]) {
  const holder = spawn(process.execPath, ['--import', 'tsx', GROUP_HOLDER, ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    holder.on('exit', (c, s) => resolve({ code: c, signal: s })),
  );
  let stdout = '';
  let stderr = '';
  holder.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  holder.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let sleepPid = 0;
  const cleanup = () => {
    holder.kill('SIGKILL');
    if (sleepPid <= 0) return;
    try {
      process.kill(-sleepPid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  };
  try {
    await until(
      () => stdout.includes('\n') || holder.exitCode !== null,
      'the fixture prints the pid of its sleep',
      15_000,
    );
    sleepPid = Number(stdout.trim());
    expect(sleepPid, `fixture printed no pid; stderr: ${stderr}`).to.be.greaterThan(0);
    expect(pgidOf(sleepPid), 'the sleep leads its own group').to.equal(sleepPid);
    // Until setpriv has set the parent-death signal and exec'd the fixture's sh, a SIGKILL to the holder
    // would orphan the group: the harness's next start sweeps those, which is another spec's matter.
    await until(() => runsItsCommand(sleepPid), `group ${sleepPid} runs the fixture's command`, 15_000);
  } catch (error) {
    cleanup();
    throw error;
  }
  return { holder, sleepPid, exited, stderr: () => stderr, cleanup };
}

describe('a harness process that is killed outright', function () {
  this.timeout(20_000);

  it('leaves no process behind when SIGKILLed (no handler runs): the kernel kills the leaders', async () => {
    const h = await startHolder();
    try {
      h.holder.kill('SIGKILL');
      await until(() => isGone(h.sleepPid), `the sleep ${h.sleepPid} is gone after its harness was SIGKILLed`, 5000);
    } finally {
      h.cleanup();
    }
  });
});

describe('a harness process that is killed outright, and the next one on the host', function () {
  this.timeout(30_000);
  let cache: string;
  beforeEach(async () => (cache = await mkdtemp(join(tmpdir(), 'vfio-reset-live-'))));
  afterEach(async () => rm(cache, { recursive: true, force: true }));

  it('sweeps the children its group leaders left: the parent-death signal kills only the leaders', async () => {
    const env = { ...process.env, XDG_CACHE_HOME: cache };
    const orphanFile = join(cache, 'orphan.pid');
    const h = await startHolderIn(env, '--orphan', orphanFile);
    let orphan = 0;
    try {
      await until(async () => (await readFile(orphanFile, 'utf8').catch(() => '')).endsWith('\n'), 'the orphan pid');
      orphan = Number((await readFile(orphanFile, 'utf8')).trim());
      // Where cgroup v2 is writable the harness made one for its children: the sweep removes it too.
      const cgroup = cgroupDirOf(orphan);
      h.holder.kill('SIGKILL');
      await until(() => isGone(h.sleepPid), 'the leader died of its parent-death signal', 5000);
      expect(isGone(orphan), "the leader's child outlives it").to.equal(false);
      const next = sweepAgain(env);
      let said = '';
      next.stderr.on('data', (d: Buffer) => (said += d.toString()));
      const code = await new Promise((resolve) => next.on('exit', resolve));
      expect(code).to.equal(0);
      await until(() => isGone(orphan), `the orphan ${orphan} is gone after the next harness started`, 5000);
      expect(said).to.match(/vfio-reset: killed 1 process groups and \d+ processes in cgroups left by 1 harness/);
      if (cgroup?.includes('/vfio-reset-')) {
        // Its killed processes may not be reaped by the first sweep; a later one removes it.
        for (let sweep = 0; sweep < 5 && existsSync(cgroup); sweep++) {
          await sleep(200);
          await new Promise((resolve) => sweepAgain(env).on('exit', resolve));
        }
        expect(existsSync(cgroup), `the cgroup ${cgroup} is removed`).to.equal(false);
      }
    } finally {
      h.cleanup();
      if (orphan > 0 && !isGone(orphan)) process.kill(orphan, 'SIGKILL');
    }
  });
});

describe('a harness process that is interrupted', function () {
  this.timeout(20_000);

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`kills its process groups on ${signal} and exits with ${code}`, async () => {
      const h = await startHolder();
      try {
        h.holder.kill(signal);
        const result = await h.exited;
        expect(result, h.stderr()).to.deep.equal({ code, signal: null });
        expect(h.stderr()).to.contain(`${signal} received`);
        await until(() => isGone(h.sleepPid), `the sleep ${h.sleepPid} is gone`);
      } finally {
        h.cleanup();
      }
    });
  }
});

describe('an interrupted harness stops its groups gracefully first', function () {
  this.timeout(20_000);

  it('sends SIGTERM before SIGKILL, so that make can delete the target it was writing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-term-'));
    const h = await startHolder('--on-term', join(dir, 'seen'));
    await until(() => handlesTerm(h.sleepPid), 'the shell has set its SIGTERM trap');
    try {
      h.holder.kill('SIGINT');
      expect((await h.exited).code, h.stderr()).to.equal(130);
      expect(await readFile(join(dir, 'seen'), 'utf8')).to.equal('term\n');
      await until(() => isGone(h.sleepPid), `the group ${h.sleepPid} is gone`);
    } finally {
      h.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`kills a group that ignores SIGTERM after ${STOP_GRACE_MS} ms`, async () => {
    const h = await startHolder('--ignore-term');
    await until(() => handlesTerm(h.sleepPid), 'the shell ignores SIGTERM');
    try {
      const started = Date.now();
      h.holder.kill('SIGTERM');
      expect((await h.exited).code, h.stderr()).to.equal(143);
      expect(Date.now() - started).to.be.at.least(STOP_GRACE_MS - 100);
      await until(() => isGone(h.sleepPid), `the group ${h.sleepPid} is gone`);
    } finally {
      h.cleanup();
    }
  });
});
