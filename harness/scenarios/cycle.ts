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
import { freeLoopbackUdpPort } from '../machines/free-port.ts';
import { bindToVfioPlatform, dmesgLineCount, dmesgSince } from '../machines/l1-vfio.ts';
import { ProcessStuck, type AgentEvent, type RemoteAgent } from '../machines/remote-process.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { FrameSource } from '../traffic/frame-source.ts';
import { payloadKey, type PayloadKey } from '../traffic/payload.ts';
import { irqCountCommand, parseIrqCounts } from '../oracles/l1-oracle.ts';
import type { OracleResult } from '../oracles/finding.ts';
import type { Verdict } from '../judge/verdict.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { agentFailureOf } from '../evidence/agent-reports.ts';
import {
  EVIDENCE_FILES,
  EVIDENCE_FORMAT,
  loadEvidence,
  type BindOutcome,
  type CycleEvidence,
  type CycleFailure,
  type User1Evidence,
} from '../judge/evidence.ts';
import { INSTANCE, judgeRun, type Judgement } from '../judge/judge.ts';
import { firstKernelCrash } from '../judge/kernel-crash.ts';
import type { Stack } from '../recipes/stack.ts';
import type { Progress } from '../lib/progress.ts';
import { runId, type KillSignal, type RunSpec } from './run-spec.ts';
import { PhaseTimeout, Timeline } from './timeline.ts';

export const CYCLE_TIMING = {
  framesPerSecond: 200,
  /** After user #1 is gone, this long passes before user #2 arrives. */
  quietMs: 3000,
  /** silent-until-reassigned: frames stop this long before the kill, so that none is in flight at the release. */
  silenceBeforeKillMs: 300,
  /**
   * How long an open of the device, or the release after the kill, may take
   * before it counts as hung: longer than the kernel's own hung-task and
   * soft-lockup reports (20 s, kernel-config/debug.config), so that the
   * console can name the hang.
   */
  openTimeoutMs: 30_000,
  releaseTimeoutMs: 30_000,
} as const;

/** How long L1's console is given to finish printing a crash before it is written down. */
const CRASH_SETTLE_MS = 1500;

export interface RunResult {
  readonly id: string;
  readonly spec: RunSpec;
  readonly verdict: Verdict;
  readonly oracles: readonly OracleResult[];
  readonly user1: User1Evidence | null;
  /** Instants relative to the kill (ms). */
  readonly timeline: Record<string, number>;
  /** Wall-clock ms of the kill (the L0 trace's clock), null if the run never got there. */
  readonly killWallClock: number | null;
  readonly phases: ReadonlyArray<{ name: string; seconds: number }>;
  readonly dir: string;
  readonly seconds: number;
  readonly notes: readonly string[];
  /** For a run that failed on the way, or crashed the kernel: the lines of the log or console that show why. */
  readonly errorTail: string | null;
}

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
}

/** What user #2 may call on the cycle while it runs. */
export interface User2Hooks {
  /** The device's interrupt count in L1, sampled while user #2 holds it without enabling it. */
  sampleIrqCount(): Promise<number | null>;
  /** User #2 is ready to see stale DMA (its memory is mapped): frames flow again in the silent pattern. */
  resumeTraffic(): void;
}

export interface User2Run {
  readonly events: readonly AgentEvent[];
  readonly irqCountDuring: number | null;
}

