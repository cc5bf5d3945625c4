// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run soak [-- --invocations N]`: the harness under the faults of a
 * nightly CI runner. Invocations of `vfio-reset run` are interrupted at
 * random moments with SIGKILL, SIGTERM or SIGINT; between them, shared
 * files and cache entries are truncated or corrupted and stale locks and
 * build markers left behind; two invocations run at once on one tree; a
 * last one runs whole; one runs with the cache on a small filesystem of
 * its own, full. It prints the faults injected and the four counts
 * that must be zero: orphaned processes, corrupt cache entries left or
 * served, wrong verdicts or exit codes, lost reports. Exit 0 only if all
 * four are.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import {
  appendFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, cacheRoot } from '../../harness/lib/paths.ts';
import { CacheStore } from '../../harness/cache/store.ts';
import { decodeReport } from '../../harness/report/report-format.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');
/** Every process an invocation starts inherits this tag: one alive once its harness has exited is an orphan. */
const TAG = `VFIO_RESET_SOAK=${process.pid}`;
const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGINT'] as const;
const EXIT_ON = { SIGTERM: 143, SIGINT: 130 } as const;
const EXIT_UNDECIDED = 125;
/** What a whole run of the soak's plan must say: the scenario passes, the control is detected. */
const EXPECTED = {
  'raw-driver-continuous-sigKILL-r1': 'pass',
  'raw-driver+device-ignores-reset-continuous-sigKILL-r1': 'detected',
};

export interface SoakCounts {
  readonly faults: Record<string, number>;
  /** Of the invocations, how many a signal cut short (the others finished before it came). */
  readonly interrupted: number;
  readonly orphans: number;
  readonly corruptEntries: number;
  readonly wrongVerdicts: number;
  readonly lostReports: number;
  readonly problems: readonly string[];
}

const random = (n: number) => Math.floor(Math.random() * n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The live processes that carry the soak's tag, with their command lines. */
async function tagged(): Promise<Map<number, string>> {
  const map = new Map<number, string>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
    if (!environ.split('\0').includes(TAG)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    map.set(Number(name), cmdline.replace(/\0/g, ' '));
  }
  return map;
}

const invocationOptions = (env: Record<string, string>) =>
  ({ reject: false, all: true, env: { VFIO_RESET_SOAK: String(process.pid), ...env } }) as const;

function invoke(
  out: string,
  seed: string,
  env: Record<string, string> = {},
): ResultPromise<ReturnType<typeof invocationOptions>> {
  return execa(
    'node',
    [
      CLI,
      'run',
      '--scenario',
      'raw-driver',
      '--controls',
      'device-ignores-reset',
      '--traffic',
      'continuous',
      '--seed',
      seed,
      '--output',
      out,
    ],
    invocationOptions(env),
  );
}

/** The entries the runs use: the most recently used of each kind (verifying them all would hash GBs). */
async function entriesInUse(store: CacheStore): Promise<string[]> {
  const names = await readdir(join(store.root, 'store'));
  const used = await Promise.all(
    names.map(async (name) => ({ name, used: (await stat(join(store.root, 'store', name))).mtimeMs })),
  );
  const newest = new Map<string, { name: string; used: number }>();
  for (const e of used) {
    const kind = e.name.replace(/-[0-9a-f]{32}$/, '');
    if ((newest.get(kind)?.used ?? -1) < e.used) newest.set(kind, e);
  }
  return [...newest.values()].map((e) => e.name).sort();
}

/** Of `names`, those whose entry is whole. */
async function wholeEntries(store: CacheStore, names: readonly string[]): Promise<Set<string>> {
  const whole = await Promise.all(
    names.map(async (n) => ('manifest' in (await store.verify(join(store.root, 'store', n))) ? [n] : [])),
  );
  return new Set(whole.flat());
}

/**
 * One invocation with the cache on a tmpfs of its own, full: every entry
 * but the agents' is linked from the real cache, so the run must build
 * them where there is no room. It must refuse with a line naming the full
 * filesystem (exit 125), leaving no half-built entry behind. Needs root
 * (mount); null when it cannot run.
 */
async function fullCacheInvocation(store: CacheStore, dir: string, problems: string[]): Promise<'ok' | 'wrong' | null> {
  if (process.getuid?.() !== 0) return null;
  const mnt = join(dir, 'full-cache');
  await mkdir(mnt);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
  try {
    const root = join(mnt, 'vfio-reset');
    await mkdir(join(root, 'store'), { recursive: true });
    for (const name of await readdir(join(store.root, 'store')))
      if (!name.startsWith('agents-')) await symlink(join(store.root, 'store', name), join(root, 'store', name));
    for (const shared of ['apt-trixie', 'work', 'ssh'])
      if (existsSync(join(store.root, shared))) await symlink(join(store.root, shared), join(root, shared));
    await execa('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=64k'], { reject: false });
    const out = join(dir, 'full-cache-run');
    const r = await invoke(out, 'soak-full', { XDG_CACHE_HOME: mnt });
    const leftovers = [
      ...(await readdir(join(root, 'tmp')).catch(() => [] as string[])),
      ...(await readdir(join(root, 'store'))).filter((n) => n.startsWith('agents-')),
    ];
    const said = /could not decide: .*no space left/i.test(r.all ?? '') || /No space left on device/.test(r.all ?? '');
    if (r.exitCode === EXIT_UNDECIDED && said && leftovers.length === 0) return 'ok';
    const last = (r.all ?? '').trim().split('\n').slice(-2).join(' | ');
    problems.push(`full cache: exit ${r.exitCode}, leftovers [${leftovers.join(', ')}]: ${last}`);
    return 'wrong';
  } finally {
    await execa('umount', ['-l', mnt], { reject: false });
  }
}

