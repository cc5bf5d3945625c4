// SPDX-License-Identifier: GPL-2.0-only
/**
 * The windows sized by evidence: the rule the cycle uses is the one the
 * first events on record give (specs/fixtures/first-events.json, from
 * specs/tools/first-events.ts over real runs), and a window ends on its
 * frames and floor, or at its bound.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveWindowRules, WINDOW_MARGIN, WINDOW_RULES, type FirstEventSample } from '../../harness/plan/windows.ts';
import { keepWindowOpen } from '../../harness/scenarios/evidence-window.ts';
import type { TraceFollower } from '../../harness/trace/trace-follower.ts';
import { repoRoot } from '../../harness/lib/paths.ts';

const fixture = JSON.parse(readFileSync(join(repoRoot, 'specs/fixtures/first-events.json'), 'utf8')) as {
  runs: number;
  samples: FirstEventSample[];
};

/** A trace whose frames arrive every `everyMs` from `start` on (never, if null). */
function fakeTrace(start: number, everyMs: number | null): TraceFollower {
  return {
    refresh: async () => {},
    framesSince: (_instance: number, from: number) =>
      everyMs === null ? 0 : Math.max(0, Math.floor((Date.now() - Math.max(start, from)) / everyMs)),
    close: async () => {},
  } as unknown as TraceFollower;
}

describe('windows sized by evidence', () => {
  it('uses the rule the first events on record give', () => {
    expect(fixture.runs).to.be.greaterThan(100);
    expect(WINDOW_RULES).to.deep.equal(deriveWindowRules(fixture.samples));
  });

  it('has on record the first events of every oracle each window times, in both scenarios', () => {
    const seen = (window: string, scenario: string, oracle: string) =>
      fixture.samples.some(
        (s) => s.window === window && s.oracle === oracle && s.run.split('/').at(-1)!.startsWith(scenario),
      );
    for (const scenario of ['raw-driver', 'vm'])
      for (const oracle of ['l0-dma-after-release', 'l0-irq-after-release', 'l0-smmu-faults', 'l1-smmu-events'])
        expect(seen('quiet', scenario, oracle), `${scenario} ${oracle}`).to.equal(true);
    expect(seen('user2', 'raw-driver', 'l0-dma-after-release')).to.equal(true);
  });

  it('waits the margin past the slowest first event: a later one on record makes the windows longer', () => {
    const slowest = Math.max(...fixture.samples.filter((s) => s.window === 'quiet').map((s) => s.latencyMs));
    const later: FirstEventSample = {
      run: 'made-up',
      window: 'quiet',
      oracle: 'l1-smmu-events',
      latencyMs: slowest + 100,
      frames: WINDOW_RULES.quiet.frames,
    };
    const rules = deriveWindowRules([...fixture.samples, later]);
    expect(rules.quiet.floorMs).to.be.at.least(WINDOW_MARGIN * (slowest + 100));
    expect(rules.quiet.frames).to.equal(WINDOW_MARGIN * WINDOW_RULES.quiet.frames);
    expect(rules.user2).to.deep.equal(WINDOW_RULES.user2);
  });

  it('ends a window once its frames reached the device and its floor passed', async () => {
    const opened = Date.now();
    const end = await keepWindowOpen({ frames: 5, floorMs: 20, maxMs: 2000 }, fakeTrace(opened, 10), 0, opened, true);
    expect(end.endedBy).to.equal('evidence');
    expect(end.frames).to.be.at.least(5);
    expect(end.ms).to.be.within(50, 1000);
  });

  it('runs a window to its bound when no frame reaches the device, and says so', async () => {
    const opened = Date.now();
    const end = await keepWindowOpen({ frames: 5, floorMs: 20, maxMs: 150 }, fakeTrace(opened, null), 0, opened, true);
    expect(end).to.include({ endedBy: 'bound', frames: 0 });
    expect(end.ms).to.be.at.least(150);
  });

  it('ends a window without frames at its floor where none are meant to flow', async () => {
    const opened = Date.now();
    const end = await keepWindowOpen(
      { frames: 5, floorMs: 40, maxMs: 2000 },
      fakeTrace(opened, null),
      0,
      opened,
      false,
    );
    expect(end.endedBy).to.equal('evidence');
    expect(end.ms).to.be.within(40, 1000);
  });
});
