// SPDX-License-Identifier: GPL-2.0-only
/** The files of a set of runs: report.json, junit.xml (CI), kcidb.json (KernelCI) and summary.txt (people). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { junitXml } from './junit.ts';
import type { CampaignReport } from './report-format.ts';
import { summaryTable } from './summary-table.ts';
import { kcidbOf, kcidbOrigin } from './kcidb.ts';

/** Writes the four files; returns the summary table it wrote. */
export async function writeCampaignReport(outDir: string, report: CampaignReport): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDir, 'junit.xml'), junitXml('vfio-reset', report.runs));
  await writeFile(join(outDir, 'kcidb.json'), `${JSON.stringify(kcidbOf(report, kcidbOrigin()), null, 2)}\n`);
  const summary = summaryTable(report.runs);
  await writeFile(join(outDir, 'summary.txt'), `${summary}\n`);
  return summary;
}
