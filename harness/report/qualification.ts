// SPDX-License-Identifier: GPL-2.0-only
/**
 * A vendor's qualification report: verdicts per scenario and control over
 * N repetitions with flake statistics, the environment and its hashes, and
 * for each scenario and control an event timeline around the kill, as one
 * self-contained HTML page (inline SVG, no external resources).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunRecord } from './report-format.ts';
import type { Provenance } from './provenance.ts';
import { parseTrace } from '../trace/l0-trace.ts';
import { timelineSvg } from './timeline-svg.ts';
import { KILL_STATE_MEANING, KILL_STATES, type KillState } from '../plan/kill-states.ts';

export interface GroupStats {
  readonly scenario: string;
  readonly control: string;
  readonly pattern: string;
  readonly runs: number;
  readonly expected: 'pass' | 'detected';
  readonly counts: Record<'pass' | 'detected' | 'regression' | 'invalid' | 'not-applicable', number>;
  /** Runs whose verdict is not the expected one. */
  readonly misclassified: number;
  /** True when the same scenario and control gave different verdicts. */
  readonly flaky: boolean;
  readonly meanSeconds: number;
}

export function groupStats(runs: readonly RunRecord[]): GroupStats[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.spec.scenario}|${r.spec.control}|${r.spec.pattern}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].map(([key, rs]) => {
    const [scenario = '', control = '', pattern = ''] = key.split('|');
    const counts = { pass: 0, detected: 0, regression: 0, invalid: 0, 'not-applicable': 0 };
    for (const r of rs) counts[r.verdict.kind]++;
    const expected = control === 'none' ? 'pass' : 'detected';
    return {
      scenario,
      control,
      pattern,
      runs: rs.length,
      expected,
      counts,
      // A control this kernel cannot host is neither right nor wrong.
      misclassified: rs.length - counts[expected] - counts['not-applicable'],
      flaky: Object.values(counts).filter((c) => c > 0).length > 1,
      meanSeconds: Math.round((rs.reduce((s, r) => s + r.seconds, 0) / rs.length) * 10) / 10,
    };
  });
}

/** Per scenario, how many runs' kills landed in each state; a run may count in several. */
export interface KillCoverage {
  readonly scenario: string;
  readonly runs: number;
  readonly states: Readonly<Record<KillState, number>>;
  /** Runs that never reached the kill, or have no trace to tell. */
  readonly unknown: number;
}

export function killCoverage(runs: readonly RunRecord[]): KillCoverage[] {
  const scenarios = [...new Set(runs.map((r) => r.spec.scenario))];
  return scenarios.map((scenario) => {
    const mine = runs.filter((r) => r.spec.scenario === scenario);
    const states = Object.fromEntries(
      KILL_STATES.map((k) => [k, mine.filter((r) => r.killStates?.includes(k) === true).length]),
    ) as Record<KillState, number>;
    return { scenario, runs: mine.length, states, unknown: mine.filter((r) => r.killStates === null).length };
  });
}

