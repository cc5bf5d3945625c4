// SPDX-License-Identifier: GPL-2.0-only
/**
 * The reset cycle every scenario shares, phase by phase (plan/timing.ts
 * names them and their limits): boot L1 with the device (and the control,
 * if any), bind it to vfio-platform, bring user #1 up with traffic flowing,
 * fall silent (in the silent pattern), kill user #1 with a real signal,
 * keep a quiet window, hand the device to user #2, collect L1's log; then
 * write down all the evidence and judge it from the run directory alone
 * (judge/run-result.ts). A scenario only says who user #1 and user #2 are
 * (users.ts).
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootL1, type L1Session } from '../machines/l1-session.ts';
import { L1 } from '../machines/l1.ts';
import type { L0Devices, XgmacPort } from '../machines/l1-host.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { FrameSource } from '../traffic/frame-source.ts';
import { toPcap } from '../traffic/pcap.ts';
import { user1FramesOnWire } from '../oracles/wire-oracle.ts';
import { payloadKey } from '../traffic/payload.ts';
import { InfrastructureError, lastLines } from '../lib/errors.ts';
import { sleep } from '../lib/time.ts';
import {
  EVIDENCE_FILES,
  EVIDENCE_FORMAT,
  writeEvidence,
  type BindOutcome,
  type CycleEvidence,
} from '../judge/evidence.ts';
import { firstKernelCrash } from '../judge/kernel-crash.ts';
import { resultOf, type RunResult } from '../judge/run-result.ts';
import { setupOf, type Setup } from '../plan/controls.ts';
import { INSTANCE, xgmacMac } from '../plan/layout.ts';
import { runId, type RunSpec } from '../plan/run-spec.ts';
import { USER1_SENDS } from '../plan/hazards.ts';
import { CYCLE_TIMING, PHASE_LIMIT_MS, type CyclePhase } from '../plan/timing.ts';
import { WINDOW_RULES, type WindowName } from '../plan/windows.ts';
import { TraceFollower } from '../trace/trace-follower.ts';
import { killStatesOf } from '../judge/kill-state.ts';
import type { KillState } from '../plan/kill-states.ts';
import { failureOf } from './cycle-failure.ts';
import { keepWindowOpen, type WindowEnd } from './evidence-window.ts';
import { Timeline } from './timeline.ts';
import type { RunContext, ScenarioUsers, User1, User2Run, UserEnv } from './users.ts';

/** How long L1's console is given to finish printing a crash before it is written down. */
const CRASH_SETTLE_MS = 1500;

const device = XGMAC_PROFILE.deviceName(INSTANCE);

/** L1's kernel arguments and L0's devices for a run under `setup`: what the boot phase asks for. */
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

/**
 * The evidence of one cycle as it grows, written down whatever happens:
 * each field stays null where the cycle never got that far, as the record's
 * format says. Phases run through `phase`, which times them and, once L1's
 * console is watched, races them against a kernel crash.
 */
class CycleRecord {
  readonly timeline = new Timeline();
  readonly notes: string[] = [];
  readonly startedAt = Date.now();
  /** The phase under way, named in a failure. */
  current: CyclePhase = 'boot';
  bind: BindOutcome | null = null;
  user1: User1 | null = null;
  l1UptimeAtKillS: number | null = null;
  irqCounts: CycleEvidence['irqCounts'] = null;
  user2: User2Run | null = null;
  failure: CycleEvidence['failure'] = null;
  /** Work the failure cut short may still settle later (an agent "exits" when L1 goes): its marks are not evidence. */
  private marksAtFailure: Record<string, number> | null = null;
  private crash: Promise<never> | null = null;

  constructor(
    readonly spec: RunSpec,
    readonly dir: string,
  ) {}

  async phase<T>(name: CyclePhase, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.current = name;
    const work = this.timeline.phase(name, PHASE_LIMIT_MS[name], body);
    return this.crash === null ? work : Promise.race([work, this.crash]);
  }

