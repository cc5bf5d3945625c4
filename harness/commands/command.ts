// SPDX-License-Identifier: GPL-2.0-only
/** What every CLI command is: a name, its help, and a main that returns an exit code. */
import { L1_SIZE } from '../machines/l1-host.ts';
import { hostL1s } from '../machines/l1-slots.ts';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { access, constants, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { debianSource, treeSource, type KernelSource, type Patch } from '../recipes/kernel-source.ts';
import { InputError } from '../lib/errors.ts';
import { KILL_SIGNALS, TRAFFIC_PATTERNS, type KillSignal, type TrafficPattern } from '../plan/run-spec.ts';
import { KILL_STATES, type KillState } from '../plan/kill-states.ts';
import type { KernelRequest } from '../recipes/stack.ts';
import { checkPrebuiltImage } from '../recipes/kernel-image.ts';
import { EXIT } from '../lib/exit-codes.ts';

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** `bisect` must never exit with anything but 0, 1 or 125, even for bad input. */
  readonly inputErrorExit?: number;
  main(argv: string[]): Promise<number>;
  /** Parses `argv` as main would, without running anything: throws as main would on an unknown option. */
  checkArgs(argv: string[]): void;
}

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O & typeof HELP_OPTION; strict: true; allowPositionals: boolean }>
>;

/**
 * A command from its options and its body: the parsing (strict: an unknown
 * option is an input error), -h/--help and the usage are done here once.
 */
export function defineCommand<const O extends Options>(def: {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly inputErrorExit?: number;
  readonly options: O;
  /** Whether the command takes arguments besides its options. */
  readonly positionals?: boolean;
  run(args: Parsed<O>): Promise<number>;
}): Command {
  const parsed = (argv: string[]) =>
    parseArgs({
      args: argv,
      options: { ...def.options, ...HELP_OPTION },
      strict: true,
      allowPositionals: def.positionals ?? false,
    }) as Parsed<O>;
  return {
    name: def.name,
    summary: def.summary,
    usage: def.usage,
    ...(def.inputErrorExit !== undefined ? { inputErrorExit: def.inputErrorExit } : {}),
    checkArgs(argv) {
      parsed(argv);
    },
    async main(argv) {
      const args = parsed(argv);
      if ((args.values as { help?: boolean }).help === true) {
        process.stdout.write(def.usage);
        return EXIT.good;
      }
      return def.run(args);
    },
  };
}

