// SPDX-License-Identifier: GPL-2.0-only
/** A long build step says how far it got while it runs, read from what it logged: never silent in a CI log. */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStep, stepProgressOf } from '../../harness/recipes/build-step.ts';

describe('build steps', () => {
  it("reads ninja's [n/N], kbuild's objects and apt's downloads from a log", () => {
    expect(stepProgressOf('[1/1311] Compiling C object a.o\n[812/1311] Linking b\n')).to.equal('812/1311 build steps');
    expect(stepProgressOf('  SYNC    include/config/auto.conf\n  CC      init/main.o\n  LD [M]  x.ko\n')).to.equal(
      '2 objects built',
    );
    expect(stepProgressOf('  CC      init/main.o\n  CC      init/version.o\n', 1020)).to.equal(
      '2 of about 1020 objects built (as many as the last such build)',
    );
    expect(stepProgressOf('Get:1 http://deb.debian.org trixie InRelease [151 kB]\nGet:2 x\n')).to.equal(
      '2 files fetched',
    );
    expect(stepProgressOf('configuring...\n')).to.equal(null);
  });

  it('says how far a running step got until it ends, and nothing after', async function () {
    this.timeout(10_000);
    const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-step-'));
    try {
      const log = join(dir, 'build.log');
      await writeFile(log, 'an earlier step\n[9/9] done before\n');
      const said: string[] = [];
      const script = 'for i in 1 2 3 4; do echo "[$i/4] step"; sleep 0.25; done';
      await runStep('compiling', 'sh', ['-c', script], { log, progress: (l) => said.push(l), progressEveryMs: 300 });
      const after = said.length;
      await new Promise((r) => setTimeout(r, 700));
      expect(said.length, said.join('\n')).to.be.at.least(2);
      expect(said.length, 'nothing once the step has ended').to.equal(after);
      for (const line of said) expect(line).to.match(/^compiling: [1-4]\/4 build steps, \d+ s$/);
      expect(await readFile(log, 'utf8'), 'the step timed in its log').to.match(/\n# compiling: 1\.\d s\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
