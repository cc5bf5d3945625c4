// SPDX-License-Identifier: GPL-2.0-only
/**
 * L1 as the harness works with it: every shell command it runs in the host
 * under test, done over SSH the way users do them (sysfs, modules, dmesg,
 * /proc). Nothing else in the harness writes L1 shell.
 */
import type { SshSession } from './ssh.ts';
import { InfrastructureError } from '../lib/errors.ts';

const devicePath = (device: string) => `/sys/bus/platform/devices/${device}`;

export type BindResult = { readonly bound: true } | { readonly bound: false; readonly kernelSays: string };

/**
 * Sums the per-CPU counts of lines "GICv3 12,3" (one per IRQ descriptor);
 * null when the device has no IRQ descriptor yet.
 */
export function parseIrqCounts(output: string): number | null {
  let total: number | null = null;
  for (const line of output.split('\n')) {
    const m = /^GIC\S*\s+([\d,]+)$/.exec(line.trim());
    if (m === null) continue;
    total = (total ?? 0) + m[1]!.split(',').reduce((a, b) => a + Number(b), 0);
  }
  return total;
}

export class L1 {
  constructor(readonly ssh: SshSession) {}

  async hasKvm(): Promise<boolean> {
    return (await this.ssh.exec('test -c /dev/kvm')).code === 0;
  }

  /** Whether a platform driver is registered. */
  async hasDriver(driver: string): Promise<boolean> {
    return (await this.ssh.exec(`test -d /sys/bus/platform/drivers/${driver}`)).code === 0;
  }

  /** The DT compatible string of a platform device (the first entry). */
  async compatibleOf(device: string): Promise<string> {
    const raw = await this.ssh.check(`cat ${devicePath(device)}/of_node/compatible`);
    return raw.split('\0')[0] ?? '';
  }

  /** Platform devices whose DT node is compatible with `compatible`. */
  async devicesCompatibleWith(compatible: string): Promise<string[]> {
    const out = await this.ssh.check(
      `for d in /sys/bus/platform/devices/*; do [ -r $d/of_node/compatible ] && ` +
        `tr '\\0' '\\n' < $d/of_node/compatible | grep -qx '${compatible}' && basename $d; done; true`,
    );
    return out
      .split('\n')
      .filter((l) => l !== '')
      .sort();
  }

  /** The driver bound to the device, or null. */
  async driverOf(device: string): Promise<string | null> {
    const out = await this.ssh.exec(`basename "$(readlink ${devicePath(device)}/driver)"`);
    const name = out.stdout.trim();
    return out.code === 0 && name !== '' && name !== '.' ? name : null;
  }

  /** The IOMMU group number, or null while the device has none (Linux attaches it only when a driver binds). */
  async iommuGroupOf(device: string): Promise<number | null> {
    const out = await this.ssh.exec(`readlink ${devicePath(device)}/iommu_group`);
    const group = /iommu_groups\/(\d+)$/.exec(out.stdout.trim());
    return group ? Number(group[1]) : null;
  }

  /**
   * Binds the device to vfio-platform with driver_override, unbinding any
   * other driver first. Returns what the kernel said if it refused (e.g. "No
   * reset function found"), so that a scenario can report it.
   */
  async bindToVfioPlatform(device: string): Promise<BindResult> {
    const current = await this.driverOf(device);
    if (current === 'vfio-platform') return { bound: true };
    if (current !== null) await this.ssh.check(`echo ${device} > /sys/bus/platform/drivers/${current}/unbind`);
    const mark = await this.dmesgLineCount();
    await this.ssh.check(`echo vfio-platform > ${devicePath(device)}/driver_override`);
    await this.ssh.exec(`echo ${device} > /sys/bus/platform/drivers_probe`);
    if ((await this.driverOf(device)) === 'vfio-platform') return { bound: true };
    // In the words and form of the on-target runner's refusal (one line, no timestamps), whichever path bound.
    const said = (await this.dmesgSince(mark)).map((l) => l.replace(/^\[\s*\d+\.\d+\]\s*/, ''));
    const relevant = said.filter((l) => /vfio|xgmac|reset/i.test(l));
    return { bound: false, kernelSays: (relevant.length > 0 ? relevant : said).join(' / ') };
  }

  async requireVfioPlatform(device: string): Promise<void> {
    const result = await this.bindToVfioPlatform(device);
    if (!result.bound) throw new InfrastructureError(`vfio-platform refused ${device}`, result.kernelSays);
  }

  /** Deletes a module's file, so that nothing can load it (a request by alias finds nothing). */
  async removeModuleFile(module: string): Promise<void> {
    await this.ssh.check(`find /lib/modules -name '${module}.ko*' -exec rm -f {} +`);
  }

  async moduleShipped(module: string): Promise<boolean> {
    return (await this.ssh.exec(`find /lib/modules/$(uname -r) -name '${module}.ko*' | grep -q .`)).code === 0;
  }

  async moduleLoaded(module: string): Promise<boolean> {
    return (await this.ssh.exec(`grep -q "^${module.replace(/-/g, '_')} " /proc/modules`)).code === 0;
  }

  async kernelRelease(): Promise<string> {
    return (await this.ssh.check('uname -r')).trim();
  }

  /** L1's kernel log, whole. */
  async dmesg(): Promise<string> {
    return this.ssh.check('dmesg');
  }

  /** dmesg lines after line `mark` (from `dmesgLineCount`). */
  async dmesgSince(mark: number): Promise<string[]> {
    return (await this.ssh.check(`dmesg | tail -n +${mark + 1}`)).split('\n').filter((l) => l !== '');
  }

  async dmesgLineCount(): Promise<number> {
    return Number((await this.ssh.check('dmesg | wc -l')).trim());
  }

  /**
   * The device's interrupt count: the per-CPU counts of every IRQ
   * descriptor whose GIC hwirq is one of the device's (/sys/kernel/irq/N).
   * The counts of a descriptor outlive free_irq, so they are compared
   * across users, unlike /proc/interrupts lines, which vanish while no one
   * holds the IRQ. Null when the device has no IRQ descriptor yet.
   */
  async irqCount(hwirqs: readonly number[]): Promise<number | null> {
    return parseIrqCounts(
      await this.ssh.check(
        `for d in /sys/kernel/irq/*; do case "$(cat $d/hwirq 2>/dev/null)" in ${hwirqs.join('|')}) ` +
          `echo "$(cat $d/chip_name) $(cat $d/per_cpu_count)";; esac; done`,
      ),
    );
  }
}
