// SPDX-License-Identifier: GPL-2.0-only
/**
 * Incremental build trees (the kernel's O= directory, QEMU's build
 * directory) survive between runs. A build killed outright (the harness
 * SIGKILLed, the machine reset) can leave objects half-written with fresh
 * mtimes, which make and ninja would then take as up to date. So a build
 * runs with a marker in its tree, and the next build that finds the marker
 * first deletes every file written since it was made: those are rebuilt.
 */
import { existsSync } from 'node:fs';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const IN_PROGRESS_MARKER = '.vfio-reset-build-in-progress';

/** Files under `dir` modified after `since` (ms), the marker aside. */
async function writtenSince(dir: string, since: number): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await writtenSince(path, since)));
    else if (entry.isFile() && entry.name !== IN_PROGRESS_MARKER && (await stat(path)).mtimeMs >= since) out.push(path);
  }
  return out;
}

/** Runs `build` in the tree `dir`, after undoing what an interrupted build may have left; returns what it undid. */
export async function buildInProgress<T>(
  dir: string,
  build: () => Promise<T>,
): Promise<{ readonly result: T; readonly discarded: number }> {
  const marker = join(dir, IN_PROGRESS_MARKER);
  let discarded = 0;
  if (existsSync(marker)) {
    const stale = await writtenSince(dir, (await stat(marker)).mtimeMs);
    for (const path of stale) await rm(path, { force: true });
    discarded = stale.length;
  }
  await writeFile(marker, `${process.pid}\n`);
  const result = await build();
  await rm(marker, { force: true });
  return { result, discarded };
}
