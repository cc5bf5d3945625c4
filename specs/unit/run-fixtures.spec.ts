// SPDX-License-Identifier: GPL-2.0-only
/**
 * The rules that turn evidence into a verdict, over trimmed directories of
 * real runs (specs/fixtures/runs, made by specs/fixtures/trim-run.ts): each
 * is judged again and must give the verdict and oracle results the harness
 * gave it when it ran (expected.json, the golden file).
 */
import { expect } from 'chai';
import { readFile, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { asRunDir, RUN_FIXTURES } from '../support.ts';
import { loadEvidence } from '../../harness/judge/evidence.ts';
import { judgeRun } from '../../harness/judge/judge.ts';
import { PARTIAL_CONTROLS } from '../../harness/plan/run-spec.ts';

/** The traffic patterns as fixture directories name them. */
const TRAFFIC_PATTERN_NAMES = ['continuous', 'silent'] as const;

const FIXTURES = RUN_FIXTURES;

describe('verdicts of recorded runs, judged again from their evidence', () => {
  const names = readdirSync(FIXTURES).sort();

  it(
    'has, for both scenarios, a pass and every control, whole and partial, under both traffic patterns, ' +
      'a crash and an infrastructure failure',
    () => {
      const partial = ['raw-driver', 'vm'].flatMap((scenario) =>
        PARTIAL_CONTROLS.flatMap((control) => TRAFFIC_PATTERN_NAMES.map((p) => `${scenario}-${control}-${p}`)),
      );
      for (const want of [
        ...partial,
        'raw-driver-pass-continuous',
        'raw-driver-pass-silent',
        'raw-driver-kernel-no-reset-continuous',
        'raw-driver-kernel-no-reset-silent',
        'raw-driver-device-ignores-reset-continuous',
        'raw-driver-device-ignores-reset-silent',
        'vm-pass-continuous',
        'vm-pass-silent',
        'vm-kernel-no-reset-continuous',
        'vm-kernel-no-reset-silent',
        'vm-device-ignores-reset-continuous',
        'vm-device-ignores-reset-silent',
        'raw-driver-crash-on-release',
        'vm-crash-on-release',
        'raw-driver-l0-qemu-killed',
        'vm-l0-qemu-killed',
      ]) {
        expect(names, want).to.include(want);
      }
    },
  );

  for (const name of names) {
    it(name, async () => {
      const fixture = join(FIXTURES, name);
      const expected = JSON.parse(await readFile(join(fixture, 'expected.json'), 'utf8'));
      const dir = await asRunDir(fixture);
      try {
        const { evidence, logs } = await loadEvidence(dir);
        const judged = judgeRun(evidence, logs);
        expect({ verdict: judged.verdict, oracles: judged.oracles }).to.deep.equal(expected);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
