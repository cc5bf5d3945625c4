// SPDX-License-Identifier: GPL-2.0-only
/**
 * The short soak (`npm run soak` runs the long one): real invocations of
 * the harness interrupted with real signals, faults injected into the
 * cache between them, two at once on one tree, one whole. Nothing may be
 * orphaned, served damaged, misjudged or lost.
 */
import { expect } from 'chai';
import { soak } from '../tools/soak.ts';
import { defaultStack } from './stack-fixture.ts';

describe('the harness under faults (short soak, integration)', function () {
  this.timeout(20 * 60 * 1000);

  before(async () => {
    // The stack built first, so that the soak's invocations find it.
    await defaultStack();
  });

  it('orphans nothing, keeps the cache whole, judges right and loses no report', async () => {
    const counts = await soak(3, (line) => process.stderr.write(`  [soak] ${line}\n`));
    expect(
      {
        orphans: counts.orphans,
        corruptEntries: counts.corruptEntries,
        wrongVerdicts: counts.wrongVerdicts,
        lostReports: counts.lostReports,
      },
      counts.problems.join('\n'),
    ).to.deep.equal({ orphans: 0, corruptEntries: 0, wrongVerdicts: 0, lostReports: 0 });
    expect(counts.faults['concurrent invocations']).to.equal(2);
  });
});
