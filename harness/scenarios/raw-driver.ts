// SPDX-License-Identifier: GPL-2.0-only
/**
 * The reset cycle with raw VFIO userspace drivers in L1: user #1 is the
 * XGMAC driver (guest-agents/xgmac-vfio-driver), user #2 the reset probe
 * (guest-agents/xgmac-reset-probe), which reports the register state, its
 * IRQs and bytes written into fresh memory at the old IOVAs. Both run under
 * the on-target runner (guest-agents/vfio-reset-target), the same test a
 * host without the harness runs on its own: here the harness paces it,
 * adding the frames, the L0 trace and the controls around it, so that the
 * runner is exercised by every run.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { FRAME_HEADER_LEN, verifyPayload } from '../traffic/payload.ts';
import { payloadKey } from '../traffic/payload.ts';
import { decodeDriverFrames } from '../evidence/agent-reports.ts';
import { WINDOW_RULES } from '../plan/windows.ts';
import { TargetRunner } from './target-runner.ts';
import { awaitOpened } from './cycle-failure.ts';
import {
  type UserEnv,
  type RunContext,
  type ScenarioUsers,
  type User1,
  type User2Hooks,
  type User2Run,
} from './users.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';
import { SCENARIO_RECORDS } from '../plan/scenarios.ts';

/** The runner's findings against the harness's, per oracle, for the spec that keeps the two in step. */
export const TARGET_FINDINGS_FILE = 'target-findings.json';

async function startUser1(env: UserEnv, runner: TargetRunner): Promise<User1> {
  env.progress(`${env.id}: user #1 (raw VFIO driver) up, frames streaming`);
  runner.say('user1');
  const driver = runner.view('user1');
  await awaitOpened(driver, 'user #1');
  await driver.waitForEvent('ready', 30_000);
  env.timeline.mark('user1-ready');
  const frames = () => driver.events.filter((e) => e.event === 'frame').length;
  const irqs = () => driver.events.filter((e) => e.event === 'irq').length;
  await driver
    .waitUntil(
      () => frames() >= CYCLE_TIMING.liveFrames && irqs() > 0,
      SCENARIO_RECORDS['raw-driver'].timing.liveTimeoutMs,
      `${CYCLE_TIMING.liveFrames} frames with IRQs`,
    )
    .catch(() => {});
  const decoded = decodeDriverFrames(driver.events);
  const verified = decoded.filter((head) => verifyPayload(env.key, head, FRAME_HEADER_LEN) !== null).length;
  return {
    evidence: {
      frames: decoded.length,
      irqs: irqs(),
      payloadsVerified: verified,
      live: decoded.length >= CYCLE_TIMING.liveFrames && irqs() > 0 && verified === decoded.length,
    },
    kill: (signal) => runner.kill(signal, CYCLE_TIMING.releaseTimeoutMs),
    irqCountAtRelease: async () => runner.irqCountAtRelease(),
  };
}

async function runUser2(env: UserEnv, runner: TargetRunner, hooks: User2Hooks): Promise<User2Run> {
  env.progress(`${env.id}: user #2 (reset probe) opens the device`);
  runner.say('user2');
  const probe = runner.view('user2');
  await awaitOpened(probe, 'user #2');
  await probe.waitForEvent('irqs-armed', 15_000);
  env.timeline.mark('user2-armed');
  await probe.waitForEvent('dma-mapped', 15_000);
  // The window opens once fresh memory is mapped at the old IOVAs: from then on a stale DMA write shows there.
  const openedAt = env.timeline.mark('user2-mapped');
  hooks.resumeTraffic();
  await probe.waitForEvent('registers', 15_000);
  await hooks.keepWindowOpen(openedAt);
  const during = await runner.endWindow();
  await probe.waitForEvent('done', WINDOW_RULES.user2.maxMs + 15_000);
  // The runner reads the kernel's log once no frame can add to it: the harness judges that same log.
  hooks.stopTraffic();
  const { findings, kernelLog } = await runner.finish(30_000);
  await writeFile(join(env.dir, TARGET_FINDINGS_FILE), `${JSON.stringify(findings, null, 2)}\n`);
  return { events: probe.events, irqCountDuring: during, kernelLogAfterKill: kernelLog };
}

/** The users of one run: one runner, started at the bind, for the whole L1 half. */
export function rawDriverUsers(ctx: RunContext): ScenarioUsers {
  let runner: TargetRunner | undefined;
  const running = () => {
    if (runner === undefined) throw new Error('the runner is started by the bind');
    return runner;
  };
  return {
    async bind(env) {
      runner = await TargetRunner.start({
        ssh: env.ssh,
        device: env.device,
        dir: env.dir,
        signal: ctx.spec.signal,
        control: ctx.spec.control,
        key: payloadKey(ctx.spec.seed),
      });
      const said = await runner.runnerSays(['bound', 'bind-refused'], 30_000);
      return said.event === 'bound' ? { bound: true } : { bound: false, kernelSays: String(said['kernel_says']) };
    },
    startUser1: (env) => startUser1(env, running()),
    runUser2: (env, hooks) => runUser2(env, running(), hooks),
  };
}
