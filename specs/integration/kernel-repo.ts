// SPDX-License-Identifier: GPL-2.0-only
/**
 * A local kernel git repository for the bisect demo: Debian's
 * linux-source-6.12 as the first commit, then a few commits of which one
 * breaks the Calxeda XGMAC reset handler (it stops clearing the RX DMA
 * start bit, so the device keeps receiving into the old user's buffers).
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_SOURCE_PACKAGE } from '../../harness/recipes/kernel-source.ts';
import { cloneTree, debianKernelTree } from './debian-tree.ts';

/**
 * Where the bisect spec (and the bench's bisect step) keep the demo tree: a
 * fixed path, because the harness keeps one work tree per kernel tree path,
 * so that a later run on the same machine starts from its last build. The
 * tree itself stays there too: the next demo resets it to Debian's commit.
 */
export const DEMO_DIR = join(tmpdir(), 'vfio-reset-bisect-demo');
/** The reset handler's source, the file a module-only bisect step changes. */
export const HANDLER = 'drivers/vfio/platform/reset/vfio_platform_calxedaxgmac.c';

export interface KernelRepo {
  readonly dir: string;
  readonly good: string;
  readonly bad: string;
  readonly head: string;
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execa('git', ['-C', dir, '-c', 'user.name=Bisect Demo', '-c', 'user.email=demo@localhost', ...args]);
  return r.stdout.trim();
}

async function commit(dir: string, message: string): Promise<string> {
  await git(dir, 'commit', '-q', '-a', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** Puts the demo tree left by an earlier demo back at `good`, all else gone; false if there is none to reset. */
async function resetTree(dir: string, good: string): Promise<boolean> {
  if (!existsSync(join(dir, '.git'))) return false;
  await execa('git', ['-C', dir, 'bisect', 'reset', '--quiet'], { reject: false });
  const checkout = await execa('git', ['-C', dir, 'checkout', '-q', '-f', '--detach', good], { reject: false });
  if (checkout.exitCode !== 0) return false;
  await git(dir, 'clean', '-q', '-f', '-d', '-x');
  return true;
}

export async function makeKernelRepo(dir: string): Promise<KernelRepo> {
  // Debian's tree is unpacked once per tarball into the cache; a demo clones it, or resets its last clone.
  const debian = await debianKernelTree(DEBIAN_SOURCE_PACKAGE);
  const good = await git(debian, 'rev-parse', 'HEAD');
  if (!(await resetTree(dir, good))) await cloneTree(debian, dir);
  await appendFile(join(dir, 'Documentation/driver-api/vfio.rst'), '\n.. A harmless documentation change.\n');
  await commit(dir, 'docs: vfio: a harmless change');
  const handler = join(dir, HANDLER);
  const text = await readFile(handler, 'utf8');
  const broken = text.replace('value &= ~(DMA_CONTROL_ST | DMA_CONTROL_SR);', 'value &= ~DMA_CONTROL_ST;');
  if (broken === text) throw new Error(`${HANDLER} no longer has the line the demo breaks`);
  await writeFile(handler, broken);
  const bad = await commit(dir, 'vfio/platform: calxedaxgmac: only stop the TX DMA engine on reset');
  await appendFile(join(dir, 'Documentation/driver-api/vfio.rst'), '\n.. Another harmless change.\n');
  await commit(dir, 'docs: vfio: another harmless change');
  await appendFile(join(dir, 'MAINTAINERS'), '\n');
  const head = await commit(dir, 'MAINTAINERS: a harmless change');
  return { dir, good, bad, head };
}
