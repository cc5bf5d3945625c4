// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset merge`: one report (JSON, JUnit, summary) from the shards of a CI matrix. */
import type { ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeReport, REPORT_FORMAT, type CampaignReport } from '../report/report-format.ts';
import { writeCampaignReport } from '../report/write-report.ts';
import { FieldError } from '../lib/fields.ts';
import { exitCodeOf } from '../judge/verdict.ts';
import { canonicalJson } from '../cache/digest.ts';
import { InputError } from '../lib/errors.ts';
import { defineCommand } from './command.ts';

const OPTIONS = {
  output: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** What must be equal for shards to belong to one campaign: the same kernel, QEMU and images. */
function stackIdentity(report: CampaignReport): string {
  const p = report.provenance;
  return canonicalJson({ qemu: p.l0Qemu.origin, kernel: p.kernel.cacheKey, images: p.images });
}

export async function mergeReports(dirs: readonly string[]): Promise<CampaignReport> {
  const reports: CampaignReport[] = [];
  for (const dir of dirs) {
    const path = join(dir, 'report.json');
    const text = await readFile(path, 'utf8').catch(() => {
      throw new InputError(`${path} does not exist; pass the artifact directories of 'run --shard K/N'`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new InputError(`${path} is not valid JSON (${(error as Error).message}); was the shard cut short?`);
    }
    let report: CampaignReport;
    try {
      report = decodeReport(json);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      throw new InputError(`${path} is not a report of this harness version: ${error.message}; merge its own shards`);
    }
    reports.push(report);
  }
  const first = reports[0];
  if (first === undefined) throw new InputError('merge needs at least one shard directory');
  const different = reports.find((r) => stackIdentity(r) !== stackIdentity(first));
  if (different !== undefined)
    throw new InputError('the shards ran on different kernels, QEMUs or images; merge only shards of one campaign');
  const runs = reports.flatMap((r) => r.runs);
  const ids = new Set<string>();
  for (const r of runs) {
    if (ids.has(r.id)) throw new InputError(`run ${r.id} appears in two shards; were the same shards given twice?`);
    ids.add(r.id);
  }
  return {
    format: REPORT_FORMAT,
    created: new Date().toISOString(),
    request: { merged: dirs.map((d) => resolve(d)) },
    timing: first.timing,
    provenance: first.provenance,
    exitCode: exitCodeOf(runs),
    runs,
  };
}

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: "merge the report.json and junit.xml of 'run --shard K/N' shards into one",
  usage: `usage: vfio-reset merge --output DIR SHARD_DIR...

Writes DIR/report.json, DIR/junit.xml and DIR/summary.txt for all the shards'
runs, and exits with the code of the whole: 0 good, 1 regression, 125 undecided.
`,
  options: OPTIONS,
  positionals: true,
  async run({ values, positionals }) {
    if (values.output === undefined) throw new InputError('merge needs --output DIR for the merged report');
    const merged = await mergeReports(positionals);
    const outDir = resolve(values.output);
    const summary = await writeCampaignReport(outDir, merged);
    process.stdout.write(`${summary}\n\nmerged ${positionals.length} shards, ${merged.runs.length} runs: ${outDir}\n`);
    return merged.exitCode;
  },
});
