// SPDX-License-Identifier: GPL-2.0-only
/**
 * How a kernel work tree is brought up to date: the whole incremental build
 * (make Image modules); or, when every file that changed since the tree's
 * last good build is C source of a loadable module the scenarios use, just
 * those modules against the cached build (kbuild's single-target .ko build,
 * which keeps vermagic and the symbol table), the Image kept; or no make at
 * all when no changed file is one the build reads (documentation,
 * MAINTAINERS: a bisection crosses many such commits). A wrong shortcut
 * would judge an old kernel under a new name, so anything else (built-in
 * code, Kconfig, Makefiles, headers outside those directories, a module
 * built in, a changed config) takes the full path, and the decision says
 * why. Files the build does not read are ignored beside a module change.
 */

/** The loadable modules the scenarios use: the reset handler (L1) and the guests' xgmac driver (L2). */
export const SCENARIO_MODULES = [
  {
    dir: 'drivers/vfio/platform/reset',
    option: 'CONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET',
    ko: 'vfio-platform-calxedaxgmac.ko',
  },
  { dir: 'drivers/net/ethernet/calxeda', option: 'CONFIG_NET_CALXEDA_XGMAC', ko: 'xgmac.ko' },
] as const;

export type BuildPath =
  | { readonly kind: 'full'; readonly why: string }
  | { readonly kind: 'modules'; readonly targets: readonly string[]; readonly why: string }
  | { readonly kind: 'unchanged'; readonly why: string };

/**
 * Files `make Image modules` never reads: documentation (but not its
 * Kconfig, which the top-level Kconfig sources), the maintainers' and
 * licence files, the selftests. Nothing else is assumed.
 */
export function unreadByBuild(file: string): boolean {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (base.startsWith('Kconfig')) return false;
  return (
    /^(Documentation|LICENSES|tools\/testing)\//.test(file) ||
    ['MAINTAINERS', 'CREDITS', 'README', 'COPYING', '.mailmap'].includes(file) ||
    base === '.gitignore'
  );
}

/** What the work tree says of its last good build, against this one. */
export interface TreeState {
  /** Files whose content changed since the mirror was last made (paths relative to the tree); null: unknown. */
  readonly changed: readonly string[] | null;
  /** The mirror held exactly what was last built, and the config inputs are the same. */
  readonly lastBuildMatches: boolean;
  /** The build's resolved .config. */
  readonly config: string;
}

const full = (why: string): BuildPath => ({ kind: 'full', why: `full incremental build: ${why}` });

export function buildPathOf(tree: TreeState): BuildPath {
  if (tree.changed === null) return full('no earlier build of this work tree to start from');
  if (!tree.lastBuildMatches) return full('the work tree does not hold what was last built with this config');
  const read = tree.changed.filter((f) => !unreadByBuild(f));
  if (read.length === 0) {
    const what =
      tree.changed.length === 0
        ? 'no file changed'
        : `none of the ${tree.changed.length} changed file(s) is read by make`;
    return { kind: 'unchanged', why: `no build: ${what} (the last build's Image and modules)` };
  }
  const targets = new Set<string>();
  for (const file of read) {
    const slash = file.lastIndexOf('/');
    const module = SCENARIO_MODULES.find((m) => m.dir === file.slice(0, slash));
    if (module === undefined) return full(`${file} is not in a module the scenarios use`);
    if (!/\.[ch]$/.test(file)) return full(`${file} is not C source (it may change what is built, and how)`);
    if (!new RegExp(`^${module.option}=m$`, 'm').test(tree.config))
      return full(`${file} belongs to ${module.option}, which this config does not build as a module`);
    targets.add(`${module.dir}/${module.ko}`);
  }
  const list = [...targets].sort();
  return {
    kind: 'modules',
    targets: list,
    why:
      `modules only (${list.join(', ')}): ${read.length} changed file(s), all C source of them` +
      (read.length < tree.changed.length ? ` (and ${tree.changed.length - read.length} the build does not read)` : ''),
  };
}