  /** A harness-side failure that brought no output of its own gets L1's state, so that its reason can be read. */
  withL1State(state: string): void {
    if (this.failure?.kind === 'error' && this.failure.tail === null) this.failure = { ...this.failure, tail: state };
  }

  /** From now on, a kernel crash on L1's console fails the phase under way. */
  watchCrashes(crash: Promise<never>): void {
    this.crash = crash;
  }

  /** Runs `body`; a failure is recorded (and error.txt written), not thrown. The first failure is the run's. */
  async recording(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      await appendFile(join(this.dir, 'error.txt'), `${this.current}: ${text}\n`);
      if (this.failure !== null) return;
      this.failure = failureOf(error, this.current);
      this.marksAtFailure = { ...this.timeline.marks };
    }
  }

  evidence(): CycleEvidence {
    return {
      format: EVIDENCE_FORMAT,
      spec: this.spec,
      startedAt: this.startedAt,
      endedAt: Date.now(),
      marks: this.marksAtFailure ?? this.timeline.marks,
      phases: this.timeline.phases,
      bind: this.bind,
      user1: this.user1?.evidence ?? null,
      l1UptimeAtKillS: this.l1UptimeAtKillS,
      irqCounts: this.irqCounts,
      user2: this.user2?.events ?? null,
      failure: this.failure,
      notes: this.notes,
    };
  }
}

/** L1 up with the run's device and control: what every phase after the boot works with. */
interface Booted extends AsyncDisposable {
  readonly session: L1Session;
  readonly l1: L1;
  /** The L0 trace as QEMU writes it, read to size the windows. */
  readonly trace: TraceFollower;
  readonly env: UserEnv;
}

/**
 * Boots L1. Disposing of it writes L1's console from the bind on and powers
 * L1 off; after a failure, frames keep coming while the console settles
 * first, so that the L0 trace shows what the device does meanwhile.
 */
async function boot(ctx: RunContext, rec: CycleRecord, source: FrameSource, signal: AbortSignal): Promise<Booted> {
  const traceFile = join(ctx.dir, EVIDENCE_FILES.trace);
  const port: XgmacPort = { link: source.link, mac: xgmacMac(INSTANCE) };
  const session = await bootL1(
    {
      qemuBinary: ctx.stack.qemu.binary,
      kernel: ctx.stack.kernel.image,
      rootImage: ctx.stack.l1Image.path,
      key: ctx.sshKey,
      runDir: ctx.dir,
      ...l1SetupOf(setupOf(ctx.spec.control), [port], traceFile),
    },
    ctx.progress,
    signal,
  );
  const trace = await TraceFollower.open(traceFile).catch(async (error: unknown) => {
    await session[Symbol.asyncDispose]();
    throw error;
  });
  const consoleFromBind = session.machine.console.mark;
  const l1 = new L1(session.ssh);
  const { dir, progress } = ctx;
  return {
    session,
    l1,
    trace,
    env: { ssh: session.ssh, l1, device, key: source.key, dir, timeline: rec.timeline, progress, id: runId(ctx.spec) },
    async [Symbol.asyncDispose]() {
      if (rec.failure !== null) await sleep(CRASH_SETTLE_MS);
      await trace.close();
      const console = session.machine.console.contents.slice(consoleFromBind);
      rec.withL1State(l1StateOf(session, console));
      await writeFile(join(dir, EVIDENCE_FILES.consoleAfterBind), console);
      await session[Symbol.asyncDispose]();
    },
  };
}

/** What L1 was doing when the harness lost it: its QEMU's state and its console's last lines. */
function l1StateOf(session: L1Session, consoleFromBind: string): string {
  const { machine } = session;
  const qemu = machine.hasExited
    ? `L1's QEMU had exited (${machine.stderr.trim().split('\n').pop() ?? ''})`
    : "L1's QEMU was running";
  return `${qemu}; L1's console from the bind on:\n${lastLines(consoleFromBind, 20)}`;
}

/** Rejects as soon as L1's console, from now on, shows a kernel crash; disposing of it ends the watch. */
function crashWatch(session: L1Session): Disposable & { readonly seen: Promise<never> } {
  const from = session.machine.console.mark;
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
  return { seen, [Symbol.dispose]: () => stop() };
}

