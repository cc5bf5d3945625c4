// SPDX-License-Identifier: GPL-2.0-only
/**
 * The C agents say what the harness reads in the harness's own words: every
 * report name, pacing word and report source in guest-agents/ is a macro of
 * the generated contract.h (harness/plan/contract.ts), never a literal of
 * their own; the reports L2's init writes in shell are names the contract
 * has; and the contract has no name that nothing writes.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import { AGENT_EVENTS, cMacroOf, contractHeader, RUNNER_EVENTS, RUNNER_WORDS } from '../../harness/plan/contract.ts';
import { EXIT } from '../../harness/lib/exit-codes.ts';

const AGENTS = join(repoRoot, 'guest-agents');
const cSources = readdirSync(AGENTS)
  .filter((f) => /\.[ch]$/.test(f))
  .map((f) => ({ file: f, text: readFileSync(join(AGENTS, f), 'utf8') }));
const allC = cSources.map((s) => s.text).join('\n');
const shellInits = ['images/l1/init', 'images/l2/init'].map((f) => readFileSync(join(repoRoot, f), 'utf8')).join('\n');

/** Calls that name a report, a word or a source, and which argument does. */
const NAMING_CALLS: ReadonlyArray<readonly [string, number]> = [
  ['json_line', 0],
  ['link_event', 1],
  ['json_event_is', 1],
  ['agent_go_on', 1],
  ['agent_start', 2],
];

/** The literal strings given where a name belongs, as `file: call("literal")`. */
function literalNames(file: string, text: string): string[] {
  const out: string[] = [];
  for (const [call, at] of NAMING_CALLS) {
    for (const m of text.matchAll(new RegExp(`\\b${call}\\(([^;]*)`, 'g'))) {
      const arg = m[1]!.split(',')[at]?.trim() ?? '';
      if (arg.startsWith('"')) out.push(`${file}: ${call}(${arg})`);
    }
  }
  for (const m of text.matchAll(/\\"event\\":\\"([a-z][a-z0-9-]*)/g))
    out.push(`${file}: "event":"${m[1]}" in a format`);
  return out;
}

describe('the contract between the harness and the C agents', () => {
  it('leaves no report name, word or source a C literal of its own', () => {
    expect(cSources.flatMap((s) => literalNames(s.file, s.text))).to.deep.equal([]);
  });

  it('finds a literal name where there is one', () => {
    expect(literalNames('x.c', 'json_line("opened", "");\nlink_event(l, "bound", NULL);')).to.deep.equal([
      'x.c: json_line("opened")',
      'x.c: link_event("bound")',
    ]);
  });

  it("has every report L1's and L2's init write in shell", () => {
    const written = [...shellInits.matchAll(/"event\\?"\s*:\s*\\?"([a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
    expect(written.length).to.be.greaterThan(0);
    for (const name of written) expect(AGENT_EVENTS as readonly string[], name).to.include(name);
  });

  it('has no name that nothing writes', () => {
    const shellNames = new Set([...shellInits.matchAll(/"event\\?"\s*:\s*\\?"([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
    for (const name of [...AGENT_EVENTS, ...RUNNER_EVENTS])
      expect(allC.includes(cMacroOf.event(name)) || shellNames.has(name), name).to.equal(true);
    for (const word of RUNNER_WORDS) expect(allC, word).to.include(cMacroOf.word(word));
  });

  it("gives the runner the harness's exit codes", () => {
    const header = contractHeader();
    expect(header).to.include(`#define EXIT_UNDECIDED ${EXIT.undecided}\n`);
    expect(readFileSync(join(AGENTS, 'vfio-reset-target.c'), 'utf8')).to.not.match(/\breturn [13];|exit\(2\)/);
  });
});
