/**
 * From the oracles' results to one verdict per run, and from the runs to
 * one exit code. A scenario passes only if every oracle saw nothing. A
 * control (the hazard made on purpose) counts only if every oracle that
 * can see the hazard fired; otherwise the oracles cannot be trusted and
 * the run is invalid, never green.
 */
import type { OracleName, OracleResult } from './oracles/finding.ts';
import { EXIT } from './exit-codes.ts';

export type Verdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'regression'; readonly reason: string }
  | { readonly kind: 'detected' }
  | { readonly kind: 'invalid'; readonly reason: string };

export function scenarioVerdict(oracles: readonly OracleResult[]): Verdict {
  const fired = oracles.filter((o) => o.fired);
  if (fired.length === 0) return { kind: 'pass' };
  const first = fired[0]!;
  const when = first.first?.tRelMs != null ? ` at +${first.first.tRelMs} ms` : '';
  return {
    kind: 'regression',
    reason: `${fired.map((o) => o.oracle).join(', ')} saw the device active after release; first: ${first.oracle}${when}: ${first.first?.detail ?? ''}`,
  };
}

/** `mustFire`: the oracles that can see the hazard in this scenario (the scenario says which). */
export function controlVerdict(oracles: readonly OracleResult[], mustFire: readonly OracleName[]): Verdict {
  const silentOnes = mustFire.filter((name) => !oracles.some((o) => o.oracle === name && o.fired));
  if (silentOnes.length === 0) return { kind: 'detected' };
  return { kind: 'invalid', reason: `negative control not detected by ${silentOnes.join(', ')}: those oracles cannot be trusted` };
}

/** One exit code for a set of runs: a regression is evidence on its own; otherwise any invalid run means "could not decide". */
export function exitCodeOf(verdicts: readonly Verdict[]): number {
  if (verdicts.some((v) => v.kind === 'regression')) return EXIT.regression;
  // Nothing ran, or every pass is unconfirmed by any detected control: nothing was decided.
  if (verdicts.length === 0 || (verdicts.some((v) => v.kind === 'pass') && !verdicts.some((v) => v.kind === 'detected'))) return EXIT.undecided;
  if (verdicts.some((v) => v.kind === 'invalid')) return EXIT.undecided;
  return EXIT.good;
}