/** Binds the device for the run's users; false if the kernel refused it or the bind shows the set-up not in effect. */
async function bind(b: Booted, users: ScenarioUsers, setup: Setup, rec: CycleRecord): Promise<boolean> {
  for (const module of setup.removeModules) await b.l1.removeModuleFile(module);
  const bound = await users.bind(b.env);
  const resetModule = XGMAC_PROFILE.resetModule;
  if (!bound.bound) {
    rec.bind = {
      bound: false,
      kernelSays: bound.kernelSays,
      resetModuleShipped: await b.l1.moduleShipped(resetModule),
      kernelRelease: await b.l1.kernelRelease(),
    };
    return false;
  }
  const loaded = await b.l1.moduleLoaded(resetModule);
  rec.bind = { bound: true, resetModuleLoaded: loaded };
  rec.notes.push(`reset module ${loaded ? 'loaded' : 'not loaded'} after bind`);
  // A set-up the bind already shows not in effect decides nothing: the judge says why.
  return setup.notInEffectAtBind(loaded) === null;
}

/** Keeps window `name` open from `openedAt` as its rule says; the note says how it ended. */
async function windowOf(
  b: Booted,
  rec: CycleRecord,
  name: WindowName,
  openedAt: number,
  framesFlow: boolean,
): Promise<WindowEnd> {
  const rule = WINDOW_RULES[name];
  const end = await keepWindowOpen(rule, b.trace, INSTANCE, openedAt, framesFlow);
  const why =
    end.endedBy === 'evidence'
      ? `its ${framesFlow ? `${rule.frames} frames and ` : ''}${rule.floorMs} ms floor reached`
      : `its ${rule.maxMs} ms bound reached without the evidence`;
  rec.notes.push(`${name} window: ${end.ms} ms, ${end.frames} frames to the device (${why})`);
  return end;
}

/** User #2 with the device, the traffic paced as the run's pattern says. */
async function runUser2(b: Booted, users: ScenarioUsers, rec: CycleRecord, source: FrameSource): Promise<User2Run> {
  const { timeline } = rec;
  const silent = rec.spec.pattern === 'silent-until-reassigned';
  // Once stopped here, frames never come back: the judge looks for them only until then.
  const stopTraffic = () => {
    source.stop();
    if (timeline.marks['traffic-ended'] === undefined) timeline.mark('traffic-ended');
  };
  try {
    const run = await users.runUser2(b.env, {
      sampleIrqCount: () => b.l1.irqCount(XGMAC_PROFILE.hwirqs(INSTANCE)),
      resumeTraffic: () => {
        if (!silent || timeline.marks['traffic-resumed'] !== undefined) return;
        source.start(CYCLE_TIMING.framesPerSecond);
        timeline.mark('traffic-resumed');
      },
      stopTraffic,
      keepWindowOpen: async (openedAt) => {
        const end = await windowOf(b, rec, 'user2', openedAt, true);
        timeline.mark('user2-window-end');
        return end;
      },
    });
    timeline.mark('user2-done');
    return run;
  } finally {
    stopTraffic();
  }
}

