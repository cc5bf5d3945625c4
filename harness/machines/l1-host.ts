// SPDX-License-Identifier: GPL-2.0-only
/**
 * The L0 command line that boots the ARM "Midway-like" host (L1): QEMU's
 * virt machine with EL2 (so L1 runs KVM), GICv3 and an SMMUv3, the kernel
 * under test booted directly, the cached root image attached read-only in
 * effect (snapshot=on), SSH forwarded from a loopback port, the serial
 * console on stdio and QMP on a unix socket.
 */
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { L1_PATHS } from '../plan/layout.ts';
import { L0_TRACE_EVENTS } from '../trace/l0-trace.ts';
import { frameLinkNetdevArg, type FrameLink } from '../traffic/frame-source.ts';
import type { QemuInvocation } from './qemu-machine.ts';

/**
 * Where an XGMAC's frames come from: the harness's frame source, or a NIC
 * of L1's own wired to it (the two on one QEMU hub), for a host under test
 * that sends its frames itself as on a board with a loopback cable.
 */
export type XgmacWire = FrameLink | 'l1-nic';

/** One emulated XGMAC of the L0 board and the link its frames travel on. */
export interface XgmacPort {
  readonly link: XgmacWire;
  readonly mac: string;
}

/** The MAC of L1's NIC wired to XGMAC `instance`, by which L1 finds it. */
export const wiredNicMac = (instance: number) => `52:54:00:77:00:0${instance}`;

function wireArgs(instance: number, link: XgmacWire): string[] {
  const netdev = `xgmac${instance}`;
  if (link !== 'l1-nic') return ['-netdev', frameLinkNetdevArg(netdev, link)];
  return [
    '-netdev',
    `hubport,id=${netdev},hubid=${instance}`,
    '-netdev',
    `hubport,id=wire${instance},hubid=${instance}`,
    '-device',
    `virtio-net-device,netdev=wire${instance},mac=${wiredNicMac(instance)}`,
  ];
}

/** The device under test as the L0 board has it; absent on a stock QEMU. */
export interface L0Devices {
  readonly xgmacs: readonly XgmacPort[];
  /** Where QEMU writes the trace log of the XGMACs and the SMMU. */
  readonly traceFile: string;
  /** Extra -global options of the device model, e.g. xgmac.x-quiesce-ignored=on for a control. */
  readonly globals: readonly string[];
}

export interface L1Boot {
  readonly qemuBinary: string;
  readonly kernel: string;
  readonly rootImage: string;
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly sshPort: number;
  readonly qmpSocket: string;
  /** QEMU writes its pid here; it also names the run directory on the command line, for ps. */
  readonly pidFile: string;
  readonly authorizedKeysFile: string;
  /** Kernel parameters a scenario adds (e.g. vfio_platform.reset_required=0). */
  readonly extraKernelArgs: readonly string[];
  readonly devices: L0Devices | null;
  /** A shell command L1's init runs at once, then powers off (no SSH needed). */
  readonly autorun?: string;
}

/**
 * The XGMACs as dynamic sysbus devices of virt's platform bus, in instance order: the board gives them MMIO
 * slots, SPIs and SMMUv3 stream IDs in that order (XGMAC_PROFILE), and x-instance labels their trace lines.
 */
export function xgmacArgs(xgmacs: readonly XgmacPort[], globals: readonly string[]): string[] {
  return [
    ...xgmacs.flatMap((x, i) => [
      ...wireArgs(i, x.link),
      '-device',
      `${XGMAC_PROFILE.qemuDevice},netdev=xgmac${i},mac=${x.mac},x-instance=${i}`,
    ]),
    ...globals.flatMap((g) => ['-global', g]),
  ];
}

/** The XGMACs and the trace of them and of the SMMU (the L0 oracles). */
function deviceArgs(devices: L0Devices | null): string[] {
  if (devices === null || devices.xgmacs.length === 0) return [];
  return [
    ...xgmacArgs(devices.xgmacs, devices.globals),
    '-d',
    L0_TRACE_EVENTS.map((e) => `trace:${e}`).join(','),
    '-D',
    devices.traceFile,
    // Wall-clock stamps on every trace line, to line them up with the harness's own events.
    '-msg',
    'timestamp=on',
  ];
}

/** The MAC of L1's management NIC, by which L1's init finds it (images/l1/init). */
const MGMT_MAC = '52:54:00:12:34:56';

/** virt with EL2 (so that L1 runs KVM), GICv3 and an SMMUv3 (so that vfio has IOMMU groups). */
export const L1_MACHINE = 'virt,virtualization=on,gic-version=3,iommu=smmuv3';
/** pauth-impdef: the architected pointer-auth algorithm is very slow under TCG. */
export const L1_CPU = 'max,pauth-impdef=on';

/** L1's size: room for its QEMU and one 192-256 MiB nested guest, one vCPU per host core. */
export const L1_SIZE = { memoryMiB: 2048, cpus: 2 } as const;

/** Kernel parameters every L1 boot needs; see each comment for why. */
export const L1_KERNEL_ARGS = [
  'console=ttyAMA0',
  'root=/dev/vda',
  'rootfstype=ext4',
  'rw',
  `init=${L1_PATHS.init}`,
  // A panic must end the VM at once (with -no-reboot) rather than hang until a timeout.
  'panic=-1',
  // A platform device has no MSI domain: without this L1's QEMU cannot attach the VFIO group.
  'vfio_iommu_type1.allow_unsafe_interrupts=1',
] as const;

export function l1Invocation(boot: L1Boot): QemuInvocation {
  const devices = deviceArgs(boot.devices);
  const args = [
    '-M',
    L1_MACHINE,
    '-cpu',
    L1_CPU,
    '-smp',
    String(boot.cpus),
    '-m',
    `${boot.memoryMiB}M`,
    '-display',
    'none',
    '-monitor',
    'none',
    '-chardev',
    'stdio,id=console,signal=off',
    '-serial',
    'chardev:console',
    '-qmp',
    `unix:${boot.qmpSocket},server=on,wait=off`,
    '-pidfile',
    boot.pidFile,
    '-no-reboot',
    '-kernel',
    boot.kernel,
    '-append',
    [...L1_KERNEL_ARGS, ...boot.extraKernelArgs].join(' '),
    '-drive',
    `file=${boot.rootImage},if=none,id=root,format=raw,snapshot=on`,
    '-device',
    'virtio-blk-device,drive=root',
    '-netdev',
    // restrict=on: L1 reaches neither the host's services nor beyond; only the forwarded SSH port reaches L1.
    `user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:${boot.sshPort}-:22`,
    '-device',
    `virtio-net-device,netdev=mgmt,mac=${MGMT_MAC}`,
    '-fw_cfg',
    `name=opt/vfio-reset/authorized_keys,file=${boot.authorizedKeysFile}`,
    ...devices,
    // QEMU's option syntax escapes a comma inside a value by doubling it.
    ...(boot.autorun !== undefined
      ? ['-fw_cfg', `name=opt/vfio-reset/autorun,string=${boot.autorun.replace(/,/g, ',,')}`]
      : []),
  ];
  return { name: 'l1', binary: boot.qemuBinary, args, qmpSocket: boot.qmpSocket };
}
