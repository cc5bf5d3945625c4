// SPDX-License-Identifier: GPL-2.0-only
/** The states of the device a run's kill landed in (plan/kill-states.ts), from the L0 trace. */
import { XGMAC_BITS } from '../devices/xgmac.ts';
import type { KillState } from '../plan/kill-states.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';
import { ofKind, type TraceEvent } from '../trace/l0-trace.ts';

/** One frame interval of the traffic source (ms): "just now" for a frame that moved. */
const FRAME_INTERVAL_MS = 1000 / CYCLE_TIMING.framesPerSecond;

/** The states of XGMAC `instance` at `killAt` (wall-clock ms), as the events up to then show them; never empty. */
export function killStatesOf(trace: readonly TraceEvent[], instance: number, killAt: number): KillState[] {
  const upToKill = trace.filter((e) => 'instance' in e && e.instance === instance && e.t <= killAt);
  const before = <K extends TraceEvent['kind']>(kind: K) => ofKind(upToKill, kind);
  const last = <T>(events: readonly T[]) => events[events.length - 1];
  const recent = (t: number) => t > killAt - FRAME_INTERVAL_MS;

  const rxFrames = before('rx-frame');
  const state = last(before('state'));
  const txMoved = [
    ...before('tx-frame').map((e) => e.t),
    ...before('dma')
      .filter((d) => d.what === 'tx-desc' || d.what === 'tx-buf')
      .map((d) => d.t),
  ];
  const holds: Readonly<Record<Exclude<KillState, 'idle'>, boolean>> = {
    'rx-mid-frame': rxFrames.some((f) => f.verdict === 'accepted' && recent(f.t)),
    'tx-mid-ring': state !== undefined && (state.dmaControl & XGMAC_BITS.DMA_CONTROL_ST) !== 0 && txMoved.some(recent),
    'irq-unacked': last(before('irq'))?.level === 1,
    'rx-ring-exhausted': last(rxFrames)?.reason === 'no-descriptor',
  };
  const states = (Object.keys(holds) as Array<keyof typeof holds>).filter((s) => holds[s]);
  return states.length === 0 ? ['idle'] : states;
}
