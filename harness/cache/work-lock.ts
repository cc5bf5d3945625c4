// SPDX-License-Identifier: GPL-2.0-only
/**
 * One harness at a time in a shared work tree (a kernel source tree with
 * its patches applied, QEMU's build directory): two runs with different
 * --patches on one tree would otherwise patch and build it under each
 * other. The lock is a directory beside the tree (process/dir-lock.ts).
 */
import { sleep } from '../lib/time.ts';
import { tryLock, unlock } from '../process/dir-lock.ts';

const POLL_MS = 500;

/**
 * Runs `work` holding the lock of `dir`; waits (saying so once through
 * `waiting`) while another live harness holds it.
 */
export async function withWorkLock<T>(dir: string, waiting: (pid: number) => void, work: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  let said = false;
  for (;;) {
    const got = await tryLock(lock);
    if (got.taken) break;
    if (got.holder !== null && !said) waiting(got.holder);
    said = got.holder !== null;
    await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    await unlock(lock);
  }
}
