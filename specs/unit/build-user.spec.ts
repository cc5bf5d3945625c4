// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { BUILD_USER_NAME, buildCredentials, credentialsIn } from '../../harness/recipes/build-user.ts';
import { runStep } from '../../harness/recipes/build-step.ts';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'vfio-reset-builder:x:998:998::/nonexistent:/usr/sbin/nologin',
  'vfio-reset-build:x:997:996::/nonexistent:/usr/sbin/nologin',
].join('\n');

describe("the build user (a kernel tree's own code never runs as root)", () => {
  it('reads its uid and gid from passwd, by exact name', () => {
    expect(credentialsIn(PASSWD, 'vfio-reset-build')).to.deep.equal({ uid: 997, gid: 996 });
    expect(credentialsIn(PASSWD, 'vfio-reset')).to.equal(null);
  });

  it('runs a build step as that user, with no groups of root and no home of root', async function () {
    const hasUser = credentialsIn(readFileSync('/etc/passwd', 'utf8'), BUILD_USER_NAME) !== null;
    if (process.getuid?.() !== 0 || !hasUser) return this.skip(); // not root, or set-up has not made it
    const as = buildCredentials();
    expect(as).to.not.equal(null);
    const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-as-'));
    try {
      const log = join(dir, 'log');
      await runStep('who', 'sh', ['-c', 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) home=$HOME"'], { log, as });
      expect(await readFile(log, 'utf8')).to.include(
        `uid=${as!.uid} gid=${as!.gid} groups=${as!.gid} home=/nonexistent`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
