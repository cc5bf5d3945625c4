// SPDX-License-Identifier: GPL-2.0-only
/**
 * The reset cycle with nested VMs: user #1 is an L2 VM started by L1's QEMU
 * with the XGMAC passed through (-device vfio-calxeda-xgmac) whose Linux
 * calxeda driver has the link up; the process killed is L1's QEMU. User #2
 * is a fresh VM, started paused: once its QEMU has mapped its RAM for the
 * device, frames flow and the window stays open, then its RAM is searched
 * from L1 for this run's payloads before the guest has run an instruction
 * (nothing of it can have overwritten a stale write yet); then it runs, and
 * its first process (guest-agents/l2-probe) reads its GIC's pending state
 * for the passed-through SPIs before any driver could touch the device.
 */
import { join } from 'node:path';
import { RemoteAgent } from '../machines/remote-process.ts';
import { L2_QEMU, l2CommandLine, type L2Inspection } from '../machines/l2-guest.ts';
import { PausedL2 } from '../machines/paused-l2.ts';
import { shellQuote } from '../machines/qemu-machine.ts';
import { agentFailureOf, decodeRamSnapshot, decodeVmStats, type AgentEvent } from '../evidence/agent-reports.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { INSTANCE, L1_PATHS, VM_GUEST } from '../plan/layout.ts';
import { VfioPathFailure } from './cycle-failure.ts';
import { type UserEnv, type ScenarioUsers, type User1, type User2Hooks, type User2Run } from './users.ts';
import { CYCLE_TIMING } from '../plan/timing.ts';
import { SCENARIO_RECORDS } from '../plan/scenarios.ts';

const VM_TIMING = SCENARIO_RECORDS.vm.timing;
import type { AgentEventName } from '../plan/contract.ts';

/** How VM #2 is seen from L1 before it runs. */
export const VM2_INSPECTION: L2Inspection = {
  qmpPort: 4450,
  ramFile: '/run/vfio-reset-vm2.ram',
  ramBase: VM_GUEST.ramBase,
};

/** L1's QEMU command line for a VM that gets the device; user #2's starts paused, its RAM readable from L1. */
export function vmArgv(device: string, role: 'user1' | 'user2'): string[] {
  return l2CommandLine({
    memoryMiB: VM_GUEST.memoryMiB,
    devices: ['-device', `vfio-calxeda-xgmac,host=${device}`],
    extraKernelArgs: ['quiet', `vfio_reset.role=${role}`],
    ...(role === 'user2' ? { inspectable: VM2_INSPECTION } : {}),
  });
}

const vmCommand = (env: UserEnv, role: 'user1' | 'user2') => shellQuote(vmArgv(env.device, role));

/** L1's QEMU could not open the passed-through device (hw/vfio: vfio_get_device). */
const QEMU_OPEN_FAILED = /error getting device from group[^\n]*/;

/** Runs `wait` on a VM; its QEMU failing to open the device is the kernel's failure, not the harness's. */
async function onVm<T>(vm: RemoteAgent, user: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const said = vm.otherOutput.map((l) => QEMU_OPEN_FAILED.exec(l)?.[0]).find((m) => m !== undefined);
    if (said !== undefined)
      throw new VfioPathFailure({ kind: 'open-failed', user, step: 'vfio_get_device', message: said });
    throw error;
  }
}

const vmEvent = (vm: RemoteAgent, user: string, event: AgentEventName, timeoutMs: number) =>
  onVm(vm, user, () => vm.waitForEvent(event, timeoutMs));

async function startUser1(env: UserEnv): Promise<User1> {
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
    return s !== null && s.rxPackets >= CYCLE_TIMING.liveFrames && s.irqs > 0;
  };
  await vm.waitUntil(live, 60_000, `${CYCLE_TIMING.liveFrames} frames with IRQs in VM #1`).catch(() => {});
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

const USER2 = 'user #2 (VM #2)';

async function runUser2(env: UserEnv, hooks: User2Hooks): Promise<User2Run> {
  env.progress(`${env.id}: user #2 (fresh VM, paused, its RAM read from L1 before it runs) starting`);
  // Before it, VM #2's RAM does not exist: no write can land there.
  env.timeline.mark('user2-started');
  const vm = await RemoteAgent.start(USER2, env.ssh, vmCommand(env, 'user2'), join(env.dir, 'vm2.console.log'));
  const gone = () => (vm.exited ? 'exited' : null);
  const paused = await onVm(vm, USER2, () => PausedL2.attach(env.ssh, VM2_INSPECTION, gone, VM_TIMING.pausedTimeoutMs));
  let snapshot: readonly AgentEvent[];
  let stalePayloads: number;
  let during: number | null;
  try {
    // Past reset and ROM loading, its RAM mapped for the device: from here a stale write lands in VM #2's RAM.
    const openedAt = env.timeline.mark('user2-mapped');
    hooks.resumeTraffic();
    await hooks.keepWindowOpen(openedAt);
    env.timeline.mark('user2-snapshot');
    // Both while VM #2 holds the device and has run nothing: at once, over two SSH channels.
    [during, snapshot] = await Promise.all([
      hooks.sampleIrqCount(),
      paused.scanRam(env.key, join(env.dir, 'vm2-ram-scan.log'), VM_TIMING.ramScanTimeoutMs),
    ]);
    const scanFailed = agentFailureOf(snapshot);
    if (scanFailed !== null)
      throw new InfrastructureError(`VM #2's RAM scan failed at ${scanFailed.step}: ${scanFailed.message}`);
    try {
      stalePayloads = decodeRamSnapshot(snapshot).snapshot.payloads;
    } catch (error) {
      throw new InfrastructureError(`VM #2's RAM scan: ${(error as Error).message}`);
    }
    await paused.cont();
    env.timeline.mark('user2-continued');
  } finally {
    paused.close();
  }
  try {
    await vmEvent(vm, USER2, 'device', 120_000);
    await vm.waitForEvent('gic', 30_000);
    await vm.waitForEvent('probe-done', 30_000);
    await vm.waitUntil(() => vm.exited, 30_000, 'power-off');
  } catch (error) {
    // A stale write can corrupt what QEMU loaded into VM #2's RAM: then the hazard itself kept the probe from running.
    if (stalePayloads === 0) throw error;
    env.progress(`${env.id}: VM #2 never finished its probe after stale writes into its RAM: ${String(error)}`);
  }
  const errors = vm.ofEvent('error');
  if (errors.length > 0) throw new InfrastructureError(`VM #2's probe failed: ${JSON.stringify(errors[0])}`, vm.tail());
  return { events: [...snapshot, ...vm.events], irqCountDuring: during };
}

/**
 * VM #1's QEMU is the first process of this L1 to need L1's QEMU, its
 * libraries and L2's kernel: they are read from L1's disk while the device
 * is bound, not while VM #1 starts (half a second of a cold start).
 */
const WARM_L2_FILES =
  `(${L2_QEMU} -version; cat ${L1_PATHS.l2Kernel} ${L1_PATHS.l2Initramfs}) ` + '</dev/null >/dev/null 2>&1 &';

export const VM_USERS: ScenarioUsers = {
  bind: async (env) => {
    await env.ssh.check(WARM_L2_FILES);
    return env.l1.bindToVfioPlatform(env.device);
  },
  startUser1,
  runUser2,
};
