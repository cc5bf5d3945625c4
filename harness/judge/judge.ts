// SPDX-License-Identifier: GPL-2.0-only
/**
 * The verdict of one run from its evidence alone (no machine, no clock):
 * the rules every verdict obeys, in the order they apply.
 *
 * From the bind on, the kernel's VFIO path is on trial: a crash on L1's
 * console, an open of the device that fails or hangs, or a release that
 * hangs is a regression, and the L0 evidence is still judged. Anything
 * else that went wrong decides nothing (invalid). Evidence fails closed: a
 * blind trace, a malformed report or an event outside the run's own span
 * makes the run invalid.
 */
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { l0Oracles } from '../oracles/l0-oracle.ts';
import { l1IrqCountOracle, l1SmmuOracle } from '../oracles/l1-oracle.ts';
import { releaseInLogMs } from '../oracles/l1-log.ts';
import { user2Oracles } from '../oracles/user2-oracle.ts';
import { vm2Oracles } from '../oracles/vm2-oracle.ts';
import { user1FramesOnWire, wireOracles } from '../oracles/wire-oracle.ts';
import type { OracleName } from '../plan/oracles.ts';
import type { OracleResult } from '../oracles/finding.ts';
import {
  canaryBaseOf,
  decodeResetProbe,
  decodeVm2,
  type ResetProbeReport,
  type Vm2Report,
} from '../evidence/agent-reports.ts';
import { FieldError } from '../lib/fields.ts';
import { mustFire } from '../plan/proof.ts';
import { CONTROL_RECORDS, setupOf, type Setup } from '../plan/controls.ts';
import { FRAME_HEADER_LEN, payloadKey, PAYLOAD_RECOGNISED_LEN } from '../traffic/payload.ts';
import { controlVerdict, scenarioVerdict, type Verdict } from './verdict.ts';
import { ofKind, type TraceEvent } from '../trace/l0-trace.ts';
import { lastLines } from '../lib/errors.ts';
import { firstKernelCrash } from './kernel-crash.ts';
import { blindStretch, MAX_FRAME_GAP_MS, releaseWrites, windowStart } from './l0-window.ts';
import type { BindOutcome, CycleEvidence, CycleFailure, CycleLogs } from './evidence.ts';
import { INSTANCE } from '../plan/layout.ts';
import { USER1_SENDS } from '../plan/hazards.ts';
import type { WireFrame } from '../traffic/frame-source.ts';

export interface Judgement {
  readonly verdict: Verdict;
  readonly oracles: readonly OracleResult[];
  /** The console or log lines that show why, for a regression found on L1's console or a run that failed. */
  readonly tail: string | null;
}

/** What vfio-platform says when it refuses a device for want of a reset function. */
const NO_RESET_FUNCTION = /no reset function found/i;
interface Window {
  readonly killAt: number;
  readonly from: number;
  readonly nextUserAt: number;
  readonly to: number;
}

/**
 * The L0 window, when the run got as far as the kill; for a user #1 that never went (a release that crashed or hung),
 * from the kill.
 */
function l0WindowOf(
  e: CycleEvidence,
  trace: readonly TraceEvent[],
  dmesgAfterKill: readonly string[] | null,
): Window | null {
  const killAt = e.marks['kill'];
  if (killAt === undefined) return null;
  // Seen gone: L1 reaped user #1, and its kernel began the release's reset (a VM's teardown may hold the device on).
  const releaseMs = dmesgAfterKill === null ? null : releaseInLogMs(dmesgAfterKill);
  const goneAt = Math.max(e.marks['user1-exit'] ?? killAt, releaseMs === null ? killAt : killAt + releaseMs);
  const to = e.marks['user2-done'] ?? e.endedAt;
  // No user touches the device in the quiet window: user #2 comes after it (and may reset the device again).
  const user2At = Object.entries(e.marks).filter(([name]) => name === 'quiet-end' || name.startsWith('user2-'));
  const nextUserAt = Math.min(to, ...user2At.map(([, t]) => t));
  return { killAt, from: windowStart(releaseWrites(trace, INSTANCE, killAt, nextUserAt), goneAt), nextUserAt, to };
}

