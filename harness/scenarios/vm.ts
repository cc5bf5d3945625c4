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
import { vm2Oracles } from '../oracles/vm2-oracle.ts';
import { InfrastructureError } from '../errors.ts';
import { runCycle, type CycleEnv, type RunContext, type RunResult, type ScenarioUsers, type User1, type User2Report } from './cycle.ts';

export const VM_TIMING = {
  /** VM #1's driver must have received this many frames, with IRQs, before the kill. */
  liveFrames: 50,
  memoryMiB: 192,
} as const;

function vmCommand(env: CycleEnv, role: 'user1' | 'user2'): string {
  const args = role === 'user2' ? [`vfio_reset.key=${env.key.key.toString('hex')}`, `vfio_reset.runid=${env.key.runId}`] : [];
  return shellQuote(l2CommandLine({
    memoryMiB: VM_TIMING.memoryMiB,
    devices: ['-device', `vfio-calxeda-xgmac,host=${env.device}`],
    extraKernelArgs: ['quiet', `vfio_reset.role=${role}`, ...args],
  }));
}

const lastStats = (vm: RemoteAgent) => vm.ofEvent('stats').at(-1);

async function startUser1(env: CycleEnv): Promise<User1> {
  env.progress(`${env.id}: user #1 (VM with the calxeda xgmac driver) booting`);
  const vm = await RemoteAgent.start('user #1 (VM #1)', env.ssh, vmCommand(env, 'user1'), join(env.dir, 'vm1.console.log'));
  await vm.waitForEvent('link-up', 120_000);
  env.timeline.mark('user1-ready');
  const live = () => {
    const s = lastStats(vm);
    return s !== undefined && Number(s['rx_packets']) >= VM_TIMING.liveFrames && Number(s['irqs']) > 0;
  };
  await vm.waitUntil(live, 60_000, `${VM_TIMING.liveFrames} frames with IRQs in VM #1`).catch(() => {});
  const s = lastStats(vm);
  const evidence = { frames: Number(s?.['rx_packets'] ?? 0), irqs: Number(s?.['irqs'] ?? 0), payloadsVerified: null };
  return {
    evidence,
    live: live() && vm.ofEvent('error').length === 0,
    kill: async (signal) => {
      await vm.kill(signal);
    },
  };
}

async function runUser2(env: CycleEnv, sampleIrqCount: () => Promise<number | null>): Promise<User2Report> {
  env.progress(`${env.id}: user #2 (fresh VM, probe first) booting`);
  const vm = await RemoteAgent.start('user #2 (VM #2)', env.ssh, vmCommand(env, 'user2'), join(env.dir, 'vm2.console.log'));
  const device = await vm.waitForEvent('device', 120_000);
  if (device['driver_bound'] === true) throw new InfrastructureError('VM #2: an xgmac driver was bound before the probe ran; its checks are not valid', vm.tail());
  await vm.waitForEvent('gic', 30_000);
  const during = await sampleIrqCount();
  await vm.waitForEvent('probe-done', 120_000);
  await vm.waitUntil(() => vm.exited, 30_000, 'power-off');
  const errors = vm.ofEvent('error');
  if (errors.length > 0) throw new InfrastructureError(`VM #2's probe failed: ${JSON.stringify(errors[0])}`, vm.tail());
  // A scan that could not read most of the RAM saw nothing for want of looking (e.g. a kernel with STRICT_DEVMEM).
  const scan = vm.ofEvent('scan')[0];
  const bytes = Number(scan?.['bytes'] ?? 0);
  const unreadable = Number(scan?.['unreadable_bytes'] ?? 0);
  if (scan === undefined || bytes === 0 || unreadable > bytes / 10) throw new InfrastructureError(`VM #2's RAM scan was blind (${unreadable} of ${bytes} bytes unreadable)`, vm.tail());
  return { oracles: vm2Oracles(vm.events, env.timeline.marks['kill']!), irqCountDuring: during };
}

export const VM_USERS: ScenarioUsers = {
  mustFireInControls: ['l0-dma-after-release', 'l0-irq-after-release', 'l0-smmu-faults', 'l1-smmu-events', 'l1-vfio-irq-count', 'user2-gic-pending'],
  startUser1,
  runUser2,
};

export function runVm(ctx: RunContext): Promise<RunResult> {
  return runCycle(ctx, VM_USERS);
}
