// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm test`: the unit specs (seconds, no QEMU) and then the integration
 * specs (real builds, real QEMU), in one mocha run, ending with the plain
 * line `N passed, N failed` that CI reads (`, N skipped` added when a spec
 * could not run here). `--unit` runs the unit layer only.
 * A whole run says how long each layer took and keeps it for `npm run bench`.
 */
import Mocha from 'mocha';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { cacheRoot, repoRoot } from '../../harness/lib/paths.ts';
import { killAllGroups } from '../../harness/process/process-groups.ts';
import { recordSpecTimes } from './spec-times.ts';

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
// Seconds per spec file: its top-level suites, from start to end.
const fileSeconds = new Map<string, number>();
const startedAt = new Map<Mocha.Suite, number>();
runner.on('suite', (suite) => {
  if (suite.parent?.root === true) startedAt.set(suite, Date.now());
});
runner.on('suite end', (suite) => {
  const started = startedAt.get(suite);
  if (started === undefined || suite.file === undefined) return;
  fileSeconds.set(suite.file, (fileSeconds.get(suite.file) ?? 0) + (Date.now() - started) / 1000);
});
runner.on('end', () => {
  const stats = runner.stats;
  const passed = stats?.passes ?? 0;
  const failed = stats?.failures ?? 0;
  // A spec that cannot run here (no root, no cgroup v2) is skipped, and said so: never counted as passed.
  const skipped = stats?.pending ?? 0;
  const layer = (name: 'unit' | 'integration') =>
    [...fileSeconds].filter(([f]) => f.includes(`/specs/${name}/`)).reduce((sum, [, sec]) => sum + sec, 0);
  const unitSeconds = layer('unit');
  const integrationSeconds = layer('integration');
  process.stdout.write(
    `\nunit layer ${unitSeconds.toFixed(0)} s` +
      `${unitOnly ? '' : `, integration layer ${integrationSeconds.toFixed(0)} s`}\n`,
  );
  process.stdout.write(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  killAllGroups();
  const files = Object.fromEntries(
    [...fileSeconds]
      .filter(([f]) => f.includes('/specs/integration/'))
      .map(([f, sec]) => [basename(f), Math.round(sec)]),
  );
  const recorded = unitOnly
    ? Promise.resolve()
    : recordSpecTimes(cacheRoot(), { unitSeconds, integrationSeconds, files, at: new Date().toISOString() }).catch(
        () => {},
      );
  void recorded.then(() => process.exit(failed > 0 || passed === 0 ? 1 : 0));
});
