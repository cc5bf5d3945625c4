// SPDX-License-Identifier: GPL-2.0-only
/**
 * The layering cannot silently erode: every import between the harness's
 * folders is one the layer table allows, the table only points down, no
 * module imports itself back through others, and the README's layout table
 * is the same table.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import {
  forbiddenImports,
  importCircles,
  importGraph,
  LAYERS,
  mayImportCell,
  tableUpwardEntries,
} from '../tools/import-graph.ts';

describe('import layers', () => {
  const graph = importGraph();

  it('reads the whole harness', () => {
    expect(graph.size).to.be.greaterThan(100);
    expect(graph.get('scenarios/cycle.ts')).to.include('plan/timing.ts');
  });

  it('has a table that only points down', () => {
    expect(tableUpwardEntries()).to.deep.equal([]);
  });

  it('names every folder of the harness in the table', () => {
    const folders = new Set([...graph.keys()].map((f) => f.split('/')[0]));
    expect([...folders].sort()).to.deep.equal(LAYERS.map((l) => l.folder).sort());
  });

  it('has no import between folders that the table does not allow', () => {
    expect(forbiddenImports(graph)).to.deep.equal([]);
  });

  it('has no import circle', () => {
    expect(importCircles(graph)).to.deep.equal([]);
  });

  it('finds a circle and a forbidden import where there is one', () => {
    const bad = new Map([
      ['plan/a.ts', ['plan/b.ts']],
      ['plan/b.ts', ['scenarios/c.ts']],
      ['scenarios/c.ts', ['plan/a.ts']],
    ]);
    expect(importCircles(bad)).to.deep.equal([['plan/a.ts', 'plan/b.ts', 'scenarios/c.ts']]);
    expect(forbiddenImports(bad)).to.deep.equal(['plan -> scenarios (plan/b.ts -> scenarios/c.ts)']);
  });

  it("is the README's layout table, in layer order", async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z]+)\/` \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2]!.trim()]);
    expect(rows).to.deep.equal(LAYERS.map((l) => [l.folder, mayImportCell(l)]));
  });
});
