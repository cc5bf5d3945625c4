// SPDX-License-Identifier: GPL-2.0-only
/**
 * The L0 QEMU: qemu-system-aarch64 built from Debian trixie's qemu source
 * package (10.0.x; dpkg-source applies Debian's own patches), then the
 * project's patches in images/qemu/patches/ (Calxeda XGMACs on virt behind
 * the SMMUv3, traced). The source is fetched with a private apt
 * configuration so that trixie never enters the host's own sources. The
 * source tree and build directory persist in the work area, so a change to
 * one patch rebuilds only what it touches.
 */
import { withWorkLock } from '../cache/work-lock.ts';
import { buildInProgress } from './build-in-progress.ts';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, runStep } from './build-step.ts';
import { fileDigests, sha256 } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { recordBuildTime } from '../cache/build-times.ts';
import { InfrastructureError, InputError } from '../lib/errors.ts';
import { repoRoot } from '../lib/paths.ts';
import type { Progress } from '../lib/progress.ts';
import { newestSource, sourceApt, unpackSource, type SourceApt, type SourcePackage } from './source-apt.ts';

export const QEMU_PATCH_DIR = join(repoRoot, 'images', 'qemu', 'patches');
/** The upstream series the patches are written against. */
const SUPPORTED_UPSTREAM = /^1:10\.0\.\d+\+ds-/;

/** The project's devices configuration, copied into the source as configs/devices/aarch64-softmmu/vfio-reset.mak. */
export const QEMU_DEVICES_MAK = join(repoRoot, 'images', 'qemu', 'devices', 'aarch64-softmmu.mak');
const DEVICES_NAME = 'vfio-reset';

export const QEMU_CONFIGURE_FLAGS = [
  '--target-list=aarch64-softmmu',
  '--without-default-features',
  // Without it every board whose Kconfig says "default y" is built whatever the devices file says (1,555 objects).
  '--without-default-devices',
  `--with-devices-aarch64=${DEVICES_NAME}`,
  '--enable-tcg',
  '--enable-fdt=system',
  '--enable-slirp',
  '--enable-trace-backends=log',
  '--disable-install-blobs',
  '--disable-docs',
  '--disable-werror',
  '--disable-download',
  '--python=/usr/bin/python3',
] as const;

export interface QemuArtifact {
  readonly binary: string;
  /** Debian source version, e.g. 1:10.0.13+ds-0+deb13u1. */
  readonly sourceVersion: string;
  readonly patches: Record<string, string>;
  readonly key: string;
  readonly built: boolean;
  readonly buildSeconds: number;
}

/** Trixie's qemu source, refused if it left the series the patches are written against. */
async function qemuSource(apt: SourceApt): Promise<SourcePackage> {
  const best = await newestSource(apt, 'qemu');
  if (!SUPPORTED_UPSTREAM.test(best.version)) {
    throw new InfrastructureError(
      `trixie's qemu source is now ${best.version}; the patches in images/qemu/patches target 10.0.x: rebase them`,
    );
  }
  return best;
}

async function patchFiles(): Promise<string[]> {
  const names = (await readdir(QEMU_PATCH_DIR)).filter((n) => n.endsWith('.patch')).sort();
  return names.map((n) => join(QEMU_PATCH_DIR, n));
}

const git = (src: string, ...args: string[]) => [
  '-C',
  src,
  '-c',
  'user.name=vfio-reset',
  '-c',
  'user.email=vfio-reset@localhost',
  ...args,
];

/** Debian's qemu source in `versionDir`/src, unpacked once and recorded as a git commit. */
async function pristineSource(versionDir: string, source: SourcePackage, apt: SourceApt, log: string): Promise<string> {
  const src = join(versionDir, 'src');
  const pristineStamp = join(versionDir, 'pristine.stamp');
  if (existsSync(pristineStamp)) return src;
  await rm(versionDir, { recursive: true, force: true });
  await mkdir(versionDir, { recursive: true });
  await unpackSource(apt, source, src, log);
  const record = 'recording the pristine source';
  await runStep(record, 'git', git(src, 'init', '-q'), { log });
  await runStep(record, 'git', git(src, 'add', '-A', '-f'), { log });
  await runStep(record, 'git', git(src, 'commit', '-q', '-m', `Debian qemu ${source.version}`), { log });
  await writeFile(pristineStamp, `${source.version}\n`);
  return src;
}

