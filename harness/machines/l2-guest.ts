// SPDX-License-Identifier: GPL-2.0-only
/**
 * The command line L1's own QEMU (Debian bookworm's 7.2) runs to start a
 * nested guest (L2) under L1's KVM. RAM stays below 4 GiB: the XGMAC's
 * descriptor and buffer addresses are 32-bit.
 */
import { L1_PATHS } from '../recipes/l1-image.ts';

export interface L2Boot {
  readonly memoryMiB: number;
  /** Extra -device / -netdev arguments, e.g. a passed-through XGMAC. */
  readonly devices: readonly string[];
  readonly extraKernelArgs: readonly string[];
}

export const L2_QEMU = '/usr/bin/qemu-system-aarch64';

export function l2CommandLine(boot: L2Boot): string[] {
  return [
    L2_QEMU,
    '-M',
    'virt,gic-version=3',
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
    ['console=ttyAMA0', 'panic=-1', ...boot.extraKernelArgs].join(' '),
    ...boot.devices,
  ];
}
