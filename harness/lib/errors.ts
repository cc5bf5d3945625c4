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
