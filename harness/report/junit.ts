// SPDX-License-Identifier: GPL-2.0-only
/**
 * JUnit XML for CI systems: one test case per run; a regression is a failure, an invalid run an error, a control the
 * kernel cannot host skipped, and so is a pass whose oracles no detected control of the set proved.
 */
import { unprovenPasses } from '../judge/verdict.ts';
import type { RunRecord } from './report-format.ts';

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An oracle in a line: fired (how often, and its first event) or silent. */
function oracleLine(o: RunRecord['oracles'][number]): string {
  const first = o.first ? ` first +${o.first.tRelMs ?? '?'} ms ${o.first.detail}` : '';
  return `${o.oracle}: ${o.fired ? `fired x${o.count}${first}` : 'silent'}`;
}

export function junitXml(suite: string, runs: readonly RunRecord[]): string {
  const failures = runs.filter((r) => r.verdict.kind === 'regression').length;
  const errors = runs.filter((r) => r.verdict.kind === 'invalid').length;
  const unproven = unprovenPasses(runs);
  const skipped = runs.filter((r) => r.verdict.kind === 'not-applicable' || unproven(r) !== null).length;
  const total = runs.reduce((s, r) => s + r.seconds, 0);
  const cases = runs.map((r) => {
    const why = unproven(r);
    const body =
      r.verdict.kind === 'regression'
        ? `<failure message="${escape(r.verdict.reason)}" type="regression"/>`
        : r.verdict.kind === 'invalid'
          ? `<error message="${escape(r.verdict.reason)}" type="invalid"/>`
          : r.verdict.kind === 'not-applicable'
            ? `<skipped message="${escape(r.verdict.reason)}"/>`
            : why !== null
              ? `<skipped message="${escape(why.reason)}"/>`
              : '';
    const out = `<system-out>${escape(r.oracles.map(oracleLine).join('\n'))}\nartifacts: ${escape(r.dir)}</system-out>`;
    const name = `classname="${escape(suite)}.${escape(r.spec.scenario)}" name="${escape(r.id)}"`;
    return `    <testcase ${name} time="${r.seconds}">${body}${out}</testcase>`;
  });
  const counts = `tests="${runs.length}" failures="${failures}" errors="${errors}"`;
  const time = `time="${total.toFixed(1)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escape(suite)}" ${counts} ${time}>`,
    `  <testsuite name="${escape(suite)}" ${counts} skipped="${skipped}" ${time}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
