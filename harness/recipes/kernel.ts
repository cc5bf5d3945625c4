// SPDX-License-Identifier: GPL-2.0-only
/**
 * Builds the arm64 kernel that serves both the ARM host (L1) and the nested
 * guests (L2): allnoconfig + the fragments in kernel-config/, merged with the
 * tree's own merge_config.sh, resolved by olddefconfig and then checked
 * option by option. Cross-compiled with ccache in a persistent build
 * directory, so a bisect step recompiles only what changed.
 */
import { withWorkLock } from '../cache/work-lock.ts';
import { availableParallelism } from 'node:os';
import { buildInProgress } from './build-in-progress.ts';
import { notAnArm64Image } from './kernel-image.ts';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { capture, kbuildSteps, runStep } from './build-step.ts';
import { describeDropped, droppedOptions, requestsOf } from './kernel-config.ts';
import {
  ownTree,
  prepareSourceTree,
  sourceLabel,
  type KernelSource,
  type Patch,
  type PreparedSource,
} from './kernel-source.ts';
import { buildPathOf, type BuildPath } from './kernel-build-path.ts';
import { BUILD_USER_NAME, buildCredentials, buildDir, type Credentials } from './build-user.ts';
import type { PrebuiltKernel } from './kernel-image.ts';
import { fileDigests, sha256 } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { readBuildTimes, recordBuildTime } from '../cache/build-times.ts';
import { InfrastructureError, InputError } from '../lib/errors.ts';
import { repoRoot } from '../lib/paths.ts';

export const FRAGMENT_DIR = join(repoRoot, 'kernel-config');
export const PATCH_DIR = join(repoRoot, 'kernel-config', 'patches');
const CROSS_COMPILE = 'aarch64-linux-gnu-';

export interface KernelRecipe {
  readonly source: KernelSource;
  readonly fragments: ReadonlyArray<{ name: string; text: string }>;
  readonly patches: readonly Patch[];
}

export interface KernelArtifact {
  /** The cache entry directory. */
  readonly dir: string;
  readonly image: string;
  /** INSTALL_MOD_PATH tree: lib/modules/<release>/... */
  readonly modulesRoot: string;
  readonly release: string;
  /** null for a prebuilt Image given without its config. */
  readonly configPath: string | null;
  readonly key: string;
  readonly built: boolean;
  readonly buildSeconds: number;
  /** How it was built (the whole tree, or only the modules that changed), and why; null if not recorded. */
  readonly howBuilt: { readonly kind: BuildPath['kind']; readonly why: string } | null;
  /** What it was built from, for reports: the source and the sha256 of each fragment and patch. */
  readonly recipe: {
    readonly source: KernelSource | PrebuiltKernel;
    readonly fragmentDigests: Record<string, string>;
    readonly patchDigests: Record<string, string>;
  };
}

async function readNamed(dir: string, suffix: string): Promise<Array<{ name: string; text: string }>> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(suffix)).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })));
}

/** The project's fragments and patches, plus any extra patches the user gave. */
export async function defaultRecipe(source: KernelSource, extraPatches: readonly Patch[] = []): Promise<KernelRecipe> {
  const fragments = await readNamed(FRAGMENT_DIR, '.config');
  if (fragments.length === 0) throw new InputError(`no *.config fragments in ${FRAGMENT_DIR}`);
  const patches = [...(await readNamed(PATCH_DIR, '.patch')), ...extraPatches];
  return { source, fragments, patches };
}

async function toolchainVersion(): Promise<string> {
  try {
    return (await capture(`${CROSS_COMPILE}gcc`, ['--version'])).split('\n')[0] ?? '';
  } catch {
    throw new InputError(`${CROSS_COMPILE}gcc not found; install it with: apt-get install gcc-aarch64-linux-gnu`);
  }
}

