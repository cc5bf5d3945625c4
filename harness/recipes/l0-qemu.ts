// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which qemu-system-aarch64 runs L0: the project's patched build (default),
 * or one the user names with --qemu, accepted only if it has the XGMAC
 * board option the scenarios need.
 */
import { existsSync } from 'node:fs';
import { capture } from './build-step.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { buildQemu } from './qemu.ts';
import type { CacheStore } from '../cache/store.ts';
import { InputError } from '../lib/errors.ts';
import type { Progress } from '../lib/progress.ts';

export interface L0Qemu {
  readonly binary: string;
  /** What `--version` says, plus the Debian source version and patch digests when the project built it. */
  readonly version: string;
  readonly origin:
    | {
        readonly kind: 'built';
        readonly sourceVersion: string;
        readonly patches: Record<string, string>;
        readonly key: string;
      }
    | { readonly kind: 'given' };
}

/** Whether `binary`'s XGMAC model has what the scenarios use: a stream ID from the board, and the test knobs. */
export async function hasXgmacModel(binary: string): Promise<boolean> {
  const help = await capture(binary, ['-device', `${XGMAC_PROFILE.qemuDevice},help`]).catch(() => '');
  return [
    'stream-id',
    'x-instance',
    'x-rx-prefetch',
    'x-quiesce-ignored',
    'x-quiesce-keep',
    'x-tx-interval-us',
    'x-tx-prefetch',
  ].every((p) => help.includes(`${p}=`));
}

async function versionOf(binary: string): Promise<string> {
  return (await capture(binary, ['--version'])).split('\n')[0]?.trim() ?? '';
}

/** The patched QEMU from the cache (built if missing), or `given` after checking it. */
export async function resolveL0Qemu(store: CacheStore, given: string | undefined, progress: Progress): Promise<L0Qemu> {
  if (given !== undefined) {
    if (!existsSync(given))
      throw new InputError(
        `--qemu ${given} does not exist; ` +
          "name a qemu-system-aarch64 binary, or drop --qemu to use the project's patched build",
      );
    if (!(await hasXgmacModel(given))) {
      throw new InputError(
        `--qemu ${given} has no Calxeda XGMAC model for the virt board's platform bus (-device xgmac,stream-id=…): ` +
          "it is not built with images/qemu/patches; drop --qemu to use the project's patched build",
      );
    }
    return { binary: given, version: await versionOf(given), origin: { kind: 'given' } };
  }
  const built = await buildQemu(store, progress);
  const how = built.built ? `built in ${built.buildSeconds.toFixed(0)} s` : 'from cache';
  progress(`L0 QEMU ${built.sourceVersion} + ${Object.keys(built.patches).length} patches ${how}`);
  return {
    binary: built.binary,
    version: await versionOf(built.binary),
    origin: { kind: 'built', sourceVersion: built.sourceVersion, patches: built.patches, key: built.key },
  };
}
