// SPDX-License-Identifier: GPL-2.0-only
/**
 * Everything a run boots, built (or found in the cache) in dependency
 * order: kernel, Debian base, agents, L1's SSH server, L2 initramfs, L1
 * root image.
 */
import { buildAgents, type Agents } from './agents.ts';
import { buildDebianBase, type DebianBase } from './debian-base.ts';
import { buildDropbear, type Dropbear } from './dropbear.ts';
import { buildKernel, defaultRecipe, type KernelArtifact } from './kernel.ts';
import type { KernelSource, Patch } from './kernel-source.ts';
import { prebuiltKernel } from './prebuilt-kernel.ts';
import { buildL1Image, type L1Image } from './l1-image.ts';
import { buildL2Initramfs, type L2Initramfs } from './l2-initramfs.ts';
import { resolveL0Qemu, type L0Qemu } from './l0-qemu.ts';
import type { CacheStore } from '../cache/store.ts';
import type { Progress } from '../lib/progress.ts';

export interface Stack {
  readonly qemu: L0Qemu;
  readonly kernel: KernelArtifact;
  readonly base: DebianBase;
  readonly agents: Agents;
  readonly dropbear: Dropbear;
  readonly l2: L2Initramfs;
  readonly l1Image: L1Image;
  /** Seconds spent building (0 when everything came from the cache). */
  readonly buildSeconds: number;
}

/** Where the kernel under test comes from: built from source with the fragments, or a prebuilt Image. */
export type KernelRequest =
  | { readonly kind: 'build'; readonly source: KernelSource; readonly extraPatches: readonly Patch[] }
  | { readonly kind: 'prebuilt'; readonly image: string; readonly modules: string | undefined };

export interface StackRequest {
  readonly kernel: KernelRequest;
  /** --qemu: a user's L0 QEMU instead of the project's patched build. */
  readonly qemu: string | undefined;
}

export async function buildStack(store: CacheStore, request: StackRequest, progress: Progress): Promise<Stack> {
  const started = Date.now();
  const parts: string[] = [];
  const part = async <T>(name: string, build: () => Promise<T>): Promise<T> => {
    const from = Date.now();
    const built = await build();
    parts.push(`${name} ${Math.round((Date.now() - from) / 1000)} s`);
    return built;
  };
  // QEMU first: a bad --qemu fails in a second, not after a kernel build.
  const qemu = await part('QEMU', () => resolveL0Qemu(store, request.qemu, progress));
  const k = request.kernel;
  const kernel = await part('kernel', async () =>
    k.kind === 'prebuilt'
      ? prebuiltKernel(store, k.image, k.modules)
      : buildKernel(store, await defaultRecipe(k.source, k.extraPatches), progress),
  );
  progress(`kernel ${kernel.release} ${kernel.built ? `built in ${kernel.buildSeconds.toFixed(0)} s` : 'from cache'}`);
  const base = await part('Debian base', () => buildDebianBase(store, progress));
  const { agents, dropbear, l2, l1Image } = await part('images', async () => {
    const agents = await buildAgents(store);
    const dropbear = await buildDropbear(store, progress);
    const l2 = await buildL2Initramfs(store, base, agents, kernel);
    return { agents, dropbear, l2, l1Image: await buildL1Image(store, { base, kernel, agents, dropbear, l2 }) };
  });
  progress(`L1 image ${l1Image.built ? 'built' : 'from cache'}: ${l1Image.path}`);
  const buildSeconds = (Date.now() - started) / 1000;
  progress(`ready in ${Math.round(buildSeconds)} s: ${parts.join(', ')}`);
  return { qemu, kernel, base, agents, dropbear, l2, l1Image, buildSeconds };
}
