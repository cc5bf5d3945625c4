// SPDX-License-Identifier: GPL-2.0-only
/**
 * Golden files for the QEMU command lines, one argument a line, so that a
 * change to either shows up in review as a diff. `UPDATE_GOLDEN=1` rewrites
 * them instead of comparing; review the diff before committing it.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { L1_SIZE, l1Invocation, wiredNicMac, type L1Boot } from '../../harness/machines/l1-host.ts';
import { l1SetupOf } from '../../harness/scenarios/cycle.ts';
import { setupOf } from '../../harness/plan/controls.ts';
import { CONTROLS, type Control } from '../../harness/plan/run-spec.ts';
import { VM2_INSPECTION, vmArgv } from '../../harness/scenarios/vm.ts';
import { XGMAC_PROFILE } from '../../harness/devices/xgmac.ts';
import { l2CommandLine } from '../../harness/machines/l2-guest.ts';
import { shellQuote } from '../../harness/machines/qemu-machine.ts';
import { matchesGolden } from '../support.ts';

function render(argv: readonly string[]): string {
  return `${argv.join('\n')}\n`;
}

const matchesGoldenArgs = (name: string, argv: readonly string[]) => matchesGolden(name, render(argv));

/** The value that follows `flag` (the first occurrence). */
function after(argv: readonly string[], flag: string): string {
  const i = argv.indexOf(flag);
  expect(i, `${flag} is missing`).to.be.at.least(0);
  return argv[i + 1] ?? '';
}

/** Every value that follows `flag`. */
function allAfter(argv: readonly string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag ? [argv[i + 1] ?? ''] : []));
}

/**
 * The L1 command line of a run under `control`, as the cycle asks for it (l1SetupOf), with fixed paths and ports so
 * that the golden file does not change with the machine or the run. Two ports as the passthrough spec boots it.
 */
function invocationInputs(control: Control, ports = 1): L1Boot {
  const xgmacs = [0, 1].slice(0, ports).map((i) => ({
    link: { harnessPort: 40000 + 2 * i, qemuPort: 40001 + 2 * i },
    mac: `52:54:00:12:34:0${i}`,
  }));
  return {
    qemuBinary: '/usr/bin/qemu-system-aarch64',
    kernel: '/cache/vfio-reset/store/kernel-0123456789abcdef0123456789abcdef/Image',
    rootImage: '/cache/vfio-reset/store/l1-image-fedcba9876543210fedcba9876543210/rootfs.ext4',
    ...L1_SIZE,
    sshPort: 10022,
    qmpSocket: '/tmp/vfio-reset-1-abcdef-l1-qmp.sock',
    pidFile: '/run/vfio-reset/run-1/l1.pid',
    authorizedKeysFile: '/run/vfio-reset/run-1/authorized_keys',
    ...l1SetupOf(setupOf(control), xgmacs, '/run/vfio-reset/run-1/l0-trace.log'),
  };
}

