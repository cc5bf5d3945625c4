// SPDX-License-Identifier: GPL-2.0-only
/**
 * LAVA job definitions that run the on-target test (guest-agents/
 * vfio-reset-target) where kernel labs run tests: (a) on the emulated
 * Midway-like host as a LAVA QEMU device (the project's L0 QEMU on the
 * dispatcher, the kernel under test, the L1 root filesystem), and (b) on a
 * real arm64 board with an XGMAC (kernel and DTB over TFTP, the lab's root
 * filesystem over NFS, booted by U-Boot). Both run one test definition,
 * with a timeout per action. The runner reports each case with
 * lava-test-case; what keeps it from deciding (no frames reach the device,
 * the agents cannot be fetched, the control cannot be set up) is raised
 * with lava-test-raise, so that the job ends Incomplete rather than with a
 * failed test: a failure is a finding about the kernel, never the lab's.
 */
import { L1_CPU, L1_KERNEL_ARGS, L1_MACHINE, L1_SIZE, wiredNicMac, xgmacArgs } from '../machines/l1-host.ts';
import { XGMAC_PROFILE } from '../devices/xgmac.ts';
import { INSTANCE, L1_PATHS, xgmacMac } from '../plan/layout.ts';
import type { KillSignal } from '../plan/run-spec.ts';
import type { YamlValue } from '../lib/yaml-text.ts';

/** Per action and for the whole job, in minutes: a boot that hangs must not hold a lab's device for hours. */
export const LAVA_TIMEOUTS = {
  job: 45,
  deploy: 10,
  boot: 10,
  test: 20,
  connection: 2,
} as const;

/** The test definition's name, and the path LAVA gives an inline definition. */
const DEFINITION = 'vfio-platform-reset';

/** Where the kernel under test, the L1 root filesystem and the agents are fetched from by the lab. */
export interface LavaArtifacts {
  readonly kernelRelease: string;
  readonly kernelUrl: string;
  readonly modulesUrl: string;
  /** L1's root filesystem as a gzipped newc cpio: booted as the initramfs. */
  readonly rootfsUrl: string;
  readonly agentsUrl: string;
}

/** A real board in a lab: its device type and what its U-Boot boots besides the kernel under test. */
export interface LavaBoard {
  readonly deviceType: string;
  readonly dtbUrl: string;
  /** The lab's arm64 root filesystem (a tarball for NFS), with wget or curl, tar and a POSIX shell. */
  readonly nfsrootfsUrl: string;
  /** A NIC of the board wired to the XGMAC (the runner sends its frames out of it); else a link partner sends. */
  readonly trafficFrom: string | undefined;
  /** The root filesystem's shell prompt after the auto login as root. */
  readonly prompt: string;
}

/** The test definition's parameters: where the agents are, where the frames come from, the signal. */
export interface TestParams {
  /** A directory on the host that holds the agents (the L1 root filesystem has them here). */
  readonly AGENTS: string;
  /** A tarball of the agents to fetch instead (a lab's own root filesystem). */
  readonly AGENTS_URL: string;
  /** The MAC of a NIC wired to the XGMAC (the emulated host's), or ''. */
  readonly WIRED_MAC: string;
  /** The name of a NIC wired to the XGMAC, or '' (then a link partner sends the frames). */
  readonly TRAFFIC_FROM: string;
  readonly SIGNAL: KillSignal;
}

export const DEFAULT_PARAMS: TestParams = {
  AGENTS: '/usr/local/bin',
  AGENTS_URL: '',
  WIRED_MAC: '',
  TRAFFIC_FROM: '',
  SIGNAL: 'KILL',
};

/**
 * The test definition (LAVA Test Definition 1.0) both jobs run: fetch the
 * agents if asked, find the NIC wired to the XGMAC, run the runner, and
 * raise what it could not decide. Exit 1 is a finding (the cases say
 * which); anything but 0 and 1 is not. LAVA runs the steps under set -e,
 * so the runner's status is caught, not left to end the script. An inline
 * definition takes no parameters from its job, so each job's are its
 * defaults.
 */
export function testDefinition(params: TestParams = DEFAULT_PARAMS): YamlValue {
  return {
    metadata: {
      format: 'Lava-Test Test Definition 1.0',
      name: DEFINITION,
      description:
        'A VFIO platform device whose userspace driver died is reset before its next user ' +
        '(the kernel-side control first, then the scenario; KTAP on the console)',
      maintainer: ['vfio-reset'],
      scope: ['functional'],
    },
    params: { ...params },
    run: {
      steps: [
        'if [ -n "$AGENTS_URL" ]; then mkdir -p /tmp/vfio-reset-agents && ' +
          '{ wget -qO- "$AGENTS_URL" || curl -fsSL "$AGENTS_URL"; } | tar -xzf - -C /tmp/vfio-reset-agents ' +
          '|| lava-test-raise "vfio-reset: cannot fetch the agents from $AGENTS_URL"; ' +
          'AGENTS=/tmp/vfio-reset-agents; fi',
        'NIC="$TRAFFIC_FROM"; if [ -n "$WIRED_MAC" ]; then ' +
          'NIC=$(grep -il "$WIRED_MAC" /sys/class/net/*/address | cut -d/ -f5); ' +
          '[ -n "$NIC" ] || lava-test-raise "vfio-reset: no NIC with MAC $WIRED_MAC is wired to the XGMAC"; fi',
        'status=0; "$AGENTS/vfio-reset-target" --signal "$SIGNAL" ${NIC:+--traffic-from "$NIC"} ' +
          '--out /tmp/vfio-reset-target || status=$?',
        'case $status in 0|1) ;; *) lava-test-raise "vfio-reset-target could not decide (exit $status): ' +
          'see its KTAP above";; esac',
      ],
    },
  };
}

