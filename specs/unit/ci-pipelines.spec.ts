// SPDX-License-Identifier: GPL-2.0-only
/**
 * The example pipelines in examples/ci/ (GitLab CI, GitHub Actions): they
 * parse, their shards together are the plan of the command they run, every
 * command line they give the harness is one it accepts, and only an
 * undecided shard (exit 125) or a runner failure is ever retried.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../harness/lib/paths.ts';
import { COMMANDS } from '../../harness/commands/commands.ts';
import { planRuns, type CampaignRequest } from '../../harness/campaign/plan.ts';
import { runId } from '../../harness/plan/run-spec.ts';
import { RUN_OPTIONS, runRequestOf } from '../../harness/commands/run.ts';

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

/** The plan `run` makes of a command line in `env`, by the command's own argument handling. */
function requestOf(args: readonly string[], env: NodeJS.ProcessEnv = {}): CampaignRequest {
  const { values } = parseArgs({ args: [...args], options: RUN_OPTIONS, strict: true });
  return runRequestOf(values, env, () => {});
}

/** The shards are disjoint, none is empty, and together they are the plan of `whole`. */
function coversThePlan(whole: CampaignRequest, shards: readonly CampaignRequest[]): void {
  expect(whole.shard, 'the whole plan is not a shard').to.equal(undefined);
  const plans = shards.map((s) => planRuns(s).map(runId));
  for (const [i, p] of plans.entries()) expect(p.length, `shard ${i + 1}/${shards.length}`).to.be.greaterThan(0);
  expect(plans.flat().sort()).to.deep.equal(planRuns(whole).map(runId).sort());
}

const numbered = <T>(count: number, f: (k: number) => T) => Array.from({ length: count }, (_, i) => f(i + 1));

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
      const ci = (k: number) => ({ CI_NODE_INDEX: String(k), CI_NODE_TOTAL: String(shards), CI_PIPELINE_ID: '7' });
      coversThePlan(
        requestOf(args),
        numbered(shards, (k) => requestOf(args, ci(k))),
      );
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
      const call = harnessCall(steps(reset), 'run');
      const argsOf = (k: number) => call.map((a) => a.replaceAll('${{matrix.shard}}', String(k)));
      accepted('run', argsOf(1));
      expect(argsOf(1)[argsOf(1).indexOf('--shard') + 1]).to.equal(`1/${count}`);
      expect(argsOf(1)[argsOf(1).indexOf('--seed') + 1], 'one seed for every shard of a workflow run').to.match(
        /\$\{\{github\.run_id\}\}/,
      );
      const whole = argsOf(1).filter((_, i, all) => all[i] !== '--shard' && all[i - 1] !== '--shard');
      coversThePlan(
        requestOf(whole),
        numbered(count, (k) => requestOf(argsOf(k))),
      );
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
    const count = groups + 1;
    expect(() =>
      coversThePlan(
        request,
        numbered(count, (index) => ({ ...request, shard: { index, count } })),
      ),
    ).to.throw();
    expect(() => coversThePlan(request, [request, request])).to.throw();
  });
});
