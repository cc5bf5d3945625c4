// SPDX-License-Identifier: GPL-2.0-only
/**
 * The reset cycle every scenario shares: boot L1 with the device (and the
 * control, if any), bind it to vfio-platform, bring user #1 up with traffic
 * flowing, kill it with a real signal, keep a quiet window, hand the device
 * to user #2 (traffic as the run's pattern says), then write down all the
 * evidence and judge it (judge/judge.ts) from the run directory alone. A
 * scenario only says who user #1 and user #2 are.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootL1, shutdownL1, type L1Session } from '../machines/l1-session.ts';
import type { KeyPair, SshSession } from '../machines/ssh.ts';
import { L1, type BindResult } from '../machines/l1.ts';
import type { L0Devices, XgmacPort } from '../machines/l1-host.ts';
import { freeLoopbackUdpPort } from '../machines/free-port.ts';
import { ProcessStuck } from '../machines/remote-process.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { FrameSource } from '../traffic/frame-source.ts';
import { payloadKey, type PayloadKey } from '../traffic/payload.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { sleep } from '../lib/time.ts';
import { agentFailureOf, type AgentEvent } from '../evidence/agent-reports.ts';
import {
  EVIDENCE_FILES,
  EVIDENCE_FORMAT,
  type BindOutcome,
  type CycleEvidence,
  type CycleFailure,
  type User1Evidence,
} from '../judge/evidence.ts';
import { INSTANCE } from '../plan/layout.ts';
import { firstKernelCrash } from '../judge/kernel-crash.ts';
import type { Stack } from '../recipes/stack.ts';
import type { Progress } from '../lib/progress.ts';
import { setupOf, type Setup } from '../plan/controls.ts';
import { runId, type KillSignal, type RunSpec } from '../plan/run-spec.ts';
import { PhaseTimeout, Timeline } from './timeline.ts';
import { keepWindowOpen, type WindowEnd } from './evidence-window.ts';
import { WINDOW_RULES, type WindowName } from '../plan/windows.ts';
import { TraceFollower } from '../trace/trace-follower.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';
import { resultOf, type RunResult } from '../judge/run-result.ts';

/** How long L1's console is given to finish printing a crash before it is written down. */
const CRASH_SETTLE_MS = 1500;

export interface RunContext {
  readonly stack: Stack;
  readonly sshKey: KeyPair;
  readonly dir: string;
  readonly spec: RunSpec;
  readonly progress: Progress;
}

/** What a scenario's users get to work with. */
export interface CycleEnv {
  readonly ssh: SshSession;
  readonly l1: L1;
  readonly device: string;
  readonly key: PayloadKey;
  readonly dir: string;
  readonly timeline: Timeline;
  readonly progress: Progress;
  readonly id: string;
}

export interface User1 {
  readonly evidence: User1Evidence;
  /** Kills user #1 with a real signal; resolves once it is gone, with L1's clock at the kill. */
  kill(signal: KillSignal): Promise<{ readonly l1UptimeS: number }>;
  /** The device's interrupt count in L1 once user #1 is gone (null: no IRQ descriptor). */
  irqCountAtRelease(): Promise<number | null>;
}

/** What user #2 may call on the cycle while it runs. */
export interface User2Hooks {
  /** The device's interrupt count in L1, sampled while user #2 holds it without enabling it. */
  sampleIrqCount(): Promise<number | null>;
  /** User #2 is ready to see stale DMA (its memory is mapped): frames flow again in the silent pattern. */
  resumeTraffic(): void;
  /** User #2 is done: no more frames. */
  stopTraffic(): void;
  /** Resolves once the evidence since `openedAt` (wall clock, ms) suffices to end user #2's window. */
  keepWindowOpen(openedAt: number): Promise<WindowEnd>;
}

export interface User2Run {
  readonly events: readonly AgentEvent[];
  readonly irqCountDuring: number | null;
  /** L1's kernel log from the kill on (dmesg's lines), if the scenario read it itself; else the cycle reads it. */
  readonly kernelLogAfterKill?: readonly string[];
}

export interface ScenarioUsers {
  /** Binds the device to vfio-platform for this run's users: what the kernel said if it refused. */
  bind(env: CycleEnv): Promise<BindResult>;
  startUser1(env: CycleEnv): Promise<User1>;
  /** Runs user #2 to the end; the cycle stops the traffic afterwards. */
  runUser2(env: CycleEnv, hooks: User2Hooks): Promise<User2Run>;
}

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
  waitForEvent(name: string, timeoutMs: number): Promise<AgentEvent>;
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

