// SPDX-License-Identifier: GPL-2.0-only
/**
 * What makes a file a kernel the harness can boot: an arm64 Image, its
 * release read from its banner, and for a kernel the user built elsewhere
 * (--kernel-image FILE, optionally --kernel-modules DIR) its modules tree.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../lib/errors.ts';

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
