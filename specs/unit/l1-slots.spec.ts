// SPDX-License-Identifier: GPL-2.0-only
/** The host's L1 slots, shared by every harness process: never more L1s at once than slots; dead holders' freed. */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeL1Slot } from '../../harness/machines/l1-slots.ts';
import { sleep } from '../../harness/lib/time.ts';

describe('L1 slots', () => {
  let root: string;
  beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'vfio-reset-slots-'))));
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('let no more holders in at once than slots, and say whom a waiter waits for', async () => {
    let inside = 0;
    let most = 0;
    const said: string[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async () => {
        await using _slot = await takeL1Slot(root, 2, (line) => said.push(line));
        most = Math.max(most, ++inside);
        await sleep(300);
        inside--;
      }),
    );
    expect(most).to.equal(2);
    expect(said).to.deep.equal(
      Array(3).fill(`waiting for an L1 slot: the host's 2 are taken (harness pids ${process.pid})`),
    );
  });

  it('take a slot left by a holder that died, or by one killed before it wrote its name', async () => {
    const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
    await mkdir(join(root, 'l1-slots', '0'), { recursive: true });
    await writeFile(join(root, 'l1-slots', '0', 'owner'), `${dead} 12345\n`);
    await mkdir(join(root, 'l1-slots', '1'));
    const long = new Date(Date.now() - 60_000);
    await utimes(join(root, 'l1-slots', '1'), long, long);
    const slots = [
      await takeL1Slot(root, 2, () => expect.fail('waited for a dead holder')),
      await takeL1Slot(root, 2, () => expect.fail('waited for an ownerless slot')),
    ];
    for (const slot of slots) await slot[Symbol.asyncDispose]();
  });
});
