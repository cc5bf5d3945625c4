// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm test`: the unit specs (seconds, no QEMU) and then the integration
 * specs (real builds, real QEMU), in one mocha run, ending with the plain
 * line `N passed, N failed` that CI reads. `--unit` runs the unit layer only.
 */
import Mocha from 'mocha';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import { killAllGroups } from '../../harness/process/process-groups.ts';

async function specFiles(layer: 'unit' | 'integration'): Promise<string[]> {
  const dir = join(repoRoot, 'specs', layer);
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.spec.ts'))
    .sort()
    .map((n) => join(dir, n));
}

const unitOnly = process.argv.includes('--unit');
const mocha = new Mocha({ reporter: 'spec', timeout: 10_000 });
for (const file of await specFiles('unit')) mocha.addFile(file);
if (!unitOnly) for (const file of await specFiles('integration')) mocha.addFile(file);
await mocha.loadFilesAsync();
const runner = mocha.run();
runner.on('end', () => {
  const stats = runner.stats;
  const passed = stats?.passes ?? 0;
  const failed = stats?.failures ?? 0;
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  killAllGroups();
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
});
