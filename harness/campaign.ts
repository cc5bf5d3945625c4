// SPDX-License-Identifier: GPL-2.0-only
/**
 * A set of runs (scenarios, then negative controls, repeated) on one built
 * stack, each in a directory of its own, with report.json, junit.xml and a
 * summary table for the whole set.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runRawDriver } from './scenarios/raw-driver.ts';
import { runVm } from './scenarios/vm.ts';
import type { RunResult } from './scenarios/cycle.ts';
import {
  runId,
  type ControlName,
  type KillSignal,
  type RunSpec,
  type ScenarioName,
  type TrafficPattern,
} from './scenarios/run-spec.ts';
import { RAW_DRIVER_TIMING } from './scenarios/raw-driver.ts';
import { CYCLE_TIMING } from './scenarios/cycle.ts';
import { provenanceOf, type Provenance } from './report/provenance.ts';
import { InputError } from './errors.ts';
import { junitXml } from './report/junit.ts';
import { summaryTable } from './report/summary-table.ts';
import { exitCodeOf } from './verdict.ts';
import { harnessKey } from './machines/ssh.ts';
import type { Stack } from './stack.ts';
import type { Progress } from './progress.ts';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export interface CampaignRequest {
  readonly scenarios: readonly ScenarioName[];
  readonly controls: readonly ControlName[];
  readonly patterns: readonly TrafficPattern[];
  readonly signal: KillSignal;
  readonly repeat: number;
  readonly seed: string;
  /** Run only every count-th run of the plan, starting at index (CI matrices). */
  readonly shard?: Shard;
}

/** Parses "K/N" (1 <= K <= N). */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (m === null) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && index <= count ? { index, count } : null;
}

/**
 * The runs of a campaign, or of one shard of it. A shard takes whole
 * groups (one scenario with all its traffic patterns and controls, one
 * repetition), so that every shard that passes a scenario also shows its
 * controls detected.
 */
export function planRuns(request: CampaignRequest): RunSpec[] {
  const all = planAllRuns(request);
  const shard = request.shard;
  if (shard === undefined) return all;
  const groups = [...new Set(all.map(groupOf))];
  return all.filter((spec) => groups.indexOf(groupOf(spec)) % shard.count === shard.index - 1);
}

/** The runs of the request; an InputError when they are none (a shard beyond the plan). */
export function checkPlan(request: CampaignRequest): RunSpec[] {
  const specs = planRuns(request);
  if (specs.length === 0)
    throw new InputError(
      `shard ${request.shard?.index}/${request.shard?.count} has no runs: ` +
        'the plan has fewer groups (scenario x repetition) than shards',
    );
  return specs;
}

const groupOf = (spec: RunSpec) => `${spec.scenario}/r${spec.repetition}`;

function planAllRuns(request: CampaignRequest): RunSpec[] {
  const specs: RunSpec[] = [];
  for (let repetition = 1; repetition <= request.repeat; repetition++) {
    for (const scenario of request.scenarios) {
      for (const pattern of request.patterns) {
        for (const control of ['none', ...request.controls] as const) {
          const spec = { scenario, control, pattern, signal: request.signal, repetition, seed: '' };
          specs.push({ ...spec, seed: `${request.seed}/${runId(spec)}` });
        }
      }
    }
  }
  return specs;
}

export interface CampaignResult {
  readonly runs: readonly RunResult[];
  readonly exitCode: number;
  readonly summary: string;
  readonly provenance: Provenance;
}

export async function runCampaign(
  stack: Stack,
  cacheRoot: string,
  request: CampaignRequest,
  outDir: string,
  argv: readonly string[],
  progress: Progress,
): Promise<CampaignResult> {
  await mkdir(outDir, { recursive: true });
  const sshKey = await harnessKey(cacheRoot);
  const runs: RunResult[] = [];
  const specs = checkPlan(request);
  const provenance = await provenanceOf(stack, argv);
  for (const [i, spec] of specs.entries()) {
    const dir = join(outDir, runId(spec));
    await mkdir(dir, { recursive: true });
    progress(`run ${i + 1}/${specs.length}: ${runId(spec)}`);
    const result = await (spec.scenario === 'vm' ? runVm : runRawDriver)({ stack, sshKey, dir, spec, progress });
    await writeFile(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    const reason = 'reason' in result.verdict ? ` (${result.verdict.reason})` : '';
    progress(`run ${i + 1}/${specs.length}: ${runId(spec)}: ${result.verdict.kind}${reason}`);
    runs.push(result);
  }
  const report: CampaignReport = {
    format: REPORT_FORMAT,
    created: new Date().toISOString(),
    request,
    timing: { cycle: CYCLE_TIMING, rawDriver: RAW_DRIVER_TIMING },
    provenance,
    exitCode: exitCodeOf(runs),
    runs,
  };
  return writeCampaignReport(outDir, report);
}

/** 2: runs have a traffic pattern, verdicts may be not-applicable, every run has its evidence.json. */
export const REPORT_FORMAT = 'vfio-reset-report/2';

export interface CampaignReport {
  readonly format: typeof REPORT_FORMAT;
  readonly created: string;
  readonly request: CampaignRequest | { readonly merged: readonly string[] };
  readonly timing: unknown;
  readonly provenance: Provenance;
  readonly exitCode: number;
  readonly runs: readonly RunResult[];
}

/** report.json, junit.xml and summary.txt of a set of runs. */
export async function writeCampaignReport(outDir: string, report: CampaignReport): Promise<CampaignResult> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDir, 'junit.xml'), junitXml('vfio-reset', report.runs));
  const summary = summaryTable(report.runs);
  await writeFile(join(outDir, 'summary.txt'), `${summary}\n`);
  return { runs: report.runs, exitCode: report.exitCode, summary, provenance: report.provenance };
}
