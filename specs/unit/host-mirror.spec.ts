// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { execSync } from 'node:child_process';
import { describeMirror, hostMirrorOf } from '../../harness/recipes/host-mirror.ts';
import { InfrastructureError } from '../../harness/lib/errors.ts';
import { repoRoot } from '../../harness/lib/paths.ts';

/** `apt-get indextargets --format '$(SITE) $(RELEASE)'` on a lab host behind its own mirror. */
const LAB_TARGETS = [
  'http://mirror.lab.example/debian/ bookworm',
  'http://mirror.lab.example/debian/ bookworm-updates',
  'http://mirror.lab.example/debian/ bookworm-backports',
  'http://security.lab.example/debian-security bookworm-security',
  'https://deb.nodesource.com/node_20.x nodistro',
].join('\n');

describe("the host's Debian mirror (host-mirror.ts)", () => {
  it("takes the archive and the security archive from the host's bookworm sources", () => {
    const m = hostMirrorOf(LAB_TARGETS, '');
    expect(m).to.deep.equal({
      archive: 'http://mirror.lab.example/debian',
      security: 'http://security.lab.example/debian-security',
      aptOptions: [],
    });
    expect(describeMirror(m)).to.equal(
      'http://mirror.lab.example/debian and http://security.lab.example/debian-security',
    );
  });

  it("hands on the host's apt proxies, and nothing else of its configuration", () => {
    const config = [
      'APT::Architecture "amd64";',
      'Acquire::http::Proxy "http://proxy.lab.example:3128";',
      'Acquire::https::Proxy::deb.example.org "DIRECT";',
      'Acquire::Languages "none";',
    ].join('\n');
    const m = hostMirrorOf(LAB_TARGETS, config);
    expect(m.aptOptions).to.deep.equal([
      'Acquire::http::Proxy "http://proxy.lab.example:3128"',
      'Acquire::https::Proxy::deb.example.org "DIRECT"',
    ]);
    expect(describeMirror(m)).to.match(/through the host's apt proxy$/);
  });

  it('goes on without a security archive, and says so', () => {
    const m = hostMirrorOf('http://mirror.lab.example/debian bookworm\n', '');
    expect(m.security).to.equal(null);
    expect(describeMirror(m)).to.equal('http://mirror.lab.example/debian (no security archive configured)');
  });

  it('refuses a host without a bookworm source, naming the fix', () => {
    expect(() => hostMirrorOf('http://mirror.lab.example/debian trixie\n', ''))
      .to.throw(InfrastructureError)
      .with.property('message')
      .that.matches(/no bookworm source .* add one to \/etc\/apt\/sources\.list\.d\//);
  });

  it('is the only source of a Debian mirror: no code or script names one', () => {
    const named = execSync('git grep -n -I -e "deb\\.debian\\.org" -- harness images kernel-config || true', {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(named).to.equal('');
  });
});
