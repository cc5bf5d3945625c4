// SPDX-License-Identifier: GPL-2.0-only
/**
 * A content-addressed store of built artifacts. An entry is a directory
 * named by its kind and the hash of all of its inputs; it is built in a
 * temporary directory, described by a manifest (every file's size and
 * sha256) and renamed into place, so a reader sees a whole entry or none.
 * An entry whose files do not match its manifest is removed and rebuilt.
 */
import { withWorkLock } from './work-lock.ts';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile, lstat, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { canonicalJson, sha256, sha256File } from './digest.ts';

export const MANIFEST = 'manifest.json';

export interface ManifestFile {
  readonly size: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly kind: string;
  readonly key: string;
  readonly inputs: unknown;
  readonly created: string;
  readonly buildSeconds: number;
  readonly files: Record<string, ManifestFile>;
  readonly symlinks: Record<string, string>;
}

export interface CacheEntry {
  readonly dir: string;
  readonly manifest: Manifest;
  /** True when this call built the entry, false when it was found. */
  readonly built: boolean;
}

export type EntryProblem = { readonly kind: 'missing' } | { readonly kind: 'corrupt'; readonly detail: string };

export interface StoreEntryInfo {
  readonly name: string;
  readonly dir: string;
  readonly state: 'ok' | EntryProblem['kind'];
  readonly bytes: number;
  readonly lastUsed: Date;
  readonly manifest: Manifest | null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class CacheStore {
  constructor(readonly root: string) {}

  keyOf(kind: string, inputs: unknown): string {
    return sha256(canonicalJson({ kind, inputs })).slice(0, 32);
  }

  entryDir(kind: string, key: string): string {
    return join(this.root, 'store', `${kind}-${key}`);
  }

  /** Returns the entry for these inputs, building it first when it is missing or corrupt. */
  async obtain(kind: string, inputs: unknown, build: (outDir: string) => Promise<void>): Promise<CacheEntry> {
    const key = this.keyOf(kind, inputs);
    const dir = this.entryDir(kind, key);
    const found = await this.verify(dir);
    if ('manifest' in found) {
      // The directory's mtime records the last use, for `images prune`.
      const now = new Date();
      await utimes(dir, now, now);
      return { dir, manifest: found.manifest, built: false };
    }
    // One builder per key: another harness building it now is waited for, and its entry taken.
    await mkdir(join(this.root, 'locks'), { recursive: true });
    return withWorkLock(
      join(this.root, 'locks', `${kind}-${key}`),
      (pid) => process.stderr.write(`cache: waiting for harness pid ${pid}, which is building ${kind}-${key}\n`),
      async () => {
        const now = await this.verify(dir);
        if ('manifest' in now) return { dir, manifest: now.manifest, built: false };
        if (now.kind === 'corrupt') {
          process.stderr.write(`cache: ${kind}-${key} is corrupt (${now.detail}); rebuilding\n`);
          await rm(dir, { recursive: true, force: true });
        }
        return this.build(kind, key, inputs, dir, build);
      },
    );
  }

  private async build(
    kind: string,
    key: string,
    inputs: unknown,
    dir: string,
    build: (outDir: string) => Promise<void>,
  ): Promise<CacheEntry> {
    const tmp = join(this.root, 'tmp', `${kind}-${key}.${process.pid}.${randomBytes(4).toString('hex')}`);
    await mkdir(tmp, { recursive: true });
    const started = Date.now();
    try {
      await build(tmp);
      const { files, symlinks } = await describeTree(tmp);
      const manifest: Manifest = {
        kind,
        key,
        inputs,
        created: new Date().toISOString(),
        buildSeconds: (Date.now() - started) / 1000,
        files,
        symlinks,
      };
      await writeFile(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      await mkdir(join(this.root, 'store'), { recursive: true });
      try {
        await rename(tmp, dir);
      } catch (error) {
        // Another run finished the same entry first: keep theirs if it is whole.
        const theirs = await this.verify(dir);
        if (!('manifest' in theirs)) throw error;
        await rm(tmp, { recursive: true, force: true });
        return { dir, manifest: theirs.manifest, built: false };
      }
      return { dir, manifest, built: true };
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Checks an entry against its manifest: every file present with its size and hash, every symlink with its target,
   * nothing extra.
   */
  async verify(dir: string): Promise<{ manifest: Manifest } | EntryProblem> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        const exists = await stat(dir).then(
          () => true,
          () => false,
        );
        return exists ? { kind: 'corrupt', detail: 'no manifest' } : { kind: 'missing' };
      }
      return { kind: 'corrupt', detail: `unreadable manifest: ${(error as Error).message}` };
    }
    let actual: Awaited<ReturnType<typeof describeTree>>;
    try {
      actual = await describeTree(dir, true);
    } catch (error) {
      return { kind: 'corrupt', detail: (error as Error).message };
    }
    for (const [path, want] of Object.entries(manifest.files)) {
      const got = actual.files[path];
      if (got === undefined) return { kind: 'corrupt', detail: `${path} is missing` };
      if (got.size !== want.size)
        return { kind: 'corrupt', detail: `${path} has ${got.size} bytes, manifest says ${want.size}` };
      if (got.sha256 !== want.sha256) return { kind: 'corrupt', detail: `${path} does not match its sha256` };
    }
    for (const path of Object.keys(actual.files)) {
      if (!(path in manifest.files)) return { kind: 'corrupt', detail: `${path} is not in the manifest` };
    }
    for (const [path, target] of Object.entries(manifest.symlinks ?? {})) {
      if (actual.symlinks[path] !== target) return { kind: 'corrupt', detail: `symlink ${path} is missing or changed` };
    }
    for (const path of Object.keys(actual.symlinks)) {
      if (!(path in (manifest.symlinks ?? {})))
        return { kind: 'corrupt', detail: `symlink ${path} is not in the manifest` };
    }
    return { manifest };
  }

  /** Every entry in the store, with its verification state, size and last use. */
  async list(): Promise<StoreEntryInfo[]> {
    const storeDir = join(this.root, 'store');
    const names = await readdir(storeDir).catch(() => [] as string[]);
    const out: StoreEntryInfo[] = [];
    for (const name of names.sort()) {
      const dir = join(storeDir, name);
      const state = await this.verify(dir);
      const lastUsed = (await stat(dir)).mtime;
      const bytes = 'manifest' in state ? Object.values(state.manifest.files).reduce((s, f) => s + f.size, 0) : 0;
      out.push({
        name,
        dir,
        state: 'manifest' in state ? 'ok' : state.kind,
        bytes,
        lastUsed,
        manifest: 'manifest' in state ? state.manifest : null,
      });
    }
    return out;
  }

  /** Removes corrupt entries, entries unused for `olderThanMs`, and temporary directories of builds that died. */
  async prune(olderThanMs: number): Promise<string[]> {
    const removed: string[] = [];
    const cutoff = Date.now() - olderThanMs;
    for (const entry of await this.list()) {
      if (entry.state !== 'ok' || entry.lastUsed.getTime() < cutoff) {
        await rm(entry.dir, { recursive: true, force: true });
        removed.push(entry.name);
      }
    }
    // Work trees (kernel and QEMU sources and build directories) are only accelerators.
    for (const kind of await readdir(join(this.root, 'work')).catch(() => [] as string[])) {
      for (const name of await readdir(join(this.root, 'work', kind)).catch(() => [] as string[])) {
        const dir = join(this.root, 'work', kind, name);
        const info = await stat(dir);
        if (info.isDirectory() && info.mtime.getTime() < cutoff) {
          await rm(dir, { recursive: true, force: true });
          removed.push(`work/${kind}/${name}`);
        }
      }
    }
    const tmp = join(this.root, 'tmp');
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const pid = Number(/\.(\d+)\.[0-9a-f]+(\.\w+)?$/.exec(name)?.[1]);
      if (Number.isInteger(pid) && processAlive(pid)) continue;
      await rm(join(tmp, name), { recursive: true, force: true });
      removed.push(`tmp/${name}`);
    }
    return removed;
  }
}

async function describeTree(
  root: string,
  skipManifest = false,
): Promise<{ files: Record<string, ManifestFile>; symlinks: Record<string, string> }> {
  const files: Record<string, ManifestFile> = {};
  const symlinks: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(root, path);
      if (skipManifest && rel === MANIFEST) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isSymbolicLink()) symlinks[rel] = await readlink(path);
      else if (entry.isFile()) files[rel] = { size: (await lstat(path)).size, sha256: await sha256File(path) };
    }
  }
  await walk(root);
  return { files, symlinks };
}
