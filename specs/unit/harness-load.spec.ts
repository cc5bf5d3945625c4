// SPDX-License-Identifier: GPL-2.0-only
/**
 * A harness that cannot load has decided nothing: `git bisect run` must
 * skip (125), never blame the commit (1). And a native addon that only
 * `shell` uses must not take the other commands down with it.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';

const BIN = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

describe('the harness when it cannot load', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vfio-reset-load-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 125 with one line on how to fix it when its dependencies are missing', async () => {
    // The bin without node_modules beside it: tsx cannot be found.
    await mkdir(join(dir, 'bin'));
    await copyFile(BIN, join(dir, 'bin', 'vfio-reset.js'));
    const r = await execa('node', [join(dir, 'bin', 'vfio-reset.js'), 'bisect'], { reject: false, cwd: dir });
    expect(r.exitCode, r.stderr).to.equal(125);
    expect(r.stderr).to.match(/could not decide: the harness failed to load: .*tsx/);
    expect(r.stderr).to.match(/run 'npm ci'/);
  });

  it('runs every command but shell when node-pty cannot load', async () => {
    const hook = join(repoRoot, 'specs', 'fixtures', 'loader', 'broken-node-pty.mjs');
    const bisect = await execa('node', ['--import', hook, BIN, 'bisect', '--help'], { reject: false });
    expect(bisect.exitCode, bisect.stderr).to.equal(0);
    expect(bisect.stdout).to.match(/git bisect run/);
    // The hook does break node-pty: the pass above is not for want of trying.
    const direct = await execa('node', ['--import', hook, '--input-type=module', '-e', "await import('node-pty')"], {
      reject: false,
      cwd: repoRoot,
    });
    expect(direct.exitCode).to.not.equal(0);
    expect(direct.stderr).to.match(/NODE_MODULE_VERSION mismatch \(simulated\)/);
  });
});

describe('the harness while it loads', function () {
  this.timeout(30_000);

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)
    it(`exits ${code} on ${signal}, as it would once running, not killed by the signal`, async () => {
      // Before node runs a script nothing can catch the signal, and on a loaded host node took more than a fixed
      // 150 ms to boot: the signal goes once a preloaded module says node runs scripts, the bin's first lines next.
      const hook = join(repoRoot, 'specs', 'fixtures', 'loader', 'say-running.mjs');
      const child = execa('node', ['--import', hook, BIN, 'run', '--output', join(tmpdir(), 'vfio-reset-never')], {
        reject: false,
      });
      await new Promise<void>((resolve) =>
        child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('node runs scripts') && resolve()),
      );
      await new Promise((r) => setTimeout(r, 50));
      child.kill(signal);
      const r = await child;
      expect({ exitCode: r.exitCode, signal: r.signal }, r.stderr).to.deep.equal({ exitCode: code, signal: undefined });
    });
});
