// SPDX-License-Identifier: GPL-2.0-only
/** Build times are measurements beside the cache: a torn file must never fail a finished build. */
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildTimes, recordBuildTime } from '../../harness/cache/build-times.ts';

describe('build times', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'vfio-reset-times-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('records cold and incremental times per artifact, in place, leaving no temporary file', async () => {
    await recordBuildTime(root, 'kernel', true, 374.4);
    await recordBuildTime(root, 'kernel', false, 11);
    const times = await readBuildTimes(root);
    expect(times['kernel']?.cold?.seconds).to.equal(374);
    expect(times['kernel']?.incremental?.seconds).to.equal(11);
    expect(await readdir(root)).to.deep.equal(['build-times.json']);
    await recordBuildTime(root, 'kernel', true, 380, 1402);
    expect((await readBuildTimes(root))['kernel']?.cold).to.include({ seconds: 380, steps: 1402 });
    expect((await readBuildTimes(root))['kernel']?.incremental?.seconds, 'the other record stays').to.equal(11);
  });

  it('starts afresh from a torn or foreign file instead of failing the build that records', async () => {
    for (const torn of ['{"kernel": {"cold": {"sec', '[1, 2]', 'null']) {
      await writeFile(join(root, 'build-times.json'), torn);
      expect(await readBuildTimes(root)).to.deep.equal({});
      await recordBuildTime(root, 'qemu', true, 480);
      expect(JSON.parse(await readFile(join(root, 'build-times.json'), 'utf8'))).to.have.nested.property(
        'qemu.cold.seconds',
        480,
      );
    }
  });
});
