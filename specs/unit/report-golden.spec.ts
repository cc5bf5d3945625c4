// SPDX-License-Identifier: GPL-2.0-only
/**
 * The published files of a recorded set of runs: the 29 trimmed real runs
 * (specs/fixtures/runs), judged again and written as report.json,
 * junit.xml and summary.txt by the production code, must equal their
 * golden files. A change to the report format, to CI's view of a run or
 * to the table people read shows up in review as a diff.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadEvidence } from '../../harness/judge/evidence.ts';
import { exitCodeOf } from '../../harness/judge/verdict.ts';
import { resultOf } from '../../harness/judge/run-result.ts';
import { decodeReport, REPORT_FORMAT, runRecordOf, type CampaignReport } from '../../harness/report/report-format.ts';
import type { Provenance } from '../../harness/report/provenance.ts';
import { writeCampaignReport } from '../../harness/report/write-report.ts';
import { asRunDir, matchesGolden, RUN_FIXTURES } from '../support.ts';

/** A stack's record as a run on the default kernel writes it, fixed so that the golden files stay put. */
const PROVENANCE: Provenance = {
  harness: { revision: '0'.repeat(40), dirty: false, argv: ['vfio-reset', 'run'] },
  host: { hostname: 'ci', kernel: '6.1.0-28-amd64', arch: 'x64', node: 'v20.20.2' },
  l0Qemu: {
    binary: '/cache/qemu/bin/qemu-system-aarch64',
    version: 'QEMU emulator version 10.0.13',
    origin: { kind: 'built', cacheKey: 'qemu-0123' },
  } as unknown as Provenance['l0Qemu'],
  kernel: {
    source: {
      kind: 'debian-package',
      package: 'linux-source-6.12',
      version: '6.12.95-1~bpo12+1',
      tarball: '/usr/src/linux-source-6.12.tar.xz',
      tarballSha256: 'ab'.repeat(32),
    },
    release: '6.12.95-vfio-reset',
    cacheKey: 'kernel-0123',
    fragments: {},
    patches: {},
  } as unknown as Provenance['kernel'],
  images: {
    debianBase: { key: 'debian-base-0123', packages: {} },
    agents: 'a',
    dropbear: { key: 'dropbear-0123', sourceVersion: '2022.83-1+deb12u3' },
    l2Initramfs: 'i',
    l1Image: 'l',
  },
};

describe('the report of a recorded set of runs', function () {
  this.timeout(30_000);
  let out: string;
  let report: CampaignReport;

  before(async () => {
    const records = [];
    for (const name of readdirSync(RUN_FIXTURES).sort()) {
      const dir = await asRunDir(join(RUN_FIXTURES, name));
      try {
        const { evidence } = await loadEvidence(dir);
        const result = await resultOf(name, evidence, dir);
        records.push(runRecordOf({ ...result, dir: `specs/fixtures/runs/${name}` }));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    report = {
      format: REPORT_FORMAT,
      created: '2026-12-03T00:00:00.000Z',
      request: { recorded: 'specs/fixtures/runs' },
      timing: {},
      provenance: PROVENANCE,
      exitCode: exitCodeOf(records),
      runs: records,
    };
    out = await mkdtemp(join(tmpdir(), 'vfio-reset-golden-report-'));
    await writeCampaignReport(out, report);
  });
  after(() => rm(out, { recursive: true, force: true }));

  for (const file of ['report.json', 'junit.xml', 'summary.txt', 'kcidb.json'])
    it(`writes ${file} as its golden file`, async () => {
      await matchesGolden(`campaign/${file}`, await readFile(join(out, file), 'utf8'));
    });

  it('reads its own report.json back as it was written', async () => {
    const text = await readFile(join(out, 'report.json'), 'utf8');
    expect(decodeReport(JSON.parse(text))).to.deep.equal(JSON.parse(text));
    // A crash in the release path is among the runs: the set is a regression.
    expect(report.exitCode).to.equal(1);
  });
});
