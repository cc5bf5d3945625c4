/** The C agents of guest-agents/, cross-compiled static for arm64 and cached. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { capture, runStep } from './build-step.ts';
import { fileDigests } from '../cache/digest.ts';
import type { CacheStore } from '../cache/store.ts';
import { repoRoot } from '../paths.ts';

export const AGENT_DIR = join(repoRoot, 'guest-agents');

export interface Agents {
  readonly dir: string;
  readonly key: string;
  readonly built: boolean;
}

export async function buildAgents(store: CacheStore): Promise<Agents> {
  const files = (await readdir(AGENT_DIR, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(AGENT_DIR, e.name))
    .sort();
  const inputs = {
    sources: await fileDigests(repoRoot, files),
    toolchain: (await capture('aarch64-linux-gnu-gcc', ['--version'])).split('\n')[0],
    recipe: await fileDigests(repoRoot, [join(repoRoot, 'harness/build/agents.ts')]),
  };
  const entry = await store.obtain('agents', inputs, async (out) => {
    const log = join(out, 'build.log');
    await runStep('building the guest agents', 'make', ['-C', AGENT_DIR, `OUT=${join(out, 'bin')}`], { log });
  });
  return { dir: join(entry.dir, 'bin'), key: entry.manifest.key, built: entry.built };
}
