// SPDX-License-Identifier: GPL-2.0-only
/**
 * The plan of a set of runs: every scenario with every traffic pattern,
 * first as it is and then under each negative control, repeated; or one
 * shard of that plan for a CI matrix.
 */
import {
  runId,
  type ControlName,
  type KillSignal,
  type RunSpec,
  type ScenarioName,
  type TrafficPattern,
} from '../plan/run-spec.ts';
import type { KillState } from '../plan/kill-states.ts';
import { InputError } from '../lib/errors.ts';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export interface CampaignRequest {
  readonly scenarios: readonly ScenarioName[];
  readonly controls: readonly ControlName[];
  readonly patterns: readonly TrafficPattern[];
  readonly signal: KillSignal;
  /** Where every run aims its kill (plan/kill-states.ts); wherever it lands when absent. */
  readonly killAt?: KillState;
  readonly repeat: number;
  readonly seed: string;
  /** Run only every count-th run of the plan, starting at index (CI matrices). */
  readonly shard?: Shard;
  /**
   * Start no run after a regression (a bisect step): a regression decides the
   * set's exit code on its own, so the runs after it would change nothing.
   */
  readonly stopAtRegression?: boolean;
}

/** Parses "K/N" (1 <= K <= N). */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (m === null) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && index <= count ? { index, count } : null;
}

/**
 * The shard of a GitLab job with `parallel: N`: CI_NODE_INDEX (1-based) of
 * CI_NODE_TOTAL, and CI_PIPELINE_ID to seed every shard alike. Null when
 * the job is not parallel (GitLab then sets no CI_NODE_INDEX).
 */
export function shardFromCi(env: NodeJS.ProcessEnv): { readonly shard: Shard; readonly seed: string | null } | null {
  const index = env['CI_NODE_INDEX'];
  if (index === undefined) return null;
  const total = env['CI_NODE_TOTAL'];
  const shard = parseShard(`${index}/${total ?? ''}`);
  if (shard === null)
    throw new InputError(
      `CI_NODE_INDEX=${index} and CI_NODE_TOTAL=${total ?? '(unset)'} are not a shard K/N with 1 <= K <= N; ` +
        'set both (GitLab does for a job with parallel: N), or give --shard K/N',
    );
  const pipeline = env['CI_PIPELINE_ID'];
  return { shard, seed: pipeline !== undefined && pipeline !== '' ? `gitlab-pipeline-${pipeline}` : null };
}

/**
 * The runs of a campaign, or of one shard of it. A shard takes whole
 * groups (one scenario with all its traffic patterns and controls, one
 * repetition), so that every shard that passes a scenario also shows its
 * controls detected.
 */
export function planRuns(request: CampaignRequest): RunSpec[] {
  const all = planAllRuns(request);
  const shard = request.shard;
  if (shard === undefined) return all;
  const groups = [...new Set(all.map(groupOf))];
  return all.filter((spec) => groups.indexOf(groupOf(spec)) % shard.count === shard.index - 1);
}

/** The runs of the request; an InputError when they are none (a shard beyond the plan). */
export function checkPlan(request: CampaignRequest): RunSpec[] {
  const specs = planRuns(request);
  if (specs.length === 0)
    throw new InputError(
      `shard ${request.shard?.index}/${request.shard?.count} has no runs: ` +
        'the plan has fewer groups (scenario x repetition) than shards',
    );
  return specs;
}

const groupOf = (spec: RunSpec) => `${spec.scenario}/r${spec.repetition}`;

function planAllRuns(request: CampaignRequest): RunSpec[] {
  const specs: RunSpec[] = [];
  for (let repetition = 1; repetition <= request.repeat; repetition++) {
    for (const scenario of request.scenarios) {
      for (const pattern of request.patterns) {
        for (const control of ['none', ...request.controls] as const) {
          const spec: RunSpec = {
            scenario,
            control,
            pattern,
            signal: request.signal,
            ...(request.killAt !== undefined ? { killAt: request.killAt } : {}),
            repetition,
            seed: '',
          };
          specs.push({ ...spec, seed: `${request.seed}/${runId(spec)}` });
        }
      }
    }
  }
  return specs;
}
