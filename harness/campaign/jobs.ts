// SPDX-License-Identifier: GPL-2.0-only
/**
 * How many runs go at once: each L1 is budgeted one host core and its RAM,
 * with room left for the host, so that runs side by side do not slow each
 * other into timeouts.
 */
import { availableParallelism, totalmem } from 'node:os';
import { L1_SIZE } from '../machines/l1-host.ts';
import { InputError } from '../lib/errors.ts';

export interface HostSize {
  readonly cpus: number;
  readonly memoryMiB: number;
}

/**
 * Host cores budgeted to one L1. Its 2 TCG vCPUs are busy host threads only
 * while it boots and while frames flow, and a cycle waits much of its time:
 * on 2 cores two L1s at once ran 1.86 times the runs per minute of one
 * (`npm run bench`, 2026-12-05), and `npm run load` (two L1s on 2 cores
 * beside stress-ng) decided 60 of 60 runs right.
 */
export const L1_HOST_CPUS = 1;
/** Kept for the host itself: the harness, the page cache of the images, the builds' tools. */
const HOST_RESERVE_MIB = 2048;
/** More than this many L1s at once is outside what the harness was tried with. */
export const MAX_JOBS = 32;

export function thisHost(): HostSize {
  return { cpus: availableParallelism(), memoryMiB: Math.floor(totalmem() / 2 ** 20) };
}

/** As many L1s as the host's cores and memory hold, at least one. */
export function defaultJobs(host: HostSize = thisHost()): number {
  const byCpu = Math.floor(host.cpus / L1_HOST_CPUS);
  const byMemory = Math.floor((host.memoryMiB - HOST_RESERVE_MIB) / L1_SIZE.memoryMiB);
  return Math.max(1, Math.min(byCpu, byMemory, MAX_JOBS));
}

export function jobsOption(raw: string | undefined, host: HostSize = thisHost()): number {
  if (raw === undefined) return defaultJobs(host);
  const jobs = Number(raw);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS)
    throw new InputError(
      `--jobs ${raw} must be a whole number from 1 to ${MAX_JOBS} (default here: ${defaultJobs(host)}, ` +
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
