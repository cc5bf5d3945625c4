// SPDX-License-Identifier: GPL-2.0-only
/**
 * `vfio-reset bisect`, for `git bisect run vfio-reset bisect` inside a
 * kernel tree: build HEAD with the fragments (incrementally), run the
 * scenario with a negative control, and exit 0 good, 1 regression or 125
 * skip (build failure, boot failure, invalid run), never anything else.
 */
import { kcidbOrigin } from '../report/kcidb.ts';
import type { ParseArgsConfig } from 'node:util';
import { join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { runCampaign } from '../campaign/campaign.ts';
import { stderrProgress } from '../lib/progress.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { InputError } from '../lib/errors.ts';
import { treeSource } from '../recipes/kernel-source.ts';
import { CONTROLS, SCENARIOS } from '../plan/run-spec.ts';
import {
  artifactDir,
  extraPatchesOf,
  JOBS_HELP,
  listOption,
  TRAFFIC_HELP,
  trafficOption,
  defineCommand,
} from './command.ts';
import { jobsOption } from '../campaign/jobs.ts';
import { closingLine } from '../judge/verdict.ts';
import { recordBuildTime } from '../cache/build-times.ts';

const OPTIONS = {
  'kernel-tree': { type: 'string' },
  patches: { type: 'string' },
  qemu: { type: 'string' },
  output: { type: 'string' },
  scenario: { type: 'string' },
  controls: { type: 'string' },
  traffic: { type: 'string' },
  seed: { type: 'string' },
  jobs: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const isInside = (path: string, dir: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
};

export const bisectCommand = defineCommand({
  name: 'bisect',
  summary: "one 'git bisect run' step in a kernel tree: exit 0 good, 1 regression, 125 skip",
  inputErrorExit: EXIT.undecided,
  usage: `usage: git bisect run vfio-reset bisect [options]

Builds HEAD of the kernel tree (the current directory, or --kernel-tree) with
the project's fragments and patches, incrementally, then runs the scenario and
a negative control. Exits 0 good, 1 reset regression, 125 skip (the commit
does not build, does not boot, or the run is invalid), never anything else.
Artifacts go outside the tree.

  --kernel-tree DIR   the tree (default: the current directory)
  --scenario LIST     (default raw-driver)
  --controls LIST     (default device-ignores-reset, which works on any kernel)
${TRAFFIC_HELP}
  --output DIR        each step's artifacts go to DIR/bisect-<commit>
${JOBS_HELP}  --patches, --qemu PATH, --seed S: as for 'run'
`,
  options: OPTIONS,
  async run({ values }) {
    // Its report ends with kcidb.json: a bad origin fails now, not after the runs.
    kcidbOrigin();
    const scenarios = listOption(values.scenario, SCENARIOS, 'scenario', ['raw-driver']);
    const controls = listOption(values.controls, CONTROLS, 'controls', ['device-ignores-reset']);
    const patterns = trafficOption(values.traffic);
    const jobs = jobsOption(values.jobs);
    const store = new CacheStore(cacheRoot());
    const source = await treeSource(values['kernel-tree'] ?? process.cwd());
    const step = `bisect-${source.kind === 'tree' ? source.revision.slice(0, 12) : 'tree'}`;
    // One directory per step, so that a whole bisection's artifacts sit side by side under --output.
    const tree = source.kind === 'tree' ? source.dir : null;
    if (values.output !== undefined && tree !== null && isInside(resolve(values.output), tree)) {
      // git bisect run starts each step in the tree: a relative --output would write artifacts into it.
      throw new InputError(`--output ${values.output} is inside the kernel tree ${tree}; give a directory outside it`);
    }
    const outDir = await artifactDir(
      values.output !== undefined ? join(resolve(values.output), step) : undefined,
      step,
    );
    stderrProgress(`bisect step at ${source.kind === 'tree' ? source.revision : ''}; artifacts: ${outDir}`);
    const started = Date.now();
    const stack = await buildStack(
      store,
      { kernel: { kind: 'build', source, extraPatches: await extraPatchesOf(values.patches) }, qemu: values.qemu },
      stderrProgress,
    );
    const seed = values.seed ?? randomBytes(8).toString('hex');
    const result = await runCampaign(
      stack,
      store.root,
      { scenarios, controls, patterns, signal: 'KILL', repeat: 1, seed, stopAtRegression: true },
      outDir,
      process.argv.slice(1),
      stderrProgress,
      jobs,
    );
    // For `npm run bench`: how long a step takes, per kernel build path (a step that built nothing is not one).
    const path = stack.kernel.built ? stack.kernel.howBuilt?.kind : undefined;
    if (path !== undefined)
      await recordBuildTime(store.root, `bisect-step-${path}`, false, (Date.now() - started) / 1000);
    const how = stack.kernel.howBuilt === null ? '' : `\nkernel: ${stack.kernel.howBuilt.why}`;
    const stopped =
      result.notStarted === 0
        ? ''
        : `\n${result.notStarted} more run${result.notStarted === 1 ? '' : 's'} not started: ` +
          'a regression decides a bisect step on its own';
    process.stdout.write(`\n${result.summary}${stopped}\n\nartifacts: ${outDir}${how}\n${closingLine(result.runs)}\n`);
    return result.exitCode;
  },
});
