// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where a kill can land: the states of the device at the instant user #1
 * is killed that a reset must cope with. A run records the states its
 * kill landed in (more than one may hold at once), read from the L0 trace;
 * a campaign counts the runs that covered each.
 */

export const KILL_STATES = ['rx-mid-frame', 'tx-mid-ring', 'irq-unacked', 'rx-ring-exhausted', 'idle'] as const;
export type KillState = (typeof KILL_STATES)[number];

/**
 * What each state means, as the L0 trace shows it before the kill. The
 * model receives a frame in one step (buffer, then descriptor, under QEMU's
 * lock), so "mid-frame" is the closest the trace can tell: a frame moved
 * less than one frame interval before the kill.
 */
export const KILL_STATE_MEANING: Readonly<Record<KillState, string>> = {
  'rx-mid-frame': 'the receiver took a frame less than one frame interval before the kill',
  'tx-mid-ring': 'the TX engine was started and read a descriptor or sent a frame less than one frame interval before',
  'irq-unacked': 'the interrupt line was asserted and not yet acknowledged',
  'rx-ring-exhausted': 'the last frame before the kill found no descriptor it owned',
  idle: 'none of the above',
};
