// SPDX-License-Identifier: GPL-2.0-only
/** Everything needed to rerun exactly the same run: sources, versions, hashes, the harness revision. */
import { execa } from 'execa';
import { arch, hostname, release } from 'node:os';
import type { KernelSource } from '../recipes/kernel-source.ts';
import type { PrebuiltKernel } from '../recipes/kernel-image.ts';
import type { KernelArtifact } from '../recipes/kernel.ts';
import type { Stack } from '../recipes/stack.ts';
import { repoRoot } from '../lib/paths.ts';

export interface Provenance {
  readonly harness: { readonly revision: string; readonly dirty: boolean; readonly argv: readonly string[] };
  readonly host: { readonly hostname: string; readonly kernel: string; readonly arch: string; readonly node: string };
  readonly l0Qemu: Stack['qemu'];
  readonly kernel: {
    readonly source: KernelSource | PrebuiltKernel;
    readonly release: string;
    readonly cacheKey: string;
    /** How the harness built it for this run: the whole tree, or only the modules that changed (bisect), and why. */
    readonly howBuilt: KernelArtifact['howBuilt'];
    readonly fragments: Record<string, string>;
    readonly patches: Record<string, string>;
  };
  readonly images: {
    readonly debianBase: { readonly key: string; readonly packages: Record<string, string> };
    readonly agents: string;
    /** L1's SSH server: Debian's dropbear source version and the cache key of the patched build. */
    readonly dropbear: { readonly key: string; readonly sourceVersion: string };
    readonly l2Initramfs: string;
    readonly l1Image: string;
  };
}

async function harnessRevision(): Promise<{ revision: string; dirty: boolean }> {
  const rev = await execa('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], { reject: false });
  const status = await execa('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], {
    reject: false,
  });
  return {
    revision: rev.exitCode === 0 ? rev.stdout.trim() : 'unknown',
    dirty: status.exitCode === 0 && status.stdout.trim() !== '',
  };
}

export async function provenanceOf(stack: Stack, argv: readonly string[]): Promise<Provenance> {
  return {
    harness: { ...(await harnessRevision()), argv },
    host: { hostname: hostname(), kernel: release(), arch: arch(), node: process.version },
    l0Qemu: stack.qemu,
    kernel: {
      source: stack.kernel.recipe.source,
      release: stack.kernel.release,
      cacheKey: stack.kernel.key,
      howBuilt: stack.kernel.howBuilt,
      fragments: stack.kernel.recipe.fragmentDigests,
      patches: stack.kernel.recipe.patchDigests,
    },
    images: {
      debianBase: { key: stack.base.key, packages: stack.base.packages },
      agents: stack.agents.key,
      dropbear: { key: stack.dropbear.key, sourceVersion: stack.dropbear.sourceVersion },
      l2Initramfs: stack.l2.key,
      l1Image: stack.l1Image.key,
    },
  };
}
