// SPDX-License-Identifier: GPL-2.0-only
/**
 * Debian's linux-source tarballs as git trees, the form `--kernel-tree`
 * takes. The first commit has a fixed author and date, so the same tarball
 * is the same revision on every machine, and a later run finds its kernel
 * already built.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../../harness/cache/digest.ts';
import { cacheRoot } from '../../harness/lib/paths.ts';

const AUTHOR = {
  GIT_AUTHOR_NAME: 'Debian linux-source',
  GIT_AUTHOR_EMAIL: 'debian-kernel@lists.debian.org',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Debian linux-source',
  GIT_COMMITTER_EMAIL: 'debian-kernel@lists.debian.org',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
};

/** Unpacks `tarball` into `dir` (made afresh) as a git repository of one commit; returns that commit. */
export async function unpackAsGitTree(tarball: string, dir: string, message: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await execa('tar', ['-xJf', tarball, '-C', dir, '--strip-components=1']);
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args], { env: AUTHOR });
  await git('init', '-q');
  // Never an automatic gc, for every later command in the repository too (the demo's commits, git bisect):
  // packing a kernel's 80,000 loose objects takes a core for minutes, in the background, beside the build
  // that follows, and a tree removed while it runs fails with ENOTEMPTY.
  await git('config', 'gc.auto', '0');
  // Debian's tarball ignores everything (/* in .gitignore): add by force.
  await git('add', '-A', '-f');
  await git('commit', '-q', '-m', message);
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

/**
 * A git tree of its own at `dir` (made afresh), cloned from `tree`: the
 * clone shares the objects by hard links, so it costs a checkout, not an
 * unpack and 80,000 objects hashed. Returns its HEAD.
 */
export async function cloneTree(tree: string, dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await execa('git', ['clone', '-q', '--local', tree, dir]);
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args]);
  // As in unpackAsGitTree: never an automatic gc.
  await git('config', 'gc.auto', '0');
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

/**
 * Debian's `/usr/src/<pkg>.tar.xz` as a git tree in the cache, made once per
 * tarball (images/host-setup.sh installs the package).
 */
export async function debianKernelTree(pkg: string): Promise<string> {
  const tarball = `/usr/src/${pkg}.tar.xz`;
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: run 'bash images/host-setup.sh' as root`);
  const dir = join(cacheRoot(), 'trees', pkg);
  const stamp = `${dir}.stamp`;
  const digest = await sha256File(tarball);
  if ((await readFile(stamp, 'utf8').catch(() => '')) === digest && existsSync(join(dir, '.git'))) return dir;
  await rm(stamp, { force: true });
  await unpackAsGitTree(tarball, dir, `${pkg} (Debian)`);
  await writeFile(stamp, digest);
  return dir;
}
