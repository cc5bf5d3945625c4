// SPDX-License-Identifier: GPL-2.0-only
/** The C agents' host-side unit tests (their logic against a simulated register file), built natively and run. */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xgmacHeader } from '../../harness/devices/c-header.ts';
import { AGENT_DIR } from '../../harness/recipes/agents.ts';

describe('guest agents: host-side unit tests (make test)', function () {
  this.timeout(60_000);

  it('builds with -Wall -Wextra -Werror and passes every test', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-agents-'));
    try {
      await writeFile(join(dir, 'xgmac-regs.h'), xgmacHeader());
      const result = await execa('make', ['-s', '-C', AGENT_DIR, 'test', `OUT=${dir}`, `GEN=${dir}`], {
        reject: false,
        all: true,
      });
      expect(result.exitCode, result.all).to.equal(0);
      const summaries = [...(result.all ?? '').matchAll(/# (\d+) passed, (\d+) failed/g)];
      const programs = /^HOST_TESTS := (.*)$/m
        .exec(await readFile(join(AGENT_DIR, 'Makefile'), 'utf8'))![1]!
        .split(' ');
      expect(summaries.length, `one summary per test program (${programs.join(', ')}):\n${result.all}`).to.equal(
        programs.length,
      );
      for (const [, passed, failed] of summaries) {
        expect(Number(passed)).to.be.greaterThan(0);
        expect(Number(failed)).to.equal(0);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
