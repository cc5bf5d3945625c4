// SPDX-License-Identifier: GPL-2.0-only
/**
 * Debian's lava-dispatcher (bookworm: 2023.01), for lava-run on this
 * machine: downloaded and extracted into the cache, not installed. Its
 * package pulls in libguestfs, whose qemu-system-x86 from bookworm cannot
 * sit beside the backported QEMU the harness installs, and some 150
 * packages (systemd, udev, lvm2, ...) a test host has no use for. The QEMU
 * job the project writes boots L1 from a cpio that lava-run extends with
 * cpio alone, so libguestfs is never called; lava-dispatcher imports its
 * Python module all the same, and gets one that refuses loudly if called.
 */
import { execa } from 'execa';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheRoot } from '../../harness/lib/paths.ts';

const PACKAGES = ['lava-dispatcher', 'lava-dispatcher-host'];

const GUESTFS_STANDIN = `# The QEMU job's cpio overlay never calls libguestfs (specs/integration/lava-dispatcher.ts).
class GuestFS:
    def __init__(self, *args, **kwargs):
        raise RuntimeError("libguestfs is not installed here: this job needs an installed lava-dispatcher")
`;

export interface LavaDispatcher {
  /** lava-run, to be run with Debian's python3 and `env`. */
  readonly lavaRun: string;
  readonly env: Readonly<Record<string, string>>;
}

export async function lavaDispatcher(): Promise<LavaDispatcher> {
  const version = (await execa('apt-cache', ['show', '--no-all-versions', 'lava-dispatcher'])).stdout.match(
    /^Version: (\S+)$/m,
  )![1]!;
  const root = join(cacheRoot(), 'lava-dispatcher', version);
  const done = join(root, '.extracted');
  if (
    !(await access(done).then(
      () => true,
      () => false,
    ))
  ) {
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    const debs = await mkdtemp(join(root, '..', '.debs-'));
    try {
      await execa('apt-get', ['download', ...PACKAGES.map((p) => `${p}=${version}`)], { cwd: debs });
      for (const deb of await readdir(debs)) await execa('dpkg', ['-x', join(debs, deb), join(root, 'tree')]);
    } finally {
      await rm(debs, { recursive: true, force: true });
    }
    await mkdir(join(root, 'standin'), { recursive: true });
    await writeFile(join(root, 'standin', 'guestfs.py'), GUESTFS_STANDIN);
    await writeFile(done, `${version}\n`);
  }
  return {
    lavaRun: join(root, 'tree', 'usr', 'bin', 'lava-run'),
    env: {
      PYTHONPATH: [join(root, 'standin'), join(root, 'tree', 'usr', 'lib', 'python3', 'dist-packages')].join(':'),
    },
  };
}
