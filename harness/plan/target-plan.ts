// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the on-target runner (guest-agents/vfio-reset-target) must know of
 * the raw-driver scenario, rendered as a C header (target-plan.h) from the
 * definitions the harness judges by: which oracles a host can apply to
 * itself and which it cannot (the L0 ones), which must fire under the
 * kernel-side control, the windows' bounds, user #1's liveness, the IOVA.
 * One definition: the runner cannot drift from the harness.
 */
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { ORACLE_VANTAGE, type OracleName } from './oracles.ts';
import { SCENARIO_RECORDS } from './scenarios.ts';
import { RAW_DRIVER_IOVA } from './layout.ts';
import { mustFire } from './proof.ts';
import { CYCLE_TIMING } from './timing.ts';

/** The control a host under test can set up on itself: the kernel without the device's reset. */
export const TARGET_CONTROL = 'kernel-no-reset';
/** On a host without a harness, frames flow all through (a link partner or the runner's own sender). */
export const TARGET_PATTERN = 'continuous';

const onTarget = (o: OracleName) => ORACLE_VANTAGE[o] !== 'L0';

export interface TargetOracles {
  /** The raw-driver scenario's oracles a host can apply to itself, in the order the harness reports them. */
  readonly applied: readonly OracleName[];
  /** Those that need the emulated device's trace. */
  readonly absent: readonly OracleName[];
  /** Those that must fire under TARGET_CONTROL. */
  readonly mustFire: readonly OracleName[];
}

const RAW_DRIVER = SCENARIO_RECORDS['raw-driver'];
const RAW_DRIVER_ORACLES = RAW_DRIVER.oracles;

export const TARGET_ORACLES: TargetOracles = {
  applied: RAW_DRIVER_ORACLES.filter(onTarget),
  absent: RAW_DRIVER_ORACLES.filter((o) => !onTarget(o)),
  mustFire: mustFire({ scenario: 'raw-driver', pattern: TARGET_PATTERN, control: TARGET_CONTROL }).filter(onTarget),
};

const list = (names: readonly string[]) => `{ ${names.map((n) => JSON.stringify(n)).join(', ')} }`;

export function targetPlanHeader(): string {
  const oracles = TARGET_ORACLES;
  return [
    '/* Generated from the harness by harness/plan/target-plan.ts: do not edit. */',
    '#ifndef TARGET_PLAN_H',
    '#define TARGET_PLAN_H',
    '',
    "/* The raw-driver scenario's oracles a host can apply to itself, in the order the harness reports them. */",
    `#define TARGET_ORACLES ${list(oracles.applied)}`,
    `#define TARGET_ORACLE_COUNT ${oracles.applied.length}`,
    "/* Those that need the emulated device's own trace (L0). */",
    `#define TARGET_ABSENT_ORACLES ${list(oracles.absent)}`,
    `#define TARGET_ABSENT_COUNT ${oracles.absent.length}`,
    `/* Those that must fire under control ${TARGET_CONTROL} with ${TARGET_PATTERN} traffic. */`,
    `#define TARGET_MUST_FIRE ${list(oracles.mustFire)}`,
    '',
    `#define TARGET_RESET_MODULE ${JSON.stringify(XGMAC_PROFILE.resetModule)}`,
    `#define TARGET_IOVA 0x${RAW_DRIVER_IOVA.toString(16)}ull`,
    `#define TARGET_LIVE_FRAMES ${CYCLE_TIMING.liveFrames}`,
    `#define TARGET_LIVE_TIMEOUT_MS ${RAW_DRIVER.timing.liveTimeoutMs}`,
    `#define TARGET_FRAMES_PER_SECOND ${CYCLE_TIMING.framesPerSecond}`,
    `#define TARGET_OPEN_TIMEOUT_MS ${CYCLE_TIMING.openTimeoutMs}`,
    `#define TARGET_RELEASE_TIMEOUT_MS ${CYCLE_TIMING.releaseTimeoutMs}`,
    '/* Without a trace to show frames reaching the device, the windows last their bounds. */',
    `#define TARGET_QUIET_MS ${CYCLE_TIMING.windows.quiet.maxMs}`,
    `#define TARGET_WINDOW_MS ${CYCLE_TIMING.windows.user2.maxMs}`,
    '',
    '#endif',
    '',
  ].join('\n');
}
