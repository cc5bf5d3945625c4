// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a device left running after the release shows, to which oracle,
 * per scenario and traffic pattern: the vocabulary in which the scenarios
 * (scenarios.ts) say what they judge by and the controls say what they
 * must make fire.
 */
import { ORACLE_NAMES, type OracleName } from './oracles.ts';
import type { ScenarioName, TrafficPattern } from './run-spec.ts';

/** Seen in L0 whatever the device does: the registers it was left with, as the model traced them. */
export const DEVICE_STATE: readonly OracleName[] = ['l0-device-state'];
/** What the next user reads of the device's registers, where it reads them. */
const NEXT_USER_REGISTERS: Readonly<Record<ScenarioName, readonly OracleName[]>> = {
  'raw-driver': ['user2-registers'],
  vm: ['user2-registers'],
};
/**
 * Seen whenever a device left running gets frames: its DMA in L0 (the
 * frames written, the descriptors read ahead), its IRQ line, its IRQ count
 * in L1.
 */
export const DEVICE_ACTIVE: readonly OracleName[] = [
  'l0-dma-after-release',
  'l0-dma-read-after-release',
  'l0-irq-after-release',
  'l1-vfio-irq-count',
];
/** DEVICE_ACTIVE but the writes: what a receiver left running shows whatever descriptors it held. */
const RECEIVER_READING: readonly OracleName[] = DEVICE_ACTIVE.filter((o) => o !== 'l0-dma-after-release');
/**
 * Where user #1 keeps a TX ring full of its own frames all its life, so
 * that a TX engine left running has frames in flight: the raw driver does;
 * VM #1's driver sends nothing yet.
 */
export const USER1_SENDS: Readonly<Record<ScenarioName, boolean>> = { 'raw-driver': true, vm: false };
/** What sees the frames a device sends after the release, where user #1 sends: the wire and its canary. */
export const DEVICE_SENDING: Readonly<Record<ScenarioName, readonly OracleName[]>> = {
  'raw-driver': ['wire-after-release', 'wire-leak'],
  vm: [],
};
/** Seen when frames reach a device left running while no one has mapped the old IOVAs. */
export const IOMMU_FAULTS: readonly OracleName[] = ['l0-smmu-faults', 'l1-smmu-events'];
/** What the next user sees of the device itself before it enables anything. */
export const NEXT_USER: Readonly<Record<ScenarioName, readonly OracleName[]>> = {
  'raw-driver': ['user2-registers', 'user2-irqs'],
  vm: ['user2-registers', 'user2-gic-pending'],
};

/**
 * The oracles that see a device left running. With frames all through the
 * window it faults in the IOMMU at once, reading a descriptor for every
 * frame: everything but the next user's memory sees it. Its writes are not
 * certain then: a device that held no descriptor it owned at the release
 * has nothing to write with (seen once in 120 vm control runs, fixture
 * vm-kernel-no-reset-continuous-no-writes). With
 * the network silent until the next user has mapped its memory, the held
 * descriptors take the first frames into that memory, through valid
 * translations: no SMMU fault need be raised.
 */
export function deviceLeftRunningShows(scenario: ScenarioName, pattern: TrafficPattern): readonly OracleName[] {
  const receiving: readonly OracleName[] =
    pattern === 'continuous'
      ? [...DEVICE_STATE, ...RECEIVER_READING, ...IOMMU_FAULTS, ...NEXT_USER[scenario]]
      : [...DEVICE_STATE, ...DEVICE_ACTIVE, ...NEXT_USER[scenario], 'user2-memory'];
  return union(receiving, transmitterShows(scenario));
}

/**
 * A TX engine left running where user #1 kept its ring full: it reads the
 * held descriptors' buffers at the old IOVAs, faulting until the next user
 * maps its memory there (whatever the traffic), then sends that memory, its
 * canary on the wire, and writes the descriptors back into it.
 */
function transmitterShows(scenario: ScenarioName): readonly OracleName[] {
  return USER1_SENDS[scenario]
    ? [
        'l0-dma-after-release',
        'l0-dma-read-after-release',
        ...IOMMU_FAULTS,
        ...DEVICE_SENDING[scenario],
        'user2-memory',
      ]
    : [];
}

/** A device whose transmitter alone survives the reset: its registers, and what it sends if it had frames. */
export function transmitterLeftRunningShows(scenario: ScenarioName): readonly OracleName[] {
  return union([...DEVICE_STATE, ...NEXT_USER_REGISTERS[scenario]], transmitterShows(scenario));
}

/** The oracles of both lists, each once, in ORACLE_NAMES order. */
function union(a: readonly OracleName[], b: readonly OracleName[]): readonly OracleName[] {
  const both = new Set([...a, ...b]);
  return ORACLE_NAMES.filter((o) => both.has(o));
}

/**
 * A device whose receiver alone survives the reset: its interrupt sources
 * are masked, so it raises nothing, but its RX engine keeps reading
 * descriptors and writing frames at the old IOVAs, faulting while nothing
 * is mapped there (continuous) or landing in the next user's memory
 * (silent).
 */
export function receiverLeftRunningShows(scenario: ScenarioName, pattern: TrafficPattern): readonly OracleName[] {
  return pattern === 'continuous'
    ? [...DEVICE_STATE, 'l0-dma-read-after-release', ...IOMMU_FAULTS, ...NEXT_USER_REGISTERS[scenario]]
    : [
        ...DEVICE_STATE,
        'l0-dma-after-release',
        'l0-dma-read-after-release',
        ...NEXT_USER_REGISTERS[scenario],
        'user2-memory',
      ];
}

/**
 * A device armed but idle after the reset (its interrupt sources enabled
 * with the engines stopped): nothing happens that an oracle of activity
 * could see; only its registers show it.
 */
export function deviceLeftArmedShows(scenario: ScenarioName): readonly OracleName[] {
  return [...DEVICE_STATE, ...NEXT_USER_REGISTERS[scenario]];
}

/**
 * What a set of traffic patterns cannot see, one line each. vfio-platform
 * resets the device again when user #2 opens it, and the silent pattern
 * holds frames back until user #2 has it: a kernel that skips the reset at
 * release but resets at open leaves nothing to see then. Only frames during
 * the quiet window (continuous) show it.
 */
export function blindSpotsOf(patterns: readonly TrafficPattern[]): string[] {
  return patterns.includes('continuous')
    ? []
    : [
        'silent-until-reassigned alone cannot see a kernel that skips the reset at release but resets at open ' +
          '(no frame reaches the device until user #2 has opened it); add --traffic continuous to see it',
      ];
}
