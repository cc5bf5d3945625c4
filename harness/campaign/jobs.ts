// SPDX-License-Identifier: GPL-2.0-only
/** How many runs go at once (by default, as many L1s as the host holds: machines/l1-slots.ts) and the pool. */
import { hostL1s, L1_HOST_CPUS, MAX_L1S, thisHost, type HostSize } from '../machines/l1-slots.ts';
import { L1_SIZE } from '../machines/l1-host.ts';
import { InputError } from '../lib/errors.ts';

export function jobsOption(raw: string | undefined, host: HostSize = thisHost()): number {
  if (raw === undefined) return hostL1s(host);
  const jobs = Number(raw);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_L1S)
    throw new InputError(
      `--jobs ${raw} must be a whole number from 1 to ${MAX_L1S} (default here: ${hostL1s(host)}, ` +
        `one per ${L1_HOST_CPUS} core and ${L1_SIZE.memoryMiB} MiB)`,
    );
  return jobs;
}

/** Calls `work` for 0..count-1, at most `jobs` at a time; the results in index order. */
export async function inParallel<T>(count: number, jobs: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(jobs, count) }, worker));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results;
}
