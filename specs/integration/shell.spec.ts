// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset shell` driven through a real pseudo-terminal, as a person would use it. */
import { expect } from 'chai';
import { spawn } from 'node-pty';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../../harness/lib/paths.ts';
import { defaultStack } from './stack-fixture.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

describe('vfio-reset shell (integration)', function () {
  this.timeout(10 * 60 * 1000);

  before(async () => {
    await defaultStack();
  });

  it("attaches L1's serial console: a command typed there runs in L1, Ctrl-] leaves and stops L1", async () => {
    const output = await mkdtemp(join(tmpdir(), 'vfio-reset-shell-'));
    const pty = spawn('node', [CLI, 'shell', '--output', output], {
      name: 'xterm',
      cols: 120,
      rows: 40,
      env: process.env as Record<string, string>,
    });
    let screen = '';
    pty.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    const waitFor = async (pattern: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(screen)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} on the terminal:\n${screen.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    try {
      await waitFor(/vfio-reset: L1 ready/, 5 * 60 * 1000);
      await new Promise((r) => setTimeout(r, 1000));
      pty.write('\r');
      await waitFor(/l1# /, 30_000);
      pty.write('echo "xgmacs: $(ls /sys/bus/platform/devices | grep -c xgmac)"\r');
      await waitFor(/xgmacs: 1/, 30_000);
      pty.write('\x1d');
      expect(await exited).to.equal(0);
      expect(screen).to.match(/L1 stopped; artifacts:/);
      const left = await execa('pgrep', ['-f', `qemu-system-aarch64.*${output}`], { reject: false });
      expect(left.stdout.trim()).to.equal('');
    } finally {
      pty.kill('SIGKILL');
    }
  });
});
