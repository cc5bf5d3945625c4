// SPDX-License-Identifier: GPL-2.0-only
/**
 * An SVG chart of one run's device activity around the kill: DMA accesses
 * (translated and faulted), IRQ line level and SMMU faults from the L0
 * trace, with the kill, user #1's exit and user #2's arrival marked.
 */
import { ofKind, type TraceEvent } from '../trace/l0-trace.ts';

export interface TimelineMarks {
  /** Wall-clock ms of the kill. */
  readonly killAt: number;
  /** Instants relative to the kill (ms), e.g. user1-exit, user2-done. */
  readonly marks: Record<string, number>;
}

const W = 900;
const ROW = 34;
const LEFT = 130;
const ROWS = ['DMA translated', 'DMA faulted', 'IRQ line', 'SMMU faults'] as const;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function timelineSvg(trace: readonly TraceEvent[], t: TimelineMarks, instance = 0): string {
  const from = -2000;
  const to = Math.max(2000, ...Object.values(t.marks)) + 1500;
  const x = (rel: number) => LEFT + ((rel - from) / (to - from)) * (W - LEFT - 10);
  const rel = (e: TraceEvent) => e.t - t.killAt;
  const inRange = (e: TraceEvent) => rel(e) >= from && rel(e) <= to;
  const height = ROWS.length * ROW + 56;
  const parts: string[] = [];
  ROWS.forEach((label, i) => {
    parts.push(`<text x="4" y="${i * ROW + 22}" font-size="12">${label}</text>`);
    parts.push(`<line x1="${LEFT}" x2="${W - 10}" y1="${i * ROW + 30}" y2="${i * ROW + 30}" stroke="#ddd"/>`);
  });
  const dma = ofKind(trace, 'dma').filter((e) => e.instance === instance && inRange(e));
  // One tick per 10 ms bucket keeps the SVG small at any traffic rate.
  const ticks = (events: readonly TraceEvent[], row: number, colour: string) => {
    const buckets = new Set(events.map((e) => Math.round(rel(e) / 10)));
    for (const b of buckets)
      parts.push(`<rect x="${x(b * 10).toFixed(1)}" y="${row * ROW + 10}" width="1.5" height="18" fill="${colour}"/>`);
  };
  ticks(
    dma.filter((e) => e.ok),
    0,
    '#2b7bb9',
  );
  ticks(
    dma.filter((e) => !e.ok),
    1,
    '#d9480f',
  );
  ticks([...ofKind(trace, 'smmu-event'), ...ofKind(trace, 'smmu-abort')].filter(inRange), 3, '#d9480f');
  const irq = ofKind(trace, 'irq').filter((e) => e.instance === instance && e.line === 0);
  let level: number = [...irq].reverse().find((e) => rel(e) < from)?.level ?? 0;
  const y = (l: number) => 2 * ROW + (l ? 12 : 28);
  const path = [`M${x(from).toFixed(1)},${y(level)}`];
  for (const e of irq.filter(inRange)) {
    const at = rel(e);
    path.push(`L${x(at).toFixed(1)},${y(level)}`, `L${x(at).toFixed(1)},${y(e.level)}`);
    level = e.level;
  }
  path.push(`L${x(to).toFixed(1)},${y(level)}`);
  parts.push(`<path d="${path.join(' ')}" fill="none" stroke="#862e9c" stroke-width="1.5"/>`);
  // Marks close together (the kill and user #1's exit) get their labels on alternate lines.
  for (const [i, [name, at]] of Object.entries(t.marks)
    .sort(([, a], [, b]) => a - b)
    .entries()) {
    if (at < from || at > to) continue;
    parts.push(
      `<line x1="${x(at).toFixed(1)}" x2="${x(at).toFixed(1)}" y1="4" y2="${ROWS.length * ROW + 8}" ` +
        `stroke="${name === 'kill' ? '#c92a2a' : '#495057'}" stroke-dasharray="${name === 'kill' ? '' : '3,3'}"/>`,
    );
    parts.push(
      `<text x="${(x(at) + 3).toFixed(1)}" y="${ROWS.length * ROW + 18 + (i % 2) * 12}" font-size="10">` +
        `${esc(name)} ${at >= 0 ? '+' : ''}${at} ms</text>`,
    );
  }
  for (const tick of [from, 0, Math.round(to / 2000) * 1000, to]) {
    parts.push(
      `<text x="${x(tick).toFixed(1)}" y="${ROWS.length * ROW + 50}" font-size="10" fill="#868e96">` +
        `${(tick / 1000).toFixed(1)} s</text>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ` +
    `font-family="sans-serif">${parts.join('')}</svg>`
  );
}