/** The phases after the boot, in order; a phase whose outcome decides nothing more ends the cycle there. */
async function phasesOnL1(b: Booted, ctx: RunContext, users: ScenarioUsers, rec: CycleRecord, source: FrameSource) {
  const { spec } = ctx;
  const { timeline } = rec;
  using crash = crashWatch(b.session);
  rec.watchCrashes(crash.seen);

  if (!(await rec.phase('bind', () => bind(b, users, setupOf(spec.control), rec)))) return;

  const user1 = await rec.phase('user1-live', () => {
    source.start(CYCLE_TIMING.framesPerSecond);
    return users.startUser1(b.env);
  });
  rec.user1 = user1;
  if (!user1.evidence.live) return;

  const dmesgMark = await rec.phase('silence', async () => {
    const mark = await b.l1.dmesgLineCount();
    if (spec.pattern === 'silent-until-reassigned') {
      source.stop();
      timeline.mark('traffic-stopped');
      await sleep(CYCLE_TIMING.silenceBeforeKillMs);
    }
    return mark;
  });

  const user1Gone = await rec.phase('kill', async () => {
    if (spec.killAt !== undefined) rec.notes.push(await aimKill(b.trace, spec.killAt));
    ctx.progress(`${runId(spec)}: killing user #1 with SIG${spec.signal}`);
    timeline.mark('kill');
    rec.l1UptimeAtKillS = (await user1.kill(spec.signal)).l1UptimeS;
    return timeline.mark('user1-exit');
  });

  const irqAtRelease = await rec.phase('quiet', async () => {
    const count = await user1.irqCountAtRelease();
    await windowOf(b, rec, 'quiet', user1Gone, spec.pattern === 'continuous');
    timeline.mark('quiet-end');
    return count;
  });

  const user2 = await rec.phase('user2', () => runUser2(b, users, rec, source));
  rec.user2 = user2;
  rec.irqCounts = { atRelease: irqAtRelease, during: user2.irqCountDuring };

  await rec.phase('collect', async () => {
    const dmesg = user2.kernelLogAfterKill ?? (await b.l1.dmesgSince(dmesgMark));
    await writeFile(join(ctx.dir, EVIDENCE_FILES.dmesgAfterKill), `${dmesg.join('\n')}\n`);
    if (dmesg.some((l) => /: reset$/.test(l.trim()))) rec.notes.push('L1 logged the vfio-platform reset');
  });
}

/**
 * Waits until the L0 trace shows the device in `state` now (as the judge
 * reads the state at the kill, plan/kill-states.ts), or for
 * CYCLE_TIMING.killAimTimeoutMs; says which. The kill's own trip to user #1
 * follows, so where it lands is what the run records, not this.
 */
async function aimKill(trace: TraceFollower, state: KillState): Promise<string> {
  const started = Date.now();
  for (;;) {
    await trace.refresh();
    const now = Date.now();
    if (killStatesOf(trace.events, INSTANCE, now).includes(state))
      return `kill aimed at ${state}: the trace showed it ${now - started} ms into the wait`;
    if (now - started >= CYCLE_TIMING.killAimTimeoutMs)
      return `kill aimed at ${state}: not in the trace within ${CYCLE_TIMING.killAimTimeoutMs} ms; killed then`;
    await sleep(AIM_POLL_MS);
  }
}

/** How often an aimed kill reads the trace: well within a frame interval. */
const AIM_POLL_MS = 1;

/** Runs one cycle; `usersOf` gives the run's users, which may keep state of their own for the run. */
export async function runCycle(ctx: RunContext, usersOf: (ctx: RunContext) => ScenarioUsers): Promise<RunResult> {
  const rec = new CycleRecord(ctx.spec, ctx.dir);
  const users = usersOf(ctx);
  {
    using source = await FrameSource.open(payloadKey(ctx.spec.seed));
    await rec.recording(async () => {
      await using booted = await rec.phase('boot', (signal) => boot(ctx, rec, source, signal));
      await rec.recording(async () => {
        await phasesOnL1(booted, ctx, users, rec, source);
        rec.current = 'collect';
        await writeFile(join(ctx.dir, 'dmesg.txt'), await booted.l1.dmesg());
      });
    });
    // Everything the device sent, whatever became of the run: L0's QEMU is gone, so nothing more comes.
    await writeFile(join(ctx.dir, EVIDENCE_FILES.wire), toPcap(source.received));
    const killAt = rec.timeline.marks['kill'];
    if (killAt !== undefined && USER1_SENDS[ctx.spec.scenario]) {
      const sent = user1FramesOnWire(source.received, source.key, killAt);
      rec.notes.push(`user #1 sent ${sent} frames of its own, run-keyed, verified on the wire before the kill`);
    }
  }
  const evidence = rec.evidence();
  await writeEvidence(ctx.dir, evidence);
  return resultOf(runId(ctx.spec), evidence, ctx.dir);
}
