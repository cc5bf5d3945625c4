// SPDX-License-Identifier: GPL-2.0-only
/**
 * The product, for real: both scenarios on the default kernel pass under
 * both traffic patterns, and every negative control (the kernel's reset
 * handler removed; a device that ignores the reset; one that keeps its
 * transmitter, its receiver or its interrupt sources through it) is
 * detected by every oracle that must see the hazard there, stale DMA into
 * the next user's memory included. Artifacts of every run are kept in the run directory.
 * The runs are those of the shared `qualify --repeat 1` (qualified-campaign.ts).
 */
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { qualifiedCampaign, type QualifiedCampaign } from './qualified-campaign.ts';
import { mustFire } from '../../harness/plan/proof.ts';
import { oraclesOf } from '../../harness/plan/scenarios.ts';
import { CONTROLS, TRAFFIC_PATTERNS } from '../../harness/plan/run-spec.ts';
import { QEMU_PATCH_DIR } from '../../harness/recipes/qemu.ts';
import { TARGET_FILES, type TargetFinding } from '../../harness/scenarios/target-runner.ts';
import { TARGET_FINDINGS_FILE } from '../../harness/scenarios/raw-driver.ts';
import { TARGET_ORACLES } from '../../harness/plan/target-plan.ts';

describe('reset scenarios: raw VFIO driver and VM killed, device reassigned (integration)', function () {
  this.timeout(30 * 60 * 1000);
  let outDir: string;
  let result: QualifiedCampaign;

  before(async () => {
    result = await qualifiedCampaign();
    outDir = result.outDir;
  });

  const run = (scenario: string, control: string, pattern = 'continuous') =>
    result.runs.find((r) => r.spec.scenario === scenario && r.spec.control === control && r.spec.pattern === pattern)!;

  it(
    'raw-driver passes on the default kernel: user #1 had live DMA and IRQs, ' +
      'then no oracle saw anything after the release',
    () => {
      const r = run('raw-driver', 'none');
      expect(r.verdict, JSON.stringify(r.verdict)).to.deep.equal({ kind: 'pass' });
      expect(r.user1!.frames).to.be.at.least(50);
      expect(r.user1!.irqs).to.be.greaterThan(0);
      expect(r.user1!.payloadsVerified).to.equal(r.user1!.frames);
      expect(r.oracles.map((o) => o.oracle)).to.have.members([...oraclesOf('raw-driver')]);
      expect(r.notes).to.include('L1 logged the vfio-platform reset');
      // User #1 transmitted all its life: its own frames, run-keyed, reached the wire before the kill.
      const sent = r.notes
        .map((n) => /^user #1 sent (\d+) frames of its own/.exec(n)?.[1])
        .find((n) => n !== undefined);
      expect(Number(sent), r.notes.join('; ')).to.be.at.least(10);
    },
  );

  it(
    "vm passes on the default kernel: VM #1's driver had traffic and IRQs, " +
      'VM #2 saw nothing pending and no payload',
    () => {
      const r = run('vm', 'none');
      expect(r.verdict, JSON.stringify(r.verdict)).to.deep.equal({ kind: 'pass' });
      expect(r.user1!.frames).to.be.at.least(50);
      expect(r.user1!.irqs).to.be.greaterThan(0);
      expect(r.oracles.map((o) => o.oracle)).to.include.members(['user2-gic-pending', 'user2-memory']);
    },
  );

  for (const scenario of ['raw-driver', 'vm'] as const) {
    it(`${scenario} passes under the silent-until-reassigned pattern too`, () => {
      const r = run(scenario, 'none', 'silent-until-reassigned');
      expect(r.verdict, JSON.stringify(r.verdict)).to.deep.equal({ kind: 'pass' });
    });
    for (const pattern of TRAFFIC_PATTERNS) {
      for (const control of CONTROLS) {
        it(`${scenario}, ${pattern}: detects the ${control} control with every oracle that must see it`, () => {
          const r = run(scenario, control, pattern);
          expect(r.verdict, JSON.stringify(r.verdict)).to.deep.equal({ kind: 'detected' });
          for (const name of mustFire({ scenario, control, pattern })) {
            const o = r.oracles.find((x) => x.oracle === name)!;
            expect(o.fired, name).to.equal(true);
          }
          // A transmitter left running where user #1 kept its ring full sends the next user's memory.
          if (scenario === 'raw-driver' && control !== 'device-keeps-rx' && control !== 'device-keeps-irq')
            expect(r.oracles.find((o) => o.oracle === 'wire-leak')!.first!.detail).to.match(
              /canary blocks of the next user's memory, from IOVA 0x1[0-9a-f]{7} /,
            );
          // A device left armed but idle does nothing: its registers alone show it.
          if (control === 'device-keeps-tx' || control === 'device-keeps-irq') return;
          if (pattern === 'continuous') {
            const accesses = r.oracles
              .filter((o) => o.oracle === 'l0-dma-after-release' || o.oracle === 'l0-dma-read-after-release')
              .reduce((n, o) => n + o.count, 0);
            expect(accesses, 'DMA accesses after the release, reads and writes').to.be.greaterThan(100);
          } else {
            // The hazard itself: this run's frames, written with the old user's descriptors into the next user's
            // memory.
            expect(r.oracles.find((o) => o.oracle === 'user2-memory')!.first!.detail).to.match(/frame payload seq \d+/);
          }
        });
      }
    }
  }

  it(
    'exits 0 and writes report.json (with everything needed to rerun), ' + "junit.xml and every run's artifacts",
    async () => {
      expect(result.exitCode).to.equal(0);
      const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8'));
      expect(report.provenance.l0Qemu.origin.sourceVersion).to.match(/^1:10\.0\./);
      // Every patch of the series, by name (each with its hash), and nothing else.
      const series = (await readdir(QEMU_PATCH_DIR)).filter((n) => n.endsWith('.patch')).sort();
      expect(series.length).to.be.at.least(15);
      expect(Object.keys(report.provenance.l0Qemu.origin.patches).sort()).to.deep.equal(series);
      expect(report.provenance.kernel.source.kind).to.equal('debian-package');
      expect(report.provenance.kernel.fragments).to.have.property('vfio-platform.config');
      expect(
        report.runs.map((r: { spec: { seed: string } }) => r.spec.seed).every((s: string) => s.length > 0),
      ).to.equal(true);
      expect(await readFile(join(outDir, 'junit.xml'), 'utf8')).to.match(
        /<testsuites name="vfio-reset" tests="24" failures="0" errors="0"/,
      );
      for (const r of result.runs) {
        const agents =
          r.spec.scenario === 'vm'
            ? ['vm1.console.log', 'vm2.console.log']
            : ['user1.jsonl', 'user2.jsonl', TARGET_FILES.stream, TARGET_FILES.ktap, TARGET_FINDINGS_FILE];
        for (const artifact of [
          'l1.console.log',
          'l1.cmdline',
          'l0-trace.log',
          ...agents,
          'dmesg.txt',
          'evidence.json',
          'result.json',
        ]) {
          expect((await readFile(join(r.dir, artifact))).length, `${r.id}/${artifact}`).to.be.greaterThan(0);
        }
      }
    },
  );

  it('runs raw-driver under the on-target runner, which judges every L1 oracle as the harness does', async () => {
    const raw = result.runs.filter((r) => r.spec.scenario === 'raw-driver');
    // The scenario and every control, under both traffic patterns.
    expect(raw).to.have.length(2 * (1 + CONTROLS.length));
    for (const r of raw) {
      const findings = JSON.parse(await readFile(join(r.dir, TARGET_FINDINGS_FILE), 'utf8')) as TargetFinding[];
      expect(
        findings.map((f) => f.oracle),
        r.id,
      ).to.deep.equal(TARGET_ORACLES.applied);
      for (const f of findings) {
        const harness = r.oracles.find((o) => o.oracle === f.oracle)!;
        expect({ fired: f.fired, count: f.count }, `${r.id}: ${f.oracle}, runner against harness`).to.deep.equal({
          fired: harness.fired,
          count: harness.count,
        });
      }
      const ktap = await readFile(join(r.dir, TARGET_FILES.ktap), 'utf8');
      expect(ktap, r.id).to.match(/^KTAP version 1\n1\.\.1\n/);
      // The harness's controls are its own: the runner's subtest says which cycle it ran.
      const subtest = r.spec.control === 'kernel-no-reset' ? 'control.kernel-no-reset' : 'scenario.raw-driver';
      expect(ktap, r.id).to.include(`    # Subtest: ${subtest}\n`);
    }
  });
});
