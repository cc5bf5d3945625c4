// SPDX-License-Identifier: GPL-2.0-only
/** Sharding a campaign over CI runners and merging the shards' reports. */
import { expect } from 'chai';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseShard, planRuns, shardFromCi, type CampaignRequest } from '../../harness/campaign/plan.ts';
import { REPORT_FORMAT } from '../../harness/report/report-format.ts';
import { mergeReports } from '../../harness/commands/merge.ts';
import { runId } from '../../harness/plan/run-spec.ts';
import { InputError } from '../../harness/lib/errors.ts';
import { rejectionOf } from '../support.ts';

const REQUEST: CampaignRequest = {
  scenarios: ['raw-driver', 'vm'],
  controls: ['kernel-no-reset', 'device-ignores-reset'],
  patterns: ['continuous', 'silent-until-reassigned'],
  signal: 'KILL',
  repeat: 3,
  seed: 'seed',
};

describe('sharding', () => {
  it('parses K/N and refuses anything else', () => {
    expect(parseShard('2/4')).to.deep.equal({ index: 2, count: 4 });
    expect(parseShard('0/4')).to.equal(null);
    expect(parseShard('5/4')).to.equal(null);
    expect(parseShard('two')).to.equal(null);
  });

  it("takes a GitLab parallel job's shard from CI_NODE_INDEX/CI_NODE_TOTAL, its seed from CI_PIPELINE_ID", () => {
    expect(shardFromCi({})).to.equal(null);
    expect(shardFromCi({ CI_NODE_TOTAL: '1' }), 'a job without parallel:').to.equal(null);
    expect(shardFromCi({ CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4', CI_PIPELINE_ID: '9001' })).to.deep.equal({
      shard: { index: 2, count: 4 },
      seed: 'gitlab-pipeline-9001',
    });
    expect(shardFromCi({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '2' })).to.deep.equal({
      shard: { index: 1, count: 2 },
      seed: null,
    });
    for (const env of [{ CI_NODE_INDEX: '3' }, { CI_NODE_INDEX: '5', CI_NODE_TOTAL: '4' }, { CI_NODE_INDEX: 'x' }])
      expect(() => shardFromCi(env), JSON.stringify(env))
        .to.throw(InputError)
        .with.property('message')
        .that.matches(/^CI_NODE_INDEX=\S+ and CI_NODE_TOTAL=\S+ are not a shard K\/N/);
  });

  it('splits the plan into disjoint shards that together are the whole plan, with the same seeds', () => {
    const all = planRuns(REQUEST);
    expect(all).to.have.length(2 * 2 * 3 * 3);
    const shards = [1, 2, 3, 4].map((index) => planRuns({ ...REQUEST, shard: { index, count: 4 } }));
    const ids = shards.flat().map(runId).sort();
    expect(ids).to.deep.equal(all.map(runId).sort());
    expect(new Set(ids).size).to.equal(ids.length);
    expect(shards.flat().find((s) => runId(s) === runId(all[5]!))?.seed).to.equal(all[5]!.seed);
  });

  it('aims every run of a plan at the state asked for, and names it in the run id and so in the seed', () => {
    const aimed = planRuns({ ...REQUEST, killAt: 'irq-unacked' });
    expect(aimed.every((s) => s.killAt === 'irq-unacked')).to.equal(true);
    expect(runId(aimed[0]!)).to.equal('raw-driver-continuous-sigKILL-at-irq-unacked-r1');
    expect(aimed[0]!.seed).to.equal('seed/raw-driver-continuous-sigKILL-at-irq-unacked-r1');
    expect(planRuns(REQUEST).some((s) => 'killAt' in s)).to.equal(false);
  });
});

describe('merging shard reports', () => {
  let dir: string;
  const provenance = {
    harness: { revision: 'r', dirty: false, argv: [] },
    host: { hostname: 'h', kernel: 'k', arch: 'x64', node: 'v20' },
    l0Qemu: { origin: { kind: 'given' } },
    kernel: { cacheKey: 'k1' },
    images: { l1Image: 'i' },
  };
  const run = (id: string, kind: string) => ({
    id,
    spec: { scenario: 'raw-driver', control: 'none', signal: 'KILL', pattern: 'continuous', seed: 's', repetition: 1 },
    verdict: kind === 'regression' ? { kind, reason: 'r' } : { kind },
    oracles: [
      { oracle: 'l0-irq-after-release', vantage: 'L0', fired: false, count: 0, first: null, looked: 'the trace' },
    ],
    user1: { frames: 10, irqs: 10, payloadsVerified: 10, live: true },
    timeline: { kill: 0, 'user1-exit': 12 },
    killWallClock: 1,
    killStates: ['rx-mid-frame'],
    phases: [{ name: 'boot', seconds: 3 }],
    seconds: 1,
    dir: '/x',
    notes: [],
    errorTail: null,
  });
  async function shard(name: string, runs: unknown[], slice = '1/1', kernel = 'k1', seed = 's'): Promise<string> {
    const [index, count] = slice.split('/').map(Number);
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    await writeFile(
      join(d, 'report.json'),
      JSON.stringify({
        format: REPORT_FORMAT,
        provenance: { ...provenance, kernel: { cacheKey: kernel } },
        created: '2026-12-03T00:00:00.000Z',
        request: { repeat: 1, seed, shard: { index, count } },
        exitCode: 0,
        runs,
        timing: {},
      }),
    );
    return d;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vfio-reset-merge-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('concatenates the runs and recomputes the exit code over all of them', async () => {
    const merged = await mergeReports([
      await shard('a', [run('r1', 'pass')], '1/2'),
      await shard('b', [run('r2', 'regression')], '2/2'),
    ]);
    expect(merged.runs.map((r) => r.id)).to.deep.equal(['r1', 'r2']);
    expect(merged.exitCode).to.equal(1);
  });

  it('refuses shards of different stacks, the same shard twice, and a directory without a report', async () => {
    const a = await shard('a', [run('r1', 'pass')], '1/2');
    const other = await shard('b', [run('r2', 'pass')], '2/2', 'k2');
    expect((await rejectionOf(mergeReports([a, other]))).message).to.match(/different kernels/);
    expect((await rejectionOf(mergeReports([a, a]))).message).to.match(/appears in two shards/);
    const missing = await rejectionOf(mergeReports([join(dir, 'nope')]));
    expect(missing).to.be.instanceOf(InputError);
    expect(missing.message).to.match(/report\.json does not exist/);
  });

  it('refuses a report whose run lacks a field or has a verdict it does not know, naming it', async () => {
    const { verdict: _, ...noVerdict } = run('r1', 'pass');
    const lacking = await rejectionOf(mergeReports([await shard('a', [noVerdict])]));
    expect(lacking).to.be.instanceOf(InputError);
    expect(lacking.message).to.match(/a\/report\.json .*run 1: field verdict is missing/);
    const unknown = await rejectionOf(
      mergeReports([await shard('b', [{ ...run('r2', 'pass'), verdict: { kind: 'ok' } }])]),
    );
    expect(unknown.message).to.match(/run 1 verdict: field kind is "ok", not one of pass, detected/);
    const torn = await rejectionOf(mergeReports([await shard('c', [{ ...run('r3', 'pass'), seconds: 'NaN' }])]));
    expect(torn.message).to.match(/run 1: field seconds is not a number/);
  });

  it('refuses an incomplete set of shards, shards of another plan, and a report that is not a shard', async () => {
    const first = await shard('a', [run('r1', 'pass')], '1/3');
    const third = await shard('c', [run('r3', 'pass')], '3/3');
    expect((await rejectionOf(mergeReports([first, third]))).message).to.equal(
      'shard 2/3 missing: merge every shard of the campaign',
    );
    const otherSeed = await shard('b', [run('r2', 'pass')], '2/3', 'k1', 'another');
    expect((await rejectionOf(mergeReports([first, otherSeed, third]))).message).to.match(
      /b is a shard of another plan .*give every shard the same options and --seed$/,
    );
    const otherCount = await shard('d', [run('r4', 'pass')], '2/4');
    expect((await rejectionOf(mergeReports([first, otherCount, third]))).message).to.match(
      /d is a shard of another plan/,
    );
    const whole = await shard('e', [run('r5', 'pass')]);
    await writeFile(
      join(whole, 'report.json'),
      (await readFile(join(whole, 'report.json'), 'utf8')).replace(/,"shard":\{[^}]*\}/, ''),
    );
    expect((await rejectionOf(mergeReports([whole]))).message).to.match(
      /e is not a shard \(its run had no --shard K\/N\)/,
    );
    const complete = await shard('b2', [run('r2', 'pass')], '2/3');
    expect((await mergeReports([third, first, complete])).runs.map((r) => r.id)).to.deep.equal(['r3', 'r1', 'r2']);
  });

  it('leaves the shards untouched', async () => {
    const a = await shard('a', [run('r1', 'pass')]);
    const before = await readFile(join(a, 'report.json'), 'utf8');
    await mergeReports([a]);
    expect(await readFile(join(a, 'report.json'), 'utf8')).to.equal(before);
  });
});
