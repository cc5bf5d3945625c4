// SPDX-License-Identifier: GPL-2.0-only
/**
 * From the oracles' results to one verdict per run, and from the runs to
 * one exit code. A scenario passes only if every oracle saw nothing. A
 * control (the hazard made on purpose) counts only if every oracle that
 * must see the hazard there fired; otherwise the oracles cannot be trusted
 * and the run is invalid, never green. A set of runs passes only if every
 * oracle its scenarios rely on was proven by a detected control.
 */
import type { OracleName } from '../plan/oracles.ts';
import type { OracleResult } from '../oracles/finding.ts';
import type { RunSpec } from '../plan/run-spec.ts';
import { unprovenOracles } from '../plan/proof.ts';
import { EXIT } from '../lib/exit-codes.ts';

export type Verdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'regression'; readonly reason: string }
  | { readonly kind: 'detected' }
  /** A control this kernel cannot host, for a reason known and named (not a failure). */
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export function scenarioVerdict(oracles: readonly OracleResult[]): Verdict {
  const fired = oracles.filter((o) => o.fired);
  if (fired.length === 0) return { kind: 'pass' };
  const first = fired[0]!;
  const when = first.first?.tRelMs != null ? ` at +${first.first.tRelMs} ms` : '';
  return {
    kind: 'regression',
    reason:
      `${fired.map((o) => o.oracle).join(', ')} saw the device active after release; ` +
      `first: ${first.oracle}${when}: ${first.first?.detail ?? ''}`,
  };
}

/** `mustFire`: the oracles that can see the hazard in this scenario and traffic pattern. */
export function controlVerdict(oracles: readonly OracleResult[], mustFire: readonly OracleName[]): Verdict {
  const silentOnes = mustFire.filter((name) => !oracles.some((o) => o.oracle === name && o.fired));
  if (silentOnes.length === 0) return { kind: 'detected' };
  return {
    kind: 'invalid',
    reason: `negative control not detected by ${silentOnes.join(', ')}: those oracles cannot be trusted`,
  };
}

export interface JudgedRun {
  readonly spec: RunSpec;
  readonly verdict: Verdict;
}

/**
 * One exit code for a set of runs: a regression is evidence on its own;
 * otherwise any invalid run, or an oracle no detected control proved,
 * means "could not decide".
 */
export function exitCodeOf(runs: readonly JudgedRun[]): number {
  if (runs.some((r) => r.verdict.kind === 'regression')) return EXIT.regression;
  return undecidedBecause(runs) === null ? EXIT.good : EXIT.undecided;
}

/** Why a set of runs without a regression decides nothing (exit 125), in one line; null when it decides. */
export function undecidedBecause(runs: readonly JudgedRun[]): string | null {
  if (runs.some((r) => r.verdict.kind === 'regression')) return null;
  if (!runs.some((r) => r.verdict.kind === 'pass'))
    return 'no scenario run passed (only controls, or only runs that decided nothing)';
  const invalid = runs.filter((r) => r.verdict.kind === 'invalid').length;
  if (invalid > 0) return `${invalid} of ${runs.length} runs decided nothing (INVALID: see each one's reason)`;
  const unproven = unprovenOracles(runs);
  if (unproven.length > 0)
    return (
      'no detected negative control shows that these oracles can see a hazard, so their silence proves nothing: ' +
      `${unproven.map((u) => `${u.scenario}: ${u.oracles.join(', ')}`).join('; ')} (run the controls too)`
    );
  return null;
}

/**
 * For each pass in `runs`, why it cannot stand as a pass on its own: the
 * oracles its scenario judges by that no detected control of the set
 * proved (their silence means nothing), else null. A per-run view (JUnit,
 * KCIDB) then says what the set's exit code already says.
 */
export function unprovenPasses(runs: readonly JudgedRun[]): (run: JudgedRun) => UnprovenPass | null {
  const unproven = new Map(unprovenOracles(runs).map((u) => [u.scenario, u.oracles]));
  return (run) => {
    const oracles = run.verdict.kind === 'pass' ? unproven.get(run.spec.scenario) : undefined;
    if (oracles === undefined) return null;
    return {
      oracles,
      reason:
        `unproven: no detected control in this set shows that ${oracles.join(', ')} can see a hazard, ` +
        'so their silence proves nothing (run the controls too)',
    };
  };
}

export interface UnprovenPass {
  readonly oracles: readonly OracleName[];
  readonly reason: string;
}

/** The last line of a command that judged runs: its exit code and what it means, or why it decides nothing. */
export function closingLine(runs: readonly JudgedRun[]): string {
  const regressions = runs.filter((r) => r.verdict.kind === 'regression').length;
  if (regressions > 0) return `exit ${EXIT.regression}: a reset regression (${regressions} of ${runs.length} runs)`;
  const why = undecidedBecause(runs);
  return why === null ? `exit ${EXIT.good}: good` : `exit ${EXIT.undecided}, undecided: ${why}`;
}
