import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { patchedFiles } from '../../harness/build/kernel-source.ts';
import { PATCH_DIR } from '../../harness/build/kernel.ts';

describe('patched files (touched so that a shrinking patch set still rebuilds them)', () => {
  it('names every file a unified diff changes', () => {
    const diff = '--- a/x/y.c\n+++ b/x/y.c\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/Kconfig b/Kconfig\n--- a/Kconfig\n+++ b/Kconfig\n';
    expect(patchedFiles(diff)).to.deep.equal(['x/y.c', 'Kconfig']);
  });

  it('finds the file of the project\'s own kernel patch', () => {
    const [name] = readdirSync(PATCH_DIR).filter((n) => n.endsWith('.patch'));
    expect(patchedFiles(readFileSync(join(PATCH_DIR, name!), 'utf8'))).to.deep.equal(['drivers/net/ethernet/calxeda/Kconfig']);
  });
});
