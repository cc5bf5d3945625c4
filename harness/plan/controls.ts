// SPDX-License-Identifier: GPL-2.0-only
/**
 * The negative controls, one record each: how a run sets the hazard up on
 * purpose (L1's kernel arguments, the L0 model's options, the modules taken
 * from L1 before the bind), how its evidence shows that it took effect,
 * which kernels cannot host it, and which oracles must fire under it. A
 * run without a control has a record too (the baseline), so that the
 * cycle and the judge never ask which control they run. Adding a control
 * is adding a record here.
 */
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import type { OracleName } from './oracles.ts';
import {
  deviceLeftArmedShows,
  deviceLeftRunningShows,
  receiverLeftRunningShows,
  transmitterLeftRunningShows,
} from './hazards.ts';
import type { Control, ControlName, ScenarioName, TrafficPattern } from './run-spec.ts';

/** What the L0 model's trace shows of the device after the kill. */
export interface TracedAfterKill {
  /** Writes the L0 model dropped because it was told to ignore quiescing. */
  readonly quiesceIgnoredAfterKill: number;
  /** Quiescing writes (the reset handler's first) that reached the L0 model. */
  readonly quiescingWritesAfterKill: number;
}

export interface RefusedBind {
  readonly kernelSays: string;
  readonly kernelRelease: string;
}

export interface Setup {
  readonly name: Control;
  readonly kernelArgs: readonly string[];
  readonly l0Globals: readonly string[];
  /** Module files taken from L1 before the device is bound, so that nothing can load them. */
  readonly removeModules: readonly string[];
  /** Null if the bind shows the set-up in effect (as far as it can), else why it does not: the cycle stops there. */
  readonly notInEffectAtBind: (resetModuleLoaded: boolean) => string | null;
  /** Null if the L0 trace shows the set-up in effect, else why it does not. */
  readonly notInEffectInTrace: (t: TracedAfterKill) => string | null;
}

export interface ControlRecord extends Setup {
  readonly name: ControlName;
  /** The oracles that must fire in a run of this control. */
  readonly mustFire: (scenario: ScenarioName, pattern: TrafficPattern) => readonly OracleName[];
  /** For a kernel that refuses the bind under this control for a known reason: why it cannot host it, else null. */
  readonly notApplicable: (refusal: RefusedBind) => string | null;
}

export const BASELINE: Setup = {
  name: 'none',
  kernelArgs: [],
  l0Globals: [],
  removeModules: [],
  notInEffectAtBind: () => null,
  notInEffectInTrace: (t) =>
    t.quiesceIgnoredAfterKill > 0
      ? `the L0 model ignored ${t.quiesceIgnoredAfterKill} quiescing writes though no control asked it to`
      : null,
};

/**
 * Kernels before v6.3 refuse to bind a device without a reset function
 * even with reset_required=0 (fixed by "vfio: platform: ignore missing
 * reset if disabled at module init"): silently, so the driver core's line
 * is all they say. Held to a run of Debian's linux-source-6.1 (6.1.192):
 * "vfio-platform: probe of c000000.xgmac failed with error -2" (-ENOENT
 * from vfio_platform_get_reset, returned by vfio_platform_init_common).
 */
const OLD_KERNEL_REFUSAL = /no reset function found|probe of \S+ failed with error -2\b/i;

function kernelBefore(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m !== null && (Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor));
}

export const CONTROL_RECORDS: Readonly<Record<ControlName, ControlRecord>> = {
  /** The kernel without the device's reset: the module removed, and vfio-platform told not to require one. */
  'kernel-no-reset': {
    name: 'kernel-no-reset',
    kernelArgs: ['vfio_platform.reset_required=0'],
    l0Globals: [],
    // The handler is a module that vfio-platform requests by alias at bind time: take it away.
    removeModules: [XGMAC_PROFILE.resetModule],
    notInEffectAtBind: (resetModuleLoaded) => (resetModuleLoaded ? 'the reset module is loaded anyway' : null),
    notInEffectInTrace: (t) =>
      t.quiescingWritesAfterKill > 0
        ? `the L0 trace shows ${t.quiescingWritesAfterKill} quiescing writes after the kill`
        : null,
    mustFire: deviceLeftRunningShows,
    notApplicable: (refusal) =>
      OLD_KERNEL_REFUSAL.test(refusal.kernelSays) && kernelBefore(refusal.kernelRelease, 6, 3)
        ? `kernel ${refusal.kernelRelease} (before v6.3) refuses a device without a reset function ` +
          `even with reset_required=0: ${refusal.kernelSays}`
        : null,
  },
  /** A device whose reset does not take: the L0 model drops the quiescing writes; works on any kernel. */
  'device-ignores-reset': {
    name: 'device-ignores-reset',
    kernelArgs: [],
    l0Globals: XGMAC_PROFILE.ignoreResetGlobals,
    removeModules: [],
    notInEffectAtBind: () => null,
    notInEffectInTrace: (t) =>
      t.quiesceIgnoredAfterKill === 0 ? 'the L0 trace shows no quiescing write ignored after the kill' : null,
    mustFire: deviceLeftRunningShows,
    notApplicable: () => null,
  },
  'device-keeps-tx': deviceKeeps('device-keeps-tx', 'tx', transmitterLeftRunningShows),
  'device-keeps-rx': deviceKeeps('device-keeps-rx', 'rx', receiverLeftRunningShows),
  'device-keeps-irq': deviceKeeps('device-keeps-irq', 'irq', deviceLeftArmedShows),
};

/** A partial control: the L0 model keeps `part` through the reset; the rest of the reset takes. */
function deviceKeeps(name: ControlName, part: 'tx' | 'rx' | 'irq', mustFire: ControlRecord['mustFire']): ControlRecord {
  return {
    name,
    kernelArgs: [],
    l0Globals: XGMAC_PROFILE.keepGlobals(part),
    removeModules: [],
    notInEffectAtBind: () => null,
    notInEffectInTrace: (t) =>
      t.quiesceIgnoredAfterKill === 0 ? `the L0 trace shows no write after the kill that ${part} survived` : null,
    mustFire,
    notApplicable: () => null,
  };
}

export function setupOf(control: Control): Setup {
  return control === 'none' ? BASELINE : CONTROL_RECORDS[control];
}