/** Whether a finished invocation said what it must: exit 0, a report with the expected verdicts. */
async function judgeWhole(
  out: string,
  result: { readonly exitCode?: number | undefined; readonly all?: string | undefined },
  problems: string[],
): Promise<'ok' | 'wrong' | 'lost'> {
  const exitCode = result.exitCode;
  const said = (result.all ?? '')
    .split('\n')
    .filter((l) => /vfio-reset:|error/i.test(l))
    .slice(-2)
    .join(' | ');
  const text = await readFile(join(out, 'report.json'), 'utf8').catch(() => null);
  if (text === null) {
    problems.push(`${out}: exit ${exitCode} and no report.json: ${said}`);
    return 'lost';
  }
  const report = decodeReport(JSON.parse(text));
  const verdicts = Object.fromEntries(report.runs.map((r) => [r.id, r.verdict.kind]));
  if (exitCode !== 0 || JSON.stringify(verdicts) !== JSON.stringify(EXPECTED)) {
    problems.push(`${out}: exit ${exitCode}, verdicts ${JSON.stringify(verdicts)}: ${said}`);
    return 'wrong';
  }
  return 'ok';
}

/** One fault between invocations, on the files the next invocation relies on. */
async function injectFault(store: CacheStore, faults: Record<string, number>): Promise<void> {
  const root = store.root;
  const entries = (await entriesInUse(store)).map((name) => ({ name }));
  const pick = <T>(xs: readonly T[]) => xs[random(xs.length)];
  const kinds = [
    'build-times torn',
    'agents entry corrupted',
    'initramfs entry truncated',
    'agents entry corrupted under a stale lock',
    'build marker',
  ];
  const kind = pick(kinds)!;
  switch (kind) {
    case 'build-times torn':
      await writeFile(join(root, 'build-times.json'), '{"kernel": {"cold": [12');
      break;
    case 'agents entry corrupted':
    case 'agents entry corrupted under a stale lock': {
      const agents = entries.find((e) => e.name.startsWith('agents-'));
      if (agents === undefined) return;
      const bin = join(root, 'store', agents.name, 'bin', 'xgmac-reset-probe');
      if (existsSync(bin)) await appendFile(bin, 'x');
      if (kind === 'agents entry corrupted') break;
      // As a harness killed while rebuilding it would leave the entry's lock.
      const dead = (await execa('sh', ['-c', 'echo $$'])).stdout.trim();
      const lock = join(root, 'locks', `${agents.name}.lock`);
      await mkdir(lock, { recursive: true });
      await writeFile(join(lock, 'owner'), `${dead} 1\n`);
      break;
    }
    case 'initramfs entry truncated': {
      const l2 = entries.find((e) => e.name.startsWith('l2-initramfs-'));
      if (l2 === undefined) return;
      const files = await readdir(join(root, 'store', l2.name));
      const file = files.find((f) => f.endsWith('.gz'));
      if (file !== undefined) await truncate(join(root, 'store', l2.name, file), 100);
      break;
    }
    case 'build marker': {
      const builds = join(root, 'work', 'qemu');
      const versions = (await readdir(builds).catch(() => [] as string[])).filter((d) =>
        existsSync(join(builds, d, 'build')),
      );
      if (versions[0] === undefined) return;
      await writeFile(join(builds, versions[0], 'build', '.vfio-reset-build-in-progress'), '1\n');
      break;
    }
  }
  faults[kind] = (faults[kind] ?? 0) + 1;
}

