// SPDX-License-Identifier: GPL-2.0-only
/**
 * An older LTS kernel as it really is: Debian bookworm's own
 * linux-source-6.1, built from a tree with `run --kernel-tree`. 6.1 cannot
 * host the kernel-side control (it refuses a device without a reset
 * function even with reset_required=0), and the rule that says so is held
 * here to what 6.1 prints, not to a quotation. The rest of the set decides:
 * the scenario passes, the device-side control is detected, and the run
 * exits 0.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import type { RunRecord } from '../../harness/report/report-format.ts';
import { debianKernelTree } from './debian-tree.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

describe("run --kernel-tree on Debian's linux-source-6.1 (integration)", function () {
  this.timeout(60 * 60 * 1000);
  let exitCode: number | undefined;
  let stdout: string;
  let runs: readonly RunRecord[];

  before(async () => {
    const tree = await debianKernelTree('linux-source-6.1');
    const outDir = await mkdtemp(join(tmpdir(), 'vfio-reset-6.1-'));
    const r = await execa(
      'node',
      [CLI, 'run', '--kernel-tree', tree, '--scenario', 'raw-driver', '--seed', 'linux-6.1', '--output', outDir],
      { reject: false, stderr: 'inherit' },
    );
    exitCode = r.exitCode;
    stdout = r.stdout;
    runs = (JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as { runs: RunRecord[] }).runs;
  });

  it('exits 0: the scenario passes and the device-side control proves every oracle', () => {
    expect(exitCode, stdout).to.equal(0);
    for (const r of runs.filter((x) => x.spec.control === 'none'))
      expect(r.verdict, JSON.stringify(r.verdict)).to.deep.equal({ kind: 'pass' });
    for (const r of runs.filter((x) => x.spec.control === 'device-ignores-reset'))
      expect(r.verdict, JSON.stringify(r.verdict)).to.deep.equal({ kind: 'detected' });
  });

  it('calls the kernel-side control not applicable, in the words 6.1 prints', () => {
    const controls = runs.filter((x) => x.spec.control === 'kernel-no-reset');
    expect(controls).to.have.length(2);
    for (const r of controls) {
      expect(r.verdict.kind, JSON.stringify(r.verdict)).to.equal('not-applicable');
      expect(JSON.stringify(r.verdict)).to.match(/kernel 6\.1\.\d+.*probe of c000000\.xgmac failed with error -2\b/);
    }
  });
});