export const KERNEL_OPTIONS = {
  'kernel-tree': { type: 'string' },
  patches: { type: 'string' },
  'kernel-image': { type: 'string' },
  'kernel-modules': { type: 'string' },
  qemu: { type: 'string' },
  output: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const KERNEL_OPTIONS_HELP = `\
  --kernel-tree DIR   build the kernel from this git tree instead of Debian's linux-source-6.12
  --patches DIR|MBOX  extra kernel patches applied on top (a directory of *.patch, or a
                      series as one mbox, e.g. posted for review)
  --kernel-image FILE a prebuilt arm64 Image instead of a build (no fragments, no patches),
  --kernel-modules DIR  with its modules (INSTALL_MOD_PATH tree); the scenarios need the
                      reset module and the xgmac driver from there unless they are built in
  --qemu PATH         a qemu-system-aarch64 for L0 that has the XGMAC board option
                      (default: the project's patched build, made and cached on first use)
  --output DIR        where the artifacts go (default: a new directory under
                      \${XDG_DATA_HOME:-~/.local/share}/vfio-reset/runs)
  -h, --help          this text`;

/**
 * mkdir -p, one level at a time: Node's recursive mkdir loops forever where
 * a filesystem answers ENOENT for a parent that exists (mkdir in /proc).
 */
async function makeDirs(dir: string): Promise<void> {
  const parent = dirname(dir);
  if (
    parent !== dir &&
    !(await stat(parent).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    await makeDirs(parent);
  await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

/** A new artifact directory outside any kernel tree (a bisect must not dirty the tree it tests). */
export async function artifactDir(output: string | undefined, command: string): Promise<string> {
  const xdg = process.env['XDG_DATA_HOME'];
  const data = xdg !== undefined && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = output !== undefined ? resolve(output) : join(data, 'vfio-reset', 'runs', `${stamp}-${command}`);
  // Made and tried now, before anything is built: a directory that cannot be written fails in a second.
  try {
    await makeDirs(dir);
    await access(dir, constants.W_OK);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(
      `${output !== undefined ? `--output ${output}` : dir} cannot be written (${why}); give a directory you can write`,
    );
  }
  return dir;
}

export function kernelSourceOf(tree: string | undefined): Promise<KernelSource> {
  return tree !== undefined ? treeSource(tree) : debianSource();
}

/** The kernel options of a command, as a request for the stack. */
export async function kernelRequestOf(values: {
  'kernel-tree'?: string | undefined;
  patches?: string | undefined;
  'kernel-image'?: string | undefined;
  'kernel-modules'?: string | undefined;
}): Promise<KernelRequest> {
  if (values['kernel-image'] !== undefined) {
    if (values['kernel-tree'] !== undefined || values.patches !== undefined)
      throw new InputError(
        '--kernel-image is a prebuilt kernel: it cannot be combined with --kernel-tree or --patches',
      );
    await checkPrebuiltImage(values['kernel-image'], values['kernel-modules']);
    return { kind: 'prebuilt', image: values['kernel-image'], modules: values['kernel-modules'] };
  }
  if (values['kernel-modules'] !== undefined) throw new InputError('--kernel-modules goes with --kernel-image');
  return {
    kind: 'build',
    source: await kernelSourceOf(values['kernel-tree']),
    extraPatches: await extraPatchesOf(values.patches),
  };
}

/** A comma-separated option checked against its allowed values; 'none' is the empty list. */
export function listOption<T extends string>(
  raw: string | undefined,
  allowed: readonly T[],
  name: string,
  fallback: readonly T[],
): T[] {
  if (raw === undefined) return [...fallback];
  if (raw === 'none') return [];
  if (raw === 'all') return [...allowed];
  const items = raw
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new InputError(`--${name} ${item} is unknown; choose from ${allowed.join(', ')}`);
  }
  return items as T[];
}

/** --traffic: the traffic patterns to run, at least one. */
export function trafficOption(raw: string | undefined): TrafficPattern[] {
  const patterns = listOption(raw, TRAFFIC_PATTERNS, 'traffic', TRAFFIC_PATTERNS);
  if (patterns.length === 0)
    throw new InputError(`--traffic ${raw} leaves nothing to run; name at least one of ${TRAFFIC_PATTERNS.join(', ')}`);
  return patterns;
}

/** --signal: how user #1 dies, with or without the SIG prefix (default KILL). */
export function signalOption(raw: string | undefined): KillSignal {
  const signal = (raw ?? 'KILL').replace(/^SIG/, '');
  if (!(KILL_SIGNALS as readonly string[]).includes(signal))
    throw new InputError(`--signal ${raw} is not one of ${KILL_SIGNALS.join(', ')}`);
  return signal as KillSignal;
}

/** --kill-at: the device state every run aims its kill at, or none (wherever it lands). */
export function killAtOption(raw: string | undefined): { readonly killAt?: KillState } {
  if (raw === undefined) return {};
  if (!(KILL_STATES as readonly string[]).includes(raw))
    throw new InputError(`--kill-at ${raw} is not a device state; choose one of ${KILL_STATES.join(', ')}`);
  return { killAt: raw as KillState };
}

export const KILL_AT_HELP = `\
  --kill-at STATE     aim every kill at a state of the device, waiting up to 10 s for the L0 trace
                      to show it: ${KILL_STATES.slice(0, 3).join(', ')},
                      ${KILL_STATES.slice(3).join(', ')} (default: wherever it lands; every run
                      records where it landed)
`;

export const TRAFFIC_HELP = `\
  --traffic LIST      traffic patterns, comma-separated (default both): continuous (frames all
                      through the window: a device left running faults in the IOMMU) and
                      silent-until-reassigned (none until user #2 has mapped its memory: stale
                      DMA lands in it)`;

/**
 * --patches: a directory of *.patch files (applied in name order) or one mbox of a series, applied on top of the
 * project's.
 */
export async function extraPatchesOf(path: string | undefined): Promise<Patch[]> {
  if (path === undefined) return [];
  const full = resolve(path);
  const info = await stat(full).catch(() => null);
  if (info === null)
    throw new InputError(`--patches ${full} does not exist; give a directory of *.patch files or an mbox file`);
  if (info.isDirectory()) {
    const names = (await readdir(full)).filter((n) => n.endsWith('.patch')).sort();
    if (names.length === 0) throw new InputError(`--patches ${full} holds no *.patch file`);
    return Promise.all(
      names.map(async (name) => ({ name: `extra/${name}`, text: await readFile(join(full, name), 'utf8') })),
    );
  }
  return [{ name: `extra/${basename(full)}`, text: await readFile(full, 'utf8') }];
}

/** --repeat N: a whole number of at least 1. */
/** More repetitions than this are a campaign to split over shards, not one run (each is a dozen machines). */
export const MAX_REPEAT = 1000;

export function repeatOption(raw: string | undefined, fallback: number): number {
  const repeat = Number(raw ?? String(fallback));
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT)
    throw new InputError(
      `--repeat ${raw} must be a whole number from 1 to ${MAX_REPEAT}; spread more over shards (--shard K/N)`,
    );
  return repeat;
}

/** The --jobs line of run's and qualify's usage. */
export const JOBS_HELP =
  "  --jobs N            runs at once, each with its own L1 (default: as many as the host's\n" +
  `                      cores and memory hold, one per core and ${L1_SIZE.memoryMiB} MiB; ` +
  `${hostL1s()} here)\n`;
