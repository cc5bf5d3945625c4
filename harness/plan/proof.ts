// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which oracles each negative control must make fire, per scenario and
 * traffic pattern, and whether a set of runs proved every oracle it relies
 * on. An oracle that no detected control made fire is untrusted: its
 * silence in a scenario run means nothing, and the set cannot pass.
 */
import type { OracleName } from './oracles.ts';
import { CONTROLS, TRAFFIC_PATTERNS, type ControlName, type RunSpec, type ScenarioName } from './run-spec.ts';
import { CONTROL_RECORDS } from './controls.ts';
import { oraclesOf } from './scenarios.ts';

export function mustFire(
  spec: Pick<RunSpec, 'scenario' | 'pattern'> & { readonly control: ControlName },
): readonly OracleName[] {
  return CONTROL_RECORDS[spec.control].mustFire(spec.scenario, spec.pattern);
}

/** What proof needs of a judged run: its spec and its verdict's kind (the judge owns the verdict itself). */
export interface JudgedSpec {
  readonly spec: RunSpec;
  readonly verdict: { readonly kind: string };
}

export interface Unproven {
  readonly scenario: ScenarioName;
  readonly oracles: readonly OracleName[];
}

/**
 * For each scenario that has a pass in `runs`: the oracles that some
 * control could have proven under the traffic patterns run, but no control
 * run that was detected did.
 */
export function unprovenOracles(runs: readonly JudgedSpec[]): Unproven[] {
  const out: Unproven[] = [];
  const scenarios = [...new Set(runs.filter((r) => r.verdict.kind === 'pass').map((r) => r.spec.scenario))];
  for (const scenario of scenarios) {
    const patterns = TRAFFIC_PATTERNS.filter((p) =>
      runs.some((r) => r.spec.scenario === scenario && r.spec.pattern === p),
    );
    const provable = new Set(
      patterns.flatMap((pattern) => CONTROLS.flatMap((control) => mustFire({ scenario, pattern, control }))),
    );
    const proven = new Set(
      runs.flatMap((r) =>
        r.spec.scenario === scenario && r.spec.control !== 'none' && r.verdict.kind === 'detected'
          ? mustFire({ ...r.spec, control: r.spec.control })
          : [],
      ),
    );
    const missing = oraclesOf(scenario).filter((o) => provable.has(o) && !proven.has(o));
    if (missing.length > 0) out.push({ scenario, oracles: missing });
  }
  return out;
}
