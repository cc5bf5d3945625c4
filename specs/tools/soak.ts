// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run soak [-- --invocations N]`: the harness under the faults of a
 * nightly CI runner. Invocations of `vfio-reset run` are interrupted at
 * random moments with SIGKILL, SIGTERM or SIGINT; between them, shared
 * files and cache entries are truncated or corrupted and stale locks and
 * build markers left behind; two invocations run at once on one tree; a
 * last one runs whole. It prints the faults injected and the four counts
 * that must be zero: orphaned processes, corrupt cache entries left or
 * served, wrong verdicts or exit codes, lost reports. Exit 0 only if all
 * four are.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
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
/** What a whole run of the soak's plan must say: the scenario passes, the control is detected. */
const EXPECTED = {
  'raw-driver-continuous-sigKILL-r1': 'pass',
  'raw-driver+device-ignores-reset-continuous-sigKILL-r1': 'detected',
};

export interface SoakCounts {
  readonly faults: Record<string, number>;
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

const INVOCATION = { reject: false, all: true, env: { VFIO_RESET_SOAK: String(process.pid) } } as const;

function invoke(out: string, seed: string): ResultPromise<typeof INVOCATION> {
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
    INVOCATION,
  );
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
  // The entries the runs use: the most recently used of each kind (by mtime; verifying them all would hash GBs).
  const names = await readdir(join(root, 'store'));
  const entries = (
    await Promise.all(names.map(async (name) => ({ name, used: (await stat(join(root, 'store', name))).mtimeMs })))
  ).sort((a, b) => b.used - a.used);
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
  const okBefore = new Set((await store.list()).filter((e) => e.state === 'ok').map((e) => e.name));
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
  const corrupt = (await store.list()).filter((e) => e.state !== 'ok' && okBefore.has(e.name));
  for (const e of corrupt) problems.push(`cache entry ${e.name} is ${e.state}`);
  await rm(dir, { recursive: true, force: true });
  return { faults, orphans, corruptEntries: corrupt.length, wrongVerdicts, lostReports, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { invocations: { type: 'string', default: '50' } } });
  const n = Number(values.invocations);
  const started = Date.now();
  const counts = await soak(n, (line) => process.stderr.write(`[soak] ${line}\n`));
  const zeros = [counts.orphans, counts.corruptEntries, counts.wrongVerdicts, counts.lostReports];
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(
    `\nsoak: ${n} interrupted-or-whole invocations, then 2 at once and 1 whole, in ${seconds} s\n` +
      `faults injected: ${Object.entries(counts.faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n` +
      `orphaned processes: ${counts.orphans}\ncorrupt cache entries: ${counts.corruptEntries}\n` +
      `wrong verdicts or exit codes: ${counts.wrongVerdicts}\nlost reports: ${counts.lostReports}\n` +
      counts.problems.map((p) => `  ${p}\n`).join(''),
  );
  process.exit(zeros.every((z) => z === 0) ? 0 : 1);
}
