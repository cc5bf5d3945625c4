// SPDX-License-Identifier: GPL-2.0-only
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
