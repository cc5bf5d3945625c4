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
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, runStep } from './build-step.ts';
import { execa } from 'execa';
import { fileDigests, sha256 } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { recordBuildTime } from '../cache/build-times.ts';
import { InfrastructureError, InputError } from '../lib/errors.ts';
import { repoRoot } from '../lib/paths.ts';
import type { Progress } from '../lib/progress.ts';
import { describeMirror, hostMirror } from './host-mirror.ts';

export const QEMU_PATCH_DIR = join(repoRoot, 'images', 'qemu', 'patches');
/** The upstream series the patches are written against. */
const SUPPORTED_UPSTREAM = /^1:10\.0\.\d+\+ds-/;
const LIST_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

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

interface AptPrivate {
  readonly options: string[];
}

/**
 * A private apt configuration that knows trixie's source packages only, from the host's own mirror; the host's
 * apt.conf (proxies) still applies.
 */
async function trixieApt(root: string, log: string, progress: Progress): Promise<AptPrivate> {
  const dir = join(root, 'apt-trixie');
  const lists = join(dir, 'lists');
  await mkdir(join(lists, 'partial'), { recursive: true });
  const sources = join(dir, 'sources.list');
  const mirror = await hostMirror();
  const wanted =
    `deb-src ${mirror.archive} trixie main\n` +
    (mirror.security === null ? '' : `deb-src ${mirror.security} trixie-security main\n`);
  const options = [
    '-o',
    `Dir::Etc::SourceList=${sources}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${lists}`,
  ];
  // One harness updates the lists at a time (apt-get refuses a second); the next finds them fresh.
  await withWorkLock(
    dir,
    () => {},
    async () => {
      const fresh = await stat(join(lists, 'lock')).then(
        (s) => Date.now() - s.mtimeMs < LIST_MAX_AGE_MS,
        () => false,
      );
      // apt stores the lists compressed where it can (…_Sources.lz4).
      const have = (await readdir(lists)).some((n) => /_Sources(\.\w+)?$/.test(n));
      // Lists fetched from another mirror are not reused: that mirror may be out of reach here.
      const sameMirror = (await readFile(sources, 'utf8').catch(() => '')) === wanted;
      if (fresh && have && sameMirror) return;
      await writeFile(sources, wanted);
      progress(`trixie's source list from ${describeMirror(mirror)}`);
      // Offline with lists already fetched: keep using them (the cache key still names the exact version).
      await runStep('apt-get update (trixie sources)', 'apt-get', [...options, 'update'], { log }).catch(
        (error: unknown) => {
          if (!have || !sameMirror) throw error;
        },
      );
    },
  );
  return { options };
}

/** The Version and .dsc sha256 of trixie's qemu source package. */
async function qemuSourceVersion(apt: AptPrivate): Promise<{ version: string; dscSha256: string }> {
  const text = await capture('apt-cache', [...apt.options, 'showsrc', 'qemu']);
  // Several stanzas (trixie, trixie-security): take the highest version.
  const stanzas = text.split('\n\n').filter((s) => /^Package: qemu$/m.test(s));
  const parsed = stanzas.map((s) => ({
    version: /^Version: (.+)$/m.exec(s)?.[1] ?? '',
    dscSha256: /^Checksums-Sha256:\n(?: .+\n)*? ([0-9a-f]{64}) \d+ \S+\.dsc$/m.exec(s)?.[1] ?? '',
  }));
  if (parsed.length === 0) throw new InfrastructureError('apt knows no trixie qemu source package');
  // Versions from the mirror go to sort(1) on its input, never through a shell.
  const sorted = await execa('sort', ['-V'], { input: parsed.map((p) => p.version).join('\n') });
  const versions = sorted.stdout.trim().split('\n');
  const best = parsed.find((p) => p.version === versions[versions.length - 1]) ?? parsed[0]!;
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

/** Debian's qemu source of `version` in `versionDir`/src, unpacked once and recorded as a git commit. */
async function pristineSource(versionDir: string, version: string, apt: AptPrivate, log: string): Promise<string> {
  const src = join(versionDir, 'src');
  const pristineStamp = join(versionDir, 'pristine.stamp');
  if (existsSync(pristineStamp)) return src;
  await rm(versionDir, { recursive: true, force: true });
  const dl = join(versionDir, 'dl');
  await mkdir(dl, { recursive: true });
  await runStep('apt-get source qemu', 'apt-get', [...apt.options, 'source', '--download-only', `qemu=${version}`], {
    cwd: dl,
    log,
  });
  const dsc = (await readdir(dl)).find((n) => n.endsWith('.dsc'));
  if (dsc === undefined) throw new InfrastructureError(`apt-get source qemu=${version} gave no .dsc`, '', log);
  await runStep('dpkg-source -x', 'dpkg-source', ['-x', dsc, src], { cwd: dl, log });
  await rm(dl, { recursive: true, force: true });
  const record = 'recording the pristine source';
  await runStep(record, 'git', git(src, 'init', '-q'), { log });
  await runStep(record, 'git', git(src, 'add', '-A', '-f'), { log });
  await runStep(record, 'git', git(src, 'commit', '-q', '-m', `Debian qemu ${version}`), { log });
  await writeFile(pristineStamp, `${version}\n`);
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
  const apt = await trixieApt(store.root, aptLog, progress);
  const { version, dscSha256 } = await qemuSourceVersion(apt);
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
        const src = await pristineSource(versionDir, version, apt, log);
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