function vfioPathFailure(failure: CycleFailure, e: CycleEvidence): string | null {
  switch (failure.kind) {
    case 'open-failed':
      return `${failure.user}'s open of the device failed (${failure.step}: ${failure.message})`;
    case 'open-hang':
      return `${failure.user}'s open of the device hangs: no reply within ${failure.seconds} s`;
    case 'release-hang':
      return (
        'the release of the device hangs: ' +
        `user #1 is still in the kernel ${failure.seconds} s after SIG${e.spec.signal} (${failure.state})`
      );
    case 'error':
      return null;
  }
}

const setupName = (setup: Setup) => (setup.name === 'none' ? 'the run without a control' : `control ${setup.name}`);

const invalid = (reason: string, tail: string | null = null, oracles: readonly OracleResult[] = []): Judgement => ({
  verdict: { kind: 'invalid', reason },
  oracles,
  tail,
});

/** The kernel's VFIO path on trial: a crash or a hang from the bind on (the console is kept from there). */
function vfioPathRule(e: CycleEvidence, logs: CycleLogs, l0: readonly OracleResult[]): Judgement | null {
  const crash = logs.consoleAfterBind !== null ? firstKernelCrash(logs.consoleAfterBind) : null;
  if (crash !== null) {
    return {
      verdict: {
        kind: 'regression',
        reason: `the kernel under test crashed in the VFIO path (${crash.kind}): ${crash.line}`,
      },
      oracles: l0,
      tail: lastLines(logs.consoleAfterBind!, 40),
    };
  }
  if (e.failure === null) return null;
  const vfio = e.bind?.bound === true ? vfioPathFailure(e.failure, e) : null;
  if (vfio !== null)
    return {
      verdict: { kind: 'regression', reason: vfio },
      oracles: l0,
      tail: logs.consoleAfterBind !== null ? lastLines(logs.consoleAfterBind, 20) : null,
    };
  return e.failure.kind === 'error'
    ? invalid(e.failure.message, e.failure.tail)
    : invalid(`${e.failure.kind} before the device was bound`);
}

/** A refused bind: a regression only for want of a reset function on a run without a control. */
function refusedBindRule(e: CycleEvidence, bind: Extract<BindOutcome, { bound: false }>): Judgement {
  const device = XGMAC_PROFILE.deviceName(INSTANCE);
  if (e.spec.control !== 'none') {
    const reason = CONTROL_RECORDS[e.spec.control].notApplicable(bind);
    if (reason !== null) return { verdict: { kind: 'not-applicable', reason }, oracles: [], tail: null };
    return invalid(
      `control ${e.spec.control} could not be set up: vfio-platform refused ${device}: ${bind.kernelSays}`,
    );
  }
  // Only the kernel refusing for want of a reset function is a regression of the reset; any other refusal decides
  // nothing.
  if (NO_RESET_FUNCTION.test(bind.kernelSays) && bind.resetModuleShipped) {
    return {
      verdict: {
        kind: 'regression',
        reason: `vfio-platform refuses ${device}, users can no longer assign it: ${bind.kernelSays}`,
      },
      oracles: [],
      tail: null,
    };
  }
  const noModule = bind.resetModuleShipped ? '' : ' (the kernel ships no reset module)';
  return invalid(`vfio-platform did not bind ${device}${noModule}: ${bind.kernelSays}`);
}

/**
 * The L0 oracles can only be silent for a reason if the trace was live,
 * frames kept reaching the device all through the window, and the run's
 * set-up shows in it.
 */
