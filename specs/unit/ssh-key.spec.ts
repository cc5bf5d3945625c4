// SPDX-License-Identifier: GPL-2.0-only
/** The harness's SSH key: ssh2's generator sometimes makes a key ssh2 cannot read back (seen on a fresh machine). */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { execa } from 'execa';
import { repoRoot } from '../../harness/lib/paths.ts';
import { harnessKey } from '../../harness/machines/ssh.ts';

function malformedPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (ssh2.utils.parseKey(pair.private) instanceof Error) return pair;
  }
}

describe('harnessKey', function () {
  this.timeout(20_000);

  it('makes a key pair that parses, and returns the same one next time', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfio-reset-key-'));
    try {
      const first = await harnessKey(root);
      expect(ssh2.utils.parseKey(first.privateKey)).to.not.be.instanceOf(Error);
      expect((await harnessKey(root)).privateKey).to.equal(first.privateKey);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('replaces a stored key that ssh2 cannot parse', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfio-reset-key-'));
    try {
      const bad = malformedPair();
      await mkdir(join(root, 'ssh'), { recursive: true });
      await writeFile(join(root, 'ssh', 'id_ed25519'), bad.private);
      await writeFile(join(root, 'ssh', 'id_ed25519.pub'), bad.public);
      const key = await harnessKey(root);
      expect(key.privateKey).to.not.equal(bad.private);
      expect(ssh2.utils.parseKey(key.privateKey)).to.not.be.instanceOf(Error);
      expect(ssh2.utils.parseKey(key.publicKey)).to.not.be.instanceOf(Error);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('gives each of two harnesses that make the key at once a pair whose halves match', async () => {
    // Each may end up with either pair; what must never happen is the private key of one and the public of the other.
    const script = `import { harnessKey } from './harness/machines/ssh.ts';
      const k = await harnessKey(process.argv[1]);
      process.stdout.write(JSON.stringify(k));`;
    for (let round = 0; round < 5; round++) {
      const root = await mkdtemp(join(tmpdir(), 'vfio-reset-key-race-'));
      try {
        const both = await Promise.all(
          [0, 1].map(() =>
            execa('node', ['--import', 'tsx', '--input-type=module', '-e', script, root], { cwd: repoRoot }),
          ),
        );
        for (const r of both) {
          const key = JSON.parse(r.stdout) as { privateKey: string; publicKey: string };
          const parsed = ssh2.utils.parseKey(key.privateKey);
          const pub = ssh2.utils.parseKey(key.publicKey);
          if (parsed instanceof Error || pub instanceof Error) throw new Error('a key does not parse');
          expect(parsed.getPublicSSH().equals(pub.getPublicSSH()), "the public half is the private key's own").to.equal(
            true,
          );
        }
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    }
  });
});
