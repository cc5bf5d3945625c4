// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where a kernel comes from and how it becomes a patched source tree in
 * the work area. The work area is an accelerator, like ccache: it is kept
 * between runs so that a bisect step rebuilds incrementally, and it is never
 * trusted as an artifact (the cache entries are).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { capture, runStep } from './build-step.ts';
import type { Credentials } from './build-user.ts';
import { execa } from 'execa';
import { sha256, sha256File } from '../cache/digest.ts';
import { InputError } from '../lib/errors.ts';

export const DEBIAN_SOURCE_TARBALL = '/usr/src/linux-source-6.12.tar.xz';
export const DEBIAN_SOURCE_PACKAGE = 'linux-source-6.12';

export type KernelSource =
  | {
      readonly kind: 'debian-package';
      readonly package: string;
      readonly version: string;
      readonly tarball: string;
      readonly tarballSha256: string;
    }
  | { readonly kind: 'tree'; readonly dir: string; readonly revision: string; readonly dirtyDigest: string | null };

export interface Patch {
  readonly name: string;
  readonly text: string;
}

/** The default source: Debian's linux-source package from bookworm-backports. */
export async function debianSource(): Promise<KernelSource> {
  if (!existsSync(DEBIAN_SOURCE_TARBALL)) {
    throw new InputError(
      `${DEBIAN_SOURCE_TARBALL} is missing; ` +
        `install it with: apt-get install -t bookworm-backports ${DEBIAN_SOURCE_PACKAGE}`,
    );
  }
  const version = (await capture('dpkg-query', ['-W', '-f=${Version}', DEBIAN_SOURCE_PACKAGE])).trim();
  return {
    kind: 'debian-package',
    package: DEBIAN_SOURCE_PACKAGE,
    version,
    tarball: DEBIAN_SOURCE_TARBALL,
    tarballSha256: await sha256File(DEBIAN_SOURCE_TARBALL),
  };
}

/** A kernel tree given by the user; identified by its git revision plus any uncommitted change. */
export async function treeSource(dirArg: string): Promise<KernelSource> {
  const dir = resolve(dirArg);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new InputError(`kernel tree ${dir} does not exist; pass --kernel-tree a checked-out Linux source directory`);
  if (!existsSync(join(dir, 'Kconfig')) || !existsSync(join(dir, 'scripts', 'kconfig', 'merge_config.sh'))) {
    throw new InputError(
      `${dir} is not a Linux kernel tree (no Kconfig or scripts/kconfig/merge_config.sh); ` +
        'pass --kernel-tree the top of a kernel source checkout',
    );
  }
  if (!existsSync(join(dir, '.git'))) {
    throw new InputError(
      `kernel tree ${dir} is not a git checkout; the harness identifies trees by their git revision ` +
        "(run 'git init && git add -A && git commit' there)",
    );
  }
  const revision = (await capture('git', ['-C', dir, 'rev-parse', 'HEAD'])).trim();
  // Uncommitted changes and untracked (not ignored) files are built too, so they are part of the identity.
  const diff = await capture('git', ['-C', dir, 'diff', 'HEAD']);
  const untracked = (await capture('git', ['-C', dir, 'ls-files', '--others', '--exclude-standard', '-z']))
    .split('\0')
    .filter((f) => f !== '')
    .sort();
  const untrackedDigests = await Promise.all(
    untracked.map(async (f) => `${f} ${sha256(await readFile(join(dir, f)).catch(() => Buffer.alloc(0)))}`),
  );
  const dirtyDigest = diff === '' && untracked.length === 0 ? null : sha256(`${diff}\0${untrackedDigests.join('\n')}`);
  return { kind: 'tree', dir, revision, dirtyDigest };
}

/**
 * Refuses to go on if the user's tree is no longer what it was identified
 * as (an edit, a checkout or another job's writes during the minutes
 * between): the cache would hold a kernel that does not match its key.
 * Checked once the tree is mirrored, so that the copy matches the identity.
 */
export async function assertTreeUnchanged(source: KernelSource): Promise<void> {
  if (source.kind !== 'tree') return;
  const now = await treeSource(source.dir);
  if (now.kind !== 'tree' || now.revision !== source.revision || now.dirtyDigest !== source.dirtyDigest) {
    const what =
      now.kind === 'tree' && now.revision !== source.revision
        ? `HEAD moved from ${source.revision.slice(0, 12)} to ${now.revision.slice(0, 12)}`
        : 'its uncommitted changes differ';
    throw new InputError(
      `kernel tree ${source.dir} changed while the harness was copying it (${what}); ` +
        'nothing was built or cached: run again once nothing writes to the tree',
    );
  }
}

