// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench`: where the time goes. The harness's smoke phases next to
 * the raw floor measured in the same run (L0 -> L1 -> L2 -> off with no
 * harness logic: L1's init starts the L2 guest itself), as ratios; each
 * scenario's cycle against the sum of its irreducible parts (boot, bind,
 * user #1's bring-up, the evidence windows, VM #2's boot); runs per minute
 * at 1 and 2 jobs and the default, and what the job model predicts for a
 * 16-core runner; warm npm test per layer (as the last npm test measured
 * it); a bisect step after a one-line change to the reset handler, on a
 * real tree; the cold set-up in its parts (QEMU and the kernel from their
 * last cold builds' records, the images from the cache's manifests).
 * `--json` prints the headline figures as one JSON object instead, for a
 * dashboard: bisect_module_step_s, npm_test_warm_s, cold_parts_s, cycle_s
 * (median per scenario), runs_per_min (per job count) and objects (per
 * subsystem, kernel and QEMU); a figure not measured on this machine yet is
 * null.
 */
import { shortSocketPath } from '../../harness/machines/socket-path.ts';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../harness/cache/store.ts';
import { cacheRoot } from '../../harness/lib/paths.ts';
import { debianSource, sourceLabel } from '../../harness/recipes/kernel-source.ts';
import { buildStack } from '../../harness/recipes/stack.ts';
import { runSmoke } from '../../harness/scenarios/smoke.ts';
import { QemuMachine, shellQuote } from '../../harness/machines/qemu-machine.ts';
import { L1_SIZE, l1Invocation } from '../../harness/machines/l1-host.ts';
import { l2CommandLine } from '../../harness/machines/l2-guest.ts';
import { authorizedKeysFile, harnessKey } from '../../harness/machines/ssh.ts';
import { freeLoopbackPort } from '../../harness/lib/free-port.ts';
import { runCampaign } from '../../harness/campaign/campaign.ts';
import { killAllGroups } from '../../harness/process/process-groups.ts';
import { readBuildTimes } from '../../harness/cache/build-times.ts';
import { availableParallelism } from 'node:os';
import { TRAFFIC_PATTERNS, WHOLE_CONTROLS } from '../../harness/plan/run-spec.ts';
import { hostL1s, L1_HOST_CPUS } from '../../harness/machines/l1-slots.ts';
import { readSpecTimes } from './spec-times.ts';
import { bisectModuleStep } from './bisect-step.ts';
import { kernelObjects, qemuObjects, summary } from './build-objects.ts';
import { existsSync, readdirSync } from 'node:fs';

const quiet = () => {};
const s = (ms: number) => Math.round(ms / 10) / 100;

async function rawFloor(
  store: CacheStore,
  stack: Awaited<ReturnType<typeof buildStack>>,
): Promise<{ l1_s: number; l2_s: number; total_s: number }> {
  const runDir = await mkdtemp(join(tmpdir(), 'vfio-reset-bench-floor-'));
  const key = await harnessKey(store.root);
  const machine = new QemuMachine(
    l1Invocation({
      qemuBinary: stack.qemu.binary,
      kernel: stack.kernel.image,
      rootImage: stack.l1Image.path,
      ...L1_SIZE,
      sshPort: await freeLoopbackPort(),
      qmpSocket: shortSocketPath('l1-qmp'),
      pidFile: join(runDir, 'l1.pid'),
      authorizedKeysFile: await authorizedKeysFile(runDir, key),
      extraKernelArgs: [],
      devices: null,
      autorun: shellQuote(l2CommandLine({ memoryMiB: 256, devices: [], extraKernelArgs: [] })),
    }),
    runDir,
  );
  const started = Date.now();
  await machine.launch();
  await machine.console.waitFor(/vfio-reset: L1 ready/, { timeoutMs: 120_000 });
  const l1 = Date.now();
  await machine.console.waitFor(/"event":"up"/, { timeoutMs: 180_000 });
  const l2 = Date.now();
  await machine.exited;
  return { l1_s: s(l1 - started), l2_s: s(l2 - l1), total_s: s(Date.now() - started) };
}

const store = new CacheStore(cacheRoot());
const source = await debianSource();
const warmStart = Date.now();
const stack = await buildStack(store, { kernel: { kind: 'build', source, extraPatches: [] }, qemu: undefined }, quiet);
const warmBuild = s(Date.now() - warmStart);
const floor = await rawFloor(store, stack);
const smoke = await runSmoke(
  { stack, cacheRoot: store.root, runDir: await mkdtemp(join(tmpdir(), 'vfio-reset-bench-smoke-')) },
  quiet,
);
const campaign = await runCampaign(
  stack,
  store.root,
  { scenarios: ['raw-driver', 'vm'], controls: [], patterns: ['continuous'], signal: 'KILL', repeat: 1, seed: 'bench' },
  await mkdtemp(join(tmpdir(), 'vfio-reset-bench-run-')),
  ['bench'],
  quiet,
);

/** Runs per minute of the six raw-driver runs (both patterns, the whole controls) at `jobs` at once. */
async function throughput(jobs: number): Promise<{ jobs: number; runsPerMinute: number; seconds: number }> {
  const started = Date.now();
  const result = await runCampaign(
    stack,
    store.root,
    {
      scenarios: ['raw-driver'],
      controls: WHOLE_CONTROLS,
      patterns: TRAFFIC_PATTERNS,
      signal: 'KILL',
      repeat: 1,
      seed: 'bench',
    },
    await mkdtemp(join(tmpdir(), `vfio-reset-bench-jobs${jobs}-`)),
    ['bench'],
    quiet,
    jobs,
  );
  const seconds = (Date.now() - started) / 1000;
  return { jobs, runsPerMinute: (result.runs.length * 60) / seconds, seconds };
}
const jobCounts = [...new Set([1, 2, hostL1s()])].sort((a, b) => a - b);
const bisect = await bisectModuleStep();
const rates: Awaited<ReturnType<typeof throughput>>[] = [];
for (const jobs of jobCounts) rates.push(await throughput(jobs));

/** What a cycle cannot do without: the boot, the bind, user #1's bring-up, the evidence windows, VM #2's boot. */
function irreducible(r: (typeof campaign.runs)[number]): number {
  const phase = (name: string) => r.phases.find((p) => p.name === name)?.seconds ?? 0;
  const t = r.timeline;
  const user2 =
    r.spec.scenario === 'vm' ? phase('user2') : ((t['user2-window-end'] ?? 0) - (t['user2-mapped'] ?? 0)) / 1000;
  return phase('boot') + phase('bind') + phase('user1-live') + phase('quiet') + user2;
}

/** Build seconds of each cached part of the stack, as its manifest recorded them when it was built. */
async function builtIn(kind: string, key: string): Promise<string> {
  const found = await store.verify(store.entryDir(kind, key));
  return 'manifest' in found ? `${found.manifest.buildSeconds.toFixed(0)} s` : 'unknown';
}
const qemuKey = stack.qemu.origin.kind === 'built' ? stack.qemu.origin.key : null;
/** Build seconds recorded in a cache entry's manifest, null if there is none. */
async function builtSeconds(kind: string, key: string): Promise<number | null> {
  const found = await store.verify(store.entryDir(kind, key));
  return 'manifest' in found ? Math.round(found.manifest.buildSeconds) : null;
}
const setupParts: Array<[string, string]> = [
  ['qemu', qemuKey === null ? 'given (--qemu)' : await builtIn('qemu', qemuKey)],
  ['kernel', await builtIn('kernel', stack.kernel.key)],
  ['debian-base', await builtIn('debian-base', stack.base.key)],
  ['agents', await builtIn('agents', stack.agents.key)],
  ['dropbear', await builtIn('dropbear', stack.dropbear.key)],
  ['l2-initramfs', await builtIn('l2-initramfs', stack.l2.key)],
  ['l1-image', await builtIn('l1-image', stack.l1Image.key)],
];
const specTimes = await readSpecTimes(store.root);
const host16 = { cpus: 16, memoryMiB: 32768 };
const base1 = rates.find((r) => r.jobs === 1)!.runsPerMinute;

const times = await readBuildTimes(store.root);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
/** One boot line: the harness's time against the raw floor's, and their ratio. */
const bootLine = (label: string, harness: number, rawFloor: number) =>
  `  ${label}harness ${harness.toFixed(2)} s   floor ${rawFloor.toFixed(2)} s   ratio ${ratio(harness, rawFloor)}`;
const phasesOf = (r: (typeof campaign.runs)[number]) => r.phases.map((p) => `${p.name} ${p.seconds}`).join(', ');
const coldKernel = times['kernel']?.cold?.seconds;
const lines = [
  'boot: harness vs raw floor (same run)',
  bootLine('L0 -> L1 userspace   ', smoke.l1_boot_s, floor.l1_s),
  bootLine('L1 -> L2 userspace   ', smoke.l2_boot_s, floor.l2_s),
  bootLine('whole smoke          ', smoke.total_s, floor.total_s),
  '',
  'one reset cycle per scenario (phases, s)',
  ...campaign.runs.map(
    (r) => `  ${r.id.padEnd(24)} ${r.seconds.toFixed(1).padStart(5)} s   ${phasesOf(r)}   verdict ${r.verdict.kind}`,
  ),
  '',
  'one reset cycle per scenario against its irreducible parts (boot, bind, user #1, windows, VM #2 boot)',
  ...campaign.runs.map(
    (r) =>
      `  ${r.spec.scenario.padEnd(12)} cycle ${r.seconds.toFixed(1)} s   ` +
      `irreducible ${irreducible(r).toFixed(1)} s   ` +
      `ratio ${ratio(r.seconds, irreducible(r))}`,
  ),
  '',
  'throughput: six raw-driver runs (the whole controls, both patterns) at each job count; ' +
    `${availableParallelism()} cores here`,
  ...rates.map(
    (r) =>
      `  jobs ${String(r.jobs).padEnd(3)} ${r.runsPerMinute.toFixed(1).padStart(5)} runs/min   ` +
      `(${r.seconds.toFixed(0)} s)   ratio to 1 job ${ratio(r.runsPerMinute, base1)}   ` +
      `model ${Math.min(r.jobs, Math.max(1, Math.floor(availableParallelism() / L1_HOST_CPUS)))}.00`,
  ),
  `  model: runs scale with min(jobs, cores / ${L1_HOST_CPUS} per L1); a 16-core 32 GiB runner defaults to ` +
    `${hostL1s(host16)} jobs: about ${(base1 * hostL1s(host16)).toFixed(0)} runs/min`,
  '',
  'bisect step after a one-line change to the reset handler (the demo tree, its work tree warm)',
  `  ${bisect.seconds.toFixed(1)} s, exit ${bisect.exitCode}; kernel: ${bisect.kernel}`,
  '',
  'warm npm test per layer (last measured by npm test on this machine)',
  ...(specTimes === null
    ? ['  not measured yet: run npm test']
    : [
        `  ${specTimes.wallSeconds.toFixed(0)} s in ${specTimes.lanes} lanes; spec files: ` +
          `unit ${specTimes.unitSeconds.toFixed(0)} s   integration ${specTimes.integrationSeconds.toFixed(0)} s   ` +
          `(${specTimes.at.slice(0, 16)})`,
        ...Object.entries(specTimes.files).map(([f, sec]) => `    ${f.padEnd(32)} ${sec.toFixed(0)} s`),
      ]),
  '',
  'cold set-up in its parts (build seconds recorded in each cache entry)',
  ...setupParts.map(([kind, t]) => `  ${kind.padEnd(14)} ${t}`),
  '',
  'builds (last measured on this machine; cold: no work tree to start from, though ccache may be warm;',
  '        incremental: the work tree was there; warm: everything from the cache, now)',
  ...(['qemu', 'kernel'] as const).map((kind) => {
    const t = times[kind];
    const show = (b: { seconds: number; at: string } | undefined) =>
      b ? `${b.seconds} s (${b.at.slice(0, 10)})` : 'not measured yet';
    return `  ${kind.padEnd(8)} cold ${show(t?.cold)}   incremental ${show(t?.incremental)}`;
  }),
  `  warm stack           ${warmBuild.toFixed(2)} s   ratio cold kernel / warm stack ` +
    (coldKernel === undefined ? 'n/a' : ratio(coldKernel, warmBuild)),
];
const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const sum = (xs: ReadonlyArray<number | null>) =>
  xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + x!, 0);
