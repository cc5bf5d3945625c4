// SPDX-License-Identifier: GPL-2.0-only
/**
 * A bisect step takes the module path only when every changed file is C
 * source of a module the scenarios use, built as a module: a wrong shortcut
 * would judge an old kernel under a new name.
 */
import { expect } from 'chai';
import { buildPathOf, type TreeState } from '../../harness/recipes/kernel-build-path.ts';
import { filesOfPatch, itemizedPaths } from '../../harness/recipes/kernel-source.ts';

const CONFIG = 'CONFIG_VFIO_PLATFORM=y\nCONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET=m\nCONFIG_NET_CALXEDA_XGMAC=m\n';
const RESET_C = 'drivers/vfio/platform/reset/vfio_platform_calxedaxgmac.c';
const tree = (changed: string[] | null, over: Partial<TreeState> = {}): TreeState => ({
  changed,
  lastBuildMatches: true,
  config: CONFIG,
  ...over,
});

describe('the kernel build path', () => {
  it('rebuilds only the reset module for a change to its source', () => {
    const path = buildPathOf(tree([RESET_C]));
    expect(path.kind).to.equal('modules');
    expect(path.kind === 'modules' && path.targets).to.deep.equal([
      'drivers/vfio/platform/reset/vfio-platform-calxedaxgmac.ko',
    ]);
    expect(path.why).to.match(/^modules only \(drivers\/vfio\/platform\/reset\/vfio-platform-calxedaxgmac\.ko\)/);
  });

  it('rebuilds both modules the scenarios use when both changed', () => {
    const path = buildPathOf(tree([RESET_C, 'drivers/net/ethernet/calxeda/xgmac.c']));
    expect(path.kind === 'modules' && path.targets).to.deep.equal([
      'drivers/net/ethernet/calxeda/xgmac.ko',
      'drivers/vfio/platform/reset/vfio-platform-calxedaxgmac.ko',
    ]);
  });

  it('never takes the module path for built-in VFIO code, even beside a module change', () => {
    for (const builtIn of [
      'drivers/vfio/platform/vfio_platform_common.c',
      'drivers/vfio/platform/vfio_platform_private.h',
      'drivers/vfio/vfio_main.c',
      'include/linux/vfio.h',
    ]) {
      const path = buildPathOf(tree([RESET_C, builtIn]));
      expect(path.kind, builtIn).to.equal('full');
      expect(path.why).to.equal(`full incremental build: ${builtIn} is not in a module the scenarios use`);
    }
  });

  it("takes the full path for a module directory's Kconfig or Makefile", () => {
    for (const f of ['drivers/vfio/platform/reset/Kconfig', 'drivers/vfio/platform/reset/Makefile'])
      expect(buildPathOf(tree([f])).why, f).to.match(/is not C source/);
  });

  it('takes the full path when the module is built in, or the tree holds something else than was built', () => {
    const builtIn = CONFIG.replace('CALXEDAXGMAC_RESET=m', 'CALXEDAXGMAC_RESET=y');
    expect(buildPathOf(tree([RESET_C], { config: builtIn })).why).to.match(/does not build as a module/);
    expect(buildPathOf(tree([RESET_C], { lastBuildMatches: false })).kind).to.equal('full');
    expect(buildPathOf(tree(null)).why).to.match(/no earlier build/);
    expect(buildPathOf(tree([], { lastBuildMatches: false })).kind).to.equal('full');
  });

  it('builds nothing when no changed file is one the build reads, and ignores such files beside a module', () => {
    const docs = ['Documentation/driver-api/vfio.rst', 'MAINTAINERS', 'tools/testing/selftests/vfio/Makefile'];
    expect(buildPathOf(tree(docs))).to.deep.equal({
      kind: 'unchanged',
      why: "no build: none of the 3 changed file(s) is read by make (the last build's Image and modules)",
    });
    expect(buildPathOf(tree([])).why).to.equal("no build: no file changed (the last build's Image and modules)");
    const path = buildPathOf(tree([RESET_C, ...docs]));
    expect(path.kind).to.equal('modules');
    expect(path.why).to.match(/: 1 changed file\(s\), all C source of them \(and 3 the build does not read\)$/);
  });

  it('reads Kconfig under Documentation, and anything outside the known unread files, as read by the build', () => {
    for (const f of ['Documentation/Kconfig', 'scripts/Makefile.build', 'tools/objtool/check.c', 'Makefile'])
      expect(buildPathOf(tree([f])).kind, f).to.equal('full');
    expect(buildPathOf(tree(['Documentation/x.rst', 'drivers/vfio/vfio_main.c'])).why).to.match(
      /vfio_main\.c is not in a module/,
    );
  });

  it("reads the changed files from rsync's itemized log and a patch's headers", () => {
    const log = [
      '>f.st...... drivers/vfio/platform/reset/vfio_platform_calxedaxgmac.c',
      '>f+++++++++ drivers/new.c',
      '*deleting   drivers/old.c',
      'cd+++++++++ drivers/newdir/',
      '.d..t...... drivers/',
      'cL+++++++++ include/link',
    ].join('\n');
    expect(itemizedPaths(log)).to.deep.equal([
      'drivers/vfio/platform/reset/vfio_platform_calxedaxgmac.c',
      'drivers/new.c',
      'drivers/old.c',
      'include/link',
    ]);
    expect(filesOfPatch('--- a/x/Kconfig\n+++ b/x/Kconfig\n@@ -1 +1 @@\n+++ an added line\n')).to.deep.equal([
      'x/Kconfig',
    ]);
  });
});
