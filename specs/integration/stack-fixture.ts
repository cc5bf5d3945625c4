// SPDX-License-Identifier: GPL-2.0-only
/**
 * The default stack (patched L0 QEMU, Debian kernel, images), built once per mocha run and shared by the integration
 * specs.
 */
import { CacheStore } from '../../harness/cache/store.ts';
import { debianSource } from '../../harness/recipes/kernel-source.ts';
import { cacheRoot } from '../../harness/lib/paths.ts';
import { stderrProgress } from '../../harness/lib/progress.ts';
import { buildStack, type Stack } from '../../harness/recipes/stack.ts';
import { bootL1, type L1Session } from '../../harness/machines/l1-session.ts';
import type { L0Devices } from '../../harness/machines/l1-host.ts';
import { harnessKey } from '../../harness/machines/ssh.ts';
import { hostL1s, takeL1Slot } from '../../harness/machines/l1-slots.ts';

let stack: Promise<Stack> | undefined;

export const store = new CacheStore(cacheRoot());

export function defaultStack(): Promise<Stack> {
  stack ??= debianSource().then((source) =>
    buildStack(store, { kernel: { kind: 'build', source, extraPatches: [] }, qemu: undefined }, stderrProgress),
  );
  return stack;
}

/** L1 of the default stack with `devices`, its artifacts in `runDir`; it holds an L1 slot until disposed of. */
export async function bootDefaultL1(
  runDir: string,
  devices: L0Devices,
  extraKernelArgs: readonly string[] = [],
): Promise<L1Session> {
  const stack = await defaultStack();
  const slot = await takeL1Slot(store.root, hostL1s(), stderrProgress);
  const session = await bootL1(
    {
      qemuBinary: stack.qemu.binary,
      kernel: stack.kernel.image,
      rootImage: stack.l1Image.path,
      key: await harnessKey(store.root),
      runDir,
      extraKernelArgs,
      devices,
    },
    stderrProgress,
  ).catch(async (error: unknown) => {
    await slot[Symbol.asyncDispose]();
    throw error;
  });
  return {
    ...session,
    async [Symbol.asyncDispose]() {
      await session[Symbol.asyncDispose]();
      await slot[Symbol.asyncDispose]();
    },
  };
}
