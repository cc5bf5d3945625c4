// SPDX-License-Identifier: GPL-2.0-only
/** How many runs go at once, and the pool that runs them. */
import { expect } from 'chai';
import { inParallel, jobsOption } from '../../harness/campaign/jobs.ts';
import { hostL1s } from '../../harness/machines/l1-slots.ts';
import { InputError } from '../../harness/lib/errors.ts';
import { sleep } from '../../harness/lib/time.ts';

describe('runs side by side (--jobs)', () => {
  it('defaults to as many L1s as the cores and the memory hold, at least one', () => {
    expect(hostL1s({ cpus: 2, memoryMiB: 24 * 1024 })).to.equal(2);
    expect(hostL1s({ cpus: 16, memoryMiB: 32 * 1024 }), 'memory-bound').to.equal(15);
    expect(hostL1s({ cpus: 16, memoryMiB: 64 * 1024 })).to.equal(16);
    expect(hostL1s({ cpus: 16, memoryMiB: 8 * 1024 }), 'memory-bound').to.equal(3);
    expect(hostL1s({ cpus: 1, memoryMiB: 1024 })).to.equal(1);
  });

  it('takes a whole number from 1 to 32, and names the default in its error', () => {
    const host = { cpus: 2, memoryMiB: 16 * 1024 };
    expect(jobsOption(undefined, host)).to.equal(2);
    expect(jobsOption('3', host)).to.equal(3);
    for (const bad of ['0', '-1', '1.5', 'many', '33'])
      expect(() => jobsOption(bad, host), bad)
        .to.throw(InputError)
        .with.property('message')
        .that.matches(/^--jobs \S+ must be a whole number from 1 to 32 \(default here: 2,/);
  });

  it('runs at most N at once and gives the results in the order asked, whatever order they finish in', async () => {
    let running = 0;
    let most = 0;
    const results = await inParallel(7, 3, async (i) => {
      running++;
      most = Math.max(most, running);
      await sleep((7 - i) * 5);
      running--;
      return i * 10;
    });
    expect(results).to.deep.equal([0, 10, 20, 30, 40, 50, 60]);
    expect(most).to.equal(3);
  });

  it('lets the other runs finish when one throws, then throws its error', async () => {
    const done: number[] = [];
    const error = await inParallel(4, 2, async (i) => {
      await sleep(i * 5);
      if (i === 1) throw new Error('run 1 failed');
      done.push(i);
      return i;
    }).catch((e: Error) => e);
    expect(error).to.be.instanceOf(Error).with.property('message', 'run 1 failed');
    expect(done).to.include.members([0, 2, 3]);
  });
});
