// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a run's result is, as the campaign and the reports read it: the
 * judgement of the run's directory and the facts the report shows beside it.
 * Made from what the run wrote, exactly as a later re-judging would.
 */
import type { OracleResult } from '../oracles/finding.ts';
import type { KillState } from '../plan/kill-states.ts';
import type { RunSpec } from '../plan/run-spec.ts';
import { loadEvidence, type CycleEvidence, type User1Evidence } from './evidence.ts';
import { INSTANCE } from '../plan/layout.ts';
import { judgeRun, type Judgement } from './judge.ts';
import { killStatesOf } from './kill-state.ts';
import type { Verdict } from './verdict.ts';

export interface RunResult {
  readonly id: string;
  readonly spec: RunSpec;
  readonly verdict: Verdict;
  readonly oracles: readonly OracleResult[];
  readonly user1: User1Evidence | null;
  /** Instants relative to the kill (ms). */
  readonly timeline: Record<string, number>;
  /** Wall-clock ms of the kill (the L0 trace's clock), null if the run never got there. */
  readonly killWallClock: number | null;
  /** The device's states at the kill, from the L0 trace; null without a kill or a trace. */
  readonly killStates: readonly KillState[] | null;
  readonly phases: ReadonlyArray<{ name: string; seconds: number }>;
  readonly dir: string;
  readonly seconds: number;
  readonly notes: readonly string[];
  /** For a run that failed on the way, or crashed the kernel: the lines of the log or console that show why. */
  readonly errorTail: string | null;
}

/** Named instants relative to `anchor` (ms); none if the run never got there. */
function relativeTo(marks: Readonly<Record<string, number>>, anchor: string): Record<string, number> {
  const zero = marks[anchor];
  return zero === undefined ? {} : Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, Math.round(v - zero)]));
}

/** Judged from what was written, exactly as a later re-judging of the directory would. */
export async function resultOf(id: string, evidence: CycleEvidence, dir: string): Promise<RunResult> {
  const loaded = await loadEvidence(dir).catch((error: Error) => error);
  const judgement: Judgement =
    loaded instanceof Error
      ? {
          verdict: { kind: 'invalid', reason: `the run's evidence could not be read: ${loaded.message}` },
          oracles: [],
          tail: null,
        }
      : judgeRun(loaded.evidence, loaded.logs);
  const killAt = evidence.marks['kill'];
  const trace = loaded instanceof Error || loaded.logs instanceof Error ? null : loaded.logs.trace;
  return {
    id,
    spec: evidence.spec,
    verdict: judgement.verdict,
    oracles: judgement.oracles,
    user1: evidence.user1,
    timeline: relativeTo(evidence.marks, 'kill'),
    killWallClock: killAt ?? null,
    killStates: killAt === undefined || trace === null ? null : killStatesOf(trace, INSTANCE, killAt),
    phases: evidence.phases,
    dir,
    seconds: Math.round((evidence.endedAt - evidence.startedAt) / 100) / 10,
    notes: evidence.notes,
    errorTail: judgement.tail,
  };
}
