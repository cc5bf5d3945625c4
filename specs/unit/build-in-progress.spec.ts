// SPDX-License-Identifier: GPL-2.0-only
/** A build tree left by an interrupted build: what that build wrote is discarded before the next one. */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInProgress, IN_PROGRESS_MARKER } from '../../harness/recipes/build-in-progress.ts';

describe('incremental build trees', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vfio-reset-build-tree-'));
    await mkdir(join(dir, 'drivers', 'vfio'), { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const old = new Date(Date.now() - 3600_000);
  const olderThanMarker = async (path: string) => {
    await writeFile(path, 'complete');
    await utimes(path, old, old);
  };

  it('leave no marker after a build that finished, and discard nothing in a tree without one', async () => {
    await olderThanMarker(join(dir, 'drivers', 'vfio', 'a.o'));
    const { result, discarded } = await buildInProgress(dir, async () => {
      expect(existsSync(join(dir, IN_PROGRESS_MARKER)), 'marked while it runs').to.equal(true);
      await writeFile(join(dir, 'drivers', 'vfio', 'b.o'), 'new');
      return 42;
    });
    expect({ result, discarded }).to.deep.equal({ result: 42, discarded: 0 });
    expect(existsSync(join(dir, IN_PROGRESS_MARKER))).to.equal(false);
    expect(existsSync(join(dir, 'drivers', 'vfio', 'b.o'))).to.equal(true);
  });

  it('after an interrupted build, delete what it wrote and keep what was there before', async () => {
    await olderThanMarker(join(dir, 'drivers', 'vfio', 'before.o'));
    // The interrupted build: marker made, then a half-written object, then the process killed.
    await buildInProgress(dir, async () => {
      await writeFile(join(dir, 'drivers', 'vfio', 'half.o'), 'half');
      throw new Error('killed');
    }).catch(() => {});
    expect(existsSync(join(dir, IN_PROGRESS_MARKER)), 'a build that did not finish leaves its marker').to.equal(true);
    const { discarded } = await buildInProgress(dir, async () => {
      expect(existsSync(join(dir, 'drivers', 'vfio', 'half.o')), 'gone before the build runs').to.equal(false);
    });
    expect(discarded).to.equal(1);
    expect(existsSync(join(dir, 'drivers', 'vfio', 'before.o'))).to.equal(true);
  });
});
