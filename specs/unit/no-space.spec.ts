// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { noSpaceLine } from '../../harness/lib/errors.ts';
import { rejectionOf } from '../support.ts';

describe('a full filesystem, said in one line (noSpaceLine)', () => {
  it('names both places it can be for a real ENOSPC, whose write names no file (a write to /dev/full)', async () => {
    const error = await rejectionOf(writeFile('/dev/full', 'x'));
    expect(noSpaceLine(error, '/root/.cache/vfio-reset')).to.equal(
      'no space left on a filesystem the harness writes to (ENOSPC); ' +
        "free space in the cache /root/.cache/vfio-reset ('vfio-reset images prune') or where --output points",
    );
  });

  it('names the file and the fix when the error has one outside the cache', () => {
    const error = Object.assign(new Error('ENOSPC'), { code: 'EDQUOT', path: '/srv/artifacts/report.json' });
    expect(noSpaceLine(error, '/c/vfio-reset')).to.equal(
      'no space left for /srv/artifacts/report.json (EDQUOT); free space there or give --output a larger filesystem',
    );
  });

  it('points at the cache and its prune command when the cache is full', () => {
    const error = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', path: '/c/vfio-reset/tmp/agents-1/bin' });
    expect(noSpaceLine(error, '/c/vfio-reset')).to.equal(
      "no space left for /c/vfio-reset/tmp/agents-1/bin (ENOSPC); free space there ('vfio-reset images prune') " +
        'or point XDG_CACHE_HOME at a larger filesystem',
    );
  });

  it('is null for any other error, which stays an internal error with its stack', () => {
    expect(noSpaceLine(Object.assign(new Error('x'), { code: 'EACCES', path: '/x' }), '/c')).to.equal(null);
    expect(noSpaceLine(new TypeError('x'), '/c')).to.equal(null);
  });
});
