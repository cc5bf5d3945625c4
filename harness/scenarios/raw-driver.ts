/**
 * One reset cycle with raw VFIO userspace drivers in L1: user #1 (the
 * XGMAC driver) receives frames streamed from L0, is killed with a real
 * signal, a quiet window passes with traffic still flowing, and user #2
 * (the reset probe) opens the device and reports what it sees before it
 * programs anything. Evidence comes from the L0 trace, L1 and the probe.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootL1, shutdownL1, type L1Session } from '../machines/l1-session.ts';
import type { KeyPair } from '../machines/ssh.ts';
import { freeLoopbackPort } from '../machines/free-port.ts';
import { RemoteAgent } from '../machines/remote-process.ts';
import { bindToVfioPlatform, dmesgLineCount, dmesgSince } from '../machines/l1-vfio.ts';
import { L1_PATHS } from '../build/l1-image.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { FrameSource } from '../traffic/frame-source.ts';
import { FRAME_HEADER_LEN, payloadKey, verifyPayload } from '../traffic/payload.ts';
import { parseTrace } from '../trace/l0-trace.ts';
import { l0Oracles } from '../oracles/l0-oracle.ts';
import { l1IrqCountOracle, l1SmmuOracle, vfioIrqCount } from '../oracles/l1-oracle.ts';
import { user2Oracles } from '../oracles/user2-oracle.ts';
import type { OracleResult } from '../oracles/finding.ts';
import { controlVerdict, scenarioVerdict, type Verdict } from '../verdict.ts';
import { InfrastructureError } from '../errors.ts';
import type { Stack } from '../stack.ts';
import type { Progress } from '../progress.ts';
import { runId, type RunSpec } from './run-spec.ts';
import { Timeline } from './timeline.ts';

export const RAW_DRIVER_TIMING = {
  framesPerSecond: 200,
  /** User #1 must have received this many frames, with IRQs, before the kill. */
  liveFrames: 50,
  /** After user #1 is gone, traffic keeps flowing this long before user #2 arrives. */
  quietMs: 3000,
  /** How long user #2 watches the device without enabling anything. */
  probeWindowMs: 2000,
} as const;

const IOVA = 0x10000000;
const INSTANCE = 0;

export interface User1Evidence {
  readonly frames: number;
  readonly irqs: number;
  readonly payloadsVerified: number;
}

export interface RunResult {
  readonly id: string;
  readonly spec: RunSpec;
  readonly verdict: Verdict;
  readonly oracles: readonly OracleResult[];
  readonly user1: User1Evidence | null;
  /** Instants relative to the kill (ms). */
  readonly timeline: Record<string, number>;
  readonly phases: ReadonlyArray<{ name: string; seconds: number }>;
  readonly dir: string;
  readonly seconds: number;
  readonly notes: readonly string[];
}

export interface RunContext {
  readonly stack: Stack;
  readonly sshKey: KeyPair;
  readonly dir: string;
  readonly spec: RunSpec;
  readonly progress: Progress;
}

function setupFor(spec: RunSpec): { kernelArgs: string[]; globals: string[] } {
  switch (spec.control) {
    case 'none':
      return { kernelArgs: [], globals: [] };
    case 'kernel-no-reset':
      return { kernelArgs: ['vfio_platform.reset_required=0'], globals: [] };
    case 'device-ignores-reset':
      return { kernelArgs: [], globals: ['xgmac.quiesce-ignored=on'] };
  }
}

