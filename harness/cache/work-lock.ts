// SPDX-License-Identifier: GPL-2.0-only
/**
 * One harness at a time in a shared work tree (a kernel source tree with
 * its patches applied, QEMU's build directory): two runs with different
 * --patches on one tree would otherwise patch and build it under each
 * other. The lock is a directory made atomically beside the tree, naming
 * its holder; a holder that died (its pid gone, or reused by a process
 * started at another time) leaves a stale lock that the next one takes.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../lib/time.ts';
import { startTimeOf } from '../process/process-identity.ts';

const POLL_MS = 500;

async function holderOf(lock: string): Promise<{ pid: number; alive: boolean } | null> {
  const text = await readFile(join(lock, 'owner'), 'utf8').catch(() => null);
  if (text === null) return null;
  const [pid, started] = text.trim().split(' ');
  return { pid: Number(pid), alive: startTimeOf(Number(pid)) === started };
}

/**
 * Runs `work` holding the lock of `dir`; waits (saying so once through
 * `waiting`) while another live harness holds it.
 */
export async function withWorkLock<T>(dir: string, waiting: (pid: number) => void, work: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  let said = false;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await holderOf(lock);
    // No owner file yet: a holder between its mkdir and its write; look again.
    if (holder !== null && !holder.alive) await rm(lock, { recursive: true, force: true });
    else {
      if (holder !== null && !said) waiting(holder.pid);
      said = holder !== null;
      await sleep(POLL_MS);
    }
  }
  await writeFile(join(lock, 'owner'), `${process.pid} ${startTimeOf(process.pid)}\n`);
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
