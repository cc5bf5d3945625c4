// SPDX-License-Identifier: GPL-2.0-only
/**
 * The ARM host's root filesystem as an ext4 image, made without mounting
 * anything (mke2fs -d): the Debian base, the kernel's modules, the agents,
 * the SSH server,
 * the kernel and initramfs that L1 gives its nested guests, and L1's init.
 * Booted with snapshot=on, so the cached image is never written.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, runStep } from './build-step.ts';
import type { Agents } from './agents.ts';
import type { DebianBase } from './debian-base.ts';
import type { Dropbear } from './dropbear.ts';
import type { KernelArtifact } from './kernel.ts';
import type { L2Initramfs } from './l2-initramfs.ts';
import { fileDigests } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { repoRoot } from '../lib/paths.ts';
import { L1_PATHS } from '../plan/layout.ts';

const L1_DIR = join(repoRoot, 'images', 'l1');
const L1_FILES = ['init', 'passwd', 'group', 'shells', 'profile'] as const;

export interface L1Image {
  readonly path: string;
  readonly key: string;
  readonly built: boolean;
}

async function duBytes(dir: string): Promise<number> {
  return Number((await capture('du', ['-sb', dir])).split('\t')[0]);
}

export async function buildL1Image(
  store: CacheStore,
  parts: { base: DebianBase; kernel: KernelArtifact; agents: Agents; dropbear: Dropbear; l2: L2Initramfs },
): Promise<L1Image> {
  const inputs = {
    base: parts.base.key,
    kernel: parts.kernel.key,
    agents: parts.agents.key,
    dropbear: parts.dropbear.key,
    l2: parts.l2.key,
    files: await fileDigests(
      repoRoot,
      L1_FILES.map((f) => join(L1_DIR, f)),
    ),
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/recipes/l1-image.ts')]),
  };
  const entry = await store.obtain('l1-image', inputs, async (out) => {
    const root = `${out}.staging`;
    const log = join(out, 'build.log');
    await mkdir(root, { recursive: true });
    try {
      await runStep('extracting the Debian base', 'tar', ['-xf', parts.base.tarball, '-C', root], { log });
      // A prebuilt Image may come without modules (then everything it needs is built in).
      if (existsSync(join(parts.kernel.modulesRoot, 'lib', 'modules'))) {
        await cp(join(parts.kernel.modulesRoot, 'lib', 'modules'), join(root, 'lib', 'modules'), { recursive: true });
      }
      await mkdir(join(root, 'boot'), { recursive: true });
      await copyFile(parts.kernel.image, join(root, L1_PATHS.l2Kernel));
      await copyFile(parts.l2.path, join(root, L1_PATHS.l2Initramfs));
      await mkdir(join(root, L1_PATHS.agents), { recursive: true });
      await cp(parts.agents.dir, join(root, L1_PATHS.agents), { recursive: true });
      await mkdir(join(root, 'usr', 'sbin'), { recursive: true });
      await copyFile(parts.dropbear.binary, join(root, 'usr', 'sbin', 'dropbear'));
      await chmod(join(root, 'usr', 'sbin', 'dropbear'), 0o755);
      await mkdir(join(root, 'sbin'), { recursive: true });
      await copyFile(join(L1_DIR, 'init'), join(root, L1_PATHS.init));
      await chmod(join(root, L1_PATHS.init), 0o755);
      for (const f of ['passwd', 'group', 'shells', 'profile'] as const)
        await copyFile(join(L1_DIR, f), join(root, 'etc', f));
      // Room for what L1 writes at run time lives in tmpfs; the image needs little slack.
      const size = Math.ceil(((await duBytes(root)) * 1.15 + 64 * 1024 * 1024) / (1024 * 1024));
      const image = join(out, 'rootfs.ext4');
      await runStep(
        'making the L1 ext4 image',
        'mke2fs',
        ['-q', '-t', 'ext4', '-L', 'l1root', '-d', root, '-E', 'root_owner=0:0', '-F', image, `${size}M`],
        { log },
      );
      if ((await stat(image)).size === 0) throw new Error('mke2fs wrote an empty image');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
  return { path: join(entry.dir, 'rootfs.ext4'), key: entry.manifest.key, built: entry.built };
}
