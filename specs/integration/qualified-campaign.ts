// SPDX-License-Identifier: GPL-2.0-only
/**
 * One `vfio-reset qualify --repeat 1` on the default stack (every scenario
 * and control under both traffic patterns), run once per mocha run through
 * the CLI and shared by the specs that judge it: the reset scenarios' and
 * the vendor report's. Twenty-four runs once instead of twice.
 */
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../harness/lib/paths.ts';
import type { RunRecord } from '../../harness/report/report-format.ts';
import { defaultStack } from './stack-fixture.ts';

const CLI = join(repoRoot, 'harness', 'bin', 'vfio-reset.js');

export interface QualifiedCampaign {
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly outDir: string;
  readonly runs: readonly RunRecord[];
}

let campaign: Promise<QualifiedCampaign> | undefined;

export function qualifiedCampaign(): Promise<QualifiedCampaign> {
  campaign ??= (async () => {
    await defaultStack();
    const outDir = await mkdtemp(join(tmpdir(), 'vfio-reset-qualify-'));
    const r = await execa('node', [CLI, 'qualify', '--repeat', '1', '--output', outDir], {
      reject: false,
      stderr: 'inherit',
    });
    const report = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as { runs: RunRecord[] };
    return { exitCode: r.exitCode, stdout: r.stdout, outDir, runs: report.runs };
  })();
  return campaign;
}
