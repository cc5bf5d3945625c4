// SPDX-License-Identifier: GPL-2.0-only
/** Two harnesses in one work tree take turns; a lock left by a dead harness is taken over. */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withWorkLock } from '../../harness/cache/work-lock.ts';
import { sleep } from '../../harness/lib/time.ts';

describe('work tree locks', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'vfio-reset-lock-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('make a second holder wait until the first is done, and say whom it waits for', async () => {
    const tree = join(dir, 'kernel');
    const order: string[] = [];
    const waitedFor: number[] = [];
    const first = withWorkLock(
      tree,
      () => {},
      async () => {
        order.push('first in');
        await sleep(800);
        order.push('first out');
      },
    );
    await sleep(100);
    const second = withWorkLock(
      tree,
      (pid) => waitedFor.push(pid),
      async () => order.push('second in'),
    );
    await Promise.all([first, second]);
    expect(order).to.deep.equal(['first in', 'first out', 'second in']);
    expect(waitedFor).to.deep.equal([process.pid]);
  });

  it('take over the lock of a holder that died, or whose pid now belongs to another process', async () => {
    const tree = join(dir, 'qemu');
    const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
    for (const owner of [`${dead} 12345`, `${process.pid} 1`]) {
      await mkdir(`${tree}.lock`);
      await writeFile(join(`${tree}.lock`, 'owner'), `${owner}\n`);
      let ran = false;
      await withWorkLock(
        tree,
        () => expect.fail(`waited for a dead holder (${owner})`),
        async () => (ran = true),
      );
      expect(ran).to.equal(true);
    }
  });
});