/** Rejects as soon as L1's console, from `from` on, shows a kernel crash; `stop` ends the watch. */
function watchForCrash(session: L1Session, from: number): { seen: Promise<never>; stop: () => void } {
  let stop = () => {};
  const seen = new Promise<never>((_, reject) => {
    const check = () => {
      const crash = firstKernelCrash(session.machine.console.contents.slice(from));
      if (crash !== null) {
        stop();
        reject(new InfrastructureError(`L1's kernel crashed (${crash.kind}): ${crash.line}`));
      }
    };
    stop = session.machine.console.onText(check);
    check();
  });
  seen.catch(() => {});
  return { seen, stop };
}

function failureOf(error: unknown, phase: string): CycleFailure {
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

/** What the steps of one cycle share: its context, the machines and traffic it runs, the evidence as it grows. */
interface CycleState {
  readonly ctx: RunContext;
  readonly users: ScenarioUsers;
  readonly id: string;
  readonly setup: Setup;
  readonly source: FrameSource;
  readonly timeline: Timeline;
  readonly notes: string[];
  /** The step under way, named in a failure. */
  phase: string;
  session: L1Session | undefined;
  l1: L1 | undefined;
  /** The L0 trace as QEMU writes it, read to size the windows. */
  trace: TraceFollower | undefined;
  env: CycleEnv | undefined;
  consoleFromBind: number | null;
  bind: BindOutcome | null;
  user1: User1 | undefined;
  l1UptimeAtKillS: number | null;
  irqAtRelease: number | null;
  irqCounts: CycleEvidence['irqCounts'];
  user2: readonly AgentEvent[] | null;
  kernelLogAfterKill: readonly string[] | undefined;
  dmesgMark: number;
}

/** One step of the cycle: 'stop' ends the cycle there (the evidence says why); a throw is a failure. */
interface Step {
  readonly name: string;
  readonly timeoutMs: number;
  run(state: CycleState, signal: AbortSignal): Promise<'next' | 'stop'>;
}

const started = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`the cycle reached a step before ${what}`);
  return value;
};

const device = XGMAC_PROFILE.deviceName(INSTANCE);

/** L1's kernel arguments and L0's devices for a run under `setup`: what the boot step asks for. */
export function l1SetupOf(
  setup: Setup,
  ports: readonly XgmacPort[],
  traceFile: string,
): { readonly extraKernelArgs: readonly string[]; readonly devices: L0Devices } {
  return {
    extraKernelArgs: setup.kernelArgs,
    devices: { xgmacs: ports, traceFile, globals: [...XGMAC_PROFILE.l0Globals, ...setup.l0Globals] },
  };
}

