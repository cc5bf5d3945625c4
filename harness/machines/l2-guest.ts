// SPDX-License-Identifier: GPL-2.0-only
/**
 * The command line L1's own QEMU (Debian bookworm's 7.2) runs to start a
 * nested guest (L2) under L1's KVM. RAM stays below 4 GiB: the XGMAC's
 * descriptor and buffer addresses are 32-bit.
 */
import { L1_PATHS } from '../plan/layout.ts';

export interface L2Boot {
  readonly memoryMiB: number;
  /** Extra -device / -netdev arguments, e.g. a passed-through XGMAC. */
  readonly devices: readonly string[];
  readonly extraKernelArgs: readonly string[];
  /**
   * Start paused (-S), with QMP on L1's loopback, and the RAM in a shared
   * file of L1 that a host agent can read while the guest has run nothing.
   */
  readonly inspectable?: L2Inspection;
}

export interface L2Inspection {
  /** TCP port of the QMP server on L1's 127.0.0.1. */
  readonly qmpPort: number;
  /** The file of L1 that backs the guest's RAM (on a tmpfs). */
  readonly ramFile: string;
  /** The guest-physical address of the file's first byte. */
  readonly ramBase: number;
}

export const L2_QEMU = '/usr/bin/qemu-system-aarch64';

const RAM_BACKEND = 'l2-ram';

/**
 * Initcalls of hardware an L2 never uses: virt's 32 virtio-mmio transports,
 * its PCIe host, fw_cfg in sysfs, the CPUs' ID registers in sysfs. Their
 * probes trap out to L1's QEMU, which L0 emulates: 0.15 s of each L2 boot.
 */
const UNUSED_INITCALLS = 'virtio_mmio_init,gen_pci_driver_init,fw_cfg_sysfs_init,cpuinfo_regs_init';

function inspectionArgs(memoryMiB: number, i: L2Inspection): string[] {
  return [
    '-S',
    '-qmp',
    `tcp:127.0.0.1:${i.qmpPort},server=on,wait=off`,
    '-object',
    `memory-backend-file,id=${RAM_BACKEND},size=${memoryMiB}M,mem-path=${i.ramFile},share=on`,
  ];
}

export function l2CommandLine(boot: L2Boot): string[] {
  return [
    L2_QEMU,
    '-M',
    `virt,gic-version=3${boot.inspectable !== undefined ? `,memory-backend=${RAM_BACKEND}` : ''}`,
    '-enable-kvm',
    '-cpu',
    'host',
    '-smp',
    '1',
    '-m',
    `${boot.memoryMiB}M`,
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    L1_PATHS.l2Kernel,
    '-initrd',
    L1_PATHS.l2Initramfs,
    '-append',
    ['console=ttyAMA0', 'panic=-1', `initcall_blacklist=${UNUSED_INITCALLS}`, ...boot.extraKernelArgs].join(' '),
    ...(boot.inspectable !== undefined ? inspectionArgs(boot.memoryMiB, boot.inspectable) : []),
    ...boot.devices,
  ];
}
