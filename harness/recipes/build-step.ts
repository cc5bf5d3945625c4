// SPDX-License-Identifier: GPL-2.0-only
/** Runs one build command in its own process group, its output appended to a log file. */
import { appendFile, readFile } from 'node:fs/promises';
import { startGroup } from '../process/process-groups.ts';
import { InfrastructureError, lastLines } from '../lib/errors.ts';

export interface StepOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  readonly log: string;
  readonly input?: string;
}

export async function runStep(
  what: string,
  file: string,
  args: readonly string[],
  options: StepOptions,
): Promise<void> {
  await appendFile(options.log, `\n$ ${[file, ...args].join(' ')}\n`);
  const child = startGroup(file, args, {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: { ...options.env, LC_ALL: 'C' },
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
    stdout: { file: options.log, append: true },
    stderr: { file: options.log, append: true },
    reject: false,
  });
  const result = await child;
  if (result.exitCode !== 0 || result.failed) {
    const log = await readFile(options.log, 'utf8').catch(() => '');
    const how = result.signal !== undefined ? `killed by ${result.signal}` : `exit ${result.exitCode ?? '?'}`;
    throw new InfrastructureError(`${what} failed (${how}); log: ${options.log}`, lastLines(log, 30), options.log);
  }
}

/** Runs a command and returns its stdout; for quick queries, not builds. */
export async function capture(file: string, args: readonly string[], cwd?: string): Promise<string> {
  const child = startGroup(file, args, { ...(cwd !== undefined ? { cwd } : {}), stdin: 'ignore', reject: false });
  const result = await child;
  if (result.exitCode !== 0) {
    throw new InfrastructureError(
      `${file} ${args.join(' ')} failed: ${String(result.stderr).trim().split('\n').pop() ?? ''}`,
    );
  }
  return String(result.stdout);
}
