// SPDX-License-Identifier: GPL-2.0-only
/** What the vm scenario's guests are, as the cycle starts them and the judge reads their RAM. */
export const VM_GUEST = {
  memoryMiB: 192,
  /** Where QEMU's virt board puts RAM (hw/arm/virt.c, VIRT_MEM): guest-physical address = this + offset. */
  ramBase: 0x4000_0000,
} as const;
