// SPDX-License-Identifier: GPL-2.0-only
/**
 * A kernel the user built elsewhere (--kernel-image FILE, optionally
 * --kernel-modules DIR, an INSTALL_MOD_PATH tree): checked to be an arm64
 * Image, its release read from its banner, and stored in the cache like a
 * kernel the harness built, so that everything downstream is the same.
 */
import { existsSync } from 'node:fs';
import { copyFile, cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { sha256, sha256File } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { InputError } from '../lib/errors.ts';
import type { KernelArtifact } from './kernel.ts';

/** arm64 Image header: "ARM\x64" at offset 0x38 (Documentation/arch/arm64/booting.rst). */
const ARM64_MAGIC = 0x644d5241;

export interface PrebuiltKernel {
  readonly kind: 'prebuilt-image';
  readonly image: string;
  readonly imageSha256: string;
  readonly modules: string | null;
}

export function releaseFromBanner(image: Buffer): string | null {
  const at = image.indexOf('Linux version ');
  if (at === -1) return null;
  return /^Linux version (\S+)/.exec(image.subarray(at, at + 200).toString('latin1'))?.[1] ?? null;
}

/** Checks a prebuilt Image (and its modules) without building anything; returns its release. */
/** Why `image` is not a bootable arm64 Image (the header's magic, Linux's banner), or null if it is one. */
export function notAnArm64Image(image: Buffer): string | null {
  if (image.length < 64 || image.readUInt32LE(0x38) !== ARM64_MAGIC)
    return 'is not an arm64 Image (no "ARMd" magic at 0x38)';
  if (releaseFromBanner(image) === null) return 'has no "Linux version" banner';
  return null;
}

export async function checkPrebuiltImage(
  imageArg: string,
  modulesArg: string | undefined,
): Promise<{ image: Buffer; imagePath: string; release: string; modules: string | null }> {
  const imagePath = resolve(imageArg);
  const image = await readFile(imagePath).catch(() => {
    throw new InputError(`--kernel-image ${imagePath} does not exist; give an arm64 Image (arch/arm64/boot/Image)`);
  });
  const why = notAnArm64Image(image);
  if (why !== null)
    throw new InputError(
      `--kernel-image ${imagePath} ${why}; give arch/arm64/boot/Image, not a vmlinux or a compressed image`,
    );
  const release = releaseFromBanner(image)!;
  const modules = modulesArg === undefined ? null : resolve(modulesArg);
  if (modules !== null && !existsSync(join(modules, 'lib', 'modules', release))) {
    throw new InputError(
      `--kernel-modules ${modules} has no lib/modules/${release}; ` +
        "give the INSTALL_MOD_PATH of 'make modules_install' for this Image",
    );
  }
  return { image, imagePath, release, modules };
}

/**
 * One hash of every regular file under `base`/`sub`, by path and content
 * (no shell: the directory is the user's and may hold any character).
 */
async function filesDigest(base: string, sub: string): Promise<string> {
  const entries = await readdir(join(base, sub), { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(base, join(e.parentPath, e.name)))
    .sort();
  const lines: string[] = [];
  for (const file of files) lines.push(`${await sha256File(join(base, file))}  ${file}`);
  return sha256(lines.join('\n'));
}

export async function prebuiltKernel(
  store: CacheStore,
  imageArg: string,
  modulesArg: string | undefined,
): Promise<KernelArtifact> {
  const { image, imagePath, release, modules } = await checkPrebuiltImage(imageArg, modulesArg);
  const modulesDigest = modules === null ? null : await filesDigest(modules, 'lib/modules');
  const source: PrebuiltKernel = { kind: 'prebuilt-image', image: imagePath, imageSha256: sha256(image), modules };
  const entry = await store.obtain('kernel-prebuilt', { source, modulesDigest }, async (out) => {
    await copyFile(imagePath, join(out, 'Image'));
    if (modules !== null) await cp(join(modules, 'lib'), join(out, 'modules', 'lib'), { recursive: true });
    await writeFile(join(out, 'release'), `${release}\n`);
  });
  return {
    dir: entry.dir,
    image: join(entry.dir, 'Image'),
    modulesRoot: join(entry.dir, 'modules'),
    release,
    configPath: null,
    key: entry.manifest.key,
    built: entry.built,
    buildSeconds: entry.manifest.buildSeconds,
    recipe: { source, fragmentDigests: {}, patchDigests: {} },
  };
}
