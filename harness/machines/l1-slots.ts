// SPDX-License-Identifier: GPL-2.0-only
/**
 * How many L1s a host holds, and a slot among them shared by every harness
 * process on the host: two campaigns, or `npm test`'s lanes, started side
 * by side never run more L1s at once than the host's cores and memory
 * hold, so that they do not slow each other's runs into timeouts.
 */
import { availableParallelism, totalmem } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { L1_SIZE } from './l1-host.ts';
import { takeOneOf } from '../process/dir-lock.ts';

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
export const MAX_L1S = 32;

export function thisHost(): HostSize {
  return { cpus: availableParallelism(), memoryMiB: Math.floor(totalmem() / 2 ** 20) };
}

/** As many L1s as the host's cores and memory hold, at least one. */
export function hostL1s(host: HostSize = thisHost()): number {
  const byCpu = Math.floor(host.cpus / L1_HOST_CPUS);
  const byMemory = Math.floor((host.memoryMiB - HOST_RESERVE_MIB) / L1_SIZE.memoryMiB);
  return Math.max(1, Math.min(byCpu, byMemory, MAX_L1S));
}

const POLL_MS = 250;

/**
 * Waits for one of `slots` L1 slots under `root` (the cache root, shared by
 * the host's harnesses) and holds it until released; says once, through
 * `say`, which processes hold them all. Taken before a run's clock starts,
 * so that waiting never counts against a phase's time limit.
 */
export async function takeL1Slot(root: string, slots: number, say: (line: string) => void): Promise<AsyncDisposable> {
  const dir = join(root, 'l1-slots');
  await mkdir(dir, { recursive: true });
  const locks = Array.from({ length: slots }, (_, i) => join(dir, String(i)));
  return takeOneOf(locks, POLL_MS, (holders) =>
    say(`waiting for an L1 slot: the host's ${slots} are taken (harness pids ${holders.join(', ')})`),
  );
}
