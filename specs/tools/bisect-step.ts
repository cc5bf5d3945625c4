// SPDX-License-Identifier: GPL-2.0-only
/**
 * For `npm run bench`: one `vfio-reset bisect` step after a one-line change
 * to the reset handler, on the bisect demo's real tree (Debian's
 * linux-source-6.12 as a git repository, at the bisect spec's path so that
 * its work tree is warm), timed from the command's start to its exit.
 */
import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import { DEMO_DIR, HANDLER, makeKernelRepo } from '../integration/kernel-repo.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

export interface BisectStep {
  readonly seconds: number;
  readonly exitCode: number | undefined;
  /** The step's own words on how it built the kernel. */
  readonly kernel: string;
}

async function step(tree: string): Promise<{ ms: number; exitCode: number | undefined; kernel: string }> {
  const started = Date.now();
  const r = await execa(
    'node',
    [CLI, 'bisect', '--kernel-tree', tree, '--traffic', 'continuous', '--output', join(DEMO_DIR, 'artifacts')],
    { reject: false },
  );
  return {
    ms: Date.now() - started,
    exitCode: r.exitCode,
    kernel: /^kernel: (.*)$/m.exec(r.stdout)?.[1] ?? 'not said',
  };
}

/** Builds the good commit, then times the step of a commit that changes one line of the handler. */
export async function bisectModuleStep(): Promise<BisectStep> {
  const repo = await makeKernelRepo(join(DEMO_DIR, 'linux'));
  try {
    const git = (...args: string[]) =>
      execa('git', ['-C', repo.dir, '-c', 'user.name=Bench', '-c', 'user.email=bench@localhost', ...args]);
    await git('checkout', '-q', repo.good);
    // A revision of its own, so that this step builds in the work tree rather than finding the good kernel in the
    // cache: the timed step is then one file away from the work tree's last build, whatever an earlier demo built.
    await git('commit', '-q', '--allow-empty', '-m', 'bench: the good tree, built in the work tree');
    await step(repo.dir);
    const handler = join(repo.dir, HANDLER);
    const text = await readFile(handler, 'utf8');
    const changed = text.replace('/* Disable the MAC core */', '/* Disable the MAC core first */');
    if (changed === text) throw new Error(`${HANDLER} no longer has the line the bench changes`);
    await writeFile(handler, changed);
    await git('commit', '-q', '-a', '-m', 'vfio/platform: calxedaxgmac: a one-line change');
    const timed = await step(repo.dir);
    return { seconds: Math.round(timed.ms / 100) / 10, exitCode: timed.exitCode, kernel: timed.kernel };
  } finally {
    // The tree stays for the next demo (kernel-repo.ts).
    await rm(join(DEMO_DIR, 'artifacts'), { recursive: true, force: true });
  }
}