function testAction(params: Partial<TestParams>): YamlValue {
  return {
    test: {
      timeout: { minutes: LAVA_TIMEOUTS.test },
      definitions: [
        {
          from: 'inline',
          name: DEFINITION,
          path: `inline/${DEFINITION}.yaml`,
          repository: testDefinition({ ...DEFAULT_PARAMS, ...params }),
        },
      ],
    },
  };
}

function jobHeader(name: string): Record<string, YamlValue> {
  return {
    job_name: name,
    timeouts: {
      job: { minutes: LAVA_TIMEOUTS.job },
      action: { minutes: LAVA_TIMEOUTS.test },
      connection: { minutes: LAVA_TIMEOUTS.connection },
    },
    priority: 'medium',
    visibility: 'public',
  };
}

/**
 * Frames reach the emulated XGMAC from a NIC of L1's own on the same QEMU
 * hub: no harness on the dispatcher. The model's engines run as in the
 * harness's own runs (descriptors held ahead, a TX engine of its own).
 */
const WIRED_XGMAC = [{ link: 'l1-nic', mac: xgmacMac(INSTANCE) }] as const;

/** The QEMU job's context: what LAVA's qemu device type puts on the L0 QEMU's command line. */
export const QEMU_CONTEXT = {
  arch: 'arm64',
  machine: L1_MACHINE,
  cpu: L1_CPU,
  memory: L1_SIZE.memoryMiB,
  extra_options: [`-smp ${L1_SIZE.cpus}`, ...pairs(xgmacArgs(WIRED_XGMAC, XGMAC_PROFILE.l0Globals))],
} as const;

/**
 * L1's kernel arguments with its root filesystem as the initramfs: LAVA adds
 * its test overlay to a cpio archive on the dispatcher, where an ext4 image
 * would need libguestfs there and udev's /dev/disk/by-uuid in L1.
 */
function initramfsKernelArgs(): string[] {
  const onDisk = /^(root|rootfstype|init)=|^rw$/;
  return [...L1_KERNEL_ARGS.filter((a) => !onDisk.test(a)), `rdinit=${L1_PATHS.init}`];
}

/**
 * (a) The emulated host. The dispatcher's qemu-system-aarch64 must be the
 * project's L0 QEMU (it has the XGMAC); the kernel boots with
 * reset_required=0 so that the runner can set up the kernel-side control.
 */
export function qemuJob(a: LavaArtifacts, signal: KillSignal): YamlValue {
  const append = [...initramfsKernelArgs(), 'vfio_platform.reset_required=0'].join(' ');
  return {
    device_type: 'qemu',
    ...jobHeader(`vfio-platform reset on the emulated Midway-like host, kernel ${a.kernelRelease}`),
    context: { ...QEMU_CONTEXT, extra_options: [...QEMU_CONTEXT.extra_options] },
    actions: [
      {
        deploy: {
          to: 'tmpfs',
          timeout: { minutes: LAVA_TIMEOUTS.deploy },
          images: {
            kernel: { url: a.kernelUrl, image_arg: `-kernel {kernel} -append "${append}"` },
            rootfs: {
              url: a.rootfsUrl,
              compression: 'gz',
              format: 'cpio.newc',
              overlays: { lava: true },
              image_arg: '-initrd {rootfs}',
            },
          },
        },
      },
      {
        boot: {
          method: 'qemu',
          media: 'tmpfs',
          timeout: { minutes: LAVA_TIMEOUTS.boot },
          prompts: ['l1# '],
        },
      },
      testAction({ WIRED_MAC: wiredNicMac(0), SIGNAL: signal }),
    ],
  };
}

/**
 * (b) A real arm64 board with an XGMAC (Calxeda Midway, or any board whose
 * DT has calxeda,hb-xgmac): the kernel under test and its modules (the
 * reset module among them) over TFTP/NFS, the agents fetched by the test.
 * The kernel-side control needs vfio_platform.reset_required=0 on the
 * kernel command line if vfio-platform is built in.
 */
export function boardJob(a: LavaArtifacts, board: LavaBoard, signal: KillSignal): YamlValue {
  return {
    device_type: board.deviceType,
    ...jobHeader(`vfio-platform reset on ${board.deviceType}, kernel ${a.kernelRelease}`),
    context: { extra_kernel_args: 'vfio_platform.reset_required=0' },
    actions: [
      {
        deploy: {
          to: 'tftp',
          timeout: { minutes: LAVA_TIMEOUTS.deploy },
          kernel: { url: a.kernelUrl, type: 'image' },
          dtb: { url: board.dtbUrl },
          modules: { url: a.modulesUrl, compression: 'gz' },
          nfsrootfs: { url: board.nfsrootfsUrl, compression: compressionOf(board.nfsrootfsUrl) },
        },
      },
      {
        boot: {
          method: 'u-boot',
          commands: 'nfs',
          timeout: { minutes: LAVA_TIMEOUTS.boot },
          auto_login: { login_prompt: 'login:', username: 'root' },
          prompts: [board.prompt],
        },
      },
      testAction({
        AGENTS_URL: a.agentsUrl,
        SIGNAL: signal,
        ...(board.trafficFrom !== undefined ? { TRAFFIC_FROM: board.trafficFrom } : {}),
      }),
    ],
  };
}

/** QEMU's options as LAVA's extra_options want them: one option and its value a line. */
function pairs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 2) out.push(`${args[i]} ${args[i + 1]}`);
  return out;
}

function compressionOf(url: string): string {
  const m = /\.tar\.(gz|xz|bz2|zst)$/.exec(url);
  return m === null ? 'gz' : m[1]!;
}
