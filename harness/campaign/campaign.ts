// SPDX-License-Identifier: GPL-2.0-only
/**
 * A set of runs (scenarios, then negative controls, repeated) on one built
 * stack, each in a directory of its own, with report.json, junit.xml and a
 * summary table for the whole set. Up to `jobs` runs go at once, each with
 * its own L1, ports, sockets, frame source and directory; the report keeps
 * the plan's order whatever order they finish in.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScenario } from '../scenarios/run-scenario.ts';
import type { RunResult } from '../judge/run-result.ts';
import { runId } from '../plan/run-spec.ts';
import { checkPlan, type CampaignRequest } from './plan.ts';
import { inParallel } from './jobs.ts';
import { hostL1s, takeL1Slot } from '../machines/l1-slots.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';
import { SCENARIO_RECORDS } from '../plan/scenarios.ts';
import { provenanceOf, type Provenance } from '../report/provenance.ts';
import { REPORT_FORMAT, runRecordOf, type CampaignReport, type RunRecord } from '../report/report-format.ts';
import { writeCampaignReport } from '../report/write-report.ts';
import { exitCodeOf } from '../judge/verdict.ts';
import { harnessKey } from '../machines/ssh.ts';
import type { Stack } from '../recipes/stack.ts';
import type { Progress } from '../lib/progress.ts';

export interface CampaignResult {
  readonly runs: readonly RunRecord[];
  /** Runs of the plan not started because a regression had decided the set (stopAtRegression). */
  readonly notStarted: number;
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
  jobs = 1,
): Promise<CampaignResult> {
  await mkdir(outDir, { recursive: true });
  const sshKey = await harnessKey(cacheRoot);
  const specs = checkPlan(request);
  const provenance = await provenanceOf(stack, argv);
  let decided = false;
  const runOne = async (i: number): Promise<RunResult | null> => {
    const spec = specs[i]!;
    // Side by side, a run's lines say which run they are.
    const own: Progress = jobs === 1 ? progress : (line) => progress(`[${i + 1}/${specs.length}] ${line}`);
    // Up to the host's L1s, or this campaign's --jobs if it asked for more.
    await using _slot = await takeL1Slot(cacheRoot, Math.max(jobs, hostL1s()), own);
    if (decided) return null;
    const dir = join(outDir, runId(spec));
    await mkdir(dir, { recursive: true });
    progress(`run ${i + 1}/${specs.length}: ${runId(spec)}`);
    const result = await runScenario({ stack, sshKey, dir, spec, progress: own });
    await writeFile(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    const reason = 'reason' in result.verdict ? ` (${result.verdict.reason})` : '';
    progress(`run ${i + 1}/${specs.length}: ${runId(spec)}: ${result.verdict.kind}${reason}`);
    decided ||= request.stopAtRegression === true && result.verdict.kind === 'regression';
    return result;
  };
  const runs = (await inParallel(specs.length, jobs, runOne)).filter((r): r is RunResult => r !== null);
  const notStarted = specs.length - runs.length;
  if (notStarted > 0) progress(`${notStarted} of ${specs.length} runs not started: a regression decided the set`);
  const report: CampaignReport = {
    format: REPORT_FORMAT,
    created: new Date().toISOString(),
    request: { ...request },
    timing: {
      cycle: CYCLE_TIMING,
      scenarios: Object.fromEntries(Object.values(SCENARIO_RECORDS).map((s) => [s.name, s.timing])),
      jobs,
    },
    provenance,
    exitCode: exitCodeOf(runs),
    runs: runs.map(runRecordOf),
  };
  const summary = await writeCampaignReport(outDir, report);
  return { runs: report.runs, notStarted, exitCode: report.exitCode, summary, provenance };
}
