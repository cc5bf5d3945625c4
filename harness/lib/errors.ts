// SPDX-License-Identifier: GPL-2.0-only
/**
 * Failures that are not findings. A run that hits one of these has not
 * decided anything about the kernel, so it is never reported as a pass or
 * as a regression (exit 125 under `git bisect run`).
 */

/** The user asked for something that cannot work: a missing tree, a bad option. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** A build, a boot or a tool failed; `tail` holds the last lines of the log that shows why. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
  constructor(
    message: string,
    readonly tail: string = '',
    readonly logPath?: string,
  ) {
    super(message);
  }
}

export function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}

/**
 * A full filesystem (or quota) is the host's problem, not the harness's: one line naming where, and what to do;
 * null for any other error.
 */
export function noSpaceLine(error: unknown, cache: string): string | null {
  const { code, path } = error as NodeJS.ErrnoException;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return null;
  const prune = "'vfio-reset images prune'";
  // A failed write(2) names no file: it is the cache's filesystem or the artifacts'.
  if (path === undefined)
    return (
      `no space left on a filesystem the harness writes to (${code}); ` +
      `free space in the cache ${cache} (${prune}) or where --output points`
    );
  return path.startsWith(cache)
    ? `no space left for ${path} (${code}); free space there (${prune}) or point XDG_CACHE_HOME at a larger filesystem`
    : `no space left for ${path} (${code}); free space there or give --output a larger filesystem`;
}
