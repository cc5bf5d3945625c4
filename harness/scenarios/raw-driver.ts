// SPDX-License-Identifier: GPL-2.0-only
/**
 * The reset cycle with raw VFIO userspace drivers in L1: user #1 is the
 * XGMAC driver (guest-agents/xgmac-vfio-driver), user #2 the reset probe
 * (guest-agents/xgmac-reset-probe), which reports the register state, its
 * IRQs and bytes written into fresh memory at the old IOVAs.
 */
import { join } from 'node:path';
import { RemoteAgent } from '../machines/remote-process.ts';
import { L1_PATHS } from '../recipes/l1-image.ts';
import { FRAME_HEADER_LEN, verifyPayload } from '../traffic/payload.ts';
import { decodeDriverFrames } from '../evidence/agent-reports.ts';
import { WINDOW_RULES } from './evidence-window.ts';
import {
  awaitOpened,
  runCycle,
  type CycleEnv,
  type RunContext,
  type RunResult,
  type ScenarioUsers,
  type User1,
  type User2Hooks,
  type User2Run,
} from './cycle.ts';

export const RAW_DRIVER_TIMING = {
  /** User #1 must have received this many frames, with IRQs, before the kill. */
  liveFrames: 50,
  /** ... within this long of being ready. */
  liveTimeoutMs: 30_000,
} as const;

/** Where both users map their DMA memory: user #2 maps fresh memory at user #1's IOVAs. */
export const RAW_DRIVER_IOVA = 0x10000000;
const IOVA = RAW_DRIVER_IOVA;

async function startUser1(env: CycleEnv): Promise<User1> {
  env.progress(`${env.id}: user #1 (raw VFIO driver) up, frames streaming`);
  const driver = await RemoteAgent.start(
    'user #1 (xgmac-vfio-driver)',
    env.ssh,
    `${L1_PATHS.agents}/xgmac-vfio-driver --device ${env.device} --iova 0x${IOVA.toString(16)}`,
    join(env.dir, 'user1.jsonl'),
  );
  await awaitOpened(driver, 'user #1');
  await driver.waitForEvent('ready', 30_000);
  env.timeline.mark('user1-ready');
  await driver
    .waitUntil(
      () => driver.ofEvent('frame').length >= RAW_DRIVER_TIMING.liveFrames && driver.ofEvent('irq').length > 0,
      30_000,
      `${RAW_DRIVER_TIMING.liveFrames} frames with IRQs`,
    )
    .catch(() => {});
  const frames = decodeDriverFrames(driver.events);
  const verified = frames.filter((head) => verifyPayload(env.key, head, FRAME_HEADER_LEN) !== null).length;
  const irqs = driver.ofEvent('irq').length;
  return {
    evidence: {
      frames: frames.length,
      irqs,
      payloadsVerified: verified,
      live: frames.length >= RAW_DRIVER_TIMING.liveFrames && irqs > 0 && verified === frames.length,
    },
    kill: (signal) => driver.kill(signal, 30_000),
  };
}

async function runUser2(env: CycleEnv, hooks: User2Hooks): Promise<User2Run> {
  env.progress(`${env.id}: user #2 (reset probe) opens the device`);
  const probe = await RemoteAgent.start(
    'user #2 (xgmac-reset-probe)',
    env.ssh,
    `${L1_PATHS.agents}/xgmac-reset-probe --device ${env.device} --iova 0x${IOVA.toString(16)} ` +
      `--window-ms ${WINDOW_RULES.user2.maxMs}`,
    join(env.dir, 'user2.jsonl'),
  );
  await awaitOpened(probe, 'user #2');
  await probe.waitForEvent('irqs-armed', 15_000);
  env.timeline.mark('user2-armed');
  await probe.waitForEvent('dma-mapped', 15_000);
  // The window opens once fresh memory is mapped at the old IOVAs: from then on a stale DMA write shows there.
  const openedAt = env.timeline.mark('user2-mapped');
  hooks.resumeTraffic();
  await probe.waitForEvent('registers', 15_000);
  await hooks.keepWindowOpen(openedAt);
  const during = await hooks.sampleIrqCount();
  await probe.signal('USR1');
  await probe.waitForEvent('done', WINDOW_RULES.user2.maxMs + 15_000);
  await probe.waitUntil(() => probe.exited, 10_000, 'exit');
  return { events: probe.events, irqCountDuring: during };
}

export const RAW_DRIVER_USERS: ScenarioUsers = { startUser1, runUser2 };

export function runRawDriver(ctx: RunContext): Promise<RunResult> {
  return runCycle(ctx, RAW_DRIVER_USERS);
}
