// SPDX-License-Identifier: GPL-2.0-only
/**
 * The last measured cold and incremental build time of each expensive
 * artifact, kept beside the cache for `npm run bench` (a cold build is one
 * that found no work tree to start from).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BuildTime {
  readonly seconds: number;
  readonly at: string;
}

export type BuildTimes = Record<string, { cold?: BuildTime; incremental?: BuildTime }>;

const file = (root: string) => join(root, 'build-times.json');

export async function readBuildTimes(root: string): Promise<BuildTimes> {
  return JSON.parse(await readFile(file(root), 'utf8').catch(() => '{}')) as BuildTimes;
}

export async function recordBuildTime(root: string, kind: string, cold: boolean, seconds: number): Promise<void> {
  const times = await readBuildTimes(root);
  times[kind] = {
    ...times[kind],
    [cold ? 'cold' : 'incremental']: { seconds: Math.round(seconds), at: new Date().toISOString() },
  };
  await writeFile(file(root), `${JSON.stringify(times, null, 2)}\n`);
}
