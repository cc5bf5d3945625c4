// SPDX-License-Identifier: GPL-2.0-only
/**
 * One harness at a time in a shared work tree (a kernel source tree with
 * its patches applied, QEMU's build directory): two runs with different
 * --patches on one tree would otherwise patch and build it under each
 * other. The lock is a directory beside the tree (process/dir-lock.ts).
 */
import { takeOneOf } from '../process/dir-lock.ts';

const POLL_MS = 500;

/**
 * Runs `work` holding the lock of `dir`; waits (saying so once through
 * `waiting`) while another live harness holds it.
 */
export async function withWorkLock<T>(dir: string, waiting: (pid: number) => void, work: () => Promise<T>): Promise<T> {
  await using _lock = await takeOneOf([`${dir}.lock`], POLL_MS, ([holder]) => waiting(holder!));
  return await work();
}
