// SPDX-License-Identifier: GPL-2.0-only
/**
 * The last measured cold and incremental build time of each expensive
 * artifact, kept beside the cache for `npm run bench` (a cold build is one
 * that found no work tree to start from).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BuildTime {
  readonly seconds: number;
  readonly at: string;
  /** How many steps (objects) the build logged: what the next such build can expect, for its progress. */
  readonly steps?: number;
}

export type BuildTimes = Record<string, { cold?: BuildTime; incremental?: BuildTime }>;

const file = (root: string) => join(root, 'build-times.json');

/** The recorded times; none when the file is missing or unreadable (they are measurements, not inputs). */
export async function readBuildTimes(root: string): Promise<BuildTimes> {
  try {
    const times: unknown = JSON.parse(await readFile(file(root), 'utf8'));
    return typeof times === 'object' && times !== null && !Array.isArray(times) ? (times as BuildTimes) : {};
  } catch {
    return {};
  }
}

export async function recordBuildTime(
  root: string,
  kind: string,
  cold: boolean,
  seconds: number,
  steps?: number,
): Promise<void> {
  const times = await readBuildTimes(root);
  const time: BuildTime = {
    seconds: Math.round(seconds),
    at: new Date().toISOString(),
    ...(steps !== undefined ? { steps } : {}),
  };
  times[kind] = { ...times[kind], [cold ? 'cold' : 'incremental']: time };
  // Written beside and renamed into place: an interrupted write leaves the old file, never half of one.
  const tmp = `${file(root)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(times, null, 2)}\n`);
  await rename(tmp, file(root));
}
