// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertTreeUnchanged, prepareSourceTree, treeSource } from '../../harness/recipes/kernel-source.ts';
import { InputError } from '../../harness/lib/errors.ts';
import { rejectionOf } from '../support.ts';

/** The smallest tree treeSource accepts: Kconfig, merge_config.sh, one source file, a git checkout. */
async function kernelTree(): Promise<{ dir: string; git: (...args: string[]) => Promise<unknown> }> {
  const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-tree-'));
  await mkdir(join(dir, 'scripts', 'kconfig'), { recursive: true });
  await writeFile(join(dir, 'Kconfig'), '');
  await writeFile(join(dir, 'scripts', 'kconfig', 'merge_config.sh'), '');
  await writeFile(join(dir, 'reset.c'), 'int reset(void) { return 0; }\n');
  const git = (...args: string[]) => execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'tree');
  return { dir, git };
}

describe("a kernel tree's identity, checked again once it is copied for the build", () => {
  let tree: Awaited<ReturnType<typeof kernelTree>>;
  let work: string;
  beforeEach(async () => {
    tree = await kernelTree();
    work = await mkdtemp(join(tmpdir(), 'vfio-reset-work-'));
  });
  afterEach(async () => {
    await rm(tree.dir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('lets an unchanged tree through, and copies it', async () => {
    const source = await treeSource(tree.dir);
    await assertTreeUnchanged(source);
    const { src } = await prepareSourceTree(source, [], work, join(work, 'log'));
    expect(await readFile(join(src, 'reset.c'), 'utf8')).to.equal('int reset(void) { return 0; }\n');
    expect(existsSync(join(work, 'src.stamp'))).to.equal(true);
  });

  it('refuses a tree edited after it was identified, and stamps no copy of it', async () => {
    const source = await treeSource(tree.dir);
    await writeFile(join(tree.dir, 'reset.c'), 'int reset(void) { return -1; }\n');
    const error = await rejectionOf(prepareSourceTree(source, [], work, join(work, 'log')));
    expect(error).to.be.instanceOf(InputError);
    expect(error.message).to.match(/changed while the harness was copying it \(its uncommitted changes differ\)/);
    expect(existsSync(join(work, 'src.stamp')), 'the copy must not pass for the identified tree').to.equal(false);
  });

  it('refuses a tree whose HEAD moved (a checkout by another job), naming both revisions', async () => {
    const source = await treeSource(tree.dir);
    await writeFile(join(tree.dir, 'reset.c'), 'int reset(void) { return 1; }\n');
    await tree.git('commit', '-q', '-am', 'next');
    const error = await rejectionOf(assertTreeUnchanged(source));
    expect(error.message).to.match(/HEAD moved from [0-9a-f]{12} to [0-9a-f]{12}/);
  });
});