/** The environment and make arguments of every Kbuild step: cross-compiling through ccache, reproducibly. */
function kbuild(ccacheDir: string, workDir: string, src: string, build: string) {
  const env = {
    ARCH: 'arm64',
    CROSS_COMPILE,
    CCACHE_DIR: ccacheDir,
    CCACHE_BASEDIR: workDir,
    CCACHE_MAXSIZE: '5G',
    KBUILD_BUILD_TIMESTAMP: '1970-01-01',
    KBUILD_BUILD_USER: 'vfio-reset',
    KBUILD_BUILD_HOST: 'vfio-reset',
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  };
  const make = [
    '-C',
    src,
    `O=${build}`,
    'ARCH=arm64',
    `CROSS_COMPILE=${CROSS_COMPILE}`,
    `CC=ccache ${CROSS_COMPILE}gcc`,
  ];
  return { env, make };
}

/** The tree's config from the fragments (merge_config.sh, olddefconfig), refused if it dropped what they ask for. */
async function configure(
  fragments: KernelRecipe['fragments'],
  workDir: string,
  src: string,
  build: string,
  env: Record<string, string>,
  make: readonly string[],
  log: string,
  as: Credentials | null,
): Promise<void> {
  const fragmentDir = join(workDir, 'fragments');
  await mkdir(fragmentDir, { recursive: true });
  const fragmentPaths: string[] = [];
  for (const fragment of fragments) {
    const path = join(fragmentDir, fragment.name);
    await writeFile(path, fragment.text);
    fragmentPaths.push(path);
  }
  await runStep(
    'merging config fragments',
    join(src, 'scripts/kconfig/merge_config.sh'),
    ['-n', '-O', build, ...fragmentPaths],
    { cwd: src, env, log, as },
  );
  await runStep('make olddefconfig', 'make', [...make, 'olddefconfig'], { env, log, as });
  const resolved = await readFile(join(build, '.config'), 'utf8');
  const dropped = droppedOptions(requestsOf(fragments), resolved);
  if (dropped.length > 0) {
    // A property of the kernel under test, not of the command line: undecided (125), not a usage error.
    throw new InfrastructureError(
      `kernel config dropped options the fragments ask for: ${describeDropped(dropped)}; ` +
        'the tree lacks them or their dependencies',
      '',
      log,
    );
  }
}

/** What one kernel build needs besides its output directory. */
interface KernelBuild {
  readonly store: CacheStore;
  readonly recipe: KernelRecipe;
  readonly workDir: string;
  /** Who runs the tree's own code; null: the harness itself (it is not root). */
  readonly as: Credentials | null;
  readonly onProgress: (line: string) => void;
}

/** Builds the recipe's kernel in its work tree and puts Image, modules, config, System.map and release in `out`. */
async function buildInto(out: string, { store, recipe, workDir, as, onProgress }: KernelBuild): Promise<void> {
  const log = join(out, 'build.log');
  const from = recipe.source.kind === 'tree' ? recipe.source.dir : recipe.source.tarball;
  onProgress(`building kernel from ${from} (log: ${log})`);
  if (as !== null) onProgress(`the tree's own code runs as ${BUILD_USER_NAME} (uid ${as.uid}), not root`);
  const prepared = await prepareSourceTree(recipe.source, recipe.patches, workDir, log, as);
  const { src } = prepared;
  const build = join(workDir, 'build');
  const cold = !existsSync(join(build, '.config'));
  const started = Date.now();
  await mkdir(build, { recursive: true });
  const ccache = await buildDir(join(store.root, 'ccache'), 'ccache', as);
  const { env, make } = kbuild(ccache, workDir, src, build);
  if (as !== null) for (const dir of [build, ccache]) await ownTree(dir, as);
  const path = await buildPathFor(prepared, recipe, build);
  onProgress(`kernel: ${path.why}`);
  // kbuild never says how many objects it will build: a cold build expects as many as the last cold build.
  const expected = cold && path.kind === 'full' ? (await readBuildTimes(store.root))['kernel']?.cold?.steps : undefined;
  if (path.kind !== 'unchanged')
    await compile(path, { recipe, workDir, src, build, env, make, log, as, onProgress, expected });
  const release = (await capture('make', [...make, '-s', 'kernelrelease'], undefined, as)).trim();
  await installModules({ env, make }, workDir, join(out, 'modules'), log, as);
  await keepArtifacts(build, out, release, log);
  await writeFile(join(out, HOW_BUILT), `${JSON.stringify({ kind: path.kind, why: path.why })}\n`);
  await writeFile(join(workDir, LAST_BUILD), JSON.stringify(lastBuildOf(prepared.stamp, recipe)));
  const kind = { full: 'kernel', modules: 'kernel-modules', unchanged: 'kernel-unchanged' }[path.kind];
  const steps = cold && path.kind === 'full' ? kbuildSteps(await readFile(log, 'utf8')) : undefined;
  await recordBuildTime(store.root, kind, cold, (Date.now() - started) / 1000, steps);
}

