// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset qualify` for real, one repetition: the vendor's report is written, complete and readable. */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { qualifiedCampaign } from './qualified-campaign.ts';
import { repoRoot } from '../../harness/lib/paths.ts';
import type { KcidbReport } from '../../harness/report/kcidb.ts';

describe('vfio-reset qualify (integration)', function () {
  this.timeout(30 * 60 * 1000);

  it(
    'runs every scenario and control, exits 0, ' + 'and writes qualification.html/json, report.json and junit.xml',
    async () => {
      const { outDir: output, ...r } = await qualifiedCampaign();
      expect(r.exitCode, r.stdout).to.equal(0);
      expect(r.stdout).to.match(/raw-driver \(continuous\): 1\/1 as expected/);
      expect(r.stdout).to.match(/vm\+device-ignores-reset \(silent-until-reassigned\): 1\/1 as expected/);
      const stats = JSON.parse(await readFile(join(output, 'qualification.json'), 'utf8'));
      expect(stats.groups).to.have.length(24);
      expect(stats.groups.every((g: { misclassified: number }) => g.misclassified === 0)).to.equal(true);
      const html = await readFile(join(output, 'qualification.html'), 'utf8');
      expect(html).to.include('QUALIFIED');
      expect(html.match(/<svg/g)).to.have.length(24);
      expect(html).to.match(/Debian qemu 1:10\.0\./);
      expect(await readFile(join(output, 'junit.xml'), 'utf8')).to.match(/tests="24" failures="0" errors="0"/);
    },
  );

  it('writes kcidb.json that KCIDB v5 takes: a test per run and per oracle, an undecided run never FAIL', async () => {
    const { outDir, runs } = await qualifiedCampaign();
    const kcidb = JSON.parse(await readFile(join(outDir, 'kcidb.json'), 'utf8')) as KcidbReport;
    const ajv = new Ajv({ strict: true, allErrors: true });
    addFormats.default(ajv);
    const schema = JSON.parse(await readFile(join(repoRoot, 'specs/fixtures/kcidb-v5.schema.json'), 'utf8'));
    const validate = ajv.compile(schema as object);
    expect(validate(kcidb), JSON.stringify(validate.errors)).to.equal(true);
    const perOracle = runs.reduce((n, r) => n + (r.verdict.kind === 'invalid' ? 0 : r.oracles.length), 0);
    expect(kcidb.tests).to.have.length(runs.length + perOracle);
    expect(kcidb.tests.filter((t) => t.status === 'PASS').length).to.be.greaterThan(0);
  });
});
