/**
 * `vfio-reset`: the command line. Each command parses its options, runs,
 * and maps what happened to one exit code; errors are one line naming what
 * is wrong and how to fix it, followed by the log tail where there is one.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { CacheStore } from './cache/store.ts';
import { cacheRoot } from './paths.ts';
import { debianSource, treeSource, type KernelSource } from './build/kernel-source.ts';
import { buildStack } from './stack.ts';
import { runSmoke } from './smoke.ts';
import { runCampaign } from './campaign.ts';
import { CONTROLS, KILL_SIGNALS, SCENARIOS, type KillSignal } from './scenarios/run-spec.ts';
import { randomBytes } from 'node:crypto';
import { stderrProgress } from './progress.ts';
import { InfrastructureError, InputError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { killAllGroups } from './process/process-groups.ts';

const COMMON_OPTIONS = {
  'kernel-tree': { type: 'string' },
  qemu: { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const RUN_OPTIONS = {
  ...COMMON_OPTIONS,
  scenario: { type: 'string' },
  controls: { type: 'string' },
  signal: { type: 'string' },
  repeat: { type: 'string' },
  seed: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const USAGE = `usage: vfio-reset <command> [options]

commands:
  run      the reset scenarios and their negative controls; exit 0 good, 1 regression, 125 undecided
  smoke    build what is missing, boot L1 and a nested L2 guest, print phase timings as JSON

run options:
  --scenario LIST     scenarios, comma-separated (${SCENARIOS.join(', ')}; default all)
  --controls LIST     negative controls, comma-separated (${CONTROLS.join(', ')}), or none (default all)
  --signal SIG        how user #1 dies: ${KILL_SIGNALS.join(', ')} (default KILL)
  --repeat N          repetitions of every scenario and control (default 1)
  --seed S            keys the frame payloads; a report's seed replays its run (default: random)

common options:
  --kernel-tree DIR   build the kernel from this git tree instead of Debian's linux-source-6.12
  --qemu PATH         a qemu-system-aarch64 for L0 that has the XGMAC board option
                      (default: the project's patched build, made and cached on first use)
  --output DIR        where the run's artifacts go (default: a new directory under
                      \${XDG_DATA_HOME:-~/.local/share}/vfio-reset/runs)
  -h, --help          this text
`;

function defaultRunDir(command: string): string {
  const data = process.env['XDG_DATA_HOME']?.startsWith('/') ? process.env['XDG_DATA_HOME'] : join(homedir(), '.local', 'share');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return join(data, 'vfio-reset', 'runs', `${stamp}-${command}`);
}

async function smoke(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: COMMON_OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.good;
  }
  const store = new CacheStore(cacheRoot());
  const source: KernelSource = values['kernel-tree'] !== undefined ? await treeSource(values['kernel-tree']) : await debianSource();
  const runDir = resolve(values.output ?? defaultRunDir('smoke'));
  stderrProgress(`artifacts: ${runDir}`);
  const stack = await buildStack(store, { source, extraPatches: [], qemu: values.qemu }, stderrProgress);
  const timings = await runSmoke({ stack, cacheRoot: store.root, runDir }, stderrProgress);
  process.stdout.write(`${JSON.stringify(timings)}\n`);
  return EXIT.good;
}

function listOption<T extends string>(raw: string | undefined, allowed: readonly T[], name: string, fallback: readonly T[]): T[] {
  if (raw === undefined) return [...fallback];
  if (raw === 'none') return [];
  const items = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new InputError(`--${name} ${item} is unknown; choose from ${allowed.join(', ')}`);
  }
  return items as T[];
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: RUN_OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.good;
  }
  const scenarios = listOption(values.scenario, SCENARIOS, 'scenario', SCENARIOS);
  if (scenarios.length === 0) throw new InputError('--scenario none leaves nothing to run; name at least one scenario');
  const controls = listOption(values.controls, CONTROLS, 'controls', CONTROLS);
  const signal = (values.signal ?? 'KILL').replace(/^SIG/, '');
  if (!(KILL_SIGNALS as readonly string[]).includes(signal)) throw new InputError(`--signal ${values.signal} is not one of ${KILL_SIGNALS.join(', ')}`);
  const repeat = Number(values.repeat ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1) throw new InputError(`--repeat ${values.repeat} must be a whole number of at least 1`);
  const seed = values.seed ?? randomBytes(8).toString('hex');

  const store = new CacheStore(cacheRoot());
  const source: KernelSource = values['kernel-tree'] !== undefined ? await treeSource(values['kernel-tree']) : await debianSource();
  const outDir = resolve(values.output ?? defaultRunDir('run'));
  stderrProgress(`artifacts: ${outDir}`);
  const stack = await buildStack(store, { source, extraPatches: [], qemu: values.qemu }, stderrProgress);
  const result = await runCampaign(stack, store.root, { scenarios, controls, signal: signal as KillSignal, repeat, seed }, outDir, process.argv.slice(1), stderrProgress);
  process.stdout.write(`\n${result.summary}\n\nartifacts: ${outDir}\n`);
  return result.exitCode;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { run, smoke };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.good;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    process.stderr.write(`vfio-reset: unknown command '${command}'; run 'vfio-reset --help' for the list\n`);
    return EXIT.usage;
  }
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`vfio-reset: error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof InfrastructureError) {
      process.stderr.write(`vfio-reset: could not decide: ${error.message}\n`);
      if (error.tail !== '') process.stderr.write(`--- tail ---\n${error.tail}\n`);
      return EXIT.undecided;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`vfio-reset: ${error.message}; run 'vfio-reset ${command} --help'\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

const code = await main(process.argv.slice(2));
killAllGroups();
process.exit(code);
