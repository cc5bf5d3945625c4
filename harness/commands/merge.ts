// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset merge`: one report (JSON, JUnit, summary) from the shards of a CI matrix. */
import { kcidbOrigin } from '../report/kcidb.ts';
import type { ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeReport, REPORT_FORMAT, type CampaignReport } from '../report/report-format.ts';
import { writeCampaignReport } from '../report/write-report.ts';
import { FieldError } from '../lib/fields.ts';
import { closingLine, exitCodeOf } from '../judge/verdict.ts';
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

/** Where a report came from in a sharded campaign: its slice, and the plan every slice must share. */
function shardOf(report: CampaignReport, dir: string): { index: number; count: number; plan: string } {
  const { shard, ...plan } = report.request;
  const s = shard as { index?: unknown; count?: unknown } | undefined;
  if (typeof s?.index !== 'number' || typeof s.count !== 'number')
    throw new InputError(`${dir} is not a shard (its run had no --shard K/N); merge only the shards of one campaign`);
  return { index: s.index, count: s.count, plan: canonicalJson(plan) };
}

/**
 * The shards must be one campaign's, whole: the same plan (scenarios,
 * controls, patterns, signal, repetitions, seed) cut the same way, every
 * slice present. A merge of an incomplete set would report a verdict on a
 * campaign that did not run.
 */
function checkShardSet(reports: readonly CampaignReport[], dirs: readonly string[]): void {
  const shards = reports.map((r, i) => shardOf(r, dirs[i]!));
  const first = shards[0]!;
  const other = shards.findIndex((s) => s.plan !== first.plan || s.count !== first.count);
  if (other !== -1)
    throw new InputError(
      `${dirs[other]} is a shard of another plan (other scenarios, controls, seed or shard count than ${dirs[0]}); ` +
        'give every shard the same options and --seed',
    );
  const missing = Array.from({ length: first.count }, (_, i) => i + 1).filter(
    (index) => !shards.some((s) => s.index === index),
  );
  if (missing.length > 0)
    throw new InputError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${first.count}`).join(', ')} ` +
        'missing: merge every shard of the campaign',
    );
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
  checkShardSet(reports, dirs);
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
    // Its report ends with kcidb.json: a bad origin fails now, not after the runs.
    kcidbOrigin();
    if (values.output === undefined) throw new InputError('merge needs --output DIR for the merged report');
    const merged = await mergeReports(positionals);
    const outDir = resolve(values.output);
    const summary = await writeCampaignReport(outDir, merged);
    process.stdout.write(
      `${summary}\n\nmerged ${positionals.length} shards, ${merged.runs.length} runs: ${outDir}\n` +
        `${closingLine(merged.runs)}\n`,
    );
    return merged.exitCode;
  },
});