/** Runs make for `path` in the work tree: configured afresh for the full path, the scenario modules alone else. */
async function compile(
  path: Exclude<BuildPath, { kind: 'unchanged' }>,
  tree: {
    readonly recipe: KernelRecipe;
    readonly workDir: string;
    readonly src: string;
    readonly build: string;
    readonly log: string;
    readonly as: Credentials | null;
    readonly onProgress: (line: string) => void;
    readonly expected: number | undefined;
  } & ReturnType<typeof kbuild>,
): Promise<void> {
  const { recipe, workDir, src, build, env, make, log, as, onProgress, expected } = tree;
  const jobs = `-j${Math.max(1, availableParallelism())}`;
  const targets = path.kind === 'modules' ? path.targets : ['Image', 'modules'];
  if (path.kind === 'full') await configure(recipe.fragments, workDir, src, build, env, make, log, as);
  onProgress(`compiling ${targets.join(', ')}`);
  // A single-target .ko build writes a modules.order of its own, then removes it: modules_install needs the real one.
  const order = join(build, 'modules.order');
  const kept = `${order}.vfio-reset`;
  if (path.kind === 'modules') await runStep('keeping modules.order', 'cp', ['-p', order, kept], { log, as });
  const { discarded } = await buildInProgress(build, () =>
    runStep('compiling the kernel', 'make', [...make, jobs, ...targets], {
      env,
      log,
      as,
      ...(expected !== undefined ? { expectedSteps: expected } : {}),
    }),
  );
  if (path.kind === 'modules') await runStep('restoring modules.order', 'mv', ['-f', kept, order], { log, as });
  if (discarded > 0) onProgress(`an interrupted build left ${discarded} files in ${build}: discarded, rebuilt`);
}

/** In a kernel cache entry: how it was built (the build path's decision and why). */
const HOW_BUILT = 'how-built.json';
/** In a work tree: what its last good build was made from, so that the next can tell what changed since. */
const LAST_BUILD = 'last-build.json';

const lastBuildOf = (srcStamp: string, recipe: KernelRecipe) => ({
  src: srcStamp,
  fragments: sha256(JSON.stringify(recipe.fragments)),
});

/** The build path for this build: the last good build's record is consumed, so that a failed build leaves none. */
async function buildPathFor(prepared: PreparedSource, recipe: KernelRecipe, build: string): Promise<BuildPath> {
  const recordPath = join(dirname(build), LAST_BUILD);
  const last = await readFile(recordPath, 'utf8').catch(() => null);
  await rm(recordPath, { force: true });
  const expected = JSON.stringify(lastBuildOf(prepared.previous ?? '', recipe));
  const lastBuildMatches =
    last === expected && existsSync(join(build, '.config')) && existsSync(join(build, 'modules.order'));
  return buildPathOf({
    changed: prepared.changed,
    lastBuildMatches,
    config: lastBuildMatches ? await readFile(join(build, '.config'), 'utf8') : '',
  });
}

