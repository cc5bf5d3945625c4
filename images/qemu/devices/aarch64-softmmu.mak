# The devices of the project's L0 QEMU: the Midway-like host and nothing
# else. Built with --without-default-devices, so that only what is named
# here (and what it selects) is compiled: the aarch64 virt board, with its
# GICv3, SMMUv3, PCIe host, fw_cfg, PL011 and platform bus (which, with
# the project's patches, selects the Calxeda XGMAC), and the virtio-mmio
# disk and NIC that L1 boots from (harness/machines/l1-host.ts).
CONFIG_ARM_VIRT=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y