const STEPS: readonly Step[] = [
  {
    name: 'boot',
    // Longer than bootL1's own waits (QMP, console 120 s, SSH 60 s), so that it never outlives the phase.
    timeoutMs: 240_000,
    async run(s, signal) {
      const { ctx } = s;
      s.session = await bootL1(
        {
          qemuBinary: ctx.stack.qemu.binary,
          kernel: ctx.stack.kernel.image,
          rootImage: ctx.stack.l1Image.path,
          key: ctx.sshKey,
          runDir: ctx.dir,
          ...l1SetupOf(
            s.setup,
            [{ link: s.source.link, mac: '52:54:00:12:34:00' }],
            join(ctx.dir, EVIDENCE_FILES.trace),
          ),
        },
        ctx.progress,
        signal,
      );
      s.l1 = new L1(s.session.ssh);
      s.trace = await TraceFollower.open(join(ctx.dir, EVIDENCE_FILES.trace));
      const { dir, progress } = ctx;
      s.env = {
        ssh: s.session.ssh,
        l1: s.l1,
        device,
        key: s.source.key,
        dir,
        timeline: s.timeline,
        progress,
        id: s.id,
      };
      return 'next';
    },
  },
  {
    name: 'bind',
    timeoutMs: 30_000,
    async run(s) {
      const l1 = started(s.l1, 'boot');
      for (const module of s.setup.removeModules) await l1.removeModuleFile(module);
      const bound = await s.users.bind(started(s.env, 'boot'));
      const module = XGMAC_PROFILE.resetModule;
      if (!bound.bound) {
        s.bind = {
          bound: false,
          kernelSays: bound.kernelSays,
          resetModuleShipped: await l1.moduleShipped(module),
          kernelRelease: await l1.kernelRelease(),
        };
        return 'stop';
      }
      const loaded = await l1.moduleLoaded(module);
      s.bind = { bound: true, resetModuleLoaded: loaded };
      s.notes.push(`reset module ${loaded ? 'loaded' : 'not loaded'} after bind`);
      // A set-up the bind already shows not in effect decides nothing: the judge says why.
      return s.setup.notInEffectAtBind(loaded) === null ? 'next' : 'stop';
    },
  },
  {
    name: 'user1-live',
    timeoutMs: 180_000,
    async run(s) {
      s.source.start(CYCLE_TIMING.framesPerSecond);
      s.user1 = await s.users.startUser1(started(s.env, 'boot'));
      return s.user1.evidence.live ? 'next' : 'stop';
    },
  },
  {
    name: 'silence',
    timeoutMs: CYCLE_TIMING.silenceBeforeKillMs + 30_000,
    async run(s) {
      s.dmesgMark = await started(s.l1, 'boot').dmesgLineCount();
      if (s.ctx.spec.pattern === 'silent-until-reassigned') {
        s.source.stop();
        s.timeline.mark('traffic-stopped');
        await sleep(CYCLE_TIMING.silenceBeforeKillMs);
      }
      return 'next';
    },
  },
  {
    name: 'kill',
    timeoutMs: CYCLE_TIMING.releaseTimeoutMs + 15_000,
    async run(s) {
      s.ctx.progress(`${s.id}: killing user #1 with SIG${s.ctx.spec.signal}`);
      s.timeline.mark('kill');
      s.l1UptimeAtKillS = (await started(s.user1, 'user #1').kill(s.ctx.spec.signal)).l1UptimeS;
      s.timeline.mark('user1-exit');
      return 'next';
    },
  },
  {
    name: 'quiet',
    timeoutMs: WINDOW_RULES.quiet.maxMs + 15_000,
    async run(s) {
      const openedAt = started(s.timeline.marks['user1-exit'], 'the end of user #1');
      s.irqAtRelease = await started(s.user1, 'user #1').irqCountAtRelease();
      await windowOf(s, 'quiet', openedAt, s.ctx.spec.pattern === 'continuous');
      s.timeline.mark('quiet-end');
      return 'next';
    },
  },
  {
    name: 'user2',
    timeoutMs: 240_000,
    async run(s) {
      const l1 = started(s.l1, 'boot');
      const resumeTraffic = () => {
        if (s.ctx.spec.pattern !== 'silent-until-reassigned' || s.timeline.marks['traffic-resumed'] !== undefined)
          return;
        s.source.start(CYCLE_TIMING.framesPerSecond);
        s.timeline.mark('traffic-resumed');
      };
      const sampleIrqCount = () => l1.irqCount(XGMAC_PROFILE.hwirqs(INSTANCE));
      const keepOpen = async (openedAt: number) => {
        const end = await windowOf(s, 'user2', openedAt, true);
        s.timeline.mark('user2-window-end');
        return end;
      };
      const stopTraffic = () => s.source.stop();
      const u2 = await s.users.runUser2(started(s.env, 'boot'), {
        sampleIrqCount,
        resumeTraffic,
        stopTraffic,
        keepWindowOpen: keepOpen,
      });
      s.timeline.mark('user2-done');
      stopTraffic();
      s.user2 = u2.events;
      s.kernelLogAfterKill = u2.kernelLogAfterKill;
      s.irqCounts = { atRelease: s.irqAtRelease, during: u2.irqCountDuring };
      return 'next';
    },
  },
  {
    name: 'collect',
    timeoutMs: 30_000,
    async run(s) {
      const dmesg = s.kernelLogAfterKill ?? (await started(s.l1, 'boot').dmesgSince(s.dmesgMark));
      await writeFile(join(s.ctx.dir, EVIDENCE_FILES.dmesgAfterKill), `${dmesg.join('\n')}\n`);
      if (dmesg.some((l) => /: reset$/.test(l.trim()))) s.notes.push('L1 logged the vfio-platform reset');
      return 'next';
    },
  },
];