function liveTraceRule(
  e: CycleEvidence,
  trace: readonly TraceEvent[],
  wire: readonly WireFrame[],
  w: Window,
  setup: Setup,
): Judgement | null {
  if (!ofKind(trace, 'dma').some((d) => d.instance === INSTANCE && d.t < w.killAt))
    return invalid('the L0 trace shows no DMA of user #1 before the kill: its oracles would be blind');
  // A trace that records no level change of the device's IRQ line cannot say that the line stayed low.
  if (!ofKind(trace, 'irq').some((i) => i.instance === INSTANCE && i.t < w.killAt))
    return invalid('the L0 trace shows no IRQ of user #1 before the kill: its IRQ oracle would be blind');
  // User #1 started the device, so a model that traces its state traced it then.
  if (!ofKind(trace, 'state').some((s) => s.instance === INSTANCE && s.t < w.killAt))
    return invalid('the L0 trace shows no state of the device before the kill: its device-state oracle would be blind');
  // A user #1 that transmits shows its frames on the wire, run-keyed, else the wire oracles cannot be trusted.
  if (USER1_SENDS[e.spec.scenario] && user1FramesOnWire(wire, payloadKey(e.spec.seed), w.killAt) === 0)
    return invalid("no frame of user #1's own reached the wire before the kill: its wire oracles would be blind");
  const framesFrom = e.spec.pattern === 'continuous' ? w.from : e.marks['traffic-resumed'];
  if (framesFrom === undefined) return invalid('traffic never resumed for user #2: the device had nothing to write');
  // After user #2's window the harness stops the frames itself while user #2 reports: no blindness of the device's.
  const framesTo = Math.min(w.to, e.marks['traffic-ended'] ?? w.to);
  const blind = blindStretch(trace, INSTANCE, framesFrom, framesTo);
  if (blind !== null) {
    return invalid(
      'the L0 trace shows no frame reaching the device ' +
        `from ${Math.round(blind.from - w.killAt)} to ${Math.round(blind.to - w.killAt)} ms after the kill ` +
        `(more than ${MAX_FRAME_GAP_MS} ms): its oracles would be blind there`,
    );
  }
  const afterKill = (t: number) => t >= w.killAt;
  const notInEffect = setup.notInEffectInTrace({
    quiesceIgnoredAfterKill: ofKind(trace, 'quiesce-ignored').filter((q) => q.instance === INSTANCE && afterKill(q.t))
      .length,
    quiescingWritesAfterKill: ofKind(trace, 'mmio').filter(
      (m) => m.instance === INSTANCE && afterKill(m.t) && XGMAC_PROFILE.isHandlerWrite(m),
    ).length,
  });
  return notInEffect === null ? null : invalid(`${setupName(setup)}: ${notInEffect}`);
}

/** What the evidence gives: every oracle's finding, and those the hazard itself kept from looking. */
interface Found {
  readonly oracles: readonly OracleResult[];
  /** VM #2 as it showed itself, in the vm scenario. */
  readonly vm2: Vm2Report | null;
  /** User #2's reset probe as it reported, in raw-driver. */
  readonly probe: ResetProbeReport | null;
}

/** Every oracle's finding, or why the evidence cannot give them (a judgement). */
function oraclesOf(
  e: CycleEvidence,
  logs: CycleLogs,
  w: Window,
  l0: readonly OracleResult[],
): Found | { readonly cannot: Judgement } {
  if (logs.dmesgAfterKill === null || e.l1UptimeAtKillS === null || e.irqCounts === null || e.user2 === null)
    return { cannot: invalid("the run is missing L1's or user #2's evidence") };
  const atKillS = e.l1UptimeAtKillS;
  let user2: OracleResult[];
  let vm2: Vm2Report | null = null;
  let probe: ResetProbeReport | null = null;
  try {
    const fromHarness = (t: number) => Math.round(t - w.killAt);
    const fromL1Boot = (tBootMs: number) => Math.round(tBootMs - atKillS * 1000);
    if (e.spec.scenario === 'vm') {
      vm2 = decodeVm2(e.user2);
      user2 = vm2Oracles(vm2, fromHarness);
    } else {
      probe = decodeResetProbe(e.user2);
      user2 = user2Oracles(probe, payloadKey(e.spec.seed), fromL1Boot);
    }
  } catch (error) {
    if (error instanceof FieldError) return { cannot: invalid(error.message) };
    throw error;
  }
  const oracles = [
    ...l0,
    l1SmmuOracle(logs.dmesgAfterKill, atKillS, XGMAC_PROFILE.sidBase + INSTANCE),
    l1IrqCountOracle(
      e.irqCounts.atRelease,
      e.irqCounts.during,
      "from user #1's release to user #2 holding the device without enabling it",
    ),
    ...user2,
  ];
  return { oracles, vm2, probe };
}

/** The device's writes of received frames from `from` on, translated or faulted. */
function frameWritesFrom(trace: readonly TraceEvent[], from: number) {
  return ofKind(trace, 'dma').filter(
    (d) => d.instance === INSTANCE && d.dir === 'write' && d.what === 'rx-buf' && d.t >= from,
  );
}

/**
 * VM #2's RAM was read whole, and saw every stale write the L0 trace shows
 * landing there before the read: else the read was blind, and its silence
 * (or its count) means nothing.
 */
