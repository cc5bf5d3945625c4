// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run load [-- --repeat N]`: the verdicts on a saturated host. Every
 * scenario and control under both traffic patterns, two L1s at once
 * (`--jobs 2` on 2 cores), beside a CPU hog (stress-ng, one worker per
 * core), as on a CI runner shared with other jobs. Prints the verdicts,
 * the stall reports L1's consoles carry, and the two counts that must be
 * zero: false regressions (a scenario run on the default kernel that is
 * not a pass) and false passes (a control that is not detected). Exit 0
 * only if both are; INVALID runs are counted and named, not excused.
 */
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../harness/lib/paths.ts';
import type { RunRecord } from '../../harness/report/report-format.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');
/** Lines by which L1's kernel says it stalled, whatever the verdict made of them. */
const STALL = /BUG: soft lockup|self-detected stall|detected stalls?|blocked for more than|hard LOCKUP/;

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '5' } } });
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(`load: --repeat ${values.repeat} is not a whole number of at least 1\n`);
  process.exit(2);
}

const out = await mkdtemp(join(tmpdir(), 'vfio-reset-load-'));
// Detached, in a process group of its own: killed with all its workers whichever way this script ends.
const hog = execa('stress-ng', ['--cpu', '2', '--cpu-method', 'matrixprod', '--quiet'], {
  detached: true,
  reject: false,
  stdio: 'ignore',
});
const stopHog = () => {
  if (hog.pid !== undefined) {
    try {
      process.kill(-hog.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
};
process.on('exit', stopHog);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    stopHog();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });

const started = Date.now();
const run = await execa(
  'node',
  [CLI, 'run', '--jobs', '2', '--repeat', String(repeat), '--seed', `load-${repeat}`, '--output', out],
  { reject: false, stdout: 'inherit', stderr: 'inherit' },
);
stopHog();
const minutes = (Date.now() - started) / 60_000;

const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8').catch(() => '{"runs":[]}')) as {
  runs: RunRecord[];
};
const counts = new Map<string, number>();
const falseRegressions: RunRecord[] = [];
const falsePasses: RunRecord[] = [];
const invalid: RunRecord[] = [];
const stalls: string[] = [];
for (const r of report.runs) {
  counts.set(r.verdict.kind, (counts.get(r.verdict.kind) ?? 0) + 1);
  if (r.verdict.kind === 'invalid') invalid.push(r);
  else if (r.spec.control === 'none' && r.verdict.kind !== 'pass') falseRegressions.push(r);
  else if (r.spec.control !== 'none' && r.verdict.kind !== 'detected') falsePasses.push(r);
  const console = await readFile(join(r.dir, 'l1.console.log'), 'utf8').catch(() => '');
  for (const line of console.split('\n')) if (STALL.test(line)) stalls.push(`${r.id}: ${line.trim()}`);
}

const reasonOf = (r: RunRecord) => ('reason' in r.verdict ? r.verdict.reason : r.verdict.kind);
process.stdout.write(
  `\nload: ${report.runs.length} runs in ${minutes.toFixed(1)} min, two L1s at once beside stress-ng --cpu 2\n` +
    `verdicts: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}\n` +
    `stall reports on L1's consoles: ${stalls.length}\n` +
    stalls.map((s) => `  ${s}\n`).join('') +
    `invalid: ${invalid.length}\n` +
    invalid.map((r) => `  ${r.id}: ${reasonOf(r)}\n`).join('') +
    `false regressions: ${falseRegressions.length}\n` +
    falseRegressions.map((r) => `  ${r.id}: ${reasonOf(r)}\n`).join('') +
    `false passes: ${falsePasses.length}\n` +
    falsePasses.map((r) => `  ${r.id}: ${reasonOf(r)}\n`).join('') +
    `artifacts: ${out} (exit ${run.exitCode})\n`,
);
process.exit(falseRegressions.length === 0 && falsePasses.length === 0 && report.runs.length > 0 ? 0 : 1);
