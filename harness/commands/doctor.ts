// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset doctor`: checks the host and prints, for each problem, the command that fixes it. */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { execa } from 'execa';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { DEBIAN_SOURCE_TARBALL } from '../recipes/kernel-source.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { defineCommand } from './command.ts';

interface Check {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix: string;
}

async function output(file: string, args: string[]): Promise<string | null> {
  const r = await execa(file, args, { reject: false });
  return r.exitCode === 0 ? `${r.stdout}${r.stderr}`.trim() : null;
}

const SETUP = 'bash images/setup.sh (as root, from the repository)';

async function checks(): Promise<Check[]> {
  const out: Check[] = [];
  const osRelease = existsSync('/etc/os-release')
    ? ((await output('sh', ['-c', '. /etc/os-release; echo $VERSION_CODENAME'])) ?? '')
    : '';
  out.push({
    what: 'Debian 12 (bookworm)',
    ok: osRelease === 'bookworm',
    detail: osRelease || 'unknown',
    fix: 'run on Debian 12',
  });
  out.push({
    what: 'running as root',
    ok: process.getuid?.() === 0,
    detail: `uid ${process.getuid?.()}`,
    fix: 'run as root (apt-get installs, /dev/kvm is not needed)',
  });
  const major = Number(process.versions.node.split('.')[0]);
  out.push({ what: 'Node.js >= 20', ok: major >= 20, detail: process.version, fix: 'install Node.js 20 or later' });
  const arches = (await output('dpkg', ['--print-foreign-architectures'])) ?? '';
  out.push({
    what: 'arm64 foreign architecture',
    ok: arches.split('\n').includes('arm64'),
    detail: arches || 'none',
    fix: SETUP,
  });
  for (const [tool, args] of [
    ['aarch64-linux-gnu-gcc', ['--version']],
    ['mmdebstrap', ['--version']],
    ['mke2fs', ['-V']],
    ['cpio', ['--version']],
    ['rsync', ['--version']],
    ['ccache', ['--version']],
    ['git', ['--version']],
    ['dpkg-source', ['--version']],
    ['ninja', ['--version']],
    ['make', ['--version']],
  ] as const) {
    const v = await output(tool, [...args]);
    out.push({ what: tool, ok: v !== null, detail: v?.split('\n')[0] ?? 'not found', fix: SETUP });
  }
  const meson = await output('meson', ['--version']);
  const [mMajor = 0, mMinor = 0] = (meson ?? '0.0').split('.').map(Number);
  out.push({
    what: 'meson >= 1.5 (QEMU 10.0)',
    ok: mMajor > 1 || (mMajor === 1 && mMinor >= 5),
    detail: meson ?? 'not found',
    fix: 'apt-get install -t bookworm-backports meson',
  });
  const pycotap = await output('/usr/bin/python3', ['-c', 'import pycotap']);
  out.push({
    what: 'python3-pycotap',
    ok: pycotap !== null,
    detail: pycotap !== null ? 'importable' : 'missing',
    fix: 'apt-get install -t bookworm-backports python3-pycotap',
  });
  out.push({
    what: 'linux-source-6.12',
    ok: existsSync(DEBIAN_SOURCE_TARBALL),
    detail: DEBIAN_SOURCE_TARBALL,
    fix: 'apt-get install -t bookworm-backports linux-source-6.12',
  });
  const root = cacheRoot();
  const fs = await statfs(existsSync(root) ? root : '/').catch(() => null);
  const freeGiB = fs ? (fs.bavail * fs.bsize) / 2 ** 30 : 0;
  out.push({
    what: 'free disk for the cache (>= 20 GiB)',
    ok: freeGiB >= 20,
    detail: `${freeGiB.toFixed(0)} GiB free at ${root}`,
    fix: `free space, or point XDG_CACHE_HOME at a larger disk`,
  });
  const entries = await new CacheStore(root).list();
  const corrupt = entries.filter((e) => e.state !== 'ok');
  out.push({
    what: 'cache entries intact',
    ok: corrupt.length === 0,
    detail: `${entries.length} entries, ${corrupt.length} corrupt`,
    fix: 'vfio-reset images prune (corrupt entries are also rebuilt on use)',
  });
  return out;
}

export const doctorCommand = defineCommand({
  name: 'doctor',
  summary: 'check the host (tools, versions, disk, cache) and print the fix for each problem',
  usage: 'usage: vfio-reset doctor\n\nExits 0 when every check passes, 1 otherwise.\n',
  options: {},
  async run() {
    const results = await checks();
    for (const c of results)
      process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.what}: ${c.detail}${c.ok ? '' : `\n      fix: ${c.fix}`}\n`);
    const failed = results.filter((c) => !c.ok).length;
    process.stdout.write(`${results.length - failed} ok, ${failed} to fix\n`);
    return failed === 0 ? EXIT.good : 1;
  },
});