function vm2RamReadRule(e: CycleEvidence, trace: readonly TraceEvent[], w: Window, vm2: Vm2Report): Judgement | null {
  const { snapshot, probe } = vm2;
  // Without the probe's word (stale writes broke VM #2 before it ran), the payloads found speak for themselves.
  if (probe !== null && (snapshot.gpaBase !== probe.ram.gpaBase || snapshot.bytes !== probe.ram.bytes))
    return invalid(
      `VM #2's RAM read blind: the scan covered ${snapshot.bytes} bytes from guest-physical ` +
        `0x${snapshot.gpaBase.toString(16)}, the guest has ${probe.ram.bytes} from 0x${probe.ram.gpaBase.toString(16)}`,
    );
  const startedAt = e.marks['user2-started'];
  const readAt = e.marks['user2-snapshot'];
  if (startedAt === undefined || readAt === undefined)
    return invalid("the run has no time on record for VM #2's start or the read of its RAM");
  // A write short of a recognisable payload cannot be told from any other bytes: only whole payloads are checked.
  // Before VM #2's QEMU started, a translated write went to user #1's memory, still mapped while it was torn down.
  const ramEnd = snapshot.gpaBase + snapshot.bytes;
  const unseen = frameWritesFrom(trace, Math.max(w.from, startedAt))
    .filter((d) => d.ok && d.t < readAt && d.iova >= snapshot.gpaBase && d.iova < ramEnd)
    .filter((d) => d.len >= FRAME_HEADER_LEN + PAYLOAD_RECOGNISED_LEN)
    .find((d) => !vm2.stalePayloads.some((p) => p.gpa >= d.iova && p.gpa < d.iova + d.len));
  if (unseen === undefined) return null;
  return invalid(
    `VM #2's RAM read blind at GPA 0x${unseen.iova.toString(16)}: the L0 trace shows a frame written there ` +
      `at +${Math.round(unseen.t - w.killAt)} ms, before the read, and the read found no payload there`,
  );
}

/**
 * User #2's memory (raw-driver) was read after every frame the L0 trace
 * shows written into it, translated, between its mapping and its read: each
 * lies where the probe saw bytes changed, else the read was blind. The read
 * is placed on the harness's clock from L1's boot clock at the kill, early
 * by the kill word's trip to L1, so a write before it was before the read.
 */
function probeMemoryReadRule(
  e: CycleEvidence,
  trace: readonly TraceEvent[],
  w: Window,
  probe: ResetProbeReport,
): Judgement | null {
  const { memory } = probe;
  const mappedAt = e.marks['user2-mapped'];
  // Changed ranges the probe did not list may hold any write: none can be called unseen.
  if (mappedAt === undefined || e.l1UptimeAtKillS === null || memory.ranges.length < memory.rangesTotal) return null;
  const readAt = w.killAt + (memory.tBootMs - e.l1UptimeAtKillS * 1000);
  const end = memory.iova + memory.bytes;
  const unseen = frameWritesFrom(trace, Math.max(w.from, mappedAt))
    .filter((d) => d.ok && d.t < readAt && d.iova >= memory.iova && d.iova < end)
    .find(
      (d) =>
        !memory.ranges.some((r) => {
          const at = d.iova - memory.iova;
          return at < r.offset + r.len && r.offset < at + d.len;
        }),
    );
  if (unseen === undefined) return null;
  return invalid(
    `user #2's memory read blind at IOVA 0x${unseen.iova.toString(16)}: the L0 trace shows a frame written there ` +
      `at +${Math.round(unseen.t - w.killAt)} ms, before the read, and the read found nothing changed there`,
  );
}

/**
 * In a control with the network silent, the hazard is stale frames written
 * into the next user's memory: a device whose held descriptors were all
 * spent on faulting writes before that memory was mapped wrote nowhere, so
 * the control did not set its hazard up (its oracles are not to blame).
 */
function hazardNotSetUp(e: CycleEvidence, trace: readonly TraceEvent[], w: Window): string | null {
  const mappedAt = e.marks['user2-mapped'];
  if (e.spec.pattern !== 'silent-until-reassigned' || mappedAt === undefined) return null;
  const writes = frameWritesFrom(trace, w.from);
  const faulted = writes.filter((d) => !d.ok && d.t < mappedAt);
  if (faulted.length === 0 || writes.some((d) => d.ok)) return null;
  return (
    `hazard not set up: the device's ${faulted.length} frame writes after the release all faulted ` +
    `before user #2's memory was mapped (+${Math.round(mappedAt - w.killAt)} ms), so none could land there`
  );
}