/** A short stable label of the source, for work directory names and reports. */
export function sourceLabel(source: KernelSource): string {
  return source.kind === 'debian-package'
    ? `${source.package}_${source.version}`
    : `tree-${sha256(source.dir).slice(0, 12)}`;
}

/** The mirrored source, and what changed in it. */
export interface PreparedSource {
  readonly src: string;
  /** What the mirror held before (its stamp), null if it was never completed. */
  readonly previous: string | null;
  /** What it holds now. */
  readonly stamp: string;
  /** Files (relative to the tree) whose content differs from what the mirror held; null if there was no mirror. */
  readonly changed: readonly string[] | null;
}

/** The files a unified diff touches (the "+++ b/..." line of each "---"/"+++" header), relative to the tree. */
export function filesOfPatch(text: string): string[] {
  return [...text.matchAll(/^--- .*\n\+\+\+ (?:b\/)?(\S+)/gm)].map((m) => m[1]!).filter((f) => f !== '/dev/null');
}

/** rsync --itemize-changes lines for regular files, links and deletions: the paths they name. */
export function itemizedPaths(output: string): string[] {
  return [...output.matchAll(/^(?:[<>ch.][fLDS][^\s]*|\*deleting) +(.+)$/gm)]
    .map((m) => m[1]!)
    .filter((p) => !p.endsWith('/'));
}

/** In a work area: the git tree its mirror was last made from, so that the next mirror copies only what changed. */
const MIRROR_RECORD = 'src.tree.json';

interface MirrorRecord {
  readonly dir: string;
  readonly revision: string;
  /** Files git did not track (ignored ones too), all copied with the tracked ones. */
  readonly untracked: readonly string[];
  /** Files the mirror holds patched. */
  readonly patched: readonly string[];
}

const untrackedFiles = async (dir: string) =>
  (await capture('git', ['-C', dir, 'ls-files', '-z', '--others'])).split('\0').filter((f) => f !== '');

/**
 * The files of `dir` that may differ from its mirror made at `record`:
 * tracked files git sees changed since that revision (committed or not),
 * files it did not track then or does not track now (`untracked`), and
 * files patched then or now (the mirror holds them patched). null if git
 * cannot tell (the revision is gone).
 */
async function filesChangedSince(
  dir: string,
  record: MirrorRecord,
  untracked: readonly string[],
  patched: readonly string[],
): Promise<string[] | null> {
  const diff = await capture('git', ['-C', dir, 'diff', '--no-renames', '--name-only', '-z', record.revision]).catch(
    () => null,
  );
  if (diff === null) return null;
  const tracked = diff.split('\0').filter((f) => f !== '');
  return [...new Set([...tracked, ...record.untracked, ...untracked, ...record.patched, ...patched])].sort();
}

/**
 * Makes `workDir/src` hold the source with `patches` applied. The source
 * (Debian's tarball, unpacked once into `pristine/`, or the user's tree) is
 * mirrored into `src/` by content: a file whose content differs is copied
 * and gets a new mtime, so make rebuilds exactly what changed, whatever the
 * old mtimes say (tar and a checked-out tree carry arbitrary ones: a file
 * restored to an older content would otherwise keep its stale object).
 */
