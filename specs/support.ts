// SPDX-License-Identifier: GPL-2.0-only
/** Small helpers shared by the unit specs (not a spec itself: no `.spec.ts`). */

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