export interface ScenarioUsers {
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

/** Waits for an agent's "opened" report; an open that fails or hangs is the kernel's, not the harness's. */
export async function awaitOpened(agent: RemoteAgent, user: string): Promise<void> {
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

function controlSetup(spec: RunSpec): { kernelArgs: string[]; globals: string[] } {
  switch (spec.control) {
    case 'none':
      return { kernelArgs: [], globals: [] };
    case 'kernel-no-reset':
      return { kernelArgs: ['vfio_platform.reset_required=0'], globals: [] };
    case 'device-ignores-reset':
      return { kernelArgs: [], globals: ['xgmac.quiesce-ignored=on'] };
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

/** Named instants relative to `anchor` (ms); none if the run never got there. */
function relativeTo(marks: Readonly<Record<string, number>>, anchor: string): Record<string, number> {
  const zero = marks[anchor];
  return zero === undefined ? {} : Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, Math.round(v - zero)]));
}

export async function runCycle(ctx: RunContext, users: ScenarioUsers): Promise<RunResult> {
  const { spec, dir, progress } = ctx;
  const id = runId(spec);
  const startedAt = Date.now();
  const timeline = new Timeline();
  const notes: string[] = [];
  const key = payloadKey(spec.seed);
  const device = XGMAC_PROFILE.deviceName(INSTANCE);
  const setup = controlSetup(spec);
  const source = await FrameSource.open(key, await freeLoopbackUdpPort());
  const silent = spec.pattern === 'silent-until-reassigned';
  let session: L1Session | undefined;
  let consoleFromBind: number | null = null;
  let bind: BindOutcome | null = null;
  let user1: User1Evidence | null = null;
  let l1UptimeAtKillS: number | null = null;
  let irqCounts: CycleEvidence['irqCounts'] = null;
  let user2: readonly AgentEvent[] | null = null;
  let failure: CycleFailure | null = null;
  let marksAtFailure: Record<string, number> | null = null;
  let phase = 'boot';
  let crashWatch: ReturnType<typeof watchForCrash> | undefined;
  // From the bind on, a kernel crash on L1's console ends the run at once.
  const step = <T>(name: string, timeoutMs: number, body: () => Promise<T>): Promise<T> => {
    phase = name;
    const work = timeline.phase(name, timeoutMs, body);
    return crashWatch === undefined ? work : Promise.race([work, crashWatch.seen]);
  };
  try {
    // Longer than bootL1's own waits (QMP, console 120 s, SSH 60 s), so that it never outlives the phase.
    session = await step('boot', 240_000, () =>
      bootL1(
        {
          qemuBinary: ctx.stack.qemu.binary,
          kernel: ctx.stack.kernel.image,
          rootImage: ctx.stack.l1Image.path,
          key: ctx.sshKey,
          runDir: dir,
          extraKernelArgs: setup.kernelArgs,
          devices: {
            xgmacs: [{ link: source.link, mac: '52:54:00:12:34:00' }],
            traceFile: join(dir, EVIDENCE_FILES.trace),
            globals: [...XGMAC_PROFILE.l0Globals, ...setup.globals],
          },
        },
        progress,
      ),
    );
    const l1 = session;
    const ssh = l1.ssh;
    const env: CycleEnv = { ssh, device, key, dir, timeline, progress, id };

    consoleFromBind = l1.machine.console.mark;
    crashWatch = watchForCrash(l1, consoleFromBind);
    const bound = await step('bind', 30_000, async () => {
      if (spec.control === 'kernel-no-reset') {
        // The handler is a module that vfio-platform requests by alias at bind time: take it away.
        await ssh.check(`find /lib/modules -name '${XGMAC_PROFILE.resetModule}.ko*' -exec rm -f {} +`);
      }
      return bindToVfioPlatform(ssh, device);
    });
    const moduleName = XGMAC_PROFILE.resetModule.replace(/-/g, '_');
    if (!bound.bound) {
      const shipped =
        (await ssh.exec(`find /lib/modules/$(uname -r) -name '${XGMAC_PROFILE.resetModule}.ko*' | grep -q .`)).code ===
        0;
      bind = {
        bound: false,
        kernelSays: bound.kernelSays,
        resetModuleShipped: shipped,
        kernelRelease: (await ssh.check('uname -r')).trim(),
      };
    } else {
      const loaded = (await ssh.exec(`grep -q "^${moduleName} " /proc/modules`)).code === 0;
      bind = { bound: true, resetModuleLoaded: loaded };
      notes.push(`reset module ${loaded ? 'loaded' : 'not loaded'} after bind`);
    }
    if (bind.bound && !(spec.control === 'kernel-no-reset' && bind.resetModuleLoaded)) {
      source.start(CYCLE_TIMING.framesPerSecond);
      const u1 = await step('user1-live', 180_000, () => users.startUser1(env));
      user1 = u1.evidence;
      if (user1.live) {
        const dmesgMark = await dmesgLineCount(ssh);
        if (silent) {
          source.stop();
          timeline.mark('traffic-stopped');
          await new Promise((r) => setTimeout(r, CYCLE_TIMING.silenceBeforeKillMs));
        }
        progress(`${id}: killing user #1 with SIG${spec.signal}`);
        await step('kill', CYCLE_TIMING.releaseTimeoutMs + 15_000, async () => {
          timeline.mark('kill');
          l1UptimeAtKillS = (await u1.kill(spec.signal)).l1UptimeS;
          timeline.mark('user1-exit');
        });

        const sampleIrqCount = async () =>
          parseIrqCounts(await ssh.check(irqCountCommand(XGMAC_PROFILE.hwirqs(INSTANCE))));
        const atRelease = await sampleIrqCount();
        await step('quiet', CYCLE_TIMING.quietMs + 5000, () => new Promise((r) => setTimeout(r, CYCLE_TIMING.quietMs)));
        const resumeTraffic = () => {
          if (!silent || timeline.marks['traffic-resumed'] !== undefined) return;
          source.start(CYCLE_TIMING.framesPerSecond);
          timeline.mark('traffic-resumed');
        };
        const u2 = await step('user2', 240_000, () => users.runUser2(env, { sampleIrqCount, resumeTraffic }));
        timeline.mark('user2-done');
        source.stop();
        user2 = u2.events;
        irqCounts = { atRelease, during: u2.irqCountDuring };
        const dmesg = await dmesgSince(ssh, dmesgMark);
        await writeFile(join(dir, EVIDENCE_FILES.dmesgAfterKill), `${dmesg.join('\n')}\n`);
        if (dmesg.some((l) => /: reset$/.test(l.trim()))) notes.push('L1 logged the vfio-platform reset');
      }
    }
    await writeFile(join(dir, 'dmesg.txt'), await ssh.check('dmesg'));
  } catch (error) {
    failure = failureOf(error, phase);
    // Work the failure cut short may still settle later (an agent "exits" when L1 goes): its marks are not evidence.
    marksAtFailure = { ...timeline.marks };
    await writeFile(
      join(dir, 'error.txt'),
      `${phase}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  } finally {
    crashWatch?.stop();
    // Frames keep coming while the console settles: the L0 trace shows what the device does meanwhile.
    if (session !== undefined && failure !== null) await new Promise((r) => setTimeout(r, CRASH_SETTLE_MS));
    source.close();
    if (session !== undefined) {
      if (consoleFromBind !== null)
        await writeFile(
          join(dir, EVIDENCE_FILES.consoleAfterBind),
          session.machine.console.contents.slice(consoleFromBind),
        );
      await shutdownL1(session);
    }
  }

  const evidence: CycleEvidence = {
    format: EVIDENCE_FORMAT,
    spec,
    startedAt,
    endedAt: Date.now(),
    marks: marksAtFailure ?? timeline.marks,
    phases: timeline.phases,
    bind,
    user1,
    l1UptimeAtKillS,
    irqCounts,
    user2,
    failure,
    notes,
  };
  await writeFile(join(dir, EVIDENCE_FILES.record), `${JSON.stringify(evidence, null, 2)}\n`);
  // Judged from what was written, exactly as a later re-judging of the directory would.
  const judgement = await loadEvidence(dir).then(
    (loaded) => judgeRun(loaded.evidence, loaded.logs),
    (error: Error): Judgement => ({
      verdict: { kind: 'invalid', reason: `the run's evidence could not be read: ${error.message}` },
      oracles: [],
      tail: null,
    }),
  );
  return {
    id,
    spec,
    verdict: judgement.verdict,
    oracles: judgement.oracles,
    user1,
    timeline: relativeTo(evidence.marks, 'kill'),
    killWallClock: evidence.marks['kill'] ?? null,
    phases: timeline.phases,
    dir,
    seconds: Math.round((evidence.endedAt - startedAt) / 100) / 10,
    notes,
    errorTail: judgement.tail,
  };
}
