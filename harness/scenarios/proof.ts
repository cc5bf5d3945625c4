// SPDX-License-Identifier: GPL-2.0-only
/**
 * Which oracles each negative control must make fire, per scenario and
 * traffic pattern, and whether a set of runs proved every oracle it relies
 * on. An oracle that no detected control made fire is untrusted: its
 * silence in a scenario run means nothing, and the set cannot pass.
 */
import type { OracleName } from '../oracles/finding.ts';
import type { Verdict } from '../judge/verdict.ts';
import {
  CONTROLS,
  TRAFFIC_PATTERNS,
  type ControlName,
  type RunSpec,
  type ScenarioName,
  type TrafficPattern,
} from './run-spec.ts';

/** Seen whenever a device left running gets frames: its DMA and IRQ line in L0, its IRQ count in L1. */
const DEVICE_ACTIVE: readonly OracleName[] = ['l0-dma-after-release', 'l0-irq-after-release', 'l1-vfio-irq-count'];
/** Seen when frames reach a device left running while no one has mapped the old IOVAs. */
const IOMMU_FAULTS: readonly OracleName[] = ['l0-smmu-faults', 'l1-smmu-events'];
/** What the next user sees of the device itself before it enables anything. */
const NEXT_USER: Readonly<Record<ScenarioName, readonly OracleName[]>> = {
  'raw-driver': ['user2-registers', 'user2-irqs'],
  vm: ['user2-gic-pending'],
};

/** The oracles each scenario judges by. */
export const SCENARIO_ORACLES: Readonly<Record<ScenarioName, readonly OracleName[]>> = {
  'raw-driver': [...DEVICE_ACTIVE, ...IOMMU_FAULTS, ...NEXT_USER['raw-driver'], 'user2-memory'],
  vm: [...DEVICE_ACTIVE, ...IOMMU_FAULTS, ...NEXT_USER.vm, 'user2-memory'],
};

type PerControl = Readonly<Record<ControlName, readonly OracleName[]>>;
type Table = Readonly<Record<ScenarioName, Readonly<Record<TrafficPattern, PerControl>>>>;

/** Both controls leave the device running after the release, one in the kernel, one in the device. */
const bothControls = (oracles: readonly OracleName[]): PerControl => ({
  'kernel-no-reset': oracles,
  'device-ignores-reset': oracles,
});

/**
 * With frames all through the window a device left running faults in the
 * IOMMU at once and spends the descriptors it held on faulting writes:
 * everything but the next user's memory sees it. With the network silent
 * until the next user has mapped its memory, the held descriptors take the
 * first frames into that memory, through valid translations: no SMMU fault
 * need be raised.
 */
const mustFireIn = (scenario: ScenarioName): Readonly<Record<TrafficPattern, PerControl>> => ({
  continuous: bothControls([...DEVICE_ACTIVE, ...IOMMU_FAULTS, ...NEXT_USER[scenario]]),
  'silent-until-reassigned': bothControls([...DEVICE_ACTIVE, ...NEXT_USER[scenario], 'user2-memory']),
});

export const MUST_FIRE: Table = { 'raw-driver': mustFireIn('raw-driver'), vm: mustFireIn('vm') };

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