/** Seconds host-setup.sh took when it last did its work (apt), null if it never recorded them. */
async function hostSetupSeconds(): Promise<number | null> {
  try {
    const recorded = JSON.parse(await readFile(join(store.root, 'host-setup-time.json'), 'utf8')) as {
      seconds?: unknown;
    };
    return typeof recorded.seconds === 'number' ? recorded.seconds : null;
  } catch {
    return null;
  }
}
/** Objects per subsystem in the kernel's and QEMU's work trees (where a cold compile's time goes); null if absent. */
function buildObjects(): { kernel: Record<string, number> | null; qemu: Record<string, number> | null } {
  const kernelBuild = join(store.root, 'work', 'kernel', sourceLabel(source), 'build');
  const qemuWork = join(store.root, 'work', 'qemu');
  const qemuBuild = existsSync(qemuWork)
    ? readdirSync(qemuWork)
        .map((d) => join(qemuWork, d, 'build'))
        .find((d) => existsSync(d))
    : undefined;
  return {
    kernel: existsSync(kernelBuild) ? kernelObjects(kernelBuild) : null,
    qemu: qemuBuild === undefined ? null : qemuObjects(qemuBuild),
  };
}
const built = buildObjects();
lines.push(
  '',
  'objects per subsystem (the work trees: where a cold compile goes)',
  `  kernel ${built.kernel === null ? 'no work tree' : summary(built.kernel)}`,
  `  qemu   ${built.qemu === null ? 'no work tree' : summary(built.qemu)}`,
);
const headline = {
  bisect_module_step_s: bisect.exitCode === 0 && bisect.kernel.startsWith('modules only') ? bisect.seconds : null,
  npm_test_warm_s: specTimes === null ? null : Math.round(specTimes.wallSeconds),
  cold_parts_s: {
    apt: await hostSetupSeconds(),
    // A cold build's own record: a cache entry's manifest says what making that entry took, which for the
    // kernel may be an incremental build, or none when the work tree already held it.
    qemu: qemuKey === null ? null : (times['qemu']?.cold?.seconds ?? null),
    kernel: times['kernel']?.cold?.seconds ?? null,
    images: sum([
      await builtSeconds('debian-base', stack.base.key),
      await builtSeconds('agents', stack.agents.key),
      await builtSeconds('dropbear', stack.dropbear.key),
      await builtSeconds('l2-initramfs', stack.l2.key),
      await builtSeconds('l1-image', stack.l1Image.key),
    ]),
  },
  cycle_s: Object.fromEntries(
    [...new Set(campaign.runs.map((r) => r.spec.scenario))].map((scenario) => [
      scenario,
      median(campaign.runs.filter((r) => r.spec.scenario === scenario).map((r) => r.seconds)),
    ]),
  ),
  runs_per_min: Object.fromEntries(rates.map((r) => [String(r.jobs), Math.round(r.runsPerMinute * 10) / 10])),
  objects: built,
};
process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(headline)}\n` : `${lines.join('\n')}\n`);
killAllGroups();
