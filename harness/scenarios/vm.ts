// SPDX-License-Identifier: GPL-2.0-only
/**
 * The reset cycle with nested VMs: user #1 is an L2 VM started by L1's QEMU
 * with the XGMAC passed through (-device vfio-calxeda-xgmac) whose Linux
 * calxeda driver has the link up; the process killed is L1's QEMU. User #2
 * is a fresh VM whose first process (guest-agents/l2-probe) reads its GIC's
 * pending state for the passed-through SPIs and scans its RAM for this
 * run's payloads, before any driver could touch the device.
 */
import { join } from 'node:path';
import { RemoteAgent } from '../machines/remote-process.ts';
import { l2CommandLine } from '../machines/l2-guest.ts';
import { shellQuote } from '../machines/qemu-machine.ts';
import { decodeVmStats } from '../evidence/agent-reports.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { sleep } from '../lib/time.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { INSTANCE } from '../judge/judge.ts';
import type { PayloadKey } from '../traffic/payload.ts';
import {
  runCycle,
  VfioPathFailure,
  type CycleEnv,
  type RunContext,
  type RunResult,
  type ScenarioUsers,
  type User1,
  type User2Hooks,
  type User2Run,
} from './cycle.ts';

export const VM_TIMING = {
  /** VM #1's driver must have received this many frames, with IRQs, before the kill. */
  liveFrames: 50,
  memoryMiB: 192,
} as const;

/** L1's QEMU command line for a VM that gets the device; user #2's probe gets the key to find payloads with. */
export function vmArgv(device: string, key: PayloadKey, role: 'user1' | 'user2'): string[] {
  const args = role === 'user2' ? [`vfio_reset.key=${key.key.toString('hex')}`, `vfio_reset.runid=${key.runId}`] : [];
  return l2CommandLine({
    memoryMiB: VM_TIMING.memoryMiB,
    devices: ['-device', `vfio-calxeda-xgmac,host=${device}`],
    extraKernelArgs: ['quiet', `vfio_reset.role=${role}`, ...args],
  });
}

const vmCommand = (env: CycleEnv, role: 'user1' | 'user2') => shellQuote(vmArgv(env.device, env.key, role));

/** L1's QEMU could not open the passed-through device (hw/vfio: vfio_get_device). */
const QEMU_OPEN_FAILED = /error getting device from group[^\n]*/;

/** Waits for `event` from a VM; its QEMU failing to open the device is the kernel's failure, not the harness's. */
async function vmEvent(vm: RemoteAgent, user: string, event: string, timeoutMs: number) {
  try {
    return await vm.waitForEvent(event, timeoutMs);
  } catch (error) {
    const said = vm.otherOutput.map((l) => QEMU_OPEN_FAILED.exec(l)?.[0]).find((m) => m !== undefined);
    if (said !== undefined)
      throw new VfioPathFailure({ kind: 'open-failed', user, step: 'vfio_get_device', message: said });
    throw error;
  }
}

async function startUser1(env: CycleEnv): Promise<User1> {
  env.progress(`${env.id}: user #1 (VM with the calxeda xgmac driver) booting`);
  const vm = await RemoteAgent.start(
    'user #1 (VM #1)',
    env.ssh,
    vmCommand(env, 'user1'),
    join(env.dir, 'vm1.console.log'),
  );
  await vmEvent(vm, 'user #1 (VM #1)', 'link-up', 120_000);
  env.timeline.mark('user1-ready');
  const live = () => {
    const s = decodeVmStats(vm.events);
    return s !== null && s.rxPackets >= VM_TIMING.liveFrames && s.irqs > 0;
  };
  await vm.waitUntil(live, 60_000, `${VM_TIMING.liveFrames} frames with IRQs in VM #1`).catch(() => {});
  const s = decodeVmStats(vm.events);
  return {
    evidence: {
      frames: s?.rxPackets ?? 0,
      irqs: s?.irqs ?? 0,
      payloadsVerified: null,
      live: live() && vm.ofEvent('error').length === 0,
    },
    kill: (signal) => vm.kill(signal, 30_000),
    irqCountAtRelease: () => env.l1.irqCount(XGMAC_PROFILE.hwirqs(INSTANCE)),
  };
}

/** How often VM #2's QEMU is looked at for the device's file, to resume frames in the silent pattern. */
const HOLDS_DEVICE_POLL_MS = 100;

async function runUser2(env: CycleEnv, hooks: User2Hooks): Promise<User2Run> {
  env.progress(`${env.id}: user #2 (fresh VM, probe first) booting`);
  const vm = await RemoteAgent.start(
    'user #2 (VM #2)',
    env.ssh,
    vmCommand(env, 'user2'),
    join(env.dir, 'vm2.console.log'),
  );
  // Frames resume once VM #2's QEMU holds the device, its RAM mapped for it: long before the guest's kernel runs the
  // probe.
  let looking = true;
  const resumeOnceHeld = (async () => {
    while (looking && !vm.exited) {
      if (await env.l1.holdsVfioDevice(vm.pid!)) return hooks.resumeTraffic();
      await sleep(HOLDS_DEVICE_POLL_MS);
    }
  })();
  try {
    await vmEvent(vm, 'user #2 (VM #2)', 'device', 120_000);
    await vm.waitForEvent('gic', 30_000);
    const during = await hooks.sampleIrqCount();
    await vm.waitForEvent('probe-done', 120_000);
    await vm.waitUntil(() => vm.exited, 30_000, 'power-off');
    const errors = vm.ofEvent('error');
    if (errors.length > 0)
      throw new InfrastructureError(`VM #2's probe failed: ${JSON.stringify(errors[0])}`, vm.tail());
    return { events: vm.events, irqCountDuring: during };
  } finally {
    looking = false;
    await resumeOnceHeld.catch(() => {});
  }
}

export const VM_USERS: ScenarioUsers = {
  bind: (env) => env.l1.bindToVfioPlatform(env.device),
  startUser1,
  runUser2,
};

export function runVm(ctx: RunContext): Promise<RunResult> {
  return runCycle(ctx, () => VM_USERS);
}