export async function prepareSourceTree(
  source: KernelSource,
  patches: readonly Patch[],
  workDir: string,
  log: string,
  as: Credentials | null = null,
): Promise<PreparedSource> {
  const src = join(workDir, 'src');
  const stampPath = join(workDir, 'src.stamp');
  const stamp = sha256(JSON.stringify({ source, patches }));
  const previous = existsSync(src) ? await readFile(stampPath, 'utf8').catch(() => null) : null;
  if (previous === stamp) return { src, previous, stamp, changed: [] };
  await rm(stampPath, { force: true });
  // The patched files as the mirror holds them: re-applying the same patch is no change.
  const patched = [...new Set(patches.flatMap((p) => filesOfPatch(p.text)))];
  const hashOf = (f: string) => sha256File(join(src, f)).catch(() => null);
  const before = new Map(await Promise.all(patched.map(async (f) => [f, await hashOf(f)] as const)));
  const timesBefore = new Map(
    await Promise.all(patched.map(async (f) => [f, await stat(join(src, f)).catch(() => null)] as const)),
  );
  let from: string;
  if (source.kind === 'debian-package') {
    from = join(workDir, 'pristine');
    const pristineStamp = join(workDir, 'pristine.stamp');
    if ((await readFile(pristineStamp, 'utf8').catch(() => '')) !== source.tarballSha256) {
      await rm(from, { recursive: true, force: true });
      await mkdir(from, { recursive: true });
      await runStep(
        'unpacking the kernel source',
        'tar',
        ['-xJf', source.tarball, '-C', from, '--strip-components=1'],
        { log },
      );
      await writeFile(pristineStamp, source.tarballSha256);
    }
  } else {
    from = source.dir;
  }
  await mkdir(src, { recursive: true });
  if (as !== null) await ownTree(src, as);
  const recordPath = join(workDir, MIRROR_RECORD);
  const record = await readFile(recordPath, 'utf8').then(
    (t) => JSON.parse(t) as MirrorRecord,
    () => null,
  );
  await rm(recordPath, { force: true });
  const untracked = source.kind === 'tree' ? await untrackedFiles(source.dir) : [];
  const only =
    previous !== null && record !== null && source.kind === 'tree' && record.dir === source.dir
      ? await filesChangedSince(source.dir, record, untracked, patched)
      : null;
  // -a without -t: times are not copied, and --checksum compares contents. The copy belongs to whoever builds it.
  const owner = as === null ? [] : [`--chown=${as.uid}:${as.gid}`];
  const itemized = join(workDir, 'src.changes');
  await rm(itemized, { force: true });
  const list = join(workDir, 'src.candidates');
  if (only !== null) await writeFile(list, only.map((f) => `${f}\0`).join(''));
  // The whole tree, or (a git tree mirrored before) only the files git says may differ: a bisect step's few.
  const which = only === null ? ['--delete'] : [`--files-from=${list}`, '--from0', '--delete-missing-args'];
  await runStep(
    only === null ? 'mirroring the kernel source' : `mirroring the kernel source (${only.length} files git names)`,
    'rsync',
    [
      '-rlpgoD',
      '--checksum',
      ...which,
      ...owner,
      '--exclude=/.git',
      `--log-file=${itemized}`,
      '--log-file-format=%i %n',
      `${from}/`,
      `${src}/`,
    ],
    { log },
  );
  const mirrored = itemizedPaths((await readFile(itemized, 'utf8')).replace(/^\S+ \S+ \[\d+\] /gm, ''));
  // Before the stamp: a copy of a tree that changed must never pass for the tree it was identified as.
  await assertTreeUnchanged(source);
  for (const patch of patches) {
    try {
      await runStep(
        `applying ${patch.name}`,
        'patch',
        ['-p1', '--forward', '--batch', '--no-backup-if-mismatch', '-d', src],
        { log, input: patch.text, as },
      );
    } catch {
      throw new InputError(
        `patch ${patch.name} does not apply to ${source.kind === 'tree' ? source.dir : source.tarball}; ` +
          `rebase it or drop it (log: ${log})`,
      );
    }
  }
  // A patched file changed if its patched content did; any other file if rsync had to copy or delete it.
  const patchedChanged = [];
  for (const f of patched) {
    if ((await hashOf(f)) !== before.get(f)) {
      patchedChanged.push(f);
      continue;
    }
    // rsync put the unpatched file back and the patch rewrote it: the same content under a new mtime would
    // make kbuild resync the config (a patched Kconfig) or recompile, about 10 s of every bisect step.
    const was = timesBefore.get(f);
    if (was !== null && was !== undefined) await utimes(join(src, f), was.atime, was.mtime);
  }
  await writeFile(stampPath, stamp);
  if (source.kind === 'tree') {
    // Untracked files before and after the copy: one that came or went meanwhile is copied again next time.
    const since = [...new Set([...untracked, ...(await untrackedFiles(source.dir))])].sort();
    const made: MirrorRecord = { dir: source.dir, revision: source.revision, untracked: since, patched };
    await writeFile(recordPath, JSON.stringify(made));
  }
  const changed = [...mirrored.filter((f) => !before.has(f)), ...patchedChanged].sort();
  return { src, previous, stamp, changed: previous === null ? null : changed };
}

/** Makes `dir` (made if missing) and everything in it belong to `as`, unless it already does. */
export async function ownTree(dir: string, as: Credentials): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await stat(dir)).uid === as.uid) return;
  // Once per tree: a work tree built as root before builds ran unprivileged.
  await execa('chown', ['-R', `${as.uid}:${as.gid}`, dir]);
}
