// SPDX-License-Identifier: GPL-2.0-only
/** How long the last npm test took per layer and per integration spec file, kept beside the cache for the bench. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SpecTimes {
  readonly unitSeconds: number;
  readonly integrationSeconds: number;
  /** The whole npm test, from the default stack's check to the closing line, its files in `lanes` lanes. */
  readonly wallSeconds: number;
  readonly lanes: number;
  /** Integration spec files by name. */
  readonly files: Record<string, number>;
  readonly at: string;
}

const file = (root: string) => join(root, 'spec-times.json');

/** The last record, or null when there is none or it predates the lanes (no wall time). */
export async function readSpecTimes(root: string): Promise<SpecTimes | null> {
  try {
    const times = JSON.parse(await readFile(file(root), 'utf8')) as Partial<SpecTimes>;
    return typeof times.wallSeconds === 'number' ? (times as SpecTimes) : null;
  } catch {
    return null;
  }
}

export async function recordSpecTimes(root: string, times: SpecTimes): Promise<void> {
  const tmp = `${file(root)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(times, null, 2)}\n`);
  await rename(tmp, file(root));
}
