// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset lava-jobs`: LAVA job definitions for the on-target test, and the files they fetch. */
import type { ParseArgsConfig } from 'node:util';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { stderrProgress } from '../lib/progress.ts';
import { InputError } from '../lib/errors.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { toYaml } from '../lib/yaml-text.ts';
import { KILL_SIGNALS } from '../plan/run-spec.ts';
import { boardJob, qemuJob, testDefinition, type LavaArtifacts, type LavaBoard } from '../labs/lava-jobs.ts';
import { localQemuDevice } from '../labs/lava-device.ts';
import { artifactDir, defineCommand, kernelRequestOf, signalOption } from './command.ts';

const OPTIONS = {
  output: { type: 'string' },
  'artifacts-url': { type: 'string' },
  signal: { type: 'string' },
  board: { type: 'string' },
  'board-dtb': { type: 'string' },
  'board-rootfs': { type: 'string' },
  'board-nic': { type: 'string' },
  'board-prompt': { type: 'string' },
  'kernel-tree': { type: 'string' },
  patches: { type: 'string' },
  'kernel-image': { type: 'string' },
  'kernel-modules': { type: 'string' },
  qemu: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** The files the jobs fetch, by their names in the output directory. */
export const LAVA_FILES = {
  kernel: 'Image',
  modules: 'modules.tar.gz',
  rootfs: 'rootfs.cpio.gz',
  agents: 'agents.tar.gz',
  definition: 'vfio-platform-reset.yaml',
  qemuJob: 'qemu-job.yaml',
  localDevice: 'lava-device.yaml',
  boardJob: 'board-job.yaml',
} as const;

/** What the on-target test needs on a host: the runner and the agents it starts. */
const TARGET_AGENTS = ['vfio-reset-target', 'xgmac-vfio-driver', 'xgmac-reset-probe', 'frame-sender'];

const HEADER = (what: string) => `${what}\nWritten by vfio-reset lava-jobs: see the README, "Kernel labs".`;

/** L1's ext4 image as a gzipped newc cpio, read with debugfs: nothing is mounted. */
async function rootfsCpio(image: string, out: string): Promise<void> {
  const tree = await mkdtemp(join(dirname(out), '.rootfs-'));
  try {
    await execa('debugfs', ['-R', `rdump / ${tree}`, image]);
    await execa('sh', ['-c', 'find . | cpio -o -H newc --quiet | gzip -1 > "$1"', 'sh', out], { cwd: tree });
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

function boardOf(values: {
  board?: string | undefined;
  'board-dtb'?: string | undefined;
  'board-rootfs'?: string | undefined;
  'board-nic'?: string | undefined;
  'board-prompt'?: string | undefined;
}): LavaBoard | null {
  const given = ['board-dtb', 'board-rootfs', 'board-nic', 'board-prompt'].filter(
    (k) => values[k as keyof typeof values] !== undefined,
  );
  if (values.board === undefined) {
    if (given.length > 0) throw new InputError(`--${given[0]} goes with --board DEVICE_TYPE`);
    return null;
  }
  const dtb = values['board-dtb'];
  const rootfs = values['board-rootfs'];
  if (dtb === undefined || rootfs === undefined)
    throw new InputError("--board needs --board-dtb URL and --board-rootfs URL (the lab's arm64 NFS root tarball)");
  if (!/\.tar\.(gz|xz|bz2|zst)$/.test(rootfs))
    throw new InputError(
      `--board-rootfs ${rootfs} is not a .tar.gz, .tar.xz, .tar.bz2 or .tar.zst: LAVA unpacks it for NFS`,
    );
  return {
    deviceType: values.board,
    dtbUrl: dtb,
    nfsrootfsUrl: rootfs,
    trafficFrom: values['board-nic'],
    prompt: values['board-prompt'] ?? 'root@',
  };
}

export const lavaJobsCommand = defineCommand({
  name: 'lava-jobs',
  summary: 'write LAVA jobs that run the on-target test, with the files they fetch',
  usage: `usage: vfio-reset lava-jobs [--output DIR] [--artifacts-url URL] [--signal SIG]
                           [--board DEVICE_TYPE --board-dtb URL --board-rootfs URL
                            [--board-nic NAME] [--board-prompt TEXT]]
                           [--kernel-tree DIR | --patches DIR|MBOX | --kernel-image FILE
                            --kernel-modules DIR] [--qemu PATH]

Writes into DIR, for a LAVA lab to run the on-target test (vfio-reset-target):
  ${LAVA_FILES.qemuJob}      the emulated Midway-like host as a LAVA QEMU device (the
                      dispatcher's qemu-system-aarch64 must be the project's L0 QEMU)
  ${LAVA_FILES.boardJob}     a real arm64 board with an XGMAC, with --board: the kernel under
                      test over TFTP, the lab's root filesystem over NFS, U-Boot
  ${LAVA_FILES.definition}  the test definition both jobs run (inline in them)
  ${LAVA_FILES.localDevice}   the QEMU job's device for lava-run on this machine, with the
                      project's L0 QEMU (a lab renders its own from its device type)
  ${LAVA_FILES.kernel}, ${LAVA_FILES.modules}, ${LAVA_FILES.rootfs}, ${LAVA_FILES.agents}
                      what the jobs fetch: publish DIR at --artifacts-url

  --output DIR        where to write (default: a new directory under
                      \${XDG_DATA_HOME:-~/.local/share}/vfio-reset/runs)
  --artifacts-url URL where the lab fetches DIR's files from (default: file://DIR, for
                      lava-run on this machine)
  --signal SIG        how user #1 dies: ${KILL_SIGNALS.join(', ')} (default KILL)
  --board TYPE        the lab's device type of the board; --board-dtb its DTB's URL,
                      --board-rootfs an arm64 root filesystem tarball for NFS, --board-nic a
                      NIC wired to the XGMAC (else a link partner must send frames),
                      --board-prompt its shell prompt after login as root (default "root@")
  kernel options      as for run: the kernel under test the jobs boot
  -h, --help          this text
`,
  options: OPTIONS,
  async run({ values }) {
    if (values.help) {
      process.stdout.write(this.usage);
      return EXIT.good;
    }
    const signal = signalOption(values.signal);
    const board = boardOf(values);
    const base = values['artifacts-url'];
    if (base !== undefined && !/^(https?|file):\/\/\S+$/.test(base))
      throw new InputError(`--artifacts-url ${base} is not an http(s):// or file:// URL`);
    const kernel = await kernelRequestOf(values);
    const dir = await artifactDir(values.output, 'lava-jobs');
    const stack = await buildStack(new CacheStore(cacheRoot()), { kernel, qemu: values.qemu }, stderrProgress);

    await copyFile(stack.kernel.image, join(dir, LAVA_FILES.kernel));
    await rootfsCpio(stack.l1Image.path, join(dir, LAVA_FILES.rootfs));
    await execa('tar', ['-czf', join(dir, LAVA_FILES.modules), '-C', stack.kernel.modulesRoot, 'lib']);
    await execa('tar', ['-czf', join(dir, LAVA_FILES.agents), '-C', stack.agents.dir, ...TARGET_AGENTS]);
    const url = (file: string) =>
      base !== undefined ? `${base.replace(/\/$/, '')}/${file}` : pathToFileURL(join(dir, file)).href;
    const artifacts: LavaArtifacts = {
      kernelRelease: stack.kernel.release,
      kernelUrl: url(LAVA_FILES.kernel),
      modulesUrl: url(LAVA_FILES.modules),
      rootfsUrl: url(LAVA_FILES.rootfs),
      agentsUrl: url(LAVA_FILES.agents),
    };
    const written: string[] = [LAVA_FILES.definition, LAVA_FILES.qemuJob, LAVA_FILES.localDevice];
    await writeFile(
      join(dir, LAVA_FILES.localDevice),
      toYaml(localQemuDevice(stack.qemu.binary), HEADER("The QEMU job's device, for lava-run on this machine.")),
    );
    await writeFile(join(dir, LAVA_FILES.definition), toYaml(testDefinition(), HEADER('The on-target test.')));
    await writeFile(
      join(dir, LAVA_FILES.qemuJob),
      toYaml(qemuJob(artifacts, signal), HEADER('The emulated Midway-like host.')),
    );
    if (board !== null) {
      await writeFile(
        join(dir, LAVA_FILES.boardJob),
        toYaml(boardJob(artifacts, board, signal), HEADER(`A real ${board.deviceType}.`)),
      );
      written.push(LAVA_FILES.boardJob);
    }
    process.stdout.write(`${written.map((f) => join(dir, f)).join('\n')}\n`);
    return EXIT.good;
  },
});
