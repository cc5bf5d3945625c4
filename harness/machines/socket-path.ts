// SPDX-License-Identifier: GPL-2.0-only
/**
 * A unix socket path short enough for sun_path (108 bytes), whatever the
 * depth of the run directory: QEMU refuses longer ones ("UNIX socket path
 * ... is too long", seen here with bisect artifact directories).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function shortSocketPath(name: string): string {
  return join(tmpdir(), `vfio-reset-${process.pid}-${randomBytes(3).toString('hex')}-${name}.sock`);
}
