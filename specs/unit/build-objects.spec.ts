// SPDX-License-Identifier: GPL-2.0-only
/** The bench's count of a build's objects per subsystem, on a made-up tree of each kind. */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { kernelObjects, qemuObjects, summary } from '../tools/build-objects.ts';

async function tree(files: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vfio-reset-objects-'));
  for (const f of files) {
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), '');
  }
  return dir;
}

describe('objects per subsystem', () => {
  it("groups the kernel's by directory, arch/drivers/fs/net one level further", async () => {
    const dir = await tree([
      'kernel/fork.o',
      'kernel/sched/core.o',
      'drivers/vfio/vfio_main.o',
      'drivers/vfio/platform/vfio_platform.o',
      'fs/ext4/inode.o',
      'fs/open.o',
      'drivers/vfio/vfio_main.c',
    ]);
    try {
      expect(kernelObjects(dir)).to.deep.equal({ 'drivers/vfio': 2, kernel: 2, 'fs/ext4': 1, fs: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("groups QEMU's by the source directory meson names them after", async () => {
    const dir = await tree([
      'libcommon.a.p/hw_net_xgmac.c.o',
      'libcommon.a.p/hw_net_e1000.c.o',
      'libqemuutil.a.p/util_qemu-thread-posix.c.o',
      'libqemuutil.a.p/meson-generated_.._qapi_types.c.o',
    ]);
    try {
      const counts = qemuObjects(dir);
      expect(counts).to.deep.equal({ 'hw/net': 2, util: 1, '(generated)': 1 });
      expect(summary(counts, 1)).to.equal('4 objects: hw/net 2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
