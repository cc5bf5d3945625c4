// SPDX-License-Identifier: GPL-2.0-only
/**
 * The longest functions of the harness (TypeScript, by its own parser) and
 * of the C agents (top-level function bodies, by their braces), in lines
 * from signature to closing brace: where a review should look first.
 *   npx tsx specs/tools/longest-functions.ts [N]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../../harness/lib/paths.ts';

export interface FunctionLength {
  readonly where: string;
  readonly name: string;
  readonly lines: number;
}

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => ext.test(f) && !f.startsWith('build/'))
    .map((f) => join(repoRoot, dir, f));
}

export function tsFunctions(): FunctionLength[] {
  const out: FunctionLength[] = [];
  for (const file of files('harness', /\.ts$/)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
    const visit = (node: ts.Node) => {
      const named =
        ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)
          ? node.name?.getText(source)
          : (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent)
            ? node.parent.name.getText(source)
            : undefined;
      if (named !== undefined) {
        const start = lineOf(node.getStart(source));
        out.push({
          where: `${relative(repoRoot, file)}:${start}`,
          name: named,
          lines: lineOf(node.getEnd()) - start + 1,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

/** C functions: a line at column 0 that opens a body, to the `}` at column 0 that closes it. */
export function cFunctions(): FunctionLength[] {
  const out: FunctionLength[] = [];
  for (const file of files('guest-agents', /\.c$/)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== '{') continue;
      let head = i - 1;
      while (head > 0 && /^\s/.test(lines[head]!) && lines[head - 1] !== '') head--;
      const end = lines.findIndex((l, j) => j > i && l === '}');
      const name = /(\w+)\s*\(/.exec(lines[head]!)?.[1] ?? '?';
      out.push({ where: `${relative(repoRoot, file)}:${head + 1}`, name, lines: end - head + 1 });
    }
  }
  return out.sort((a, b) => b.lines - a.lines);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? '5');
  for (const [lang, list] of [
    ['TypeScript', tsFunctions()],
    ['C', cFunctions()],
  ] as const) {
    console.log(`${lang}:`);
    for (const f of list.slice(0, n)) console.log(`  ${String(f.lines).padStart(4)} lines  ${f.name}  ${f.where}`);
  }
}