/** The pristine source with exactly `patches` applied; left alone if it already is, so that ninja rebuilds nothing. */
async function patchedSource(
  versionDir: string,
  src: string,
  version: string,
  patches: readonly string[],
  patchDigests: Record<string, string>,
  log: string,
): Promise<void> {
  const patchStamp = join(versionDir, 'patches.stamp');
  const wanted = sha256(JSON.stringify(patchDigests));
  if ((await readFile(patchStamp, 'utf8').catch(() => '')) === wanted) return;
  await rm(patchStamp, { force: true });
  // Back to pristine: only files a previous patch set touched are rewritten (and so rebuilt).
  await runStep('restoring the pristine source', 'git', git(src, 'reset', '-q', '--hard'), { log });
  await runStep('restoring the pristine source', 'git', git(src, 'clean', '-q', '-fdx'), { log });
  for (const patch of patches) {
    const name = patch.slice(QEMU_PATCH_DIR.length + 1);
    try {
      await runStep(`applying ${name}`, 'git', git(src, 'apply', '--whitespace=nowarn', patch), { log });
    } catch {
      throw new InputError(`QEMU patch ${name} does not apply to Debian qemu ${version}; rebase it (log: ${log})`);
    }
  }
  await writeFile(patchStamp, wanted);
}

/**
 * Configures `build` (again only when the flags changed) and compiles qemu-system-aarch64 there; true if it was
 * configured afresh, so that everything was compiled (a cold build).
 */
async function compiled(src: string, build: string, log: string, progress: Progress): Promise<boolean> {
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
  const configureStamp = join(build, 'vfio-reset-configure.stamp');
  const devices = await readFile(QEMU_DEVICES_MAK, 'utf8');
  // Rewritten only when it differs (restoring the pristine source removes it): a new mtime would make meson run again.
  const inSource = join(src, 'configs', 'devices', 'aarch64-softmmu', `${DEVICES_NAME}.mak`);
  if ((await readFile(inSource, 'utf8').catch(() => '')) !== devices) await writeFile(inSource, devices);
  const flagsDigest = sha256(`${QEMU_CONFIGURE_FLAGS.join(' ')}\n${devices}`);
  const fresh = (await readFile(configureStamp, 'utf8').catch(() => '')) !== flagsDigest;
  if (fresh) {
    await rm(build, { recursive: true, force: true });
    await mkdir(build, { recursive: true });
    await runStep('configuring QEMU', join(src, 'configure'), [...QEMU_CONFIGURE_FLAGS], { cwd: build, log, env });
    await writeFile(configureStamp, flagsDigest);
  }
  const { discarded } = await buildInProgress(build, () =>
    runStep('compiling QEMU', 'ninja', ['-C', build, 'qemu-system-aarch64'], { log, env }),
  );
  if (discarded > 0) progress(`an interrupted build left ${discarded} files in ${build}: discarded, rebuilt`);
  return fresh;
}

export async function buildQemu(store: CacheStore, progress: Progress): Promise<QemuArtifact> {
  const workDir = join(store.root, 'work', 'qemu');
  await mkdir(workDir, { recursive: true });
  const aptLog = join(workDir, 'apt.log');
  const apt = await sourceApt(store.root, 'trixie', aptLog, progress);
  const source = await qemuSource(apt);
  const { version, dscSha256 } = source;
  const patches = await patchFiles();
  const patchDigests = await fileDigests(QEMU_PATCH_DIR, patches);
  const inputs = {
    source: { package: 'qemu', suite: 'trixie', version, dscSha256 },
    patches: patchDigests,
    configure: QEMU_CONFIGURE_FLAGS,
    devices: await fileDigests(repoRoot, [QEMU_DEVICES_MAK]),
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/recipes/qemu.ts')]),
  };
  const entry = await store.obtain('qemu', inputs, (out) =>
    withWorkLock(
      workDir,
      (pid) => progress(`waiting for the QEMU work tree ${workDir}: harness pid ${pid} is using it`),
      async () => {
        const log = join(out, 'build.log');
        progress(`building qemu-system-aarch64 from Debian qemu ${version} + ${patches.length} patches (log: ${log})`);
        const versionDir = join(workDir, version.replace(/[^A-Za-z0-9.+-]/g, '_'));
        const src = await pristineSource(versionDir, source, apt, log);
        await patchedSource(versionDir, src, version, patches, patchDigests, log);
        const build = join(versionDir, 'build');
        const started = Date.now();
        const cold = await compiled(src, build, log, progress);
        await copyFile(join(build, 'qemu-system-aarch64'), join(out, 'qemu-system-aarch64'));
        // Never cache a binary that does not run.
        const said = await capture(join(out, 'qemu-system-aarch64'), ['--version']).catch(
          (error: Error) => error.message,
        );
        if (!/^QEMU emulator version /.test(said))
          throw new InfrastructureError(
            `the QEMU build made a binary that does not run: ${said.split('\n')[0]}`,
            '',
            log,
          );
        await writeFile(join(out, 'source-version'), `${version}\n`);
        await recordBuildTime(store.root, 'qemu', cold, (Date.now() - started) / 1000);
      },
    ),
  );
  const binary = join(entry.dir, 'qemu-system-aarch64');
  return {
    binary,
    sourceVersion: version,
    patches: patchDigests,
    key: entry.manifest.key,
    built: entry.built,
    buildSeconds: entry.manifest.buildSeconds,
  };
}
