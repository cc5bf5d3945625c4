// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  cgroupEntryArgv,
  cgroupPids,
  createInvocationCgroup,
  killCgroup,
} from '../../harness/process/invocation-cgroup.ts';
import { until } from '../support.ts';

describe("the invocation's cgroup", function () {
  this.timeout(10_000);

  it('holds a child from before its exec, and its children: killing it kills them, not us', async function () {
    // A pid no live harness has: the cgroup is this spec's own.
    const dir = createInvocationCgroup(process.pid + 4_000_000);
    if (dir === null) return this.skip(); // no writable cgroup v2 here: process groups are all there is
    const [command, ...args] = cgroupEntryArgv(dir, ['sh', '-c', 'sleep 300 & sleep 300 & wait']);
    // Its own process group, as the harness starts children: then the children of the shell are in it too.
    const child = spawn(command!, args, { detached: true, stdio: 'ignore' });
    try {
      await until(() => cgroupPids(dir).length === 3, 'the shell and both sleeps are in the cgroup');
      expect(cgroupPids(dir)).to.include(child.pid);
      expect(cgroupPids(dir)).to.not.include(process.pid);
      expect(killCgroup(dir)).to.equal(3);
      await until(() => child.exitCode !== null || child.signalCode !== null, 'the shell is killed');
      await until(() => killCgroup(dir) === 0 && !existsSync(dir), 'the emptied cgroup is removed');
    } finally {
      if (existsSync(dir)) killCgroup(dir);
    }
  });
});
