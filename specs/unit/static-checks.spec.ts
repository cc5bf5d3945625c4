// SPDX-License-Identifier: GPL-2.0-only
/**
 * Types and format are checked, not hoped for: tsx runs the harness without
 * checking its types, so the type checker, the linter and the formatter run
 * here, in the unit layer of `npm test`, each failing with what it found.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { repoRoot } from '../../harness/lib/paths.ts';

const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
const check = (tool: string, args: string[]) => execa(bin(tool), args, { cwd: repoRoot, reject: false, all: true });

/** Every file git knows of under the source folders, by extension. */
function sources(...extensions: string[]): string[] {
  return execSync('git ls-files harness specs guest-agents images kernel-config eslint.config.js', {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => extensions.some((e) => f.endsWith(e)) && !f.startsWith('specs/fixtures/runs/'));
}

describe('static checks', function () {
  this.timeout(180_000);

  it('type-checks (tsc --noEmit, strict)', async () => {
    const r = await check('tsc', ['--noEmit', '-p', '.']);
    expect(r.exitCode, r.all).to.equal(0);
  });

  it('passes the linter (eslint)', async () => {
    const r = await check('eslint', ['.']);
    expect(r.exitCode, r.all).to.equal(0);
  });

  it('is formatted (prettier --check, 120 columns)', async () => {
    const r = await check('prettier', ['--check', '.']);
    expect(r.exitCode, r.all).to.equal(0);
  });

  it('has no line over 120 columns in TypeScript, JavaScript or C', async () => {
    const long: string[] = [];
    for (const file of sources('.ts', '.js', '.mjs', '.c', '.h')) {
      (await readFile(join(repoRoot, file), 'utf8')).split('\n').forEach((line, i) => {
        if (line.replace(/\t/g, '        ').length > 120) long.push(`${file}:${i + 1}`);
      });
    }
    expect(long).to.deep.equal([]);
  });

  it('names its licence in every source file (SPDX-License-Identifier)', async () => {
    const missing: string[] = [];
    for (const file of sources('.ts', '.js', '.mjs', '.c', '.h', '.sh', 'Makefile', '.config', 'init')) {
      const head = (await readFile(join(repoRoot, file), 'utf8')).split('\n').slice(0, 3).join('\n');
      if (!head.includes('SPDX-License-Identifier: GPL-2.0-only')) missing.push(file);
    }
    expect(missing).to.deep.equal([]);
  });
});
