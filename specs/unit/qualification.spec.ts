// SPDX-License-Identifier: GPL-2.0-only
/** The vendor report: flake statistics per scenario and control, and the SVG timeline drawn from a real trace. */
import { expect } from 'chai';
import { mkdtemp, copyFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { groupStats, killCoverage, killCoverageLine, qualificationHtml } from '../../harness/report/qualification.ts';
import { timelineSvg } from '../../harness/report/timeline-svg.ts';
import { parseTrace } from '../../harness/trace/l0-trace.ts';
import { repoRoot } from '../../harness/lib/paths.ts';
import type { RunRecord } from '../../harness/report/report-format.ts';
import type { Verdict } from '../../harness/judge/verdict.ts';
import type { Provenance } from '../../harness/report/provenance.ts';

const FIXTURE = join(repoRoot, 'specs/fixtures/traces/l0-unmap.log');
// The recorded trace's first fault is at 1795534324.489473 s: call that the kill.
const KILL = 1795534324489.473;

function run(
  scenario: 'raw-driver' | 'vm',
  control: RunRecord['spec']['control'],
  verdict: Verdict,
  dir = '/nonexistent',
  killStates: RunRecord['killStates'] = ['idle'],
): RunRecord {
  return {
    id: `${scenario}+${control}`,
    spec: { scenario, control, pattern: 'continuous', signal: 'KILL', seed: 's', repetition: 1 },
    verdict,
    oracles: [
      {
        oracle: 'l0-dma-after-release',
        vantage: 'L0',
        fired: verdict.kind !== 'pass',
        count: 3,
        first: null,
        looked: 'x',
      },
    ],
    user1: { frames: 50, irqs: 50, payloadsVerified: 50, live: true },
    timeline: { kill: 0, 'user1-exit': 30, 'user2-done': 5000 },
    killWallClock: KILL,
    killStates,
    phases: [],
    dir,
    seconds: 7,
    notes: [],
    errorTail: null,
  };
}

describe('qualification report', () => {
  it('counts verdicts per scenario and control, the misclassified runs, and flags mixed verdicts as flaky', () => {
    const stats = groupStats([
      run('raw-driver', 'none', { kind: 'pass' }),
      run('raw-driver', 'none', { kind: 'invalid', reason: 'x' }),
      run('raw-driver', 'kernel-no-reset', { kind: 'detected' }),
      run('raw-driver', 'kernel-no-reset', { kind: 'detected' }),
    ]);
    expect(stats).to.have.length(2);
    expect(stats[0]).to.deep.include({
      scenario: 'raw-driver',
      control: 'none',
      runs: 2,
      expected: 'pass',
      misclassified: 1,
      flaky: true,
    });
    expect(stats[1]).to.deep.include({
      control: 'kernel-no-reset',
      expected: 'detected',
      misclassified: 0,
      flaky: false,
    });
  });

  it('counts, per scenario, the runs whose kill landed in each state, and the runs that cannot tell', () => {
    const coverage = killCoverage([
      run('raw-driver', 'none', { kind: 'pass' }, '/x', ['rx-mid-frame', 'irq-unacked']),
      run('raw-driver', 'kernel-no-reset', { kind: 'detected' }, '/x', ['rx-mid-frame']),
      run('raw-driver', 'none', { kind: 'invalid', reason: 'x' }, '/x', null),
      run('vm', 'none', { kind: 'pass' }, '/x', ['idle']),
    ]);
    expect(coverage).to.deep.equal([
      {
        scenario: 'raw-driver',
        runs: 3,
        states: { 'rx-mid-frame': 2, 'tx-mid-ring': 0, 'irq-unacked': 1, 'rx-ring-exhausted': 0, idle: 0 },
        unknown: 1,
      },
      {
        scenario: 'vm',
        runs: 1,
        states: { 'rx-mid-frame': 0, 'tx-mid-ring': 0, 'irq-unacked': 0, 'rx-ring-exhausted': 0, idle: 1 },
        unknown: 0,
      },
    ]);
    expect(killCoverageLine(coverage[0]!)).to.equal(
      'raw-driver: 3 runs killed in rx-mid-frame 2, tx-mid-ring 0, irq-unacked 1, rx-ring-exhausted 0, idle 0, ' +
        'unknown 1',
    );
  });

  it('draws DMA translated and faulted, the IRQ line and SMMU faults around the kill from the trace', () => {
    const svg = timelineSvg(parseTrace(readFileSync(FIXTURE, 'utf8')), {
      killAt: KILL,
      marks: { kill: 0, 'user1-exit': 30 },
    });
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.include('fill="#2b7bb9"');
    expect(svg).to.include('fill="#d9480f"');
    expect(svg).to.include('stroke="#862e9c"');
    expect(svg).to.include('kill +0 ms');
  });

  it(
    'renders one self-contained HTML page: ' + 'verdict, statistics, environment, a timeline per scenario and control',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-qual-'));
      try {
        await copyFile(FIXTURE, join(dir, 'l0-trace.log'));
        const provenance = {
          harness: { revision: 'abc', dirty: false, argv: [] },
          host: { hostname: 'h', kernel: '6.1', arch: 'x64', node: 'v20' },
          l0Qemu: {
            binary: '/q',
            version: 'QEMU emulator version 10.0.13',
            origin: {
              kind: 'built',
              sourceVersion: '1:10.0.13+ds-0+deb13u1',
              patches: { 'a.patch': 'f'.repeat(64) },
              key: 'k',
            },
          },
          kernel: {
            source: { kind: 'debian-package' },
            release: '6.12.95-vfio-reset',
            cacheKey: 'k',
            fragments: { 'base.config': 'a'.repeat(64) },
            patches: {},
          },
          images: {
            debianBase: { key: 'b', packages: { 'qemu-system-arm': '1:7.2' } },
            agents: 'a',
            l2Initramfs: 'l',
            l1Image: 'i',
          },
        } as unknown as Provenance;
        const html = await qualificationHtml(
          [
            run('raw-driver', 'none', { kind: 'pass' }, dir),
            run('raw-driver', 'device-ignores-reset', { kind: 'detected' }, dir),
          ],
          provenance,
          0,
        );
        expect(html).to.match(/^<!doctype html>/);
        expect(html).to.include('QUALIFIED');
        expect(html).to.include('Where the kills landed');
        expect(html.match(/<svg/g)).to.have.length(2);
        expect(html).to.include('1:10.0.13+ds-0+deb13u1');
        expect(html).to.not.match(/<script|<link|src="http/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
