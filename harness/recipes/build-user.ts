// SPDX-License-Identifier: GPL-2.0-only
/**
 * Who runs a kernel tree's own code: its Makefiles, Kconfig scripts and
 * the patches applied to it come from whoever posted them for review, so
 * a harness running as root runs them as an unprivileged system user made
 * by set-up (images/host-setup.sh). A harness that is not root already is
 * unprivileged, and builds as itself.
 */
import { readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, rename, rm, rmdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../lib/errors.ts';

export const BUILD_USER_NAME = 'vfio-reset-build';

export interface Credentials {
  readonly uid: number;
  readonly gid: number;
}

/** The build user's uid and gid from a passwd(5) text, or null if it has no such user. */
export function credentialsIn(passwd: string, name: string): Credentials | null {
  const entry = passwd.split('\n').find((l) => l.split(':')[0] === name);
  if (entry === undefined) return null;
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The credentials kernel builds run with: the build user's when root, null (as the harness) otherwise. */
export function buildCredentials(): Credentials | null {
  if (process.getuid?.() !== 0) return null;
  const found = credentialsIn(readFileSync('/etc/passwd', 'utf8'), BUILD_USER_NAME);
  if (found === null)
    throw new InfrastructureError(
      `as root, kernels are built as the unprivileged user ${BUILD_USER_NAME}, which does not exist; ` +
        'run bash images/host-setup.sh (npm start and npm test run it first)',
    );
  return found;
}

/**
 * Where the build user's work trees and compiler cache live when the harness is root: the cache under root's home
 * is out of its reach (/root is 0700). Made by set-up, owned by the build user.
 */
export const BUILD_AREA = '/var/lib/vfio-reset-build';

/**
 * The directory `link` (in the harness's cache) stands for, for builds as `as`: the same path when the harness
 * builds as itself; otherwise `BUILD_AREA/name`, with `link` made a symlink to it so that `images prune` and the
 * next run find it. What was built at `link` before is moved there, once.
 */
export async function buildDir(link: string, name: string, as: Credentials | null): Promise<string> {
  if (as === null) return link;
  const target = join(BUILD_AREA, name);
  await mkdir(target, { recursive: true });
  const found = await lstat(link).catch(() => null);
  if (found?.isSymbolicLink() && (await readlink(link)) === target) return target;
  if (found?.isDirectory()) {
    // Same filesystem: a rename each, and the trees stay incremental. Across filesystems they are rebuilt.
    for (const entry of await readdir(link))
      await rename(join(link, entry), join(target, entry)).catch(() => rm(join(link, entry), { recursive: true }));
    await rmdir(link);
  } else if (found !== null) await rm(link, { force: true });
  await execa('chown', ['-R', `${as.uid}:${as.gid}`, target]);
  await mkdir(dirname(link), { recursive: true });
  await symlink(target, link);
  return target;
}