/** One line per scenario: `raw-driver: 120 runs, rx-mid-frame 60, ..., idle 40`. */
export function killCoverageLine(c: KillCoverage): string {
  const states = KILL_STATES.map((k) => `${k} ${c.states[k]}`).join(', ');
  return `${c.scenario}: ${c.runs} runs killed in ${states}${c.unknown > 0 ? `, unknown ${c.unknown}` : ''}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const head = `<tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

/** The first run of a group: its L0 trace drawn around the kill, and what each oracle found. */
async function groupSection(first: RunRecord): Promise<string> {
  const trace = parseTrace(await readFile(join(first.dir, 'l0-trace.log'), 'utf8').catch(() => ''));
  const marks = Object.fromEntries(
    Object.entries(first.timeline).filter(([k]) =>
      ['kill', 'user1-exit', 'user2-done', 'user2-armed', 'traffic-resumed'].includes(k),
    ),
  );
  const killWall = first.killWallClock;
  const svg = killWall !== null ? timelineSvg(trace, { killAt: killWall, marks }) : '<p>no kill in this run</p>';
  return `<h3>${esc(first.id)}: ${esc(first.verdict.kind)}</h3>${svg}${table(
    ['oracle', 'vantage', 'fired', 'count', 'first (ms after kill)', 'looked at'],
    first.oracles.map((o) => [
      esc(o.oracle),
      o.vantage,
      o.fired ? '<b>yes</b>' : 'no',
      String(o.count),
      o.first ? `${o.first.tRelMs ?? '?'}: ${esc(o.first.detail)}` : '',
      esc(o.looked),
    ]),
  )}`;
}

const hashes = (named: Readonly<Record<string, string>>) =>
  Object.entries(named)
    .map(([n, h]) => `${n} ${h.slice(0, 12)}`)
    .join(', ');

/** What the runs ran on, a row each: enough to set the same stack up again. */
function environmentRows(provenance: Provenance): Array<[string, string]> {
  const { host, l0Qemu } = provenance;
  const qemuOrigin =
    l0Qemu.origin.kind === 'built'
      ? ` (Debian qemu ${l0Qemu.origin.sourceVersion} + ${Object.keys(l0Qemu.origin.patches).length} patches)`
      : ' (given with --qemu)';
  return [
    ['harness revision', `${provenance.harness.revision}${provenance.harness.dirty ? ' (dirty)' : ''}`],
    ['host', `${host.hostname}, Linux ${host.kernel}, ${host.arch}, Node ${host.node}`],
    ['L0 QEMU', `${l0Qemu.version}${qemuOrigin}`],
    ['kernel', `${provenance.kernel.release} from ${JSON.stringify(provenance.kernel.source)}`],
    ['kernel fragments', hashes(provenance.kernel.fragments)],
    ['kernel patches', hashes(provenance.kernel.patches)],
    [
      'L1 packages',
      Object.entries(provenance.images.debianBase.packages)
        .map(([p, v]) => `${p} ${v}`)
        .join(', '),
    ],
    [
      'image keys',
      `L1 ${provenance.images.l1Image}, L2 ${provenance.images.l2Initramfs}, agents ${provenance.images.agents}`,
    ],
  ];
}

const VERDICT_HEADER = [
  'scenario',
  'control',
  'traffic',
  'runs',
  'expected',
  'pass',
  'detected',
  'regression',
  'invalid',
  'n/a',
  'misclassified',
  'flaky',
  'mean time',
];

const verdictRow = (g: GroupStats): string[] => [
  esc(g.scenario),
  esc(g.control),
  esc(g.pattern),
  String(g.runs),
  g.expected,
  String(g.counts.pass),
  String(g.counts.detected),
  String(g.counts.regression),
  String(g.counts.invalid),
  String(g.counts['not-applicable']),
  g.misclassified ? `<b class="bad">${g.misclassified}</b>` : '0',
  g.flaky ? '<b class="bad">yes</b>' : 'no',
  `${g.meanSeconds} s`,
];

export async function qualificationHtml(
  runs: readonly RunRecord[],
  provenance: Provenance,
  exitCode: number,
): Promise<string> {
  const stats = groupStats(runs);
  const verdict =
    exitCode === 0
      ? 'QUALIFIED: the reset works and every control was detected'
      : exitCode === 1
        ? 'NOT QUALIFIED: reset regression'
        : 'UNDECIDED: invalid runs (see below)';
  const sections: string[] = [];
  for (const g of stats) {
    const first = runs.find(
      (r) => r.spec.scenario === g.scenario && r.spec.control === g.control && r.spec.pattern === g.pattern,
    )!;
    sections.push(await groupSection(first));
  }
  const verdictClass = exitCode === 0 ? 'ok' : 'bad';
  const created = esc(new Date().toISOString());
  // A backslash at the end of a line of the page continues it: the line break is not part of the page.
  return `<!doctype html><html><head><meta charset="utf-8"><title>vfio-reset qualification</title><style>
body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#212529}\
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #dee2e6;padding:3px 8px;font-size:13px;text-align:left;vertical-align:top}th{background:#f1f3f5}
.ok{color:#2b8a3e}.bad{color:#c92a2a}</style></head><body>
<h1>VFIO platform reset qualification</h1>
<p class="${verdictClass}"><b>${esc(verdict)}</b> (exit ${exitCode}), ${runs.length} runs, ${created}</p>
<h2>Verdicts</h2>${table(VERDICT_HEADER, stats.map(verdictRow))}
<h2>Where the kills landed</h2><p>The device's state at each run's kill, from the L0 trace (a run may be in \
several): ${KILL_STATES.map((k) => `<b>${k}</b>: ${esc(KILL_STATE_MEANING[k])}`).join('; ')}.</p>${table(
    ['scenario', 'runs', ...KILL_STATES, 'unknown'],
    killCoverage(runs).map((c) => [
      esc(c.scenario),
      String(c.runs),
      ...KILL_STATES.map((k) => String(c.states[k])),
      String(c.unknown),
    ]),
  )}
<h2>Environment</h2>${table(
    ['what', 'value'],
    environmentRows(provenance).map(([k, v]) => [esc(k), esc(v)]),
  )}
<h2>Timelines around the kill</h2><p>L0 trace of the first run of each scenario and control: \
DMA accesses (blue translated, red faulted), the IRQ line, SMMU faults.</p>
${sections.join('\n')}
</body></html>
`;
}
