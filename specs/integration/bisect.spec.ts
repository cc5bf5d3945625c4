// SPDX-License-Identifier: GPL-2.0-only
/**
 * Bisect, for real: a local kernel repository where one commit breaks the
 * Calxeda XGMAC reset handler, and `git bisect run vfio-reset bisect` must
 * name that commit. Every step builds the commit incrementally (the work
 * tree mirror, the O= build directory and ccache persist); a step whose
 * only change since the last build is the reset handler's source rebuilds
 * just that module, and one that changes built-in VFIO code never does.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_DIR, HANDLER, makeKernelRepo, type KernelRepo } from './kernel-repo.ts';
import { repoRoot } from '../../harness/lib/paths.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

describe('git bisect run vfio-reset bisect (integration)', function () {
  this.timeout(60 * 60 * 1000);
  let work: string;
  let repo: KernelRepo;

  before(async () => {
    work = DEMO_DIR;
    await rm(join(work, 'artifacts'), { recursive: true, force: true });
    repo = await makeKernelRepo(join(work, 'linux'));
  });

  // The tree stays for the next run (kernel-repo.ts); the artifacts go.
  after(async () => {
    if (work !== undefined) await rm(join(work, 'artifacts'), { recursive: true, force: true });
  });

  it('names the commit that broke the reset handler', async () => {
    await execa('git', ['-C', repo.dir, 'bisect', 'start', repo.head, repo.good]);
    const started = Date.now();
    const result = await execa(
      'git',
      ['-C', repo.dir, 'bisect', 'run', 'node', CLI, 'bisect', '--output', join(work, 'artifacts')],
      { reject: false, all: true, env: { FORCE_COLOR: '0' } },
    );
    process.stderr.write(`bisect took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    expect(result.all, result.all).to.include(`${repo.bad} is the first bad commit`);
    expect(result.all).to.not.match(/exited with error code (?!1\b)\d+/);
    await execa('git', ['-C', repo.dir, 'bisect', 'reset']);
  });

  /** Commits a change on a branch from the good commit and runs one bisect step there. */
  async function stepOn(branch: string, change: () => Promise<void>, ...extra: string[]) {
    await execa('git', ['-C', repo.dir, 'checkout', '-q', '-B', branch, repo.good]);
    await change();
    await execa('git', [
      '-C',
      repo.dir,
      '-c',
      'user.name=Demo',
      '-c',
      'user.email=demo@localhost',
      'commit',
      '-q',
      '-a',
      '-m',
      branch,
    ]);
    return execa('node', [CLI, 'bisect', '--kernel-tree', repo.dir, '--output', join(work, 'artifacts'), ...extra], {
      reject: false,
    });
  }

  it('skips (125) a tree without VFIO_PLATFORM, saying exactly that', async () => {
    const r = await stepOn('no-vfio-platform', () =>
      editFile(join(repo.dir, 'drivers/vfio/platform/Kconfig'), (t) =>
        t.replace(/config VFIO_PLATFORM\n(\t.*\n|\n\t.*\n)*/, ''),
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(125);
    expect(r.stderr).to.match(
      /dropped options the fragments ask for: .*CONFIG_VFIO_PLATFORM \(vfio-platform\.config asks y, got not set\)/,
    );
  });

  it('skips (125) when a --patches patch does not apply, naming the patch', async () => {
    const bad = join(work, 'does-not-apply.patch');
    await writeFile(
      bad,
      '--- a/MAINTAINERS\n+++ b/MAINTAINERS\n@@ -1,1 +1,1 @@\n-this line is not there\n+nor this one\n',
    );
    const r = await stepOn(
      'bad-patch',
      async () => editFile(join(repo.dir, 'MAINTAINERS'), (t) => `${t}\n`),
      '--patches',
      bad,
    );
    expect(r.exitCode, r.stderr).to.equal(125);
    expect(r.stderr).to.match(/patch extra\/does-not-apply\.patch does not apply/);
  });

  // Reset handlers that crash or hang the kernel, as real ones do: from the bind on, that is a
  // regression of the VFIO path (1), never "could not decide" (125), which would make bisect skip it.
  const MUTANTS: ReadonlyArray<{ name: string; edit: (text: string) => string; says: RegExp }> = [
    {
      // The first reset of an open has no mapping yet: it writes through a NULL base.
      name: 'crash-on-open',
      edit: (t) =>
        t.replace(
          new RegExp(
            String.raw`\tif \(!reg->ioaddr\) \{\n\t\treg->ioaddr =\n\t\t\tioremap\(reg->addr, reg->size\);\n` +
              String.raw`\t\tif \(!reg->ioaddr\)\n\t\t\treturn -ENOMEM;\n\t\}\n`,
          ),
          '',
        ),
      says: /crashed in the VFIO path \(oops\): Unable to handle kernel NULL pointer dereference/,
    },
    {
      // Only the reset at release (the mapping of the open is still there) loses its region.
      name: 'crash-on-release',
      edit: (t) => t.replace('\tif (!reg->ioaddr) {\n', '\tif (reg->ioaddr)\n\t\treg = NULL;\n\tif (!reg->ioaddr) {\n'),
      says: /crashed in the VFIO path \(oops\): Unable to handle kernel NULL pointer dereference/,
    },
    {
      // Waits for a status bit that the device never sets.
      name: 'hang-on-status-bit',
      edit: (t) =>
        t.replace(
          '\t/* Disable the MAC core */\n\txgmac_mac_disable(reg->ioaddr);\n',
          '\t/* Disable the MAC core */\n\txgmac_mac_disable(reg->ioaddr);\n' +
            '\twhile (!(readl(reg->ioaddr + 0x0f14) & BIT(31)))\n\t\tcpu_relax();\n',
        ),
      says: /crashed in the VFIO path \((lockup|rcu stall|hung task|bug)\)|open of the device hangs/,
    },
  ];
  for (const [i, mutant] of MUTANTS.entries()) {
    it(`says bad (1) for a reset handler mutant that crashes or hangs the kernel: ${mutant.name}`, async () => {
      const started = Date.now();
      const r = await stepOn(mutant.name, () => editFile(join(repo.dir, HANDLER), mutant.edit), '--jobs', '2');
      const how = /^kernel: (.*)$/m.exec(r.stdout)?.[1] ?? 'not said';
      process.stderr.write(
        `${mutant.name}: exit ${r.exitCode} in ${((Date.now() - started) / 1000).toFixed(0)} s (${how})\n${r.stdout
          .split('\n')
          .filter((l) => /^ {2}\S+: /.test(l))
          .join('\n')}\n`,
      );
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).to.equal(1);
      expect(r.stdout).to.match(mutant.says);
      // Up to two runs at once, one per L1 (fewer while another harness holds the host's L1 slots): the first
      // regression decides the step, so at least the second pattern's two runs never start.
      expect(r.stdout).to.match(/^[23] more runs not started: a regression decides a bisect step on its own$/m);
      // After the first mutant's build, each next one differs from the last build in the handler's source alone.
      if (i > 0)
        expect(how).to.match(/^modules only \(drivers\/vfio\/platform\/reset\/vfio-platform-calxedaxgmac\.ko\)/);
    });
  }

  it('skips (125) a kernel that panics at boot, with the console tail', async () => {
    const r = await stepOn('panics', () =>
      editFile(join(repo.dir, 'drivers/vfio/platform/vfio_platform.c'), (t) =>
        t.replace(
          'static int vfio_platform_probe(',
          'static int __init vfio_reset_demo_panic(void)\n{\n' +
            '\tpanic("vfio-reset demo: this kernel panics at boot");\n}\n' +
            'late_initcall(vfio_reset_demo_panic);\n\nstatic int vfio_platform_probe(',
        ),
      ),
    );
    expect(r.exitCode, r.stderr).to.equal(125);
    // Built-in VFIO code changed (beside the last mutant's handler, restored): never the module path.
    expect(r.stdout).to.include(
      'kernel: full incremental build: drivers/vfio/platform/vfio_platform.c is not in a module the scenarios use',
    );
    expect(r.stdout, r.stdout).to.match(/L1 did not boot: .*Kernel panic - not syncing: vfio-reset demo/);
    expect(r.stdout).to.match(/--- last lines ---/);
  });
});

async function editFile(path: string, edit: (text: string) => string): Promise<void> {
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the demo's edit of ${path} changed nothing`);
  await writeFile(path, after);
}
