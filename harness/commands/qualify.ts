// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset qualify`: N repetitions of every scenario and control, with a report for a vendor. */
import { kcidbOrigin } from '../report/kcidb.ts';
import type { ParseArgsConfig } from 'node:util';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { runCampaign } from '../campaign/campaign.ts';
import { jobsOption } from '../campaign/jobs.ts';
import { groupStats, killCoverage, killCoverageLine, qualificationHtml } from '../report/qualification.ts';
import { stderrProgress } from '../lib/progress.ts';
import { CONTROLS, SCENARIOS, TRAFFIC_PATTERNS } from '../plan/run-spec.ts';
import { closingLine } from '../judge/verdict.ts';
import {
  artifactDir,
  kernelRequestOf,
  repeatOption,
  KERNEL_OPTIONS,
  KERNEL_OPTIONS_HELP,
  defineCommand,
  JOBS_HELP,
  killAtOption,
  KILL_AT_HELP,
} from './command.ts';

const OPTIONS = {
  ...KERNEL_OPTIONS,
  repeat: { type: 'string' },
  seed: { type: 'string' },
  jobs: { type: 'string' },
  'kill-at': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const scenarios = SCENARIOS.join(', ');
const controls = CONTROLS.join(', ');

export const qualifyCommand = defineCommand({
  name: 'qualify',
  summary: 'N repetitions of every scenario and control; JUnit, JSON and one HTML page for a vendor',
  usage: `usage: vfio-reset qualify [--repeat N] [options]

Runs every scenario (${scenarios}) and every control (${controls}) under both traffic patterns N times
(default 5) and writes qualification.html (verdicts, flake statistics,
environment and hashes, an event timeline around the kill), qualification.json,
report.json and junit.xml. Exit 0 qualified, 1 regression, 125 undecided.

  --repeat N          repetitions (default 5)
  --seed S            as for 'run'
${KILL_AT_HELP}${JOBS_HELP}${KERNEL_OPTIONS_HELP}
`,
  options: OPTIONS,
  async run({ values }) {
    // Its report ends with kcidb.json: a bad origin fails now, not after the runs.
    kcidbOrigin();
    const repeat = repeatOption(values.repeat, 5);
    const killAt = killAtOption(values['kill-at']);
    const jobs = jobsOption(values.jobs);
    const store = new CacheStore(cacheRoot());
    // Bad kernel options fail here, before anything is printed or built.
    const kernel = await kernelRequestOf(values);
    const outDir = await artifactDir(values.output, 'qualify');
    stderrProgress(`artifacts: ${outDir}`);
    const stack = await buildStack(store, { kernel, qemu: values.qemu }, stderrProgress);
    const seed = values.seed ?? randomBytes(8).toString('hex');
    const result = await runCampaign(
      stack,
      store.root,
      { scenarios: SCENARIOS, controls: CONTROLS, patterns: TRAFFIC_PATTERNS, signal: 'KILL', ...killAt, repeat, seed },
      outDir,
      process.argv.slice(1),
      stderrProgress,
      jobs,
    );
    const stats = groupStats(result.runs);
    const coverage = killCoverage(result.runs);
    await writeFile(
      join(outDir, 'qualification.json'),
      `${JSON.stringify({ exitCode: result.exitCode, repeat, groups: stats, killCoverage: coverage }, null, 2)}\n`,
    );
    await writeFile(
      join(outDir, 'qualification.html'),
      await qualificationHtml(result.runs, result.provenance, result.exitCode),
    );
    const groupLine = (g: (typeof stats)[number]) =>
      `${g.scenario}${g.control === 'none' ? '' : `+${g.control}`} (${g.pattern}): ` +
      `${g.runs - g.misclassified}/${g.runs} as expected${g.flaky ? ' (FLAKY)' : ''}`;
    const html = join(outDir, 'qualification.html');
    process.stdout.write(
      `\n${result.summary}\n\n${stats.map(groupLine).join('\n')}\n\n${coverage.map(killCoverageLine).join('\n')}\n` +
        `\nreport: ${html}\n${closingLine(result.runs)}\n`,
    );
    return result.exitCode;
  },
});