describe('the L1 QEMU command line (l1Invocation)', () => {
  // The kernel-side control: the kernel arguments a scenario adds are there.
  const invocation = l1Invocation(invocationInputs('kernel-no-reset'));
  const argv = [invocation.binary, ...invocation.args];

  it('puts one XGMAC per port on the platform bus, in instance order, each on its own UDP link', () => {
    const twoPorts = l1Invocation(invocationInputs('device-ignores-reset', 2));
    const argv = [twoPorts.binary, ...twoPorts.args];
    expect(allAfter(argv, '-device').filter((d) => d.startsWith('xgmac,'))).to.deep.equal([
      'xgmac,netdev=xgmac0,mac=52:54:00:12:34:00,x-instance=0',
      'xgmac,netdev=xgmac1,mac=52:54:00:12:34:01,x-instance=1',
    ]);
    expect(allAfter(argv, '-netdev').filter((n) => n.startsWith('socket,'))).to.deep.equal([
      'socket,id=xgmac0,udp=127.0.0.1:40000,localaddr=127.0.0.1:40001',
      'socket,id=xgmac1,udp=127.0.0.1:40002,localaddr=127.0.0.1:40003',
    ]);
    expect(allAfter(argv, '-global')).to.deep.equal([...XGMAC_PROFILE.l0Globals, 'xgmac.x-quiesce-ignored=on']);
  });

  it('wires an XGMAC to a NIC of L1 on one hub for an on-target run, the management NIC known by its MAC', () => {
    const base = invocationInputs('none');
    const wired = l1Invocation({ ...base, devices: { ...base.devices!, xgmacs: [{ link: 'l1-nic', mac: 'x' }] } });
    const argv = [wired.binary, ...wired.args];
    expect(allAfter(argv, '-netdev').filter((n) => n.startsWith('hubport,'))).to.deep.equal([
      'hubport,id=xgmac0,hubid=0',
      'hubport,id=wire0,hubid=0',
    ]);
    expect(allAfter(argv, '-device').filter((d) => d.startsWith('virtio-net-device,'))).to.deep.equal([
      'virtio-net-device,netdev=mgmt,mac=52:54:00:12:34:56',
      `virtio-net-device,netdev=wire0,mac=${wiredNicMac(0)}`,
    ]);
    expect(allAfter(argv, '-netdev').filter((n) => n.startsWith('socket,'))).to.deep.equal([]);
  });

  it('traces the XGMACs and the SMMU with wall-clock stamps into the run directory (the L0 oracle)', () => {
    const events = after(argv, '-d').split(',');
    expect(events).to.include.members([
      'trace:xgmac_dma',
      'trace:xgmac_irq',
      'trace:xgmac_mmio_write',
      'trace:xgmac_rx_frame',
      'trace:smmuv3_record_event',
    ]);
    // A reset handler polling a register forever would fill the disk with reads.
    expect(events.filter((e) => /mmio_read|\*/.test(e))).to.deep.equal([]);
    expect(after(argv, '-D')).to.equal('/run/vfio-reset/run-1/l0-trace.log');
    expect(after(argv, '-msg')).to.equal('timestamp=on');
  });

  it('asks a stock QEMU for no XGMAC at all when there are no devices', () => {
    const stock = l1Invocation({ ...invocationInputs('none'), devices: null });
    expect(stock.args.filter((a) => a.includes('xgmac'))).to.deep.equal([]);
    expect(stock.args).to.not.include('-D');
  });

  for (const control of ['none', ...CONTROLS] as const)
    it(`matches specs/fixtures/golden/l1-qemu-${control}.args (a run as the cycle boots it)`, async () => {
      const run = l1Invocation(invocationInputs(control));
      await matchesGoldenArgs(`l1-qemu-${control}.args`, [run.binary, ...run.args]);
    });

  it('gives L1 EL2 (virtualization=on) so that L1 can run KVM, and an SMMUv3 so that vfio has IOMMU groups', () => {
    const machine = after(argv, '-M').split(',');
    expect(machine).to.include('virtualization=on');
    expect(machine).to.include('iommu=smmuv3');
    expect(machine).to.include('gic-version=3');
  });

  it('turns a guest panic into a QEMU exit: -no-reboot plus panic=-1', () => {
    expect(argv).to.include('-no-reboot');
    expect(after(argv, '-append').split(' ')).to.include('panic=-1');
  });

  it('lets vfio attach a platform device without an MSI domain (allow_unsafe_interrupts=1)', () => {
    expect(after(argv, '-append').split(' ')).to.include('vfio_iommu_type1.allow_unsafe_interrupts=1');
  });

  it('puts the scenario kernel arguments after the fixed ones', () => {
    expect(after(argv, '-append').split(' ').at(-1)).to.equal('vfio_platform.reset_required=0');
  });

  it('never writes the cached root image (snapshot=on)', () => {
    const drive = after(argv, '-drive').split(',');
    expect(drive).to.include('snapshot=on');
    expect(drive).to.include('file=/cache/vfio-reset/store/l1-image-fedcba9876543210fedcba9876543210/rootfs.ext4');
  });

  it('forwards SSH from loopback only (hostfwd on 127.0.0.1), and L1 reaches nothing (restrict=on)', () => {
    expect(after(argv, '-netdev')).to.contain('hostfwd=tcp:127.0.0.1:10022-:22');
    expect(after(argv, '-netdev').split(',')).to.include('restrict=on');
  });

  it('listens for QMP on the socket it reports', () => {
    expect(after(argv, '-qmp')).to.equal(`unix:${invocation.qmpSocket},server=on,wait=off`);
  });
});