export async function runRawDriver(ctx: RunContext): Promise<RunResult> {
  const { spec, dir, progress } = ctx;
  const id = runId(spec);
  const started = Date.now();
  const timeline = new Timeline();
  const notes: string[] = [];
  const key = payloadKey(spec.seed);
  const device = XGMAC_PROFILE.deviceName(INSTANCE);
  const traceFile = join(dir, 'l0-trace.log');
  const setup = setupFor(spec);
  const source = await FrameSource.open(key, await freeLoopbackPort());
  let session: L1Session | undefined;
  const finish = (verdict: Verdict, oracles: OracleResult[], user1: User1Evidence | null): RunResult => ({
    id,
    spec,
    verdict,
    oracles,
    user1,
    timeline: timeline.relativeTo('kill'),
    phases: timeline.phases,
    dir,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    notes,
  });
  try {
    session = await timeline.phase('boot', 180_000, () =>
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

    const bound = await timeline.phase('bind', 30_000, async () => {
      if (spec.control === 'kernel-no-reset') {
        // The handler is a module that vfio-platform requests by alias at bind time: take it away.
        await ssh.check(`find /lib/modules -name 'vfio-platform-calxedaxgmac.ko*' -exec rm -f {} +`);
      }
      return bindToVfioPlatform(ssh, device);
    });
    if (!bound.bound) {
      if (spec.control === 'none') return finish({ kind: 'regression', reason: `vfio-platform refuses ${device}, users can no longer assign it: ${bound.kernelSays}` }, [], null);
      return finish({ kind: 'invalid', reason: `control ${spec.control} could not be set up: vfio-platform refused ${device}: ${bound.kernelSays}` }, [], null);
    }
    const handlerLoaded = (await ssh.exec('grep -q "^vfio_platform_calxedaxgmac " /proc/modules')).code === 0;
    notes.push(`reset module ${handlerLoaded ? 'loaded' : 'not loaded'} after bind`);
    if (spec.control === 'kernel-no-reset' && handlerLoaded) return finish({ kind: 'invalid', reason: 'control kernel-no-reset: the reset module is loaded anyway' }, [], null);

    progress(`${id}: user #1 (raw VFIO driver) up, streaming ${RAW_DRIVER_TIMING.framesPerSecond} frames/s`);
    const user1 = await RemoteAgent.start('user #1 (xgmac-vfio-driver)', ssh, `${L1_PATHS.agents}/xgmac-vfio-driver --device ${device} --iova 0x${IOVA.toString(16)}`, join(dir, 'user1.jsonl'));
    const user1Evidence = await timeline.phase('user1-live', 60_000, async () => {
      await user1.waitForEvent('ready', 30_000);
      timeline.mark('user1-ready');
      source.start(RAW_DRIVER_TIMING.framesPerSecond);
      await user1.waitUntil(() => user1.ofEvent('frame').length >= RAW_DRIVER_TIMING.liveFrames && user1.ofEvent('irq').length > 0, 30_000, `${RAW_DRIVER_TIMING.liveFrames} frames with IRQs`).catch(() => {});
      const frames = user1.ofEvent('frame');
      const verified = frames.filter((f) => verifyPayload(key, Buffer.from(String(f['head']), 'hex'), FRAME_HEADER_LEN) !== null).length;
      return { frames: frames.length, irqs: user1.ofEvent('irq').length, payloadsVerified: verified };
    });
    if (user1Evidence.frames < RAW_DRIVER_TIMING.liveFrames || user1Evidence.irqs === 0 || user1Evidence.payloadsVerified < user1Evidence.frames) {
      return finish({ kind: 'invalid', reason: `user #1 never had live DMA and IRQs (${user1Evidence.frames} frames, ${user1Evidence.payloadsVerified} verified payloads, ${user1Evidence.irqs} IRQs)` }, [], user1Evidence);
    }

    const dmesgMark = await dmesgLineCount(ssh);
    const uptimeAtKill = Number((await ssh.check('cat /proc/uptime')).split(' ')[0]);
    progress(`${id}: killing user #1 with SIG${spec.signal}`);
    await timeline.phase('kill', 15_000, async () => {
      timeline.mark('kill');
      await user1.kill(spec.signal);
      timeline.mark('user1-exit');
    });

    await timeline.phase('quiet', RAW_DRIVER_TIMING.quietMs + 5000, () => new Promise((r) => setTimeout(r, RAW_DRIVER_TIMING.quietMs)));

    progress(`${id}: user #2 (reset probe) opens the device`);
    const interrupts: { armed: number | null; during: number | null } = { armed: null, during: null };
    const user2 = await RemoteAgent.start('user #2 (xgmac-reset-probe)', ssh, `${L1_PATHS.agents}/xgmac-reset-probe --device ${device} --iova 0x${IOVA.toString(16)} --window-ms ${RAW_DRIVER_TIMING.probeWindowMs}`, join(dir, 'user2.jsonl'));
    await timeline.phase('user2', RAW_DRIVER_TIMING.probeWindowMs + 30_000, async () => {
      await user2.waitForEvent('irqs-armed', 15_000);
      timeline.mark('user2-armed');
      interrupts.armed = vfioIrqCount(await ssh.check('cat /proc/interrupts'), device);
      await user2.waitForEvent('registers', 15_000);
      await new Promise((r) => setTimeout(r, RAW_DRIVER_TIMING.probeWindowMs / 2));
      interrupts.during = vfioIrqCount(await ssh.check('cat /proc/interrupts'), device);
      await user2.waitForEvent('done', RAW_DRIVER_TIMING.probeWindowMs + 15_000);
      await user2.waitUntil(() => user2.exited, 10_000, 'exit');
      timeline.mark('user2-done');
    });
    source.stop();

    const dmesg = await dmesgSince(ssh, dmesgMark);
    await writeFile(join(dir, 'dmesg-after-kill.txt'), `${dmesg.join('\n')}\n`);
    await writeFile(join(dir, 'dmesg.txt'), await ssh.check('dmesg'));
    if (dmesg.some((l) => /: reset$/.test(l.trim()))) notes.push('L1 logged the vfio-platform reset');
    const trace = parseTrace(await readFile(traceFile, 'utf8'));
    const killAt = timeline.marks['kill']!;
    const oracles = [
      ...l0Oracles(trace, { instance: INSTANCE, sid: XGMAC_PROFILE.sidBase + INSTANCE, killAt, from: timeline.marks['user1-exit']!, to: timeline.marks['user2-done']! }),
      l1SmmuOracle(dmesg, uptimeAtKill),
      l1IrqCountOracle(interrupts.armed, interrupts.during, 'while user #2 held the device without enabling it'),
      ...user2Oracles(user2.events, key, killAt),
    ];
    const verdict = spec.control === 'none' ? scenarioVerdict(oracles) : controlVerdict(oracles);
    return finish(verdict, oracles, user1Evidence);
  } catch (error) {
    if (error instanceof InfrastructureError || (error as Error).name === 'PhaseTimeout') {
      const tail = error instanceof InfrastructureError && error.tail !== '' ? `\n${error.tail}` : '';
      await writeFile(join(dir, 'error.txt'), `${(error as Error).message}${tail}\n`);
      return finish({ kind: 'invalid', reason: (error as Error).message }, [], null);
    }
    throw error;
  } finally {
    source.close();
    if (session !== undefined) await shutdownL1(session);
  }
}
