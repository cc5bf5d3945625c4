// SPDX-License-Identifier: GPL-2.0-only
/**
 * The Debian bookworm arm64 packages L1 runs on: busybox and
 * L1's own QEMU (7.2 still has -device vfio-calxeda-xgmac, removed in
 * QEMU 10.2), with their dependencies. Extracted by mmdebstrap without
 * running any maintainer script, so no binfmt emulation is needed; kept
 * as one tar in the cache.
 */
import { join } from 'node:path';
import { capture, runStep } from './build-step.ts';
import { fileDigests } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { InfrastructureError } from '../lib/errors.ts';
import { repoRoot } from '../lib/paths.ts';
import { describeMirror, hostMirror } from './host-mirror.ts';

export const SUITE = 'bookworm';
export const L1_PACKAGES = ['busybox-static', 'qemu-system-arm'] as const;

export interface DebianBase {
  readonly tarball: string;
  readonly packages: Record<string, string>;
  readonly key: string;
  readonly built: boolean;
  readonly buildSeconds: number;
}

/** The bookworm (not backports) candidate version of each arm64 package (one apt-cache call: each loads the cache). */
async function bookwormVersions(packages: readonly string[]): Promise<Record<string, string>> {
  const lines = (await capture('apt-cache', ['madison', ...packages.map((name) => `${name}:arm64`)])).split('\n');
  const out: Record<string, string> = {};
  for (const name of packages) {
    const line = lines.find(
      (l) =>
        l
          .split('|')[0]
          ?.trim()
          .replace(/:arm64$/, '') === name &&
        (/ bookworm\/main arm64 Packages/.test(l) || / bookworm-updates\/main/.test(l) || /bookworm-security/.test(l)),
    );
    const version = line?.split('|')[1]?.trim();
    if (version === undefined) {
      throw new InfrastructureError(
        `no bookworm arm64 version of ${name} known to apt; run: dpkg --add-architecture arm64 && apt-get update`,
      );
    }
    out[name] = version;
  }
  return out;
}

export async function buildDebianBase(
  store: CacheStore,
  onProgress: (line: string) => void = () => {},
): Promise<DebianBase> {
  const packages = await bookwormVersions(L1_PACKAGES);
  const inputs = {
    suite: SUITE,
    packages,
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/recipes/debian-base.ts')]),
  };
  // Not part of the key: the versions above name the packages, wherever they come from.
  const entry = await store.obtain('debian-base', inputs, async (out) => {
    const log = join(out, 'build.log');
    const mirror = await hostMirror();
    onProgress(
      `extracting Debian ${SUITE} arm64 packages: ${Object.entries(packages)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ')} from ${describeMirror(mirror)}`,
    );
    await runStep(
      'mmdebstrap',
      'mmdebstrap',
      [
        '--variant=extract',
        '--architectures=arm64',
        `--include=${Object.entries(packages)
          .map(([p, v]) => `${p}=${v}`)
          .join(',')}`,
        '--aptopt=APT::Install-Recommends "false"',
        ...mirror.aptOptions.map((o) => `--aptopt=${o}`),
        '--format=tar',
        SUITE,
        join(out, 'rootfs.tar'),
        `deb ${mirror.archive} ${SUITE} main`,
        `deb ${mirror.archive} ${SUITE}-updates main`,
        ...(mirror.security === null ? [] : [`deb ${mirror.security} ${SUITE}-security main`]),
      ],
      { log, env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
  });
  return {
    tarball: join(entry.dir, 'rootfs.tar'),
    packages,
    key: entry.manifest.key,
    built: entry.built,
    buildSeconds: entry.manifest.buildSeconds,
  };
}
