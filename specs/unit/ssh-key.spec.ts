// SPDX-License-Identifier: GPL-2.0-only
/** The harness's SSH key: ssh2's generator sometimes makes a key ssh2 cannot read back (seen on a fresh machine). */
import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { execa } from 'execa';
import { repoRoot } from '../../harness/paths.ts';
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
      expect(ssh2.utils.parseKey(await readFile(key.publicKeyFile, 'utf8'))).to.not.be.instanceOf(Error);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('gives two harnesses that make the key at once one matching pair', async () => {
    const script = `import { harnessKey } from './harness/machines/ssh.ts';
      const k = await harnessKey(process.argv[1]);
      process.stdout.write(k.privateKey);`;
    for (let round = 0; round < 3; round++) {
      const root = await mkdtemp(join(tmpdir(), 'vfio-reset-key-race-'));
      try {
        const both = await Promise.all(
          [0, 1].map(() =>
            execa('node', ['--import', 'tsx', '--input-type=module', '-e', script, root], { cwd: repoRoot }),
          ),
        );
        const [a, b] = both.map((r) => r.stdout);
        expect(a, 'both harnesses use the same private key').to.equal(b);
        const parsed = ssh2.utils.parseKey(a!);
        const onFile = ssh2.utils.parseKey(await readFile(join(root, 'ssh', 'id_ed25519.pub'), 'utf8'));
        if (parsed instanceof Error || onFile instanceof Error) throw new Error('a key does not parse');
        expect(parsed.getPublicSSH().equals(onFile.getPublicSSH()), 'the public key on file is its own').to.equal(true);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    }
  });
});
