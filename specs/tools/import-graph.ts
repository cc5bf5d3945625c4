// SPDX-License-Identifier: GPL-2.0-only
/**
 * The harness's folders in layer order and which folders each may import,
 * and the import graph as the code has it, read with TypeScript's own
 * pre-processor (every import, export-from and dynamic import, types
 * included). Run alone, it prints what the import-layers spec checks:
 *   npx tsx specs/tools/import-graph.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../../harness/lib/paths.ts';

export interface Layer {
  readonly folder: string;
  /** The folders below it that it may import. */
  readonly mayImport: readonly string[];
}

/** From the command line down: a folder may import only folders listed after it, and only those it names. */
export const LAYERS: readonly Layer[] = [
  { folder: 'bin', mayImport: ['commands'] },
  {
    folder: 'commands',
    mayImport: [
      'campaign',
      'labs',
      'report',
      'scenarios',
      'machines',
      'recipes',
      'judge',
      'plan',
      'traffic',
      'process',
      'cache',
      'lib',
    ],
  },
  { folder: 'campaign', mayImport: ['report', 'scenarios', 'machines', 'recipes', 'judge', 'plan', 'lib'] },
  { folder: 'labs', mayImport: ['machines', 'plan', 'devices', 'lib'] },
  { folder: 'report', mayImport: ['recipes', 'judge', 'oracles', 'trace', 'plan', 'cache', 'lib'] },
  {
    folder: 'scenarios',
    mayImport: ['machines', 'recipes', 'judge', 'oracles', 'evidence', 'trace', 'plan', 'traffic', 'devices', 'lib'],
  },
  { folder: 'machines', mayImport: ['evidence', 'trace', 'plan', 'traffic', 'devices', 'process', 'lib'] },
  { folder: 'recipes', mayImport: ['plan', 'devices', 'cache', 'process', 'lib'] },
  { folder: 'judge', mayImport: ['oracles', 'evidence', 'trace', 'plan', 'traffic', 'devices', 'lib'] },
  { folder: 'oracles', mayImport: ['evidence', 'trace', 'plan', 'traffic', 'devices', 'lib'] },
  { folder: 'evidence', mayImport: ['plan', 'lib'] },
  { folder: 'trace', mayImport: ['devices', 'lib'] },
  { folder: 'plan', mayImport: ['traffic', 'devices', 'lib'] },
  { folder: 'traffic', mayImport: ['lib'] },
  { folder: 'devices', mayImport: ['lib'] },
  { folder: 'cache', mayImport: ['process', 'lib'] },
  { folder: 'process', mayImport: ['lib'] },
  { folder: 'lib', mayImport: [] },
];

const HARNESS = join(repoRoot, 'harness');

/** Every harness module (path relative to harness/) and the harness modules it imports. */
export function importGraph(): Map<string, readonly string[]> {
  const files = readdirSync(HARNESS, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|js)$/.test(f))
    .sort();
  const graph = new Map<string, readonly string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(HARNESS, file), 'utf8'), true, true);
    const targets = info.importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => relative(HARNESS, resolve(dirname(join(HARNESS, file)), name)));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

const folderOf = (file: string) => file.split('/')[0] ?? file;

/** Imports from one folder to another that the table does not allow: `from -> to (file -> file)`. */
export function forbiddenImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const allowed = new Map(LAYERS.map((l) => [l.folder, new Set(l.mayImport)]));
  const out: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from) continue;
      const may = allowed.get(from);
      if (may === undefined) out.push(`${from} is not in the layer table (${file})`);
      else if (!may.has(to)) out.push(`${from} -> ${to} (${file} -> ${target})`);
    }
  }
  return [...new Set(out)];
}

/** Table entries that point up or sideways: the table itself must be a strict order. */
export function tableUpwardEntries(): string[] {
  const rank = new Map(LAYERS.map((l, i) => [l.folder, i]));
  return LAYERS.flatMap((l, i) =>
    l.mayImport.filter((to) => (rank.get(to) ?? -1) <= i).map((to) => `${l.folder} -> ${to}`),
  );
}

/** The import circles between modules: each strongly connected set of more than one module (Tarjan). */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
        if (w === v) break;
      }
      if (set.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(set.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

/** The table's "may import" cell for one folder, as the README writes it. */
export const mayImportCell = (layer: Layer): string =>
  layer.mayImport.length === 0 ? 'nothing' : layer.mayImport.map((f) => `\`${f}/\``).join(' ');

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = importGraph();
  const circles = importCircles(graph);
  const forbidden = forbiddenImports(graph);
  console.log(`${graph.size} modules; ${circles.length} import circles; ${forbidden.length} imports against the table`);
  for (const c of circles) console.log(`circle: ${c.join(' ')}`);
  for (const f of forbidden) console.log(`forbidden: ${f}`);
  for (const l of LAYERS) console.log(`${l.folder}/: ${mayImportCell(l)}`);
}