/** One time base: an event placed outside the run's own span has a wrong clock, not a finding. */
function clockRule(e: CycleEvidence, w: Window, oracles: readonly OracleResult[]): Judgement | null {
  const span = { from: Math.round(e.startedAt - w.killAt), to: Math.round(e.endedAt - w.killAt) };
  const misplaced = oracles.find(
    (o) => o.first?.tRelMs != null && (o.first.tRelMs < span.from || o.first.tRelMs > span.to),
  );
  if (misplaced === undefined) return null;
  return invalid(
    `${misplaced.oracle}: its first event at ${misplaced.first!.tRelMs} ms from the kill ` +
      `lies outside the run (${span.from}..${span.to} ms): its clock is wrong`,
    null,
    oracles,
  );
}

/** The rules, in the order they apply; the first that decides gives the judgement. */
export function judgeRun(e: CycleEvidence, logs: CycleLogs | Error): Judgement {
  if (logs instanceof Error) return invalid(`the evidence does not parse: ${logs.message}`);
  // One window for every rule below: it opens at the release found in the trace.
  const w = logs.trace === null ? null : l0WindowOf(e, logs.trace, logs.dmesgAfterKill);
  const l0 =
    w === null || logs.trace === null
      ? []
      : [
          ...l0Oracles(logs.trace, { instance: INSTANCE, sid: XGMAC_PROFILE.sidBase + INSTANCE, ...w }),
          // Where user #1 sends nothing, no frame is in flight at the kill: the wire has nothing to prove.
          ...(USER1_SENDS[e.spec.scenario]
            ? wireOracles(logs.trace, logs.wire ?? [], {
                instance: INSTANCE,
                ...w,
                key: payloadKey(e.spec.seed),
                canaryBase: canaryBaseOf(e.user2),
              })
            : []),
        ];
  const onPath = vfioPathRule(e, logs, l0);
  if (onPath !== null) return onPath;

  const bind = e.bind;
  if (bind === null) return invalid('the run ended before the device was bound');
  if (!bind.bound) return refusedBindRule(e, bind);
  const setup = setupOf(e.spec.control);
  // The set-up in effect, as far as the bind shows it (the trace's part is checked once it is known live).
  const atBind = setup.notInEffectAtBind(bind.resetModuleLoaded);
  if (atBind !== null) return invalid(`${setupName(setup)}: ${atBind}`);

  const u1 = e.user1;
  if (u1 === null || !u1.live) {
    return invalid(
      'user #1 never had live DMA and IRQs ' +
        `(${u1?.frames ?? 0} frames, ${u1?.payloadsVerified ?? 'no'} verified payloads, ${u1?.irqs ?? 0} IRQs)`,
    );
  }
  if (logs.trace === null) return invalid('the L0 trace is missing: its oracles would be blind');
  if (w === null || e.marks['user1-exit'] === undefined)
    return invalid('the run has no kill or no end of user #1 on record');
  const blind = liveTraceRule(e, logs.trace, logs.wire ?? [], w, setup);
  if (blind !== null) return blind;

  const found = oraclesOf(e, logs, w, l0);
  if ('cannot' in found) return found.cannot;
  const { oracles, vm2, probe } = found;
  const wrongClock = clockRule(e, w, oracles);
  if (wrongClock !== null) return wrongClock;
  const blindRead =
    vm2 !== null
      ? vm2RamReadRule(e, logs.trace, w, vm2)
      : probe !== null
        ? probeMemoryReadRule(e, logs.trace, w, probe)
        : null;
  if (blindRead !== null) return { ...blindRead, oracles };
  const control = e.spec.control;
  if (control === 'none') return { verdict: scenarioVerdict(oracles), oracles, tail: null };
  // Stale writes that broke VM #2 before its probe ran are the hazard shown, not an oracle that failed to see it.
  const unseeable: readonly OracleName[] = vm2?.probe === null ? ['user2-registers', 'user2-gic-pending'] : [];
  const verdict = controlVerdict(
    oracles,
    mustFire({ ...e.spec, control }).filter((o) => !unseeable.includes(o)),
  );
  const notSetUp = verdict.kind === 'invalid' ? hazardNotSetUp(e, logs.trace, w) : null;
  return { verdict: notSetUp === null ? verdict : { kind: 'invalid', reason: notSetUp }, oracles, tail: null };
}
