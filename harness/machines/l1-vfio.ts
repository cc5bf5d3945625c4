// SPDX-License-Identifier: GPL-2.0-only
/** VFIO platform operations in L1, done over SSH the way users do them. */
import type { SshSession } from './ssh.ts';
import { InfrastructureError } from '../lib/errors.ts';

const devicePath = (device: string) => `/sys/bus/platform/devices/${device}`;

/** The DT compatible string of a platform device (the first entry). */
export async function compatibleOf(ssh: SshSession, device: string): Promise<string> {
  const raw = await ssh.check(`cat ${devicePath(device)}/of_node/compatible`);
  return raw.split('\0')[0] ?? '';
}

/** Platform devices whose DT node is compatible with `compatible`. */
export async function devicesCompatibleWith(ssh: SshSession, compatible: string): Promise<string[]> {
  const out = await ssh.check(
    `for d in /sys/bus/platform/devices/*; do [ -r $d/of_node/compatible ] && ` +
      `tr '\\0' '\\n' < $d/of_node/compatible | grep -qx '${compatible}' && basename $d; done; true`,
  );
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

/** The driver bound to the device, or null. */
export async function driverOf(ssh: SshSession, device: string): Promise<string | null> {
  const out = await ssh.exec(`basename "$(readlink ${devicePath(device)}/driver)"`);
  const name = out.stdout.trim();
  return out.code === 0 && name !== '' && name !== '.' ? name : null;
}

/** The IOMMU group number, or null while the device has none (Linux attaches it only when a driver binds). */
export async function iommuGroupOf(ssh: SshSession, device: string): Promise<number | null> {
  const out = await ssh.exec(`readlink ${devicePath(device)}/iommu_group`);
  const group = /iommu_groups\/(\d+)$/.exec(out.stdout.trim());
  return group ? Number(group[1]) : null;
}

/**
 * Binds the device to vfio-platform with driver_override, unbinding any
 * other driver first. Returns what the kernel said if it refused (e.g. "No
 * reset function found"), so that a scenario can report it.
 */
export async function bindToVfioPlatform(
  ssh: SshSession,
  device: string,
): Promise<{ bound: true } | { bound: false; kernelSays: string }> {
  const current = await driverOf(ssh, device);
  if (current === 'vfio-platform') return { bound: true };
  if (current !== null) await ssh.check(`echo ${device} > /sys/bus/platform/drivers/${current}/unbind`);
  const mark = (await ssh.check('dmesg | wc -l')).trim();
  await ssh.check(`echo vfio-platform > ${devicePath(device)}/driver_override`);
  await ssh.exec(`echo ${device} > /sys/bus/platform/drivers_probe`);
  if ((await driverOf(ssh, device)) === 'vfio-platform') return { bound: true };
  const said = await ssh.check(`dmesg | tail -n +${Number(mark) + 1}`);
  return {
    bound: false,
    kernelSays:
      said
        .trim()
        .split('\n')
        .filter((l) => /vfio|xgmac|reset/i.test(l))
        .join('\n') || said.trim(),
  };
}

export async function requireVfioPlatform(ssh: SshSession, device: string): Promise<void> {
  const result = await bindToVfioPlatform(ssh, device);
  if (!result.bound) throw new InfrastructureError(`vfio-platform refused ${device}`, result.kernelSays);
}

/** dmesg lines after line `mark` (from `dmesgLineCount`). */
export async function dmesgSince(ssh: SshSession, mark: number): Promise<string[]> {
  return (await ssh.check(`dmesg | tail -n +${mark + 1}`)).split('\n').filter((l) => l !== '');
}

export async function dmesgLineCount(ssh: SshSession): Promise<number> {
  return Number((await ssh.check('dmesg | wc -l')).trim());
}

/**
 * Whether process `pid` in L1 holds a VFIO device file. QEMU connects the
 * VFIO container, which maps all of the guest's RAM for the device, before
 * it asks for the device's file: once it holds one, DMA at guest-physical
 * addresses lands in that guest's RAM.
 */
export async function holdsVfioDevice(ssh: SshSession, pid: number): Promise<boolean> {
  return (await ssh.exec(`ls -l /proc/${pid}/fd 2>/dev/null | grep -q 'anon_inode:\\[vfio-device\\]'`)).code === 0;
}
