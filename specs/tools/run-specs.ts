// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm test`: the unit specs (seconds, no QEMU) and the integration specs
 * (real builds, real QEMU), ending with the plain line `N passed, N failed`
 * that CI reads (`, N skipped` added when a spec could not run here).
 * `--unit` runs the unit layer only, in this process.
 *
 * A whole run builds the default stack first, then runs the spec files in
 * lanes, one child process each, as many as the host holds L1s: each lane
 * takes the longest group left (by the times the last run recorded), so the
 * lanes end together. The host's L1 slots (machines/l1-slots.ts) keep the
 * lanes from running more L1s at once than the host holds. Lines carry
 * their lane's letter. It says how long it took and keeps it for `npm run bench`.
 */
import Mocha from 'mocha';
import { fork, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { cacheRoot, repoRoot } from '../../harness/lib/paths.ts';
import { installExitHandlers, killAllGroups } from '../../harness/process/process-groups.ts';
import { hostL1s } from '../../harness/machines/l1-slots.ts';
import { readSpecTimes, recordSpecTimes } from './spec-times.ts';

/** What one mocha run over some spec files gave. */
interface Outcome {
  readonly passed: number;
  readonly failed: number;
  /** A spec that cannot run here (no root, no cgroup v2) is skipped, and said so: never counted as passed. */
  readonly skipped: number;
  /** Each failed test: its full title and its error's first lines, said again last (CI shows the log's tail). */
  readonly failures: readonly string[];
  /** Seconds per spec file (full path): its top-level suites, from start to end. */
  readonly fileSeconds: Readonly<Record<string, number>>;
}

type ToLane = { readonly files: readonly string[] } | { readonly done: true };

async function specFiles(layer: 'unit' | 'integration'): Promise<string[]> {
  const dir = join(repoRoot, 'specs', layer);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.spec.ts'))
    .sort()
    .map((n) => join(dir, n));
}

function runMocha(files: readonly string[]): Promise<Outcome> {
  const mocha = new Mocha({ reporter: 'spec', timeout: 10_000 });
  for (const file of files) mocha.addFile(file);
  return mocha.loadFilesAsync().then(
    () =>
      new Promise((resolve) => {
        const runner = mocha.run();
        const fileSeconds: Record<string, number> = {};
        const startedAt = new Map<Mocha.Suite, number>();
        const failures: string[] = [];
        runner.on('fail', (test, error: Error) => {
          const message = String(error?.message ?? error)
            .split('\n')
            .filter((line) => line.trim() !== '')
            .slice(0, 6)
            .join('\n    ');
          failures.push(`${test.fullTitle()}\n    ${message}`);
        });
        runner.on('suite', (suite) => {
          if (suite.parent?.root === true) startedAt.set(suite, Date.now());
        });
        runner.on('suite end', (suite) => {
          const started = startedAt.get(suite);
          if (started === undefined || suite.file === undefined) return;
          fileSeconds[suite.file] = (fileSeconds[suite.file] ?? 0) + (Date.now() - started) / 1000;
        });
        runner.on('end', () => {
          const stats = runner.stats;
          resolve({
            passed: stats?.passes ?? 0,
            failed: stats?.failures ?? 0,
            skipped: stats?.pending ?? 0,
            failures,
            fileSeconds,
          });
        });
      }),
  );
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

function closingLine(o: Outcome): string {
  return `${o.passed} passed, ${o.failed} failed${o.skipped > 0 ? `, ${o.skipped} skipped` : ''}\n`;
}

/** A lane: runs the groups its parent sends, one mocha run each, until told it is done. */
function serveAsLane(): void {
  installExitHandlers();
  // The parent gone without saying done (killed): stop every machine, as on SIGTERM.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.on('message', (message: ToLane) => {
    if ('done' in message) {
      killAllGroups();
      process.exit(0);
    }
    void runMocha(message.files).then((outcome) => process.send?.(outcome));
  });
}

/** The spec files in groups that share a process (qualify and reset-scenario share a campaign), longest first. */
async function groups(): Promise<string[][]> {
  const times = await readSpecTimes(cacheRoot());
  const integration = await specFiles('integration');
  const together = ['qualify.spec.ts', 'reset-scenario.spec.ts'];
  const byName = (names: readonly string[]) => integration.filter((f) => names.includes(basename(f)));
  const all = [
    await specFiles('unit'),
    byName(together),
    ...integration.filter((f) => !together.includes(basename(f))).map((f) => [f]),
  ];
  // Never timed: first, since it may be the longest.
  const estimate = (group: readonly string[]) =>
    times === null
      ? Infinity
      : group[0]!.includes('/specs/unit/')
        ? times.unitSeconds
        : sum(group.map((f) => times.files[basename(f)] ?? Infinity));
  return all.sort((a, b) => estimate(b) - estimate(a));
}

