// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { releaseFromBanner } from '../../harness/recipes/kernel-image.ts';

describe('prebuilt kernel Image', () => {
  it('reads the release from the Linux banner inside the Image', () => {
    const image = Buffer.concat([
      Buffer.alloc(4096),
      Buffer.from('Linux version 6.12.95-vfio-reset (vfio-reset@vfio-reset) (aarch64-linux-gnu-gcc) #1 SMP\n'),
      Buffer.alloc(64),
    ]);
    expect(releaseFromBanner(image)).to.equal('6.12.95-vfio-reset');
    expect(releaseFromBanner(Buffer.alloc(4096))).to.equal(null);
  });
});