describe('the L2 QEMU command line (l2CommandLine)', () => {
  // VM #2 as the vm scenario starts it, with the device the cycle passes through.
  const argv = vmArgv(XGMAC_PROFILE.deviceName(0), 'user2');

  for (const role of ['user1', 'user2'] as const)
    it(`matches specs/fixtures/golden/l2-qemu-${role}.args (VM #${role.slice(-1)} of the vm scenario)`, async () => {
      await matchesGoldenArgs(`l2-qemu-${role}.args`, vmArgv(XGMAC_PROFILE.deviceName(0), role));
    });

  it('runs L2 under L1 KVM with the host CPU (-enable-kvm, -cpu host): nested virtualisation, not emulation', () => {
    expect(argv).to.include('-enable-kvm');
    expect(after(argv, '-cpu')).to.equal('host');
  });

  it('turns a guest panic into a QEMU exit: -no-reboot plus panic=-1', () => {
    expect(argv).to.include('-no-reboot');
    expect(after(argv, '-append').split(' ')).to.include('panic=-1');
  });

  it('keeps RAM below 4 GiB (the XGMAC uses 32-bit DMA addresses)', () => {
    expect(parseInt(after(argv, '-m'), 10)).to.be.below(4096);
  });

  it('passes the devices it is given through, and has no other NIC', () => {
    expect(allAfter(argv, '-device')).to.deep.equal(['vfio-calxeda-xgmac,host=c000000.xgmac']);
    expect(after(argv, '-nic')).to.equal('none');
  });

  it("starts VM #2 paused, with QMP on L1 loopback and its RAM in a shared file of L1 of the guest's size", () => {
    expect(argv).to.include('-S');
    expect(after(argv, '-qmp')).to.equal(`tcp:127.0.0.1:${VM2_INSPECTION.qmpPort},server=on,wait=off`);
    const backend = after(argv, '-object').split(',');
    expect(backend).to.include(`mem-path=${VM2_INSPECTION.ramFile}`);
    expect(backend).to.include('share=on');
    expect(backend).to.include(`size=${after(argv, '-m')}`);
    const id = backend.find((p) => p.startsWith('id='))!.slice(3);
    expect(after(argv, '-M').split(',')).to.include(`memory-backend=${id}`);
  });

  it('starts VM #1 running, its RAM its own', () => {
    const user1 = vmArgv(XGMAC_PROFILE.deviceName(0), 'user1');
    expect(user1).to.not.include('-S');
    expect(user1).to.not.include('-object');
  });
});

describe('shellQuote', () => {
  it('leaves plain arguments alone', () => {
    expect(shellQuote(['-M', 'virt,gic-version=3', '/usr/bin/qemu-system-aarch64', 'a+b@c:d.e_f'])).to.equal(
      '-M virt,gic-version=3 /usr/bin/qemu-system-aarch64 a+b@c:d.e_f',
    );
  });

  it('quotes arguments with spaces, single quotes, shell metacharacters or nothing at all', () => {
    expect(shellQuote(['console=ttyAMA0 panic=-1'])).to.equal("'console=ttyAMA0 panic=-1'");
    expect(shellQuote(["it's"])).to.equal("'it'\\''s'");
    expect(shellQuote(['$HOME', 'a;b', '*'])).to.equal("'$HOME' 'a;b' '*'");
    expect(shellQuote([''])).to.equal("''");
  });

  it('gives back the same arguments when a real shell reads its output (as L1 does over SSH)', () => {
    const argv = [
      ...l2CommandLine({ memoryMiB: 256, devices: [], extraKernelArgs: ["quote'd arg", '$(reboot)'] }),
      '',
      'two  spaces',
    ];
    const printed = execFileSync('sh', ['-c', `printf '%s\\0' ${shellQuote(argv)}`], { encoding: 'utf8' });
    expect(printed.split('\0').slice(0, -1)).to.deep.equal(argv);
  });
});
