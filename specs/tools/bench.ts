// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run bench`: where the time goes. The harness's smoke phases next to
 * the raw floor measured in the same run (L0 -> L1 -> L2 -> off with no
 * harness logic: L1's init starts the L2 guest itself), as ratios; the
 * phases of one raw-driver cycle; the cold build times recorded in the
 * cache and the warm (all cached) build time measured now.
 */
import { shortSocketPath } from '../../harness/machines/socket-path.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../harness/cache/store.ts';
import { cacheRoot } from '../../harness/lib/paths.ts';
import { debianSource } from '../../harness/recipes/kernel-source.ts';
import { buildStack } from '../../harness/recipes/stack.ts';
import { runSmoke } from '../../harness/scenarios/smoke.ts';
import { QemuMachine, shellQuote } from '../../harness/machines/qemu-machine.ts';
import { L1_SIZE, l1Invocation } from '../../harness/machines/l1-host.ts';
import { l2CommandLine } from '../../harness/machines/l2-guest.ts';
import { authorizedKeysFile, harnessKey } from '../../harness/machines/ssh.ts';
import { freeLoopbackPort } from '../../harness/machines/free-port.ts';
import { runCampaign } from '../../harness/campaign/campaign.ts';
import { killAllGroups } from '../../harness/process/process-groups.ts';
import { readBuildTimes } from '../../harness/cache/build-times.ts';

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

const times = await readBuildTimes(store.root);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
/** One boot line: the harness's time against the raw floor's, and their ratio. */
const bootLine = (label: string, harness: number, rawFloor: number) =>
  `  ${label}harness ${harness.toFixed(2)} s   floor ${rawFloor.toFixed(2)} s   ratio ${ratio(harness, rawFloor)}`;
const phasesOf = (r: (typeof campaign.runs)[number]) => r.phases.map((p) => `${p.name} ${p.seconds}`).join(', ');
const coldKernel = times['kernel']?.cold?.seconds ?? 0;
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
  'builds (last measured on this machine; cold: no work tree to start from, though ccache may be warm;',
  '        incremental: the work tree was there; warm: everything from the cache, now)',
  ...(['qemu', 'kernel'] as const).map((kind) => {
    const t = times[kind];
    const show = (b: { seconds: number; at: string } | undefined) =>
      b ? `${b.seconds} s (${b.at.slice(0, 10)})` : 'not measured yet';
    return `  ${kind.padEnd(8)} cold ${show(t?.cold)}   incremental ${show(t?.incremental)}`;
  }),
  `  warm stack           ${warmBuild.toFixed(2)} s   ratio cold kernel / warm stack ${ratio(coldKernel, warmBuild)}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
killAllGroups();
