// SPDX-License-Identifier: GPL-2.0-only
/**
 * Unix socket paths for QEMU's control sockets (QMP gives whoever connects
 * the whole machine): in a directory of this process's own, mode 0700, so
 * that no other user can connect to them or take their names first; and
 * short enough for sun_path (108 bytes) whatever the depth of the run
 * directory (QEMU refuses longer ones: "UNIX socket path ... is too long").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

let privateDir: string | undefined;

/** The process's socket directory, made on first use (mkdtemp makes it 0700) and removed when the process exits. */
export function socketDir(): string {
  if (privateDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-reset-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    privateDir = dir;
  }
  return privateDir;
}

export function shortSocketPath(name: string): string {
  return join(socketDir(), `${name}-${randomBytes(3).toString('hex')}.sock`);
}
