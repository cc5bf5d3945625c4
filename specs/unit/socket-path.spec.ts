// SPDX-License-Identifier: GPL-2.0-only
/** QEMU's control sockets live where only the harness's user can reach them, under sun_path's limit. */
import { expect } from 'chai';
import { execa } from 'execa';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { shortSocketPath, socketDir } from '../../harness/machines/socket-path.ts';
import { repoRoot } from '../../harness/lib/paths.ts';

describe('control socket paths', () => {
  it('are in a directory of the process, mode 0700, owned by its user, and fit sun_path', () => {
    const path = shortSocketPath('l1-qmp');
    expect(dirname(path)).to.equal(socketDir());
    const dir = statSync(socketDir());
    expect(dir.mode & 0o777).to.equal(0o700);
    expect(dir.uid).to.equal(process.getuid!());
    expect(Buffer.byteLength(path)).to.be.below(108);
    expect(shortSocketPath('l1-qmp'), 'two machines of one process never share a socket').to.not.equal(path);
  });

  it('is removed when the process exits', async () => {
    const child = await execa(
      'npx',
      ['tsx', '-e', "import { socketDir } from './harness/machines/socket-path.ts'; console.log(socketDir());"],
      { cwd: repoRoot },
    );
    const dir = child.stdout.trim();
    expect(dir).to.match(/vfio-reset-/);
    expect(() => statSync(dir)).to.throw(/ENOENT/);
  });
});
