// SPDX-License-Identifier: GPL-2.0-only
/**
 * L1's SSH server: Debian bookworm's dropbear source (dpkg-source applies
 * Debian's patches) with the project's patches in images/dropbear/patches/,
 * cross-compiled for arm64 against bookworm's glibc, which L1's root
 * filesystem carries. Bookworm's own binary drops a connection when a
 * channel opens as another channel's command exits, which the harness does
 * all the time; the patch is the fix upstream made after 2022.83.
 */
import { availableParallelism } from 'node:os';
import { copyFile, mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileDigests } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { InfrastructureError, InputError } from '../lib/errors.ts';
import { repoRoot } from '../lib/paths.ts';
import type { Progress } from '../lib/progress.ts';
import { capture, runStep } from './build-step.ts';
import { newestSource, sourceApt, unpackSource } from './source-apt.ts';

export const DROPBEAR_PATCH_DIR = join(repoRoot, 'images', 'dropbear', 'patches');
const CROSS = 'aarch64-linux-gnu';
/** ELF e_machine of AArch64. */
const EM_AARCH64 = 183;

/** Key logins only: the harness logs in with its own key, and the cross sysroot has no crypt(). */
const LOCAL_OPTIONS = '#define DROPBEAR_SVR_PASSWORD_AUTH 0\n';

export interface Dropbear {
  readonly binary: string;
  readonly sourceVersion: string;
  readonly key: string;
  readonly built: boolean;
}

async function isAarch64Elf(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(20);
    await file.read(header, 0, 20, 0);
    return header.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1')) && header.readUInt16LE(18) === EM_AARCH64;
  } finally {
    await file.close();
  }
}

export async function buildDropbear(store: CacheStore, progress: Progress): Promise<Dropbear> {
  const aptLog = join(store.root, 'apt-bookworm', 'apt.log');
  const apt = await sourceApt(store.root, 'bookworm', aptLog, progress);
  const source = await newestSource(apt, 'dropbear');
  const patches = (await readdir(DROPBEAR_PATCH_DIR))
    .filter((n) => n.endsWith('.patch'))
    .sort()
    .map((n) => join(DROPBEAR_PATCH_DIR, n));
  const inputs = {
    source,
    patches: await fileDigests(DROPBEAR_PATCH_DIR, patches),
    localOptions: LOCAL_OPTIONS,
    toolchain: (await capture(`${CROSS}-gcc`, ['--version'])).split('\n')[0],
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/recipes/dropbear.ts')]),
  };
  const entry = await store.obtain('dropbear', inputs, async (out) => {
    const log = join(out, 'build.log');
    const src = `${out}.src`;
    progress(`building L1's dropbear from Debian dropbear ${source.version} + ${patches.length} patches`);
    await rm(src, { recursive: true, force: true });
    try {
      await unpackSource(apt, source, src, log);
      for (const patch of patches) {
        const name = patch.slice(DROPBEAR_PATCH_DIR.length + 1);
        await runStep(`applying ${name}`, 'patch', ['-p1', '-i', patch], { cwd: src, log }).catch(() => {
          throw new InputError(
            `dropbear patch ${name} does not apply to Debian dropbear ${source.version}; rebase it (log: ${log})`,
          );
        });
      }
      await writeFile(join(src, 'localoptions.h'), LOCAL_OPTIONS);
      await runStep('configuring dropbear', './configure', [`--host=${CROSS}`, '--disable-zlib'], { cwd: src, log });
      await runStep('compiling dropbear', 'make', [`-j${availableParallelism()}`, 'PROGRAMS=dropbear'], {
        cwd: src,
        log,
      });
      const binary = join(src, 'dropbear');
      // Never cache a binary L1 cannot run.
      if (!(await isAarch64Elf(binary)))
        throw new InfrastructureError('the dropbear build made no arm64 executable', '', log);
      await mkdir(join(out, 'bin'), { recursive: true });
      await copyFile(binary, join(out, 'bin', 'dropbear'));
    } finally {
      await rm(src, { recursive: true, force: true });
    }
  });
  return {
    binary: join(entry.dir, 'bin', 'dropbear'),
    sourceVersion: source.version,
    key: entry.manifest.key,
    built: entry.built,
  };
}
