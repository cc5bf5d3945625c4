// SPDX-License-Identifier: GPL-2.0-only
/**
 * Debian source packages through a private apt configuration: a suite's
 * deb-src lists kept in the cache, from the host's own mirror, so that no
 * source line (and never trixie) enters the host's own apt sources. The
 * host's apt.conf (proxies) still applies.
 */
import { execa } from 'execa';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withWorkLock } from '../cache/work-lock.ts';
import { InfrastructureError } from '../lib/errors.ts';
import type { Progress } from '../lib/progress.ts';
import { capture, runStep } from './build-step.ts';
import { describeMirror, hostMirror } from './host-mirror.ts';

const LIST_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export type SourceSuite = 'bookworm' | 'trixie';

export interface SourceApt {
  readonly suite: SourceSuite;
  readonly options: readonly string[];
}

/** A source package's version and the sha256 of its .dsc: together they name the source exactly. */
export interface SourcePackage {
  readonly package: string;
  readonly suite: SourceSuite;
  readonly version: string;
  readonly dscSha256: string;
}

/** apt options that know `suite`'s source packages only (main and security), its lists fetched at most weekly. */
export async function sourceApt(root: string, suite: SourceSuite, log: string, progress: Progress): Promise<SourceApt> {
  const dir = join(root, `apt-${suite}`);
  const lists = join(dir, 'lists');
  await mkdir(join(lists, 'partial'), { recursive: true });
  const sources = join(dir, 'sources.list');
  const mirror = await hostMirror();
  const wanted =
    `deb-src ${mirror.archive} ${suite} main\n` +
    (mirror.security === null ? '' : `deb-src ${mirror.security} ${suite}-security main\n`);
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
      progress(`${suite}'s source list from ${describeMirror(mirror)}`);
      // Offline with lists already fetched: keep using them (the cache key still names the exact version).
      await runStep(`apt-get update (${suite} sources)`, 'apt-get', [...options, 'update'], { log }).catch(
        (error: unknown) => {
          if (!have || !sameMirror) throw error;
        },
      );
    },
  );
  return { suite, options };
}

/** The newest version of source package `name` in the suite (several stanzas: the suite and its security updates). */
export async function newestSource(apt: SourceApt, name: string): Promise<SourcePackage> {
  const text = await capture('apt-cache', [...apt.options, 'showsrc', name]);
  const stanzas = text.split('\n\n').filter((s) => new RegExp(`^Package: ${name}$`, 'm').test(s));
  const parsed = stanzas.map((s) => ({
    version: /^Version: (.+)$/m.exec(s)?.[1] ?? '',
    dscSha256: /^Checksums-Sha256:\n(?: .+\n)*? ([0-9a-f]{64}) \d+ \S+\.dsc$/m.exec(s)?.[1] ?? '',
  }));
  if (parsed.length === 0) throw new InfrastructureError(`apt knows no ${apt.suite} ${name} source package`);
  // Versions from the mirror go to sort(1) on its input, never through a shell.
  const sorted = await execa('sort', ['-V'], { input: parsed.map((p) => p.version).join('\n') });
  const versions = sorted.stdout.trim().split('\n');
  const best = parsed.find((p) => p.version === versions[versions.length - 1]) ?? parsed[0]!;
  return { package: name, suite: apt.suite, ...best };
}

/** Debian's source of `source` unpacked into `dir` (dpkg-source applies Debian's own patches). */
export async function unpackSource(apt: SourceApt, source: SourcePackage, dir: string, log: string): Promise<void> {
  const dl = `${dir}.dl`;
  await rm(dl, { recursive: true, force: true });
  await mkdir(dl, { recursive: true });
  try {
    const what = `${source.package}=${source.version}`;
    await runStep(`apt-get source ${source.package}`, 'apt-get', [...apt.options, 'source', '--download-only', what], {
      cwd: dl,
      log,
    });
    const dsc = (await readdir(dl)).find((n) => n.endsWith('.dsc'));
    if (dsc === undefined) throw new InfrastructureError(`apt-get source ${what} gave no .dsc`, '', log);
    await runStep('dpkg-source -x', 'dpkg-source', ['-x', dsc, dir], { cwd: dl, log });
  } finally {
    await rm(dl, { recursive: true, force: true });
  }
}