/** Keeps window `name` open from `openedAt` as its rule says; the note says how it ended. */
async function windowOf(s: CycleState, name: WindowName, openedAt: number, framesFlow: boolean): Promise<WindowEnd> {
  const rule = WINDOW_RULES[name];
  const end = await keepWindowOpen(rule, started(s.trace, 'boot'), INSTANCE, openedAt, framesFlow);
  const why =
    end.endedBy === 'evidence'
      ? `its ${framesFlow ? `${rule.frames} frames and ` : ''}${rule.floorMs} ms floor reached`
      : `its ${rule.maxMs} ms bound reached without the evidence`;
  s.notes.push(`${name} window: ${end.ms} ms, ${end.frames} frames to the device (${why})`);
  return end;
}

/** Runs the steps in order, racing each (from the bind on) against a kernel crash on L1's console. */
async function runSteps(s: CycleState): Promise<void> {
  let crashWatch: ReturnType<typeof watchForCrash> | undefined;
  try {
    for (const step of STEPS) {
      if (step.name === 'bind') {
        const session = started(s.session, 'boot');
        s.consoleFromBind = session.machine.console.mark;
        crashWatch = watchForCrash(session, s.consoleFromBind);
      }
      s.phase = step.name;
      const work = s.timeline.phase(step.name, step.timeoutMs, (signal) => step.run(s, signal));
      const outcome = await (crashWatch === undefined ? work : Promise.race([work, crashWatch.seen]));
      if (outcome === 'stop') break;
    }
    s.phase = 'collect';
    await writeFile(join(s.ctx.dir, 'dmesg.txt'), await started(s.l1, 'boot').dmesg());
  } finally {
    crashWatch?.stop();
  }
}

/** Runs one cycle; `usersOf` gives the run's users, which may keep state of their own for the run. */
export async function runCycle(ctx: RunContext, usersOf: (ctx: RunContext) => ScenarioUsers): Promise<RunResult> {
  const { spec, dir } = ctx;
  const startedAt = Date.now();
  const state: CycleState = {
    ctx,
    users: usersOf(ctx),
    id: runId(spec),
    setup: setupOf(spec.control),
    source: await FrameSource.open(payloadKey(spec.seed), await freeLoopbackUdpPort()),
    timeline: new Timeline(),
    notes: [],
    phase: 'boot',
    session: undefined,
    l1: undefined,
    trace: undefined,
    env: undefined,
    consoleFromBind: null,
    bind: null,
    user1: undefined,
    l1UptimeAtKillS: null,
    irqAtRelease: null,
    irqCounts: null,
    user2: null,
    kernelLogAfterKill: undefined,
    dmesgMark: 0,
  };
  let failure: CycleFailure | null = null;
  let marksAtFailure: Record<string, number> | null = null;
  try {
    await runSteps(state);
  } catch (error) {
    const phase = state.phase;
    failure = failureOf(error, phase);
    // Work the failure cut short may still settle later (an agent "exits" when L1 goes): its marks are not evidence.
    marksAtFailure = { ...state.timeline.marks };
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    await writeFile(join(dir, 'error.txt'), `${phase}: ${text}\n`);
  } finally {
    // Frames keep coming while the console settles: the L0 trace shows what the device does meanwhile.
    if (state.session !== undefined && failure !== null) await sleep(CRASH_SETTLE_MS);
    state.source.close();
    await state.trace?.close();
    if (state.session !== undefined) {
      if (state.consoleFromBind !== null) {
        const console = state.session.machine.console.contents.slice(state.consoleFromBind);
        await writeFile(join(dir, EVIDENCE_FILES.consoleAfterBind), console);
      }
      await shutdownL1(state.session);
    }
  }
  const evidence: CycleEvidence = {
    format: EVIDENCE_FORMAT,
    spec,
    startedAt,
    endedAt: Date.now(),
    marks: marksAtFailure ?? state.timeline.marks,
    phases: state.timeline.phases,
    bind: state.bind,
    user1: state.user1?.evidence ?? null,
    l1UptimeAtKillS: state.l1UptimeAtKillS,
    irqCounts: state.irqCounts,
    user2: state.user2,
    failure,
    notes: state.notes,
  };
  await writeFile(join(dir, EVIDENCE_FILES.record), `${JSON.stringify(evidence, null, 2)}\n`);
  return resultOf(state.id, evidence, dir);
}
