// SPDX-License-Identifier: GPL-2.0-only
/**
 * The nested guest's initramfs: static busybox, the L2 agents, Linux's
 * calxeda xgmac driver (a module of the kernel under test) and an init that
 * picks the guest's role from the kernel command line.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runStep } from './build-step.ts';
import type { Agents } from './agents.ts';
import type { DebianBase } from './debian-base.ts';
import type { KernelArtifact } from './kernel.ts';
import { fileDigests } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { repoRoot } from '../lib/paths.ts';

const L2_DIR = join(repoRoot, 'images', 'l2');

export interface L2Initramfs {
  readonly path: string;
  readonly key: string;
  readonly built: boolean;
}

const L2_AGENTS = ['l2-agent', 'l2-probe'] as const;

/** Where the kernel installs the XGMAC driver module, relative to its modules tree. */
export function xgmacModulePath(kernel: KernelArtifact): string {
  return join(
    kernel.modulesRoot,
    'lib',
    'modules',
    kernel.release,
    'kernel',
    'drivers',
    'net',
    'ethernet',
    'calxeda',
    'xgmac.ko',
  );
}

export async function buildL2Initramfs(
  store: CacheStore,
  base: DebianBase,
  agents: Agents,
  kernel: KernelArtifact,
): Promise<L2Initramfs> {
  const inputs = {
    base: base.key,
    agents: agents.key,
    kernel: kernel.key,
    files: await fileDigests(repoRoot, [join(L2_DIR, 'init')]),
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/recipes/l2-initramfs.ts')]),
  };
  const entry = await store.obtain('l2-initramfs', inputs, async (out) => {
    const staging = `${out}.staging`;
    const log = join(out, 'build.log');
    await mkdir(join(staging, 'bin'), { recursive: true });
    try {
      await runStep('extracting busybox', 'tar', ['-xf', base.tarball, '-C', staging, './bin/busybox'], { log });
      await copyFile(join(L2_DIR, 'init'), join(staging, 'init'));
      await chmod(join(staging, 'init'), 0o755);
      for (const agent of L2_AGENTS) {
        await copyFile(join(agents.dir, agent), join(staging, 'bin', agent));
        await chmod(join(staging, 'bin', agent), 0o755);
      }
      await mkdir(join(staging, 'lib', 'modules'), { recursive: true });
      // Without the module (a prebuilt Image given without modules), VM #1's init says so and its run is invalid.
      if (existsSync(xgmacModulePath(kernel)))
        await copyFile(xgmacModulePath(kernel), join(staging, 'lib', 'modules', 'xgmac.ko'));
      const archive = join(out, 'initramfs.cpio.gz');
      await runStep(
        'packing the L2 initramfs',
        'bash',
        // The archive's path is an argument ($1), never part of the script.
        [
          '-o',
          'pipefail',
          '-c',
          'find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9n > "$1"',
          'pack',
          archive,
        ],
        { cwd: staging, log },
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
  return { path: join(entry.dir, 'initramfs.cpio.gz'), key: entry.manifest.key, built: entry.built };
}
