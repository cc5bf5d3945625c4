// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { notAnArm64Image, releaseFromBanner } from '../../harness/recipes/kernel-image.ts';

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

describe('a built kernel Image, checked before it is cached', () => {
  const banner = Buffer.from('Linux version 6.12.95-vfio-reset (vfio-reset@vfio-reset) #1 SMP\n');
  const header = () => {
    const h = Buffer.alloc(64);
    h.writeUInt32LE(0x644d5241, 0x38);
    return h;
  };

  it('is accepted with the arm64 magic and a Linux banner', () => {
    expect(notAnArm64Image(Buffer.concat([header(), Buffer.alloc(4096), banner]))).to.equal(null);
  });

  it('is refused truncated, without the magic, or without a banner', () => {
    expect(notAnArm64Image(header().subarray(0, 40))).to.match(/no "ARMd" magic/);
    expect(notAnArm64Image(Buffer.concat([Buffer.alloc(64), banner]))).to.match(/no "ARMd" magic/);
    expect(notAnArm64Image(Buffer.concat([header(), Buffer.alloc(4096)]))).to.equal('has no "Linux version" banner');
  });
});