/** The lanes' child processes, for the signals npm test forwards to them. */
const children: ChildProcess[] = [];

/** Runs `queue`'s groups in a child process until none is left; its lines prefixed with `tag`. */
async function lane(tag: string, queue: string[][]): Promise<Outcome[]> {
  const child = fork(import.meta.filename, ['--lane'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.push(child);
  const prefix = (from: NodeJS.ReadableStream, to: NodeJS.WritableStream) =>
    createInterface({ input: from }).on('line', (line) => to.write(`[${tag}] ${line}\n`));
  prefix(child.stdout!, process.stdout);
  prefix(child.stderr!, process.stderr);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const outcomes: Outcome[] = [];
  for (let group = queue.shift(); group !== undefined; group = queue.shift()) {
    const files = group;
    const outcome = await new Promise<Outcome | null>((resolve) => {
      child.once('message', (o: Outcome) => resolve(o));
      void exited.then(() => resolve(null));
      child.send({ files } satisfies ToLane);
    });
    if (outcome === null) {
      const names = files.map((f) => basename(f)).join(', ');
      const failure = `[${tag}] lane ended while running ${names}: counted as one failure`;
      process.stderr.write(`${failure}\n`);
      return [...outcomes, { passed: 0, failed: 1, skipped: 0, failures: [failure], fileSeconds: {} }];
    }
    outcomes.push({ ...outcome, failures: outcome.failures.map((f) => `[${tag}] ${f}`) });
  }
  child.send({ done: true } satisfies ToLane);
  await exited;
  return outcomes;
}

async function runAll(): Promise<void> {
  const started = Date.now();
  // Built (or found) once before the lanes, so that a cold machine builds it once, with its progress.
  const { defaultStack } = await import('../integration/stack-fixture.ts');
  await defaultStack();
  const queue = await groups();
  const lanes = Math.min(hostL1s(), queue.length);
  process.stdout.write(`npm test: ${queue.length} groups of spec files in ${lanes} lanes\n`);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      process.stderr.write(`\nnpm test: ${signal}: the lanes stop their machines\n`);
      for (const child of children) child.kill('SIGTERM');
    });
  // When each lane ran out of groups: how evenly the last run's times spread the work.
  const ended: string[] = [];
  const outcomes = (
    await Promise.all(
      Array.from({ length: lanes }, (_, i) => String.fromCharCode(65 + i)).map((tag) =>
        lane(tag, queue).finally(() => ended.push(`${tag} ${((Date.now() - started) / 1000).toFixed(0)} s`)),
      ),
    )
  ).flat();
  const total: Outcome = {
    passed: sum(outcomes.map((o) => o.passed)),
    failed: sum(outcomes.map((o) => o.failed)),
    skipped: sum(outcomes.map((o) => o.skipped)),
    failures: outcomes.flatMap((o) => o.failures),
    fileSeconds: Object.assign({}, ...outcomes.map((o) => o.fileSeconds)) as Record<string, number>,
  };
  const seconds = Object.entries(total.fileSeconds);
  const layer = (name: 'unit' | 'integration') =>
    sum(seconds.filter(([f]) => f.includes(`/specs/${name}/`)).map(([, sec]) => sec));
  const wallSeconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `\nnpm test ${wallSeconds.toFixed(0)} s in ${lanes} lanes (ended: ${ended.join(', ')}); spec files: ` +
      `unit layer ${layer('unit').toFixed(0)} s, integration layer ${layer('integration').toFixed(0)} s\n`,
  );
  // The lanes' lines interleave and mocha lists a lane's failures in its middle: named again at the end.
  if (total.failures.length > 0) process.stdout.write(`\nfailed:\n${total.failures.join('\n')}\n`);
  process.stdout.write(closingLine(total));
  const files = Object.fromEntries(
    seconds.filter(([f]) => f.includes('/specs/integration/')).map(([f, sec]) => [basename(f), Math.round(sec)]),
  );
  await recordSpecTimes(cacheRoot(), {
    unitSeconds: layer('unit'),
    integrationSeconds: layer('integration'),
    wallSeconds,
    lanes,
    files,
    at: new Date().toISOString(),
  }).catch(() => {});
  process.exit(total.failed > 0 || total.passed === 0 ? 1 : 0);
}

async function runUnit(): Promise<void> {
  const outcome = await runMocha(await specFiles('unit'));
  process.stdout.write(`\nunit layer ${sum(Object.values(outcome.fileSeconds)).toFixed(0)} s\n`);
  process.stdout.write(closingLine(outcome));
  killAllGroups();
  process.exit(outcome.failed > 0 || outcome.passed === 0 ? 1 : 0);
}

if (process.argv.includes('--lane')) serveAsLane();
else if (process.argv.includes('--unit')) await runUnit();
else await runAll();