export async function soak(invocations: number, log: (line: string) => void): Promise<SoakCounts> {
  const store = new CacheStore(cacheRoot());
  const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-soak-'));
  const faults: Record<string, number> = {};
  const problems: string[] = [];
  let orphans = 0;
  let wrongVerdicts = 0;
  let lostReports = 0;
  const inUse = await entriesInUse(store);
  const okBefore = await wholeEntries(store, inUse);
  const checkOrphans = async (what: string) => {
    await sleep(1000);
    for (const [pid, args] of await tagged()) {
      orphans++;
      problems.push(`${what}: orphan ${pid} ${args.slice(0, 100)}`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  };
  let interruptions = 0;
  const tally = (outcome: 'ok' | 'wrong' | 'lost') => {
    if (outcome === 'wrong') wrongVerdicts++;
    if (outcome === 'lost') lostReports++;
  };

  for (let i = 1; i <= invocations; i++) {
    const out = join(dir, `inv-${i}`);
    const signal = SIGNALS[random(SIGNALS.length)]!;
    const delay = 300 + random(25_000);
    const child = invoke(out, `soak-${i}`);
    const timer = setTimeout(() => child.kill(signal), delay);
    const result = await child;
    clearTimeout(timer);
    const interrupted = result.signal !== undefined || result.exitCode === 130 || result.exitCode === 143;
    if (interrupted) {
      interruptions++;
      faults[signal] = (faults[signal] ?? 0) + 1;
      // A harness told to stop says so with 128 + the signal; SIGKILL leaves it no say.
      if (signal !== 'SIGKILL' && result.exitCode !== EXIT_ON[signal]) {
        wrongVerdicts++;
        problems.push(`inv-${i}: ${signal} gave exit ${result.exitCode ?? result.signal}`);
      }
    } else tally(await judgeWhole(out, result, problems));
    log(
      `inv ${i}/${invocations}: ${interrupted ? `${signal} after ${delay} ms` : `finished (exit ${result.exitCode})`}`,
    );
    await checkOrphans(`inv-${i}`);
    if (i % 3 === 0) await injectFault(store, faults);
  }

  log('one invocation with the cache filesystem full');
  const full = await fullCacheInvocation(store, dir, problems);
  if (full === null) log('  skipped: mounting a small filesystem needs root');
  else {
    faults['cache filesystem full'] = 1;
    if (full === 'wrong') wrongVerdicts++;
  }
  await checkOrphans('full cache');

  log('two invocations at once on one tree');
  const pair = await Promise.all([
    invoke(join(dir, 'pair-a'), 'soak-pair-a'),
    invoke(join(dir, 'pair-b'), 'soak-pair-b'),
  ]);
  for (const [k, r] of pair.entries()) tally(await judgeWhole(join(dir, k === 0 ? 'pair-a' : 'pair-b'), r, problems));
  faults['concurrent invocations'] = 2;
  await checkOrphans('pair');

  log('a last invocation, whole');
  const last = await invoke(join(dir, 'last'), 'soak-last');
  tally(await judgeWhole(join(dir, 'last'), last, problems));
  await checkOrphans('last');

  // Entries whole before the soak and not now: damage the runs neither repaired nor refused.
  const okAfter = await wholeEntries(store, [...okBefore]);
  const corrupt = [...okBefore].filter((n) => !okAfter.has(n));
  for (const name of corrupt) problems.push(`cache entry ${name} is corrupt or gone`);
  await rm(dir, { recursive: true, force: true });
  return {
    faults,
    interrupted: interruptions,
    orphans,
    corruptEntries: corrupt.length,
    wrongVerdicts,
    lostReports,
    problems,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { invocations: { type: 'string', default: '50' } } });
  const n = Number(values.invocations);
  const started = Date.now();
  const counts = await soak(n, (line) => process.stderr.write(`[soak] ${line}\n`));
  const zeros = [counts.orphans, counts.corruptEntries, counts.wrongVerdicts, counts.lostReports];
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(
    `\nsoak: ${n} invocations (${counts.interrupted} interrupted, ${n - counts.interrupted} finished first), ` +
      `then 2 at once and 1 whole, in ${seconds} s\n` +
      `faults injected: ${Object.entries(counts.faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n` +
      `orphaned processes: ${counts.orphans}\ncorrupt cache entries: ${counts.corruptEntries}\n` +
      `wrong verdicts or exit codes: ${counts.wrongVerdicts}\nlost reports: ${counts.lostReports}\n` +
      counts.problems.map((p) => `  ${p}\n`).join(''),
  );
  process.exit(zeros.every((z) => z === 0) ? 0 : 1);
}
