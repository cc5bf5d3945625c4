// SPDX-License-Identifier: GPL-2.0-only
/**
 * A kernel the user built elsewhere, stored in the cache like a kernel the
 * harness built, so that everything downstream is the same.
 */
import { copyFile, cp, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { sha256, sha256File } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import type { KernelArtifact } from './kernel.ts';
import { checkPrebuiltImage, type PrebuiltKernel } from './kernel-image.ts';

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
    howBuilt: null,
    recipe: { source, fragmentDigests: {}, patchDigests: {} },
  };
}
