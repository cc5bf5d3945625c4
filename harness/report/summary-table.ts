// SPDX-License-Identifier: GPL-2.0-only
/** The closing table of a run: scenario, verdict, evidence counts and time, readable in a terminal or a CI log. */
import type { OracleName } from '../plan/oracles.ts';
import { blindSpotsOf } from '../plan/hazards.ts';
import type { RunRecord } from './report-format.ts';

const COLUMNS: ReadonlyArray<[OracleName, string]> = [
  ['l0-device-state', 'L0 state'],
  ['l0-dma-after-release', 'L0 DMA'],
  ['l0-dma-read-after-release', 'L0 read'],
  ['l0-irq-after-release', 'L0 IRQ'],
  ['l0-smmu-faults', 'L0 SMMU'],
  ['wire-after-release', 'wire'],
  ['wire-leak', 'leak'],
  ['l1-smmu-events', 'L1 SMMU'],
  ['l1-vfio-irq-count', 'L1 IRQ'],
  ['user2-registers', 'regs'],
  ['user2-irqs', 'u2 IRQ'],
  ['user2-gic-pending', 'u2 GIC'],
  ['user2-memory', 'u2 mem'],
];

function verdictLabel(r: RunRecord): string {
  switch (r.verdict.kind) {
    case 'pass':
      return 'PASS';
    case 'detected':
      return 'DETECTED (control)';
    case 'regression':
      return 'REGRESSION';
    case 'invalid':
      return 'INVALID';
    case 'not-applicable':
      return 'N/A (control)';
  }
}

export function summaryTable(runs: readonly RunRecord[]): string {
  const header = ['run', 'verdict', ...COLUMNS.map(([, label]) => label), 'time'];
  const rows = runs.map((r) => [
    r.id,
    verdictLabel(r),
    ...COLUMNS.map(([name]) => {
      const o = r.oracles.find((x) => x.oracle === name);
      return o === undefined ? '-' : String(o.count);
    }),
    `${r.seconds.toFixed(0)}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const reasons = runs
    .filter(
      (r) => r.verdict.kind === 'regression' || r.verdict.kind === 'invalid' || r.verdict.kind === 'not-applicable',
    )
    .map((r) => {
      const tail =
        r.errorTail !== null
          ? `\n    --- last lines ---\n${r.errorTail
              .split('\n')
              .slice(-15)
              .map((l) => `    ${l}`)
              .join('\n')}`
          : '';
      return `  ${r.id}: ${(r.verdict as { reason: string }).reason}${tail}`;
    });
  const blind = blindSpotsOf([...new Set(runs.map((r) => r.spec.pattern))]).map((b) => `  note: ${b}`);
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...(reasons.length ? ['', ...reasons] : []),
    ...(runs.length > 0 && blind.length ? ['', ...blind] : []),
  ].join('\n');
}
