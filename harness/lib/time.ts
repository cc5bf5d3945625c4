// SPDX-License-Identifier: GPL-2.0-only
/**
 * Waiting, one way: a plain pause, a bounded wait for something that may
 * never come, and a deadline that cancels the work it bounds (the work gets
 * an AbortSignal and must stop what it started when it fires: a boot that
 * times out stops its machine, instead of running beside the next run).
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether `promise` settles within `ms`; the wait does not keep Node alive. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Runs `work` with a deadline: past `ms` the signal given to it aborts with
 * `timeoutError()` as its reason, and the call rejects with that error
 * without waiting for the work to wind down.
 */
export async function withDeadline<T>(
  ms: number,
  timeoutError: () => Error,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timeoutError();
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
