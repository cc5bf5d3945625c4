// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where things are, as every layer must agree: the XGMAC instance under
 * test, the IOVA the raw-driver users map, the nested guests' RAM, and the
 * files the L1 image carries.
 */

/** The XGMAC instance under test (L0 may model more). */
export const INSTANCE = 0;

/** The MAC address of L0's XGMAC `instance`, as L1's kernel and the guests see it. */
export const xgmacMac = (instance: number) => `52:54:00:12:34:${instance.toString(16).padStart(2, '0')}`;

/** Where both raw-driver users map their DMA memory: user #2 maps fresh memory at user #1's IOVAs. */
export const RAW_DRIVER_IOVA = 0x10000000;

/** What the vm scenario's guests are, as the cycle starts them and the judge reads their RAM. */
export const VM_GUEST = {
  /**
   * Enough for the L2 kernel and its initramfs; every MiB is pinned and
   * mapped for the device when a VM's QEMU starts, and searched in VM #2.
   */
  memoryMiB: 96,
  /** Where QEMU's virt board puts RAM (hw/arm/virt.c, VIRT_MEM): guest-physical address = this + offset. */
  ramBase: 0x4000_0000,
} as const;

/** Where things live inside L1: the image puts them there, the machines and the lab jobs use them. */
export const L1_PATHS = {
  init: '/sbin/vfio-reset-init',
  l2Kernel: '/boot/Image',
  l2Initramfs: '/boot/l2-initramfs.cpio.gz',
  agents: '/usr/local/bin',
} as const;