/** modules_install into `dest`, through the build user's work tree when it builds: it cannot reach the cache. */
async function installModules(
  { env, make }: ReturnType<typeof kbuild>,
  workDir: string,
  dest: string,
  log: string,
  as: Credentials | null,
): Promise<void> {
  const modules = as === null ? dest : join(workDir, 'modules-install');
  if (as !== null) {
    await rm(modules, { recursive: true, force: true });
    await ownTree(modules, as);
  }
  await runStep(
    'installing modules',
    'make',
    [...make, 'INSTALL_MOD_STRIP=1', `INSTALL_MOD_PATH=${modules}`, 'modules_install'],
    { env, log, as },
  );
  // Without -o/-g: the cache entry (and the L1 image made from it) belongs to the harness.
  if (as !== null) await runStep('copying the modules', 'rsync', ['-rlpt', `${modules}/`, `${dest}/`], { log });
}

/** Image (checked), config, System.map and release into the entry. */
async function keepArtifacts(build: string, out: string, release: string, log: string): Promise<void> {
  await copyFile(join(build, 'arch/arm64/boot/Image'), join(out, 'Image'));
  // Never cache what would not boot: a truncated or foreign Image fails here, not at every later run.
  const why = notAnArm64Image(await readFile(join(out, 'Image')));
  if (why !== null) throw new InfrastructureError(`the kernel build made an Image that ${why}`, '', log);
  await copyFile(join(build, '.config'), join(out, 'config'));
  await copyFile(join(build, 'System.map'), join(out, 'System.map'));
  await writeFile(join(out, 'release'), `${release}\n`);
}

export async function buildKernel(
  store: CacheStore,
  recipe: KernelRecipe,
  onProgress: (line: string) => void = () => {},
): Promise<KernelArtifact> {
  const inputs = {
    source: recipe.source,
    fragments: recipe.fragments,
    patches: recipe.patches,
    toolchain: await toolchainVersion(),
    recipe: await fileDigests(repoRoot, [
      join(repoRoot, 'harness/recipes/kernel.ts'),
      join(repoRoot, 'harness/recipes/kernel-source.ts'),
      join(repoRoot, 'harness/recipes/kernel-config.ts'),
      join(repoRoot, 'harness/recipes/kernel-build-path.ts'),
    ]),
  };
  const as = buildCredentials();
  const workDir = join(await buildDir(join(store.root, 'work', 'kernel'), 'kernel', as), sourceLabel(recipe.source));
  await mkdir(workDir, { recursive: true });
  // The work tree's mtime records its last use, for `images prune`.
  await utimes(workDir, new Date(), new Date());
  const entry = await store.obtain('kernel', inputs, (out) =>
    withWorkLock(
      workDir,
      (pid) => onProgress(`waiting for the kernel work tree ${workDir}: harness pid ${pid} is using it`),
      () => buildInto(out, { store, recipe, workDir, as, onProgress }),
    ),
  );
  const release = (await readFile(join(entry.dir, 'release'), 'utf8')).trim();
  const image = join(entry.dir, 'Image');
  if (!existsSync(image)) throw new InfrastructureError(`kernel cache entry ${entry.dir} has no Image`);
  return {
    dir: entry.dir,
    image,
    modulesRoot: join(entry.dir, 'modules'),
    release,
    configPath: join(entry.dir, 'config'),
    key: entry.manifest.key,
    built: entry.built,
    buildSeconds: entry.manifest.buildSeconds,
    howBuilt: await readFile(join(entry.dir, HOW_BUILT), 'utf8').then(
      (text) => JSON.parse(text) as KernelArtifact['howBuilt'],
      () => null,
    ),
    recipe: {
      source: recipe.source,
      fragmentDigests: Object.fromEntries(recipe.fragments.map((f) => [f.name, sha256(f.text)])),
      patchDigests: Object.fromEntries(recipe.patches.map((p) => [p.name, sha256(p.text)])),
    },
  };
}
