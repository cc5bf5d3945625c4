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

  it('mirrors a git tree again by the files git names, and ends with the same copy as a whole mirror', async () => {
    const patch = {
      name: 'p.patch',
      text:
        '--- a/reset.c\n+++ b/reset.c\n@@ -1 +1 @@\n' +
        '-int reset(void) { return 0; }\n+int reset(void) { return 2; }\n',
    };
    const first = await prepareSourceTree(await treeSource(tree.dir), [patch], work, join(work, 'log'));
    expect(first.changed).to.equal(null);
    // A commit that adds, changes and deletes; an untracked file; the patch dropped.
    await writeFile(join(tree.dir, 'added.c'), 'int added;\n');
    await writeFile(join(tree.dir, 'Kconfig'), 'config X\n');
    await tree.git('rm', '-q', 'scripts/kconfig/merge_config.sh');
    await mkdir(join(tree.dir, 'scripts', 'kconfig'), { recursive: true });
    await writeFile(join(tree.dir, 'scripts', 'kconfig', 'merge_config.sh'), '# untracked now\n');
    await tree.git('add', 'added.c', 'Kconfig');
    await tree.git('commit', '-q', '-m', 'next');
    await writeFile(join(tree.dir, 'notes.txt'), 'untracked\n');
    const second = await prepareSourceTree(await treeSource(tree.dir), [], work, join(work, 'log'));
    expect(second.changed).to.deep.equal([
      'Kconfig',
      'added.c',
      'notes.txt',
      'reset.c',
      'scripts/kconfig/merge_config.sh',
    ]);
    expect(await readFile(join(work, 'log'), 'utf8')).to.match(/rsync .*--files-from=/);
    // Then a tracked file deleted: the copy loses it too.
    await tree.git('rm', '-q', 'added.c');
    await tree.git('commit', '-q', '-m', 'drop');
    const third = await prepareSourceTree(await treeSource(tree.dir), [], work, join(work, 'log'));
    expect(third.changed).to.deep.equal(['added.c']);
    const list = async (dir: string) =>
      (await execa('find', ['.', '-path', './.git', '-prune', '-o', '-type', 'f', '-print0'], { cwd: dir })).stdout
        .split('\0')
        .filter((f) => f !== '')
        .sort();
    expect(await list(third.src)).to.deep.equal(await list(tree.dir));
    for (const f of await list(tree.dir))
      expect(await readFile(join(third.src, f), 'utf8'), f).to.equal(await readFile(join(tree.dir, f), 'utf8'));
  });

  it('refuses a tree whose HEAD moved (a checkout by another job), naming both revisions', async () => {
    const source = await treeSource(tree.dir);
    await writeFile(join(tree.dir, 'reset.c'), 'int reset(void) { return 1; }\n');
    await tree.git('commit', '-q', '-am', 'next');
    const error = await rejectionOf(assertTreeUnchanged(source));
    expect(error.message).to.match(/HEAD moved from [0-9a-f]{12} to [0-9a-f]{12}/);
  });
});
