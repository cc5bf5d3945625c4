// SPDX-License-Identifier: GPL-2.0-only
/**
 * KernelCI results (kcidb.json): valid KCIDB v5 by the project's reading of
 * its schema (specs/fixtures/kcidb-v5.schema.json, checked with ajv), and
 * never a FAIL for a run that decided nothing.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { repoRoot } from '../../harness/lib/paths.ts';
import { kcidbOf, kcidbOrigin, runPath, type KcidbReport } from '../../harness/report/kcidb.ts';
import type { CampaignReport, RunRecord } from '../../harness/report/report-format.ts';
import { InputError } from '../../harness/lib/errors.ts';
import { junitXml } from '../../harness/report/junit.ts';

const read = (path: string) => JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as unknown;
const ajv = new Ajv({ strict: true, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(read('specs/fixtures/kcidb-v5.schema.json') as object);
const errorsOf = (data: unknown) => (validate(data) ? [] : (validate.errors ?? []).map((e) => e.instancePath));

/** The recorded set of runs the report golden files come from (every verdict but not-applicable). */
const REPORT = read('specs/fixtures/golden/campaign/report.json') as CampaignReport;

describe('KernelCI results (kcidb.json)', () => {
  const kcidb: KcidbReport = kcidbOf(REPORT, 'vfio_reset');

  it('is KCIDB v5: one checkout, one build, a test per run and per oracle, all valid', () => {
    expect(errorsOf(kcidb)).to.deep.equal([]);
    expect(kcidb.version).to.deep.equal({ major: 5, minor: 0 });
    expect(kcidb.checkouts).to.have.length(1);
    expect(kcidb.builds).to.have.length(1);
    const runTests = kcidb.tests.filter((t) => REPORT.runs.some((r) => runPath(r) === t.path));
    expect(runTests).to.have.length(REPORT.runs.length);
    expect(new Set(kcidb.tests.map((t) => t.id)).size, 'ids are unique').to.equal(kcidb.tests.length);
    expect(kcidb.tests.every((t) => t.build_id === kcidb.builds[0]!['id'])).to.equal(true);
  });

  it('says PASS for a pass or a detected control, FAIL for a regression with its excerpt', () => {
    const statusOf = (r: RunRecord) => kcidb.tests.find((t) => t.id === `vfio_reset:${r.spec.seed}`)!;
    for (const r of REPORT.runs) {
      const t = statusOf(r);
      if (r.verdict.kind === 'pass' || r.verdict.kind === 'detected') expect(t.status, r.id).to.equal('PASS');
      if (r.verdict.kind === 'regression') {
        expect(t.status, r.id).to.equal('FAIL');
        expect(t.log_excerpt).to.include(r.verdict.reason);
      }
    }
    const passing = REPORT.runs.find((r) => r.verdict.kind === 'pass')!;
    const oracles = kcidb.tests.filter((t) => t.id.startsWith(`vfio_reset:${passing.spec.seed}.`));
    expect(oracles.map((t) => t.status)).to.deep.equal(passing.oracles.map(() => 'PASS'));
    expect(oracles.map((t) => t.path)).to.deep.equal(passing.oracles.map((o) => `${runPath(passing)}.${o.oracle}`));
  });

  it('never calls an undecided run FAIL: MISS before the kill, ERROR after it, with the reason', () => {
    const invalid = REPORT.runs.find((r) => r.verdict.kind === 'invalid')!;
    const before = { ...invalid, killWallClock: null, id: 'before' };
    const after = { ...invalid, killWallClock: 1_796_311_298_879, id: 'after' };
    const report = { ...REPORT, runs: [before, after] };
    const out = kcidbOf(report, 'vfio_reset');
    expect(errorsOf(out)).to.deep.equal([]);
    expect(out.tests.map((t) => t.status)).to.deep.equal(['MISS', 'ERROR']);
    for (const t of out.tests) expect(t.log_excerpt).to.include((invalid.verdict as { reason: string }).reason);
  });

  it('says SKIP for a pass whose oracles no detected control of its set proved, and for those oracles', () => {
    const passing = REPORT.runs.find((r) => r.verdict.kind === 'pass')!;
    const alone = kcidbOf({ ...REPORT, runs: [passing] }, 'vfio_reset');
    expect(errorsOf(alone)).to.deep.equal([]);
    const run = alone.tests.find((t) => t.id === `vfio_reset:${passing.spec.seed}`)!;
    expect(run.status).to.equal('SKIP');
    expect(run.log_excerpt).to.match(/^unproven: no detected control in this set shows that /);
    const oracles = alone.tests.filter((t) => t.id.startsWith(`vfio_reset:${passing.spec.seed}.`));
    // Skipped: the oracles the excerpt names, which a control could have proven under this run's pattern.
    const named = (t: { path: string }) => run.log_excerpt!.includes(t.path.split('.').at(-1)!);
    expect(oracles.filter((t) => t.status === 'SKIP')).to.have.length.above(0);
    for (const t of oracles) expect(t.status, t.path).to.equal(named(t) ? 'SKIP' : 'PASS');
    const xml = junitXml('vfio-reset', [passing]);
    expect(xml).to.match(/<skipped message="unproven: no detected control/);
    expect(xml).to.include('skipped="1"');
  });

  it('gives a control run its oracles as DONE with the count each saw', () => {
    const control = REPORT.runs.find((r) => r.verdict.kind === 'detected')!;
    const oracles = kcidb.tests.filter((t) => t.id.startsWith(`vfio_reset:${control.spec.seed}.`));
    expect(oracles.map((t) => t.status)).to.deep.equal(control.oracles.map(() => 'DONE'));
    expect(oracles.map((t) => t.number?.value)).to.deep.equal(control.oracles.map((o) => o.count));
  });

  it('the schema refuses what KCIDB refuses (its negative control)', () => {
    const test = kcidb.tests[0]!;
    const bad = (change: object) => errorsOf({ ...kcidb, tests: [{ ...test, ...change }] });
    expect(bad({ status: 'UNKNOWN' }).length).to.be.greaterThan(0);
    expect(bad({ origin: 'Not-An-Origin' }).length).to.be.greaterThan(0);
    expect(bad({ path: 'a path with spaces' }).length).to.be.greaterThan(0);
    expect(bad({ id: 'no-origin-prefix' }).length).to.be.greaterThan(0);
    expect(bad({ duration: null }).length).to.be.greaterThan(0);
    expect(bad({ log_excerpt: 'x'.repeat(16_385) }).length).to.be.greaterThan(0);
    expect(bad({ unknown_field: 1 }).length).to.be.greaterThan(0);
    expect(errorsOf({ ...kcidb, version: { major: 4, minor: 0 } }).length).to.be.greaterThan(0);
  });

  it('takes its origin from VFIO_RESET_KCIDB_ORIGIN, and refuses one KCIDB would not take', () => {
    expect(kcidbOrigin({})).to.equal('vfio_reset');
    expect(kcidbOrigin({ VFIO_RESET_KCIDB_ORIGIN: 'my_lab' })).to.equal('my_lab');
    expect(() => kcidbOrigin({ VFIO_RESET_KCIDB_ORIGIN: 'My-Lab' })).to.throw(InputError, /is not a KCIDB origin/);
  });
});
