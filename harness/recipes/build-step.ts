// SPDX-License-Identifier: GPL-2.0-only
/**
 * Runs one build command in its own process group, its output appended to a
 * log file. A step that runs long says how far it got every 20 s, read from
 * what it has logged (ninja's [n/N], kbuild's objects, apt's downloads), so
 * that a CI log or a person watching never sees a build fall silent.
 */
import { appendFile, open, readFile, stat } from 'node:fs/promises';
import { startGroup } from '../process/process-groups.ts';
import { InfrastructureError, lastLines } from '../lib/errors.ts';
import { stderrProgress, type Progress } from '../lib/progress.ts';
import type { Credentials } from './build-user.ts';

/** How often a running step says how far it got: well under the 30 s a silent CI job may be taken for hung at. */
export const STEP_PROGRESS_EVERY_MS = 20_000;

/** kbuild's quiet lines: "  CC      init/main.o", "  LD [M]  drivers/.../x.ko". */
export function kbuildSteps(logged: string): number {
  return logged.match(/^ {2}(?:CC|AS|AR|LD|OBJCOPY|GZIP|CPP|MODPOST|HOSTCC|HOSTLD)\b/gm)?.length ?? 0;
}

/**
 * How far a step got, from what it has logged so far; null if the log says
 * nothing countable. kbuild does not say how many objects it will build:
 * `expected` is what the last such build logged.
 */
export function stepProgressOf(logged: string, expected?: number): string | null {
  const ninja = [...logged.matchAll(/^\[(\d+)\/(\d+)\] /gm)].at(-1);
  if (ninja !== undefined) return `${ninja[1]}/${ninja[2]} build steps`;
  const objects = kbuildSteps(logged);
  if (objects > 0)
    return expected === undefined
      ? `${objects} objects built`
      : `${objects} of about ${expected} objects built (as many as the last such build)`;
  const fetched = logged.match(/^Get:\d+ /gm)?.length ?? 0;
  if (fetched > 0) return `${fetched} files fetched`;
  return null;
}

/** Until stopped, says every `everyMs` how far the step logging to `log` from `from` got. */
function watchStep(
  what: string,
  log: string,
  from: number,
  progress: Progress,
  everyMs: number,
  expected: number | undefined,
): () => void {
  const started = Date.now();
  const timer = setInterval(() => {
    void (async () => {
      const size = (await stat(log)).size;
      const file = await open(log, 'r');
      try {
        const { buffer, bytesRead } = await file.read(Buffer.alloc(size - from), 0, size - from, from);
        const logged = buffer.subarray(0, bytesRead).toString('utf8');
        const seconds = Math.round((Date.now() - started) / 1000);
        const got = stepProgressOf(logged, expected) ?? `${Math.round(logged.length / 1024)} KiB logged`;
        progress(`${what}: ${got}, ${seconds} s`);
      } finally {
        await file.close();
      }
    })().catch(() => {});
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface StepOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  readonly log: string;
  readonly input?: string;
  /** Run as this user (a kernel tree's own code, see build-user.ts) rather than as the harness. */
  readonly as?: Credentials | null;
  /** Where a long step says how far it got (default: the command's progress on stderr), and how often. */
  readonly progress?: Progress;
  readonly progressEveryMs?: number;
  /** How many objects a kbuild step is expected to build, for its progress lines. */
  readonly expectedSteps?: number;
}

export async function runStep(
  what: string,
  file: string,
  args: readonly string[],
  options: StepOptions,
): Promise<void> {
  await appendFile(options.log, `\n$ ${[file, ...args].join(' ')}\n`);
  const from = (await stat(options.log)).size;
  const stopWatching = watchStep(
    what,
    options.log,
    from,
    options.progress ?? stderrProgress,
    options.progressEveryMs ?? STEP_PROGRESS_EVERY_MS,
    options.expectedSteps,
  );
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
  const started = Date.now();
  const result = await child.finally(stopWatching);
  // Each step's time in its log, so that where a cold build's time went can be read back from the cache entry.
  await appendFile(options.log, `# ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
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
