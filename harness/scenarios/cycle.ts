/**
 * The reset cycle every scenario shares: boot L1 with the device (and the
 * control, if any), bind it to vfio-platform, bring user #1 up with traffic
 * flowing, kill it with a real signal, keep a quiet window with traffic,
 * hand the device to user #2, then judge all the evidence. A scenario only
 * says who user #1 and user #2 are and what user #2 can see.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootL1, shutdownL1, type L1Session } from '../machines/l1-session.ts';
import type { KeyPair, SshSession } from '../machines/ssh.ts';
import { freeLoopbackUdpPort } from '../machines/free-port.ts';
import { bindToVfioPlatform, dmesgLineCount, dmesgSince } from '../machines/l1-vfio.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { FrameSource } from '../traffic/frame-source.ts';
import { payloadKey, type PayloadKey } from '../traffic/payload.ts';
import { parseTrace } from '../trace/l0-trace.ts';
import { l0Oracles } from '../oracles/l0-oracle.ts';
import { irqCountCommand, l1IrqCountOracle, l1SmmuOracle, parseIrqCounts } from '../oracles/l1-oracle.ts';
import type { OracleName, OracleResult } from '../oracles/finding.ts';
import { controlVerdict, scenarioVerdict, type Verdict } from '../verdict.ts';
import { InfrastructureError } from '../errors.ts';
import type { Stack } from '../stack.ts';
import type { Progress } from '../progress.ts';
import { runId, type KillSignal, type RunSpec } from './run-spec.ts';
import { PhaseTimeout, Timeline } from './timeline.ts';

export const CYCLE_TIMING = {
  framesPerSecond: 200,
  /** After user #1 is gone, traffic keeps flowing this long before user #2 arrives. */
  quietMs: 3000,
} as const;

export const INSTANCE = 0;

/** How long after the reset handler's first write the L0 window opens: ample for its few register writes. */
export const RELEASE_SETTLE_MS = 10;

export interface User1Evidence {
  readonly frames: number;
  readonly irqs: number;
  /** Frames whose run-keyed payload user #1 showed us; null when user #1 cannot show payloads (a VM). */
  readonly payloadsVerified: number | null;
}

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
  /** For a run that failed on the way: the tail of the log or console that shows why. */
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
  readonly live: boolean;
  /** Kills user #1 with a real signal; resolves once it is gone. */
  kill(signal: KillSignal): Promise<void>;
}

export interface User2Report {
  readonly oracles: readonly OracleResult[];
  /** The device's interrupt count in L1 sampled while user #2 held it without enabling it. */
  readonly irqCountDuring: number | null;
}

