// SPDX-License-Identifier: GPL-2.0-only
/**
 * Bad input to the CLI: one clear line naming what is wrong and how to fix it, a non-zero exit, nothing left
 * running.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { join } from 'node:path';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { repoRoot } from '../../harness/lib/paths.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');
// Refusals come before any build: an empty cache of their own shows that they never reach the real one.
const emptyCache = mkdtempSync(join(tmpdir(), 'vfio-reset-cli-'));
after(() => rmSync(emptyCache, { recursive: true, force: true }));
const run = (...args: string[]) =>
  execa('node', [CLI, ...args], { reject: false, timeout: 60_000, env: { XDG_CACHE_HOME: emptyCache } });

describe('vfio-reset CLI input errors', function () {
  this.timeout(60_000);

  it('names an unknown command and exits 2', async () => {
    const r = await run('frobnicate');
    expect(r.exitCode).to.equal(2);
    expect(r.stderr).to.match(/unknown command 'frobnicate'.*--help/);
  });

  it('names an unknown option and exits 2', async () => {
    const r = await run('smoke', '--frobnicate');
    expect(r.exitCode).to.equal(2);
    expect(r.stderr).to.match(/--frobnicate/);
  });

  it('refuses a kernel tree that does not exist', async () => {
    const r = await run('smoke', '--kernel-tree', '/nonexistent/linux');
    expect(r.exitCode).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/kernel tree \/nonexistent\/linux does not exist/);
  });

  it('refuses a directory that is not a kernel tree', async () => {
    const r = await run('smoke', '--kernel-tree', repoRoot);
    expect(r.exitCode).to.equal(2);
    expect(r.stderr).to.match(/is not a Linux kernel tree/);
  });

  it('refuses a --qemu that does not exist, and one without the patched XGMAC model', async () => {
    const missing = await run('smoke', '--qemu', '/nonexistent/qemu');
    expect(missing.exitCode).to.equal(2);
    expect(missing.stderr).to.match(/--qemu \/nonexistent\/qemu does not exist/);
    const stock = await run('smoke', '--qemu', '/bin/true');
    expect(stock.exitCode).to.equal(2);
    expect(stock.stderr).to.match(/has no Calxeda XGMAC model for the virt board.s platform bus/);
  });

  it(
    'never exits with anything but 0, 1 or 125 from bisect, ' + 'even for bad input (git bisect run would abort)',
    async () => {
      const missing = await run('bisect', '--kernel-tree', '/nonexistent/linux');
      expect(missing.exitCode).to.equal(125);
      expect(missing.stderr).to.match(/kernel tree \/nonexistent\/linux does not exist/);
      const badOption = await run('bisect', '--frobnicate');
      expect(badOption.exitCode).to.equal(125);
    },
  );
});

describe('vfio-reset doctor and images', function () {
  this.timeout(60_000);

  // Their own cache, never the real one: one entry with a file and no manifest, as a build cut short leaves it.
  let cache: string;
  const inOwnCache = (...args: string[]) =>
    execa('node', [CLI, ...args], { reject: false, timeout: 60_000, env: { XDG_CACHE_HOME: cache } });
  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'vfio-reset-doctor-'));
    await mkdir(join(cache, 'vfio-reset', 'store', 'kernel-0123456789abcdef'), { recursive: true });
    await writeFile(join(cache, 'vfio-reset', 'store', 'kernel-0123456789abcdef', 'Image'), 'half an Image');
  });
  afterEach(() => rm(cache, { recursive: true, force: true }));

  it('doctor names a problem it finds, with its fix, and exits 1 (here: a corrupt cache entry)', async () => {
    const r = await inOwnCache('doctor');
    expect(r.exitCode, r.stdout).to.equal(1);
    expect(r.stdout).to.match(/^FAIL {2}cache entries intact: 1 entries, 1 corrupt\n {6}fix: vfio-reset images prune/m);
    expect(r.stdout).to.match(/^ok {4}Node\.js >= 20: v\d+/m);
  });

  it('images list names every entry with its state; images without an action prints its usage', async () => {
    const list = await inOwnCache('images', 'list');
    expect(list.exitCode).to.equal(0);
    expect(list.stdout).to.match(/^corrupt +0\.0 MiB +\S+ +kernel-0123456789abcdef$/m);
    expect(list.stdout).to.include(`1 entries, 0.0 MiB in ${join(cache, 'vfio-reset')}`);
    const bare = await inOwnCache('images');
    expect(bare.exitCode).to.equal(2);
    expect(bare.stdout).to.match(/usage: vfio-reset images build/);
    const bad = await inOwnCache('images', 'frobnicate');
    expect(bad.exitCode).to.equal(2);
    expect(bad.stderr).to.match(/unknown images action 'frobnicate'/);
  });

  it('qualify, merge and shell refuse bad input with one line and exit 2', async () => {
    const qualify = await run('qualify', '--repeat', '0');
    expect(qualify.exitCode).to.equal(2);
    expect(qualify.stderr).to.match(/--repeat 0 must be a whole number from 1 to 1000/);
    const merge = await run('merge', '/nonexistent/shard');
    expect(merge.exitCode).to.equal(2);
    expect(merge.stderr).to.match(/merge needs --output DIR/);
    const mergeMissing = await run('merge', '--output', '/tmp/vfio-reset-merge-out', '/nonexistent/shard');
    expect(mergeMissing.exitCode).to.equal(2);
    expect(mergeMissing.stderr).to.match(/\/nonexistent\/shard\/report\.json does not exist/);
    const shell = await run('shell');
    expect(shell.exitCode).to.equal(2);
    expect(shell.stderr).to.match(/shell needs a terminal on standard input/);
  });

  it('run refuses an unknown scenario, control, signal, repeat count, shard, job count or kill state', async () => {
    for (const [args, message] of [
      [['--scenario', 'nope'], /--scenario nope is unknown; choose from raw-driver, vm/],
      [['--controls', 'nope'], /--controls nope is unknown/],
      [['--signal', 'HUP'], /--signal HUP is not one of KILL, SEGV, ABRT/],
      [['--repeat', 'x'], /--repeat x must be a whole number/],
      [['--shard', '5/4'], /--shard 5\/4 must be K\/N/],
      [['--jobs', '0'], /--jobs 0 must be a whole number from 1 to 32/],
      [['--kill-at', 'nowhere'], /--kill-at nowhere is not a device state; choose one of rx-mid-frame, /],
    ] as const) {
      const r = await run('run', ...args);
      expect(r.exitCode, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(message);
    }
  });
});

describe('--kernel-image', function () {
  this.timeout(60_000);

  it('refuses a file that is not an arm64 Image, and combinations that make no sense', async () => {
    const notImage = await run('smoke', '--kernel-image', '/bin/true');
    expect(notImage.exitCode).to.equal(2);
    expect(notImage.stderr).to.match(/is not an arm64 Image \(no "ARMd" magic at 0x38\)/);
    const both = await run('smoke', '--kernel-image', '/bin/true', '--kernel-tree', '/tmp');
    expect(both.exitCode).to.equal(2);
    expect(both.stderr).to.match(/cannot be combined with --kernel-tree or --patches/);
    const modulesAlone = await run('smoke', '--kernel-modules', '/tmp');
    expect(modulesAlone.exitCode).to.equal(2);
    expect(modulesAlone.stderr).to.match(/--kernel-modules goes with --kernel-image/);
  });
});

describe('bad input found before anything is built', function () {
  this.timeout(60_000);
  /** One line on stderr naming what is wrong, exit 2, in seconds: nothing was built. */
  async function refused(args: string[], says: RegExp): Promise<void> {
    const started = Date.now();
    const r = await run(...args);
    expect(r.exitCode, r.stderr).to.equal(2);
    expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    expect(r.stderr).to.match(says);
    expect(Date.now() - started, 'refused at once').to.be.below(20_000);
  }

  it('an --output that cannot be written', () =>
    refused(['run', '--output', '/proc/nonexistent/dir'], /--output \/proc\/nonexistent\/dir cannot be written/));

  it('a --repeat too large for one run (it would exhaust memory)', () =>
    refused(['run', '--repeat', '1000000000'], /--repeat 1000000000 must be a whole number from 1 to 1000/));

  it('a --shard beyond the plan', () => refused(['run', '--shard', '3/3'], /shard 3\/3 has no runs/));

  it('lava-jobs: a board option without --board, a board without its DTB, a root that is no tarball', async () => {
    await refused(['lava-jobs', '--board-nic', 'eth1'], /--board-nic goes with --board DEVICE_TYPE/);
    await refused(['lava-jobs', '--board', 'my-board'], /--board needs --board-dtb URL and --board-rootfs URL/);
    await refused(
      ['lava-jobs', '--board', 'my-board', '--board-dtb', 'x.dtb', '--board-rootfs', 'root.img'],
      /--board-rootfs root\.img is not a \.tar\.gz/,
    );
    await refused(
      ['lava-jobs', '--artifacts-url', 'lab:/x'],
      /--artifacts-url lab:\/x is not an http\(s\):\/\/ or file/,
    );
  });

  it("images prune --older-than-days '' (which must not mean everything)", () =>
    refused(['images', 'prune', '--older-than-days', ''], /--older-than-days '' must be a number of days/));

  it('under bisect, a relative --output that lands inside the kernel tree (125, as bisect must)', async () => {
    // The shape of a kernel tree that treeSource accepts: Kconfig, merge_config.sh, a git checkout.
    const tree = await mkdtemp(join(tmpdir(), 'vfio-reset-tree-'));
    try {
      await mkdir(join(tree, 'scripts', 'kconfig'), { recursive: true });
      await writeFile(join(tree, 'Kconfig'), '');
      await writeFile(join(tree, 'scripts', 'kconfig', 'merge_config.sh'), '');
      const git = (...args: string[]) =>
        execa('git', ['-C', tree, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
      await git('init', '-q');
      await git('add', '-A');
      await git('commit', '-q', '-m', 'tree');
      const r = await execa('node', [CLI, 'bisect', '--output', 'artifacts'], { cwd: tree, reject: false });
      expect(r.exitCode, r.stderr).to.equal(125);
      expect(r.stderr).to.match(/--output artifacts is inside the kernel tree .*; give a directory outside it/);
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });

  it('a shard whose report.json is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-merge-bad-'));
    try {
      await writeFile(join(dir, 'report.json'), '{"format": "vfio-reset-report/3", "runs": [');
      await refused(['merge', '--output', join(dir, 'out'), dir], /report\.json is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
