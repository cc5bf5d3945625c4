// SPDX-License-Identifier: GPL-2.0-only
/**
 * `tsx specs/tools/first-events.ts DIR... > specs/fixtures/first-events.json`:
 * the first events of the must-fire oracles in every detected control run
 * found under the directories, measured from the window they fell in (the
 * quiet window from the release on, user #2's from its memory being mapped
 * on), with the frames that reached the device before each. The evidence
 * the cycle's windows are sized from (harness/plan/windows.ts);
 * run again on new runs when the device, the traffic or the kernel change.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadEvidence, EVIDENCE_FILES } from '../../harness/judge/evidence.ts';
import { judgeRun } from '../../harness/judge/judge.ts';
import { INSTANCE } from '../../harness/plan/layout.ts';
import { releaseWrites, windowStart } from '../../harness/judge/l0-window.ts';
import { mustFire } from '../../harness/plan/proof.ts';
import { ofKind } from '../../harness/trace/l0-trace.ts';
import { deriveWindowRules, WINDOW_RULES, type FirstEventSample, type WindowName } from '../../harness/plan/windows.ts';
import type { OracleName } from '../../harness/plan/oracles.ts';

/** Looked at, not happened: user #2 scans its memory when its window ends; the DMA that wrote it is L0's. */
const OBSERVED_AT_END: readonly OracleName[] = ['user2-memory'];

async function runDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  if (entries.some((e) => e.name === EVIDENCE_FILES.record)) return [root];
  const nested = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => runDirs(join(root, e.name))));
  return nested.flat();
}

/**
 * The window an event fell in: what user #2 sees falls in its window whatever its stamp says (its clock is L1's, a
 * few ms off under load); VM #2's boot is not a window the harness sizes (null).
 */
function windowOf(vantage: string, at: number, quietEnd: number, user2Open: number | undefined): WindowName | null {
  if (vantage === 'user2') return user2Open === undefined ? null : 'user2';
  if (at < quietEnd) return 'quiet';
  return user2Open !== undefined && at >= user2Open ? 'user2' : null;
}

async function samplesOf(dir: string): Promise<FirstEventSample[] | null> {
  const { evidence: e, logs } = await loadEvidence(dir);
  if (logs instanceof Error || logs.trace === null || e.spec.control === 'none') return null;
  const judgement = judgeRun(e, logs);
  const killAt = e.marks['kill'];
  const goneAt = e.marks['user1-exit'];
  if (judgement.verdict.kind !== 'detected' || killAt === undefined || goneAt === undefined) return null;
  // Runs from before the quiet window was marked: user #2 had not armed yet.
  const nextUserAt = e.marks['quiet-end'] ?? e.marks['user2-armed'] ?? e.endedAt;
  const quietOpen = windowStart(releaseWrites(logs.trace, INSTANCE, killAt, nextUserAt), goneAt);
  // User #2's window opens once its memory is mapped (runs from before that mark: when frames resumed, or it armed).
  const user2Open =
    e.spec.scenario === 'raw-driver'
      ? (e.marks['user2-mapped'] ?? e.marks['traffic-resumed'] ?? e.marks['user2-armed'])
      : undefined;
  // Runs from before windows were sized by evidence had a fixed quiet window.
  const quietEnd = e.marks['quiet-end'] ?? quietOpen + WINDOW_RULES.quiet.maxMs;
  const frameTimes = ofKind(logs.trace, 'rx-frame')
    .filter((f) => f.instance === INSTANCE)
    .map((f) => f.t);
  const required = mustFire({ ...e.spec, control: e.spec.control });
  const out: FirstEventSample[] = [];
  for (const o of judgement.oracles) {
    if (!o.fired || o.first?.tRelMs == null || !required.includes(o.oracle) || OBSERVED_AT_END.includes(o.oracle))
      continue;
    const at = killAt + o.first.tRelMs;
    const window = windowOf(o.vantage, at, quietEnd, user2Open);
    if (window === null) continue;
    const opened = window === 'user2' ? user2Open! : quietOpen;
    out.push({
      run: `${dir.split('/').slice(-2).join('/')}`,
      window,
      oracle: o.oracle,
      latencyMs: Math.max(0, Math.round(at - opened)),
      frames: frameTimes.filter((t) => t >= opened && t <= at).length,
    });
  }
  return out;
}

const roots = process.argv.slice(2);
if (roots.length === 0) {
  process.stderr.write('usage: tsx specs/tools/first-events.ts DIR... (directories holding run directories)\n');
  process.exit(2);
}
const dirs = (await Promise.all(roots.map(runDirs))).flat().sort();
const samples: FirstEventSample[] = [];
let runs = 0;
let unreadable = 0;
for (const dir of dirs) {
  if (!(await stat(join(dir, EVIDENCE_FILES.trace)).catch(() => null))) continue;
  const found = await samplesOf(dir).catch(() => {
    unreadable++;
    return null;
  });
  if (found === null) continue;
  runs++;
  samples.push(...found);
}
process.stderr.write(
  `${dirs.length} run directories, ${runs} detected control runs, ${samples.length} first events ` +
    `(${unreadable} directories of an older evidence format skipped)\n` +
    `rules: ${JSON.stringify(deriveWindowRules(samples))}\n`,
);
const lines = samples.map((s) => `    ${JSON.stringify(s)}`).join(',\n');
process.stdout.write(`{\n  "runs": ${runs},\n  "samples": [\n${lines}\n  ]\n}\n`);
