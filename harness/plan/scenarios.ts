// SPDX-License-Identifier: GPL-2.0-only
/**
 * The scenarios, one record each, as the controls are: who user #1 and
 * user #2 are, the oracles the scenario judges by, and how long its users
 * may take. The engine (harness/scenarios/) gives each record its users;
 * adding a scenario is adding a record here and its users there.
 */
import { DEVICE_ACTIVE, DEVICE_SENDING, DEVICE_STATE, IOMMU_FAULTS, NEXT_USER } from './hazards.ts';
import type { OracleName } from './oracles.ts';
import type { ScenarioName } from './run-spec.ts';

export interface ScenarioRecord {
  readonly name: ScenarioName;
  readonly user1: string;
  readonly user2: string;
  /** The oracles it judges by, in the order the reports show them. */
  readonly oracles: readonly OracleName[];
  /** Its users' own time limits (ms), besides the cycle's (timing.ts). */
  readonly timing: Readonly<Record<string, number>>;
}

export const SCENARIO_RECORDS = {
  'raw-driver': {
    name: 'raw-driver',
    user1: 'a raw VFIO driver in L1 (xgmac-vfio-driver), receiving and transmitting, under the on-target runner',
    user2: "the reset probe in L1 (xgmac-reset-probe), fresh memory with the run's canary mapped at user #1's IOVAs",
    oracles: [
      ...DEVICE_STATE,
      ...DEVICE_ACTIVE,
      ...DEVICE_SENDING['raw-driver'],
      ...IOMMU_FAULTS,
      ...NEXT_USER['raw-driver'],
      'user2-memory',
    ],
    timing: {
      /** User #1 must have received CYCLE_TIMING.liveFrames within this long of being ready. */
      liveTimeoutMs: 30_000,
    },
  },
  vm: {
    name: 'vm',
    user1: "an L2 VM with the device passed through, its Linux driver's link up",
    user2: 'a fresh L2 VM, its RAM read from L1 while paused, then its GIC from inside',
    oracles: [
      ...DEVICE_STATE,
      ...DEVICE_ACTIVE,
      ...DEVICE_SENDING.vm,
      ...IOMMU_FAULTS,
      ...NEXT_USER.vm,
      'user2-memory',
    ],
    timing: {
      /** VM #2's QEMU maps its RAM and answers QMP, paused, within this long. */
      pausedTimeoutMs: 60_000,
      /** The search of VM #2's RAM from L1 ends within this long. */
      ramScanTimeoutMs: 60_000,
    },
  },
} as const satisfies Readonly<Record<ScenarioName, ScenarioRecord>>;

/** The oracles each scenario judges by. */
export const oraclesOf = (scenario: ScenarioName): readonly OracleName[] => SCENARIO_RECORDS[scenario].oracles;
