// SPDX-License-Identifier: GPL-2.0-only
/** What one run is: a scenario cycle, optionally under a negative control, with its kill signal and seed. */

import type { KillState } from './kill-states.ts';

export const SCENARIOS = ['raw-driver', 'vm'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * none: the kernel as it is. The whole controls, in every run set:
 * kernel-no-reset: the reset module removed and vfio_platform.reset_required=0
 * (kernels before v6.3 refuse to bind then). device-ignores-reset: the L0
 * model ignores the quiescing writes, which works on any kernel.
 */
export const WHOLE_CONTROLS = ['kernel-no-reset', 'device-ignores-reset'] as const;
/**
 * The partial controls, in `qualify` and on request: the L0 model keeps
 * only part of what the reset clears, its transmitter (DMA_CONTROL.ST and
 * MAC TE), its receiver (SR and RE) or its interrupt sources (DMA_INTR_ENA),
 * and lets the rest of the reset take.
 */
export const PARTIAL_CONTROLS = ['device-keeps-tx', 'device-keeps-rx', 'device-keeps-irq'] as const;
export const CONTROLS = [...WHOLE_CONTROLS, ...PARTIAL_CONTROLS] as const;
export type ControlName = (typeof CONTROLS)[number];
export type Control = 'none' | ControlName;

/**
 * How frames reach the device around the kill. continuous: all through the
 * window, so a device left running at release faults in the IOMMU.
 * silent-until-reassigned: none from shortly before the kill until the next
 * user has mapped its memory, then frames again, so a device left running
 * writes them into the next user's memory with descriptors it fetched for
 * the old one (with frames flowing, it would spend those descriptors on
 * faulting writes long before).
 */
export const TRAFFIC_PATTERNS = ['continuous', 'silent-until-reassigned'] as const;
export type TrafficPattern = (typeof TRAFFIC_PATTERNS)[number];

export const KILL_SIGNALS = ['KILL', 'SEGV', 'ABRT'] as const;
export type KillSignal = (typeof KILL_SIGNALS)[number];

export interface RunSpec {
  readonly scenario: ScenarioName;
  readonly control: Control;
  readonly signal: KillSignal;
  readonly pattern: TrafficPattern;
  /** Where the kill is aimed: the cycle waits for the device to be in that state, as its trace shows. */
  readonly killAt?: KillState;
  /** Keys the frame payloads; recorded so that a run can be replayed. */
  readonly seed: string;
  readonly repetition: number;
}

export function runId(spec: RunSpec): string {
  const control = spec.control === 'none' ? '' : `+${spec.control}`;
  const at = spec.killAt === undefined ? '' : `-at-${spec.killAt}`;
  return `${spec.scenario}${control}-${spec.pattern}-sig${spec.signal}${at}-r${spec.repetition}`;
}
