// SPDX-License-Identifier: GPL-2.0-only
/** The C agents' host-side unit tests (their logic against a simulated register file), built natively and run. */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_DIR, generatedHeaders } from '../../harness/recipes/agents.ts';

describe('guest agents: host-side unit tests (make test)', function () {
  this.timeout(60_000);

  it('builds with -Wall -Wextra -Werror and passes every test', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-agents-'));
    try {
      for (const [name, text] of Object.entries(generatedHeaders())) await writeFile(join(dir, name), text);
      const result = await execa('make', ['-s', '-C', AGENT_DIR, 'test', `OUT=${dir}`, `GEN=${dir}`], {
        reject: false,
        all: true,
      });
      expect(result.exitCode, result.all).to.equal(0);
      const output = result.all ?? '';
      const plans = [...output.matchAll(/^1\.\.(\d+)$/gm)].map((m) => Number(m[1]));
      const summaries = [...output.matchAll(/^# (\d+) passed, (\d+) failed, (\d+) skipped$/gm)];
      const makefile = (await readFile(join(AGENT_DIR, 'Makefile'), 'utf8')).replace(/\\\n\s*/g, ' ');
      const programs = /^HOST_TESTS := (.*)$/m.exec(makefile)![1]!.trim().split(/\s+/);
      expect(summaries.length, `one summary per test program (${programs.join(', ')}):\n${output}`).to.equal(
        programs.length,
      );
      expect(plans.length, `one plan per test program:\n${output}`).to.equal(programs.length);
      summaries.forEach(([, passed, failed, skipped], i) => {
        expect(Number(passed)).to.be.greaterThan(0);
        expect(Number(failed)).to.equal(0);
        expect(Number(passed) + Number(skipped), `every planned test of ${programs[i]} reported`).to.equal(plans[i]);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
