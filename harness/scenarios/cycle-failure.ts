// SPDX-License-Identifier: GPL-2.0-only
/**
 * How a cycle that did not finish is classified: the kernel's VFIO path
 * failing a user (an open that fails or hangs, a release that hangs) is
 * evidence for the judge; anything else is the harness's or the
 * infrastructure's, named with the phase it cut short.
 */
import { ProcessStuck } from '../machines/remote-process.ts';
import { agentFailureOf, type AgentEvent } from '../evidence/agent-reports.ts';
import type { CycleFailure } from '../judge/evidence.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';
import type { AgentEventName } from '../plan/contract.ts';
import { PhaseTimeout } from './timeline.ts';

/** The kernel's VFIO path failed a user: an open that fails or hangs, a release that hangs. */
export class VfioPathFailure extends Error {
  override readonly name = 'VfioPathFailure';
  constructor(readonly failure: Exclude<CycleFailure, { kind: 'error' }>) {
    super(failure.kind);
  }
}

/** The agents' step that opens the device (VFIO_GROUP_GET_DEVICE_FD, which runs the kernel's open path and reset). */
const OPEN_STEP = 'get_device_fd';

/** What awaitOpened reads of an agent: its reports and whether it is gone. */
export interface OpeningAgent {
  readonly events: readonly AgentEvent[];
  readonly exited: boolean;
  waitForEvent(name: AgentEventName, timeoutMs: number): Promise<AgentEvent>;
}

/** Waits for an agent's "opened" report; an open that fails or hangs is the kernel's, not the harness's. */
export async function awaitOpened(agent: OpeningAgent, user: string): Promise<void> {
  try {
    await agent.waitForEvent('opened', CYCLE_TIMING.openTimeoutMs);
  } catch (error) {
    const failed = agentFailureOf(agent.events);
    if (failed !== null && failed.step === OPEN_STEP)
      throw new VfioPathFailure({ kind: 'open-failed', user, step: failed.step, message: failed.message });
    if (!agent.exited)
      throw new VfioPathFailure({ kind: 'open-hang', user, seconds: CYCLE_TIMING.openTimeoutMs / 1000 });
    throw error;
  }
}

export function failureOf(error: unknown, phase: string): CycleFailure {
  if (error instanceof VfioPathFailure) return error.failure;
  if (error instanceof ProcessStuck) return { kind: 'release-hang', seconds: error.seconds, state: error.state };
  const known = error instanceof InfrastructureError || error instanceof PhaseTimeout;
  const message = known ? error.message : `harness error: ${(error as Error).stack ?? String(error)}`;
  return {
    kind: 'error',
    phase,
    message: message.split('\n')[0] ?? message,
    tail: error instanceof InfrastructureError && error.tail !== '' ? error.tail : null,
  };
}
