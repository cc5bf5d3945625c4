// SPDX-License-Identifier: GPL-2.0-only
/**
 * A lock shared by harness processes: a directory made atomically, naming
 * its holder. A holder that died (its pid gone, or reused by a process
 * started at another time) leaves a stale lock that the next one takes.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTimeOf } from './process-identity.ts';
import { sleep } from '../lib/time.ts';

/** A holder writes its owner file right after its mkdir; a lock without one for longer was left by a kill. */
const OWNERLESS_MS = 10_000;

/** Taken, or held by a live process (null: a holder between its mkdir and its write of the owner file). */
type LockTry = { readonly taken: true } | { readonly taken: false; readonly holder: number | null };

async function holderOf(lock: string): Promise<{ pid: number; alive: boolean } | null> {
  const text = await readFile(join(lock, 'owner'), 'utf8').catch(() => null);
  if (text === null) return null;
  const [pid, started] = text.trim().split(' ');
  return { pid: Number(pid), alive: startTimeOf(Number(pid)) === started };
}

/** No owner file long after its mkdir: a holder killed between the two (a lock gone already counts too). */
async function ownerless(lock: string): Promise<boolean> {
  const made = await stat(lock).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - made > OWNERLESS_MS;
}

/** Takes `lock` if it is free or its holder died; otherwise says who holds it. */
async function tryLock(lock: string): Promise<LockTry> {
  try {
    await mkdir(lock);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = await holderOf(lock);
    if (holder?.alive === true) return { taken: false, holder: holder.pid };
    if (holder === null && !(await ownerless(lock))) return { taken: false, holder: null };
    await rm(lock, { recursive: true, force: true });
    return tryLock(lock);
  }
  await writeFile(join(lock, 'owner'), `${process.pid} ${startTimeOf(process.pid)}\n`);
  return { taken: true };
}

function unlock(lock: string): Promise<void> {
  return rm(lock, { recursive: true, force: true });
}

/**
 * Waits until one of `locks` is free (or its holder dead), looking every
 * `pollMs`, takes it and holds it until disposed of. Says once, through
 * `waiting`, which live processes hold them, when it knows of any.
 */
export async function takeOneOf(
  locks: readonly string[],
  pollMs: number,
  waiting: (holders: readonly number[]) => void,
): Promise<AsyncDisposable> {
  let said = false;
  for (;;) {
    const holders = new Set<number>();
    for (const lock of locks) {
      const got = await tryLock(lock);
      if (got.taken) return { [Symbol.asyncDispose]: () => unlock(lock) };
      if (got.holder !== null) holders.add(got.holder);
    }
    // No owner file yet: holders between their mkdir and their write; said once they are known.
    if (holders.size > 0 && !said) waiting([...holders]);
    said = holders.size > 0;
    await sleep(pollMs);
  }
}
