/**
 * Bisect, for real: a local kernel repository where one commit breaks the
 * Calxeda XGMAC reset handler, and `git bisect run vfio-reset bisect` must
 * name that commit. Every step builds the commit incrementally (the work
 * tree mirror, the O= build directory and ccache persist).
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKernelRepo, type KernelRepo } from './kernel-repo.ts';
import { repoRoot } from '../../harness/paths.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

describe('git bisect run vfio-reset bisect (integration)', function () {
  this.timeout(60 * 60 * 1000);
  let work: string;
  let repo: KernelRepo;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'vfio-reset-bisect-'));
    repo = await makeKernelRepo(join(work, 'linux'));
  });

  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('names the commit that broke the reset handler', async () => {
    await execa('git', ['-C', repo.dir, 'bisect', 'start', repo.head, repo.good]);
    const started = Date.now();
    const result = await execa('git', ['-C', repo.dir, 'bisect', 'run', 'node', CLI, 'bisect', '--output', join(work, 'artifacts')], { reject: false, all: true, env: { FORCE_COLOR: '0' } });
    process.stderr.write(`bisect took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    expect(result.all, result.all).to.include(`${repo.bad} is the first bad commit`);
    expect(result.all).to.not.match(/exited with error code (?!1\b)\d+/);
  });
});
