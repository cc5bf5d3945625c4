// SPDX-License-Identifier: GPL-2.0-only
/**
 * The Debian mirror the host's apt is configured with, read from its own
 * sources, and the proxies it goes through. Labs sit behind their own
 * mirrors and proxies: L1's packages (bookworm) and the L0 QEMU's source
 * (trixie) come from the same archive the host installs from, never from a
 * mirror written into the code.
 */
import { capture } from './build-step.ts';
import { InfrastructureError } from '../lib/errors.ts';

export interface HostMirror {
  /** The Debian archive, e.g. http://mirror.lab.example/debian; it serves every suite. */
  readonly archive: string;
  /** Its security archive, or null when the host has none configured. */
  readonly security: string | null;
  /** The host's apt proxy settings as apt options (`Acquire::http::Proxy "…"`), for tools that do not read them. */
  readonly aptOptions: readonly string[];
}

/** The host's own release; the host check in images/host-setup.sh admits bookworm only. */
const HOST_SUITE = 'bookworm';

/**
 * The mirror in `targets` (lines "SITE RELEASE" from `apt-get indextargets`) and the proxy lines of
 * `aptConfig` (`apt-config dump`).
 */
export function hostMirrorOf(targets: string, aptConfig: string): HostMirror {
  const siteOf = (release: string) =>
    targets
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find(([, r]) => r === release)?.[0]
      ?.replace(/\/+$/, '') ?? null;
  const archive = siteOf(HOST_SUITE);
  if (archive === null)
    throw new InfrastructureError(
      `the host's apt has no ${HOST_SUITE} source to take the Debian mirror from; ` +
        `add one to /etc/apt/sources.list.d/ (e.g. "deb <your mirror>/debian ${HOST_SUITE} main")`,
    );
  const aptOptions = aptConfig
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^Acquire::(https?|ftp)::Proxy(::\S+)? "[^"]*";$/.test(l))
    .map((l) => l.replace(/;$/, ''));
  return { archive, security: siteOf(`${HOST_SUITE}-security`), aptOptions };
}

let asked: Promise<HostMirror> | undefined;

/** Read once per process: `apt-get indextargets` takes a second, and QEMU's and dropbear's recipes both ask. */
export function hostMirror(): Promise<HostMirror> {
  asked ??= (async () => {
    const targets = await capture('apt-get', ['indextargets', '--format', '$(SITE) $(RELEASE)']);
    return hostMirrorOf(targets, await capture('apt-config', ['dump']));
  })();
  // A failure is not kept: the next caller asks apt again.
  asked.catch(() => (asked = undefined));
  return asked;
}

/** One line for progress and logs: which mirror a build used. */
export function describeMirror(m: HostMirror): string {
  const proxy = m.aptOptions.length > 0 ? `, through the host's apt proxy` : '';
  return `${m.archive}${m.security === null ? ' (no security archive configured)' : ` and ${m.security}`}${proxy}`;
}
