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

let stack: Promise<Stack> | undefined;

export const store = new CacheStore(cacheRoot());

export function defaultStack(): Promise<Stack> {
  stack ??= debianSource().then((source) =>
    buildStack(store, { kernel: { kind: 'build', source, extraPatches: [] }, qemu: undefined }, stderrProgress),
  );
  return stack;
}
