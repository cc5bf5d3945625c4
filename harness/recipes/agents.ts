// SPDX-License-Identifier: GPL-2.0-only
/** The C agents of guest-agents/, cross-compiled static for arm64 and cached. */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, runStep } from './build-step.ts';
import { fileDigests, sha256 } from '../cache/digest.ts';
import { xgmacHeader } from '../devices/c-header.ts';
import { targetPlanHeader } from '../plan/target-plan.ts';
import { contractHeader } from '../plan/contract.ts';
import type { CacheStore } from '../cache/store.ts';
import { repoRoot } from '../lib/paths.ts';

export const AGENT_DIR = join(repoRoot, 'guest-agents');

export interface Agents {
  readonly dir: string;
  readonly key: string;
  readonly built: boolean;
}

/** The headers the agents are built with that the harness generates from its own definitions, by file name. */
export function generatedHeaders(): Readonly<Record<string, string>> {
  return { 'xgmac-regs.h': xgmacHeader(), 'target-plan.h': targetPlanHeader(), 'contract.h': contractHeader() };
}

export async function buildAgents(store: CacheStore): Promise<Agents> {
  const files = (await readdir(AGENT_DIR, { withFileTypes: true, recursive: true }))
    .filter((e) => e.isFile() && !join(e.parentPath, e.name).startsWith(join(AGENT_DIR, 'build')))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const headers = generatedHeaders();
  const inputs = {
    sources: await fileDigests(repoRoot, files),
    generatedHeaders: sha256(JSON.stringify(headers)),
    toolchain: (await capture('aarch64-linux-gnu-gcc', ['--version'])).split('\n')[0],
    // The generated headers are in the key by content, whatever module they come from.
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/recipes/agents.ts')]),
  };
  const entry = await store.obtain('agents', inputs, async (out) => {
    const log = join(out, 'build.log');
    const gen = `${out}.gen`;
    await mkdir(gen, { recursive: true });
    try {
      for (const [name, text] of Object.entries(headers)) await writeFile(join(gen, name), text);
      await runStep('building the guest agents', 'make', ['-C', AGENT_DIR, `OUT=${join(out, 'bin')}`, `GEN=${gen}`], {
        log,
      });
    } finally {
      await rm(gen, { recursive: true, force: true });
    }
  });
  return { dir: join(entry.dir, 'bin'), key: entry.manifest.key, built: entry.built };
}
