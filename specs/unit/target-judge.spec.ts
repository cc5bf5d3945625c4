// SPDX-License-Identifier: GPL-2.0-only
/**
 * The on-target runner's rules (guest-agents/target-oracles.c) and the
 * harness's (harness/oracles/) are one judgement: every recorded raw-driver
 * run that reached its judgement is judged by both, from the same files,
 * and every oracle the runner applies must agree in whether it fired and
 * how much it counted. The runner's side is guest-agents/tests/target-replay,
 * built natively, which reads user #2's reports and the kernel's log as
 * the runner reads them live.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asRunDir, RUN_FIXTURES } from '../support.ts';
import { AGENT_DIR, generatedHeaders } from '../../harness/recipes/agents.ts';
import { EVIDENCE_FILES, loadEvidence } from '../../harness/judge/evidence.ts';
import { judgeRun } from '../../harness/judge/judge.ts';
import { XGMAC_PROFILE } from '../../harness/devices/xgmac.ts';
import { INSTANCE } from '../../harness/plan/layout.ts';
import { TARGET_ORACLES } from '../../harness/plan/target-plan.ts';
import type { OracleName } from '../../harness/plan/oracles.ts';

interface Finding {
  readonly oracle: OracleName;
  readonly fired: boolean;
  readonly count: number;
}

describe("the on-target runner's judgement against the harness's, on recorded runs", function () {
  this.timeout(60_000);
  let tools: string;
  /** Per fixture, the runner's and the harness's findings of the oracles the runner applies. */
  const judged = new Map<string, { runner: Finding[]; harness: Finding[] }>();

  before(async () => {
    tools = await mkdtemp(join(tmpdir(), 'vfio-reset-replay-'));
    for (const [name, text] of Object.entries(generatedHeaders())) await writeFile(join(tools, name), text);
    const made = await execa('make', ['-s', '-C', AGENT_DIR, 'tools', `OUT=${tools}`, `GEN=${tools}`], {
      reject: false,
      all: true,
    });
    if (made.exitCode !== 0) throw new Error(`make tools failed:\n${made.all}`);
    for (const name of readdirSync(RUN_FIXTURES).filter((n) => n.startsWith('raw-driver-'))) {
      const dir = await asRunDir(join(RUN_FIXTURES, name));
      try {
        const { evidence, logs } = await loadEvidence(dir);
        // Only a cycle that reached user #2's last report and both counts is judged by the runner.
        if (evidence.user2 === null || evidence.irqCounts === null || evidence.failure !== null) continue;
        const user2 = join(dir, 'user2-reports.jsonl');
        await writeFile(user2, evidence.user2.map((e) => JSON.stringify(e)).join('\n') + '\n');
        const count = (n: number | null) => String(n ?? -1);
        const replay = await execa(join(tools, 'host', 'target-replay'), [
          String(XGMAC_PROFILE.sidBase + INSTANCE),
          count(evidence.irqCounts.atRelease),
          count(evidence.irqCounts.during),
          user2,
          join(dir, EVIDENCE_FILES.dmesgAfterKill),
        ]);
        const runner = replay.stdout.split('\n').map((l) => JSON.parse(l) as Finding);
        const oracles = judgeRun(evidence, logs).oracles;
        const harness = TARGET_ORACLES.applied.map((oracle) => {
          const { fired, count } = oracles.find((o) => o.oracle === oracle)!;
          return { oracle, fired, count };
        });
        judged.set(name, { runner, harness });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  after(() => rm(tools, { recursive: true, force: true }));

  it('judges every raw-driver fixture whose run passed or was detected', () => {
    const decided = readdirSync(RUN_FIXTURES).filter((name) => {
      const expected = JSON.parse(readFileSync(join(RUN_FIXTURES, name, 'expected.json'), 'utf8')) as {
        verdict: { kind: string };
      };
      return name.startsWith('raw-driver-') && ['pass', 'detected'].includes(expected.verdict.kind);
    });
    expect(decided.length, 'the passes and both controls under both patterns').to.be.at.least(6);
    expect([...judged.keys()].sort()).to.deep.equal(decided.sort());
  });

  it('sees every oracle it applies both fire and stay silent among them', () => {
    for (const oracle of TARGET_ORACLES.applied) {
      const fired = [...judged.values()].map((j) => j.harness.find((f) => f.oracle === oracle)?.fired);
      expect(fired, oracle).to.include(true).and.to.include(false);
    }
  });

  it('agrees with the harness on every oracle: fired, and its count', () => {
    for (const [name, { runner, harness }] of judged) expect(runner, name).to.deep.equal(harness);
  });
});
