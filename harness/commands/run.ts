// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset run`: the reset scenarios and their negative controls on one kernel. */
import { kcidbOrigin } from '../report/kcidb.ts';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { randomBytes } from 'node:crypto';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { runCampaign } from '../campaign/campaign.ts';
import { jobsOption } from '../campaign/jobs.ts';
import { checkPlan, parseShard, shardFromCi, type CampaignRequest } from '../campaign/plan.ts';
import { stderrProgress, type Progress } from '../lib/progress.ts';
import { InputError } from '../lib/errors.ts';
import { CONTROLS, KILL_SIGNALS, PARTIAL_CONTROLS, SCENARIOS, WHOLE_CONTROLS } from '../plan/run-spec.ts';
import { blindSpotsOf } from '../plan/hazards.ts';
import { closingLine } from '../judge/verdict.ts';
import {
  artifactDir,
  kernelRequestOf,
  repeatOption,
  KERNEL_OPTIONS,
  KERNEL_OPTIONS_HELP,
  listOption,
  TRAFFIC_HELP,
  trafficOption,
  signalOption,
  defineCommand,
  JOBS_HELP,
  killAtOption,
  KILL_AT_HELP,
} from './command.ts';

/** The options `run` takes, as node:util parseArgs reads them. */
export const RUN_OPTIONS = {
  ...KERNEL_OPTIONS,
  scenario: { type: 'string' },
  controls: { type: 'string' },
  traffic: { type: 'string' },
  signal: { type: 'string' },
  'kill-at': { type: 'string' },
  repeat: { type: 'string' },
  seed: { type: 'string' },
  jobs: { type: 'string' },
  shard: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type RunValues = ReturnType<typeof parseArgs<{ options: typeof RUN_OPTIONS; strict: true }>>['values'];

/**
 * The campaign a `run` command line asks for, in `env` (a GitLab job's
 * parallel: N shards itself): what run() runs, and what the example CI
 * pipelines' shards are checked against. Notes go to `note`.
 */
export function runRequestOf(values: RunValues, env: NodeJS.ProcessEnv, note: Progress): CampaignRequest {
  const scenarios = listOption(values.scenario, SCENARIOS, 'scenario', SCENARIOS);
  if (scenarios.length === 0) throw new InputError('--scenario none leaves nothing to run; name at least one scenario');
  const controls = listOption(values.controls, CONTROLS, 'controls', WHOLE_CONTROLS);
  const patterns = trafficOption(values.traffic);
  for (const blind of blindSpotsOf(patterns)) note(`note: ${blind}`);
  const signal = signalOption(values.signal);
  const killAt = killAtOption(values['kill-at']);
  const repeat = repeatOption(values.repeat, 1);
  const given = values.shard === undefined ? undefined : parseShard(values.shard);
  if (given === null) throw new InputError(`--shard ${values.shard} must be K/N with 1 <= K <= N, e.g. 2/4`);
  // A GitLab job with parallel: N shards itself, unless --shard says otherwise.
  const ci = given === undefined ? shardFromCi(env) : null;
  const shard = given ?? ci?.shard;
  const seed = values.seed ?? ci?.seed ?? randomBytes(8).toString('hex');
  if (ci !== null)
    note(
      `shard ${ci.shard.index}/${ci.shard.count} from CI_NODE_INDEX/CI_NODE_TOTAL` +
        (values.seed === undefined && ci.seed !== null ? `, seed ${ci.seed} from CI_PIPELINE_ID` : ''),
    );
  return {
    scenarios,
    controls,
    patterns,
    signal,
    ...killAt,
    repeat,
    seed,
    ...(shard !== undefined ? { shard } : {}),
  };
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'the reset scenarios and their negative controls; exit 0 good, 1 regression, 125 undecided',
  usage: `usage: vfio-reset run [options]

  --scenario LIST     scenarios, comma-separated (${SCENARIOS.join(', ')}; default all)
  --controls LIST     negative controls, comma-separated, all, or none: the whole ones (no reset at all:
                      ${WHOLE_CONTROLS.join(', ')}; the default) and the partial ones (part of the
                      quiesce kept: ${PARTIAL_CONTROLS.join(', ')}; in qualify); with none,
                      nothing shows that the oracles can see a hazard, so a pass exits 125
${TRAFFIC_HELP}
  --signal SIG        how user #1 dies: ${KILL_SIGNALS.join(', ')} (default KILL)
${KILL_AT_HELP}  --repeat N          repetitions of every scenario and control (default 1)
  --seed S            keys the frame payloads; a report's seed replays its run (default: random)
${JOBS_HELP}  --shard K/N         run only the K-th of N slices of the plan, each a scenario with all its
                      controls (CI matrices; give every shard the same --seed, then 'vfio-reset merge');
                      default in a GitLab job with parallel: N, CI_NODE_INDEX/CI_NODE_TOTAL, seeded
                      from CI_PIPELINE_ID unless --seed is given
${KERNEL_OPTIONS_HELP}
`,
  options: RUN_OPTIONS,
  async run({ values }) {
    // Its report ends with kcidb.json: a bad origin fails now, not after the runs.
    kcidbOrigin();
    const request = runRequestOf(values, process.env, stderrProgress);
    const jobs = jobsOption(values.jobs);
    // A shard with nothing to run is known now, not after the builds.
    checkPlan(request);

    const store = new CacheStore(cacheRoot());
    // Bad kernel options fail here, before anything is printed or built.
    const kernel = await kernelRequestOf(values);
    const outDir = await artifactDir(values.output, 'run');
    stderrProgress(`artifacts: ${outDir}`);
    const stack = await buildStack(store, { kernel, qemu: values.qemu }, stderrProgress);
    const result = await runCampaign(stack, store.root, request, outDir, process.argv.slice(1), stderrProgress, jobs);
    process.stdout.write(`\n${result.summary}\n\nartifacts: ${outDir}\n${closingLine(result.runs)}\n`);
    return result.exitCode;
  },
});
