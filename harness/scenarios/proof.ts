// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which oracles each negative control must make fire, per scenario and
 * traffic pattern, and whether a set of runs proved every oracle it relies
 * on. An oracle that no detected control made fire is untrusted: its
 * silence in a scenario run means nothing, and the set cannot pass.
 */
import type { OracleName } from '../oracles/finding.ts';
import type { Verdict } from '../verdict.ts';
import {
  CONTROLS,
  TRAFFIC_PATTERNS,
  type ControlName,
  type RunSpec,
  type ScenarioName,
  type TrafficPattern,
} from './run-spec.ts';

/** The oracles each scenario judges by. */
export const SCENARIO_ORACLES: Readonly<Record<ScenarioName, readonly OracleName[]>> = {
  'raw-driver': [
    'l0-dma-after-release',
    'l0-irq-after-release',
    'l0-smmu-faults',
    'l1-smmu-events',
    'l1-vfio-irq-count',
    'user2-registers',
    'user2-irqs',
    'user2-memory',
  ],
  vm: [
    'l0-dma-after-release',
    'l0-irq-after-release',
    'l0-smmu-faults',
    'l1-smmu-events',
    'l1-vfio-irq-count',
    'user2-gic-pending',
    'user2-memory',
  ],
};

type Table = Readonly<
  Record<ScenarioName, Readonly<Record<TrafficPattern, Readonly<Record<ControlName, readonly OracleName[]>>>>>
>;

/**
 * With frames all through the window a device left running faults in the
 * IOMMU at once and spends the descriptors it held on faulting writes:
 * everything but the next user's memory sees it. With the network silent
 * until the next user has mapped its memory, the held descriptors take the
 * first frames into that memory, through valid translations: no SMMU fault
 * need be raised.
 */
export const MUST_FIRE: Table = {
  'raw-driver': {
    continuous: {
      'kernel-no-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l0-smmu-faults',
        'l1-smmu-events',
        'l1-vfio-irq-count',
        'user2-registers',
        'user2-irqs',
      ],
      'device-ignores-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l0-smmu-faults',
        'l1-smmu-events',
        'l1-vfio-irq-count',
        'user2-registers',
        'user2-irqs',
      ],
    },
    'silent-until-reassigned': {
      'kernel-no-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l1-vfio-irq-count',
        'user2-registers',
        'user2-irqs',
        'user2-memory',
      ],
      'device-ignores-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l1-vfio-irq-count',
        'user2-registers',
        'user2-irqs',
        'user2-memory',
      ],
    },
  },
  vm: {
    continuous: {
      'kernel-no-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l0-smmu-faults',
        'l1-smmu-events',
        'l1-vfio-irq-count',
        'user2-gic-pending',
      ],
      'device-ignores-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l0-smmu-faults',
        'l1-smmu-events',
        'l1-vfio-irq-count',
        'user2-gic-pending',
      ],
    },
    'silent-until-reassigned': {
      'kernel-no-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l1-vfio-irq-count',
        'user2-gic-pending',
        'user2-memory',
      ],
      'device-ignores-reset': [
        'l0-dma-after-release',
        'l0-irq-after-release',
        'l1-vfio-irq-count',
        'user2-gic-pending',
        'user2-memory',
      ],
    },
  },
};

export function mustFire(
  spec: Pick<RunSpec, 'scenario' | 'pattern'> & { readonly control: ControlName },
): readonly OracleName[] {
  return MUST_FIRE[spec.scenario][spec.pattern][spec.control];
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
export function unprovenOracles(
  runs: ReadonlyArray<{ readonly spec: RunSpec; readonly verdict: Verdict }>,
): Unproven[] {
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
    const missing = SCENARIO_ORACLES[scenario].filter((o) => provable.has(o) && !proven.has(o));
    if (missing.length > 0) out.push({ scenario, oracles: missing });
  }
  return out;
}