export interface ScenarioUsers {
  /** The oracles that can see a device left running in this scenario; all must fire in a control. */
  readonly mustFireInControls: readonly OracleName[];
  startUser1(env: CycleEnv): Promise<User1>;
  /** Runs user #2 to the end; the cycle stops the traffic afterwards. */
  runUser2(env: CycleEnv, sampleIrqCount: () => Promise<number | null>): Promise<User2Report>;
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

export async function runCycle(ctx: RunContext, users: ScenarioUsers): Promise<RunResult> {
  const { spec, dir, progress } = ctx;
  const id = runId(spec);
  const started = Date.now();
  const timeline = new Timeline();
  const notes: string[] = [];
  const key = payloadKey(spec.seed);
  const device = XGMAC_PROFILE.deviceName(INSTANCE);
  const traceFile = join(dir, 'l0-trace.log');
  const setup = controlSetup(spec);
  const source = await FrameSource.open(key, await freeLoopbackUdpPort());
  let session: L1Session | undefined;
  let user1Evidence: User1Evidence | null = null;
  let errorTail: string | null = null;
  const finish = (verdict: Verdict, oracles: readonly OracleResult[]): RunResult => ({
    id,
    spec,
    verdict,
    oracles,
    user1: user1Evidence,
    timeline: timeline.relativeTo('kill'),
    killWallClock: timeline.marks['kill'] ?? null,
    phases: timeline.phases,
    dir,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    notes,
    errorTail,
  });
  try {
    // Longer than bootL1's own waits (QMP, console 120 s, SSH 60 s), so that it never outlives the phase.
    session = await timeline.phase('boot', 240_000, () =>
      bootL1(
        {
          qemuBinary: ctx.stack.qemu.binary,
          kernel: ctx.stack.kernel.image,
          rootImage: ctx.stack.l1Image.path,
          key: ctx.sshKey,
          runDir: dir,
          extraKernelArgs: setup.kernelArgs,
          devices: { xgmacs: [{ link: source.link, mac: '52:54:00:12:34:00' }], traceFile, globals: setup.globals },
        },
        progress,
      ),
    );
    const ssh = session.ssh;
    const env: CycleEnv = { ssh, device, key, dir, timeline, progress, id };

    const bound = await timeline.phase('bind', 30_000, async () => {
      if (spec.control === 'kernel-no-reset') {
        // The handler is a module that vfio-platform requests by alias at bind time: take it away.
        await ssh.check(`find /lib/modules -name 'vfio-platform-calxedaxgmac.ko*' -exec rm -f {} +`);
      }
      return bindToVfioPlatform(ssh, device);
    });
    if (!bound.bound) {
      if (spec.control !== 'none') return finish({ kind: 'invalid', reason: `control ${spec.control} could not be set up: vfio-platform refused ${device}: ${bound.kernelSays}` }, []);
      // Only the kernel refusing for want of a reset function is a regression of the reset; any other refusal decides nothing.
      const moduleShipped = (await ssh.exec(`find /lib/modules/$(uname -r) -name 'vfio-platform-calxedaxgmac.ko*' | grep -q .`)).code === 0;
      if (/no reset function found/i.test(bound.kernelSays) && moduleShipped) {
        return finish({ kind: 'regression', reason: `vfio-platform refuses ${device}, users can no longer assign it: ${bound.kernelSays}` }, []);
      }
      return finish({ kind: 'invalid', reason: `vfio-platform did not bind ${device}${moduleShipped ? '' : ' (the kernel ships no reset module)'}: ${bound.kernelSays}` }, []);
    }
    const handlerLoaded = (await ssh.exec('grep -q "^vfio_platform_calxedaxgmac " /proc/modules')).code === 0;
    notes.push(`reset module ${handlerLoaded ? 'loaded' : 'not loaded'} after bind`);
    if (spec.control === 'kernel-no-reset' && handlerLoaded) return finish({ kind: 'invalid', reason: 'control kernel-no-reset: the reset module is loaded anyway' }, []);

    source.start(CYCLE_TIMING.framesPerSecond);
    const user1 = await timeline.phase('user1-live', 180_000, () => users.startUser1(env));
    user1Evidence = user1.evidence;
    if (!user1.live) {
      return finish({ kind: 'invalid', reason: `user #1 never had live DMA and IRQs (${user1.evidence.frames} frames, ${user1.evidence.payloadsVerified ?? 'no'} verified payloads, ${user1.evidence.irqs} IRQs)` }, []);
    }

    const dmesgMark = await dmesgLineCount(ssh);
    const uptimeAtKill = Number((await ssh.check('cat /proc/uptime')).split(' ')[0]);
    progress(`${id}: killing user #1 with SIG${spec.signal}`);
    await timeline.phase('kill', 15_000, async () => {
      timeline.mark('kill');
      await user1.kill(spec.signal);
      timeline.mark('user1-exit');
    });

    const sampleIrqCount = async () => parseIrqCounts(await ssh.check(irqCountCommand(XGMAC_PROFILE.hwirqs(INSTANCE))));
    const irqCountAtRelease = await sampleIrqCount();
    await timeline.phase('quiet', CYCLE_TIMING.quietMs + 5000, () => new Promise((r) => setTimeout(r, CYCLE_TIMING.quietMs)));

    const user2 = await timeline.phase('user2', 240_000, () => users.runUser2(env, sampleIrqCount));
    timeline.mark('user2-done');
    source.stop();

    const dmesg = await dmesgSince(ssh, dmesgMark);
    await writeFile(join(dir, 'dmesg-after-kill.txt'), `${dmesg.join('\n')}\n`);
    await writeFile(join(dir, 'dmesg.txt'), await ssh.check('dmesg'));
    if (dmesg.some((l) => /: reset$/.test(l.trim()))) notes.push('L1 logged the vfio-platform reset');
    const trace = parseTrace(await readFile(traceFile, 'utf8'));
    const killAt = timeline.marks['kill']!;
    const doneAt = timeline.marks['user2-done']!;
    // The L0 oracles can only be silent for a reason if the trace was live and frames kept reaching the device.
    const dmaBeforeKill = trace.some((e) => e.kind === 'dma' && e.instance === INSTANCE && e.t < killAt);
    const framesInWindow = trace.some((e) => e.kind === 'rx-frame' && e.instance === INSTANCE && e.t > killAt && e.t < doneAt);
    if (!dmaBeforeKill || !framesInWindow) {
      return finish({ kind: 'invalid', reason: `the L0 trace ${!dmaBeforeKill ? 'shows no DMA of user #1 before the kill' : 'shows no frame reaching the device after the kill'}: its oracles would be blind` }, []);
    }
    // The window opens at the release: once the reset handler's writes have landed (its first
    // quiescing write plus RELEASE_SETTLE_MS; the whole sequence takes about 60 us here), else
    // when user #1 was seen gone. Until then the dying user #1 may still legitimately use the device.
    const releaseWrite = trace.find((e) => e.kind === 'mmio' && e.instance === INSTANCE && e.t > killAt && XGMAC_PROFILE.isReleaseWrite(e));
    const from = Math.min(timeline.marks['user1-exit']!, (releaseWrite?.t ?? Infinity) + RELEASE_SETTLE_MS);
    if (releaseWrite !== undefined) timeline.mark('release-write', releaseWrite.t);
    const oracles = [
      ...l0Oracles(trace, { instance: INSTANCE, sid: XGMAC_PROFILE.sidBase + INSTANCE, killAt, from, to: doneAt }),
      l1SmmuOracle(dmesg, uptimeAtKill),
      l1IrqCountOracle(irqCountAtRelease, user2.irqCountDuring, 'from user #1\'s release to user #2 holding the device without enabling it'),
      ...user2.oracles,
    ];
    return finish(spec.control === 'none' ? scenarioVerdict(oracles) : controlVerdict(oracles, users.mustFireInControls), oracles);
  } catch (error) {
    // Whatever went wrong, this run decided nothing; the campaign goes on with the next one.
    const message = error instanceof InfrastructureError || error instanceof PhaseTimeout ? error.message : `harness error: ${(error as Error).stack ?? String(error)}`;
    errorTail = error instanceof InfrastructureError && error.tail !== '' ? error.tail : null;
    await writeFile(join(dir, 'error.txt'), `${message}${errorTail !== null ? `\n${errorTail}` : ''}\n`);
    return finish({ kind: 'invalid', reason: message.split('\n')[0] ?? message }, []);
  } finally {
    source.close();
    if (session !== undefined) await shutdownL1(session);
  }
}
