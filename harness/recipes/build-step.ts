// SPDX-License-Identifier: GPL-2.0-only
/** Runs one build command in its own process group, its output appended to a log file. */
import { appendFile, readFile } from 'node:fs/promises';
import { startGroup } from '../process/process-groups.ts';
import { InfrastructureError, lastLines } from '../lib/errors.ts';
import type { Credentials } from './build-user.ts';

export interface StepOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  readonly log: string;
  readonly input?: string;
  /** Run as this user (a kernel tree's own code, see build-user.ts) rather than as the harness. */
  readonly as?: Credentials | null;
}

export async function runStep(
  what: string,
  file: string,
  args: readonly string[],
  options: StepOptions,
): Promise<void> {
  await appendFile(options.log, `\n$ ${[file, ...args].join(' ')}\n`);
  const child = startGroup(
    file,
    args,
    {
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      // The build user has no home; the harness's own (root's) must not be where its tools look.
      env: { ...options.env, LC_ALL: 'C', ...(options.as ? { HOME: '/nonexistent' } : {}) },
      ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
      stdout: { file: options.log, append: true },
      stderr: { file: options.log, append: true },
      reject: false,
    },
    options.as ?? null,
  );
  const result = await child;
  if (result.exitCode !== 0 || result.failed) {
    const log = await readFile(options.log, 'utf8').catch(() => '');
    const how = result.signal !== undefined ? `killed by ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
    throw new InfrastructureError(`${what} failed (${how}); log: ${options.log}`, lastLines(log, 30), options.log);
  }
}

/** Runs a command and returns its stdout; for quick queries, not builds. */
export async function capture(
  file: string,
  args: readonly string[],
  cwd?: string,
  as: Credentials | null = null,
): Promise<string> {
  const child = startGroup(file, args, { ...(cwd !== undefined ? { cwd } : {}), stdin: 'ignore', reject: false }, as);
  const result = await child;
  if (result.exitCode !== 0) {
    throw new InfrastructureError(
      `${file} ${args.join(' ')} failed: ${String(result.stderr).trim().split('\n').pop() ?? ''}`,
    );
  }
  return String(result.stdout);
}
