// SPDX-License-Identifier: GPL-2.0-only
/** Small helpers shared by the unit specs (not a spec itself: no `.spec.ts`). */
import { expect } from 'chai';
import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from '../harness/lib/paths.ts';

export const GOLDEN_DIR = join(repoRoot, 'specs', 'fixtures', 'golden');
/** Trimmed directories of real runs (made by specs/fixtures/trim-run.ts), with their expected verdicts. */
export const RUN_FIXTURES = join(repoRoot, 'specs', 'fixtures', 'runs');

/**
 * Compares `text` with the golden file `name` (under specs/fixtures/golden), so that a change shows up in review as a
 * diff. `UPDATE_GOLDEN=1` rewrites the file instead (never under CI); review the diff before committing it.
 */
export async function matchesGolden(name: string, text: string): Promise<void> {
  const path = join(GOLDEN_DIR, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    // Under CI a rewritten golden file would pass whatever the code now prints.
    if (process.env['CI'] !== undefined && process.env['CI'] !== '')
      throw new Error(`refusing UPDATE_GOLDEN=1 under CI (CI=${process.env['CI']}): golden files are updated by hand`);
    await writeFile(path, text);
    return;
  }
  const golden = await readFile(path, 'utf8').catch(() => {
    throw new Error(`${path} is missing; create it with UPDATE_GOLDEN=1 and review it`);
  });
  expect(
    text,
    `${name} differs from its golden file; if the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff`,
  ).to.equal(golden);
}

/** A run fixture's files as a run directory of its own (the trace un-gzipped). */
export async function asRunDir(fixture: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-fixture-'));
  for (const name of await readdir(fixture)) {
    if (name.endsWith('.gz'))
      await writeFile(join(dir, name.slice(0, -3)), gunzipSync(await readFile(join(fixture, name))));
    else await copyFile(join(fixture, name), join(dir, name));
  }
  return dir;
}

/** The error `promise` rejects with; fails if it resolves or has not settled within `withinMs`. */
export async function rejectionOf(promise: Promise<unknown>, withinMs = 2000): Promise<Error> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    promise.then(
      (value) => ({ resolved: value }),
      (error: unknown) => ({ rejected: error }),
    ),
    new Promise<{ pending: true }>((r) => (timer = setTimeout(() => r({ pending: true }), withinMs))),
  ]);
  clearTimeout(timer);
  if ('resolved' in outcome) throw new Error(`expected a rejection, got a value: ${JSON.stringify(outcome.resolved)}`);
  if ('pending' in outcome) throw new Error(`expected a rejection within ${withinMs} ms, still pending`);
  if (!(outcome.rejected instanceof Error)) throw new Error(`rejected with a non-Error: ${String(outcome.rejected)}`);
  return outcome.rejected;
}

/** A live view of whether `promise` has settled yet (its outcome is otherwise left to the caller). */
export function track(promise: Promise<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** Lets pending I/O callbacks and promise jobs run. */
export function tick(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 3000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await tick(10);
  }
}
