// SPDX-License-Identifier: GPL-2.0-only
/**
 * The example pipelines in examples/ci/ (GitLab CI, GitHub Actions): they
 * parse, their shards together are the plan of the command they run, every
 * command line they give the harness is one it accepts, and only an
 * undecided shard (exit 125) or a runner failure is ever retried.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../harness/lib/paths.ts';
import { COMMANDS } from '../../harness/commands/commands.ts';
import { planRuns, type CampaignRequest } from '../../harness/campaign/plan.ts';
import { CONTROLS, SCENARIOS, TRAFFIC_PATTERNS, runId } from '../../harness/plan/run-spec.ts';

type Job = Record<string, unknown>;
const load = (name: string) =>
  parse(readFileSync(join(repoRoot, 'examples', 'ci', name), 'utf8')) as Record<string, unknown>;

/** The harness command line in a script: its subcommand and arguments, with shell variables left as words. */
function harnessCall(script: string, command: string): string[] {
  // Continued lines joined, GitHub's expressions without their inner spaces.
  const joined = script.replace(/\\\n\s*/g, ' ').replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, '$${{$1}}');
  const line = joined.split('\n').find((l) => /vfio-reset\.js|\$HARNESS/.test(l) && l.split(/\s+/).includes(command));
  if (line === undefined) throw new Error(`no 'vfio-reset ${command}' in:\n${script}`);
  const words = line.trim().split(/\s+/);
  const at = words.findIndex((w) => w.endsWith('vfio-reset.js') || w === '"$HARNESS"');
  return words
    .slice(at + 2)
    .filter((w) => w !== '||' && !w.startsWith('rc='))
    .map((w) => w.replace(/^"|"$/g, ''));
}

function accepted(command: string, args: readonly string[]): void {
  const found = COMMANDS.find((c) => c.name === command);
  expect(found, command).to.not.equal(undefined);
  found!.checkArgs([...args]);
}

/** The plan `run` would make of these arguments (the options the examples use). */
function requestOf(args: readonly string[]): CampaignRequest {
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  return {
    scenarios: SCENARIOS,
    controls: CONTROLS,
    patterns: TRAFFIC_PATTERNS,
    signal: 'KILL',
    repeat: Number(value('--repeat') ?? '1'),
    seed: 'example',
  };
}

/** Shards 1..count of the request are disjoint, none is empty, and together they are the plan. */
function coversThePlan(request: CampaignRequest, count: number): void {
  const whole = planRuns(request).map(runId).sort();
  const shards = Array.from({ length: count }, (_, i) =>
    planRuns({ ...request, shard: { index: i + 1, count } }).map(runId),
  );
  for (const [i, s] of shards.entries()) expect(s.length, `shard ${i + 1}/${count}`).to.be.greaterThan(0);
  expect(shards.flat().sort()).to.deep.equal(whole);
}

describe('the example CI pipelines (examples/ci)', () => {
  describe('GitLab CI', () => {
    const doc = load('gitlab-ci.yml');
    const reset = doc['reset'] as Job;
    const merge = doc['merge'] as Job;
    const shards = reset['parallel'] as number;
    const script = (job: Job) => (job['script'] as string[]).join('\n');

    it('shards the plan of its run command over its parallel jobs, whole', () => {
      const args = harnessCall(script(reset), 'run');
      accepted('run', args);
      expect(args, 'the shard comes from CI_NODE_INDEX/CI_NODE_TOTAL').to.not.include('--shard');
      coversThePlan(requestOf(args), shards);
    });

    it('merges every shard, whatever their verdicts, and shows JUnit for the shards and the merge', () => {
      const args = harnessCall(script(merge), 'merge');
      accepted('merge', args);
      expect(args.filter((a) => a.startsWith('shard-'))).to.deep.equal(
        Array.from({ length: shards }, (_, i) => `shard-${i + 1}`),
      );
      expect(merge['needs']).to.deep.equal(['reset']);
      expect(merge['when']).to.equal('always');
      const runOut = harnessCall(script(reset), 'run');
      const out = runOut[runOut.indexOf('--output') + 1];
      const junit = (job: Job) => ((job['artifacts'] as Job)['reports'] as Job)['junit'];
      expect(junit(reset)).to.equal(`${out}/junit.xml`);
      expect(junit(merge)).to.equal('merged/junit.xml');
    });

    it('retries only an undecided shard (exit 125) or a runner failure, never a regression', () => {
      const retry = reset['retry'] as { max: number; when: string[]; exit_codes: number[] };
      expect(retry.max).to.be.at.least(1);
      expect(retry.when).to.deep.equal(['runner_system_failure']);
      expect(retry.exit_codes).to.deep.equal([125]);
      expect(merge['retry'], 'a merge decides nothing by running again').to.equal(undefined);
    });
  });

  describe('GitHub Actions', () => {
    const doc = load('github-actions.yml');
    const jobs = doc['jobs'] as Record<string, Job>;
    const reset = jobs['reset']!;
    const merge = jobs['merge']!;
    const matrix = ((reset['strategy'] as Job)['matrix'] as Job)['shard'] as number[];
    const steps = (job: Job) => (job['steps'] as Array<{ run?: string }>).map((s) => s.run ?? '').join('\n');

    it('gives each matrix job its shard of the plan of one seed, whole', () => {
      const count = matrix.length;
      expect(matrix).to.deep.equal(Array.from({ length: count }, (_, i) => i + 1));
      const args = harnessCall(steps(reset), 'run').map((a) => a.replaceAll('${{matrix.shard}}', '1'));
      accepted('run', args);
      expect(args[args.indexOf('--shard') + 1]).to.equal(`1/${count}`);
      expect(args[args.indexOf('--seed') + 1], 'one seed for every shard of a workflow run').to.match(
        /\$\{\{github\.run_id\}\}/,
      );
      coversThePlan(requestOf(args), count);
    });

    it('runs a shard again only when it exits 125', () => {
      expect(steps(reset)).to.match(/\[ "\$rc" -ne 125 \] && break/);
      expect(steps(reset)).to.match(/for attempt in 1 2; do/);
    });

    it('merges every shard after all of them, whatever their verdicts', () => {
      const args = harnessCall(steps(merge), 'merge');
      accepted('merge', args);
      expect(args.filter((a) => a.startsWith('shard-'))).to.deep.equal(matrix.map((k) => `shard-${k}`));
      expect(merge['needs']).to.equal('reset');
      expect(merge['if']).to.equal('always()');
    });
  });

  it('a pipeline whose shards do not cover the plan fails the check', () => {
    const request = requestOf(['--repeat', '1']);
    const groups = new Set(planRuns(request).map((s) => `${s.scenario}/${s.repetition}`)).size;
    expect(() => coversThePlan(request, groups + 1)).to.throw();
  });
});
