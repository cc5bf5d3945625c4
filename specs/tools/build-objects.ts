// SPDX-License-Identifier: GPL-2.0-only
/**
 * Where a cold build's compile time goes: the objects of the kernel's and
 * QEMU's work trees, counted per subsystem (the kernel's by directory, two
 * levels under arch/, drivers/, fs/ and net/; QEMU's by the source directory
 * meson encodes in each object's name). For `npm run bench`, or alone:
 *   npx tsx specs/tools/build-objects.ts KERNEL_BUILD_DIR QEMU_BUILD_DIR
 */
import { readdirSync } from 'node:fs';

const objects = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.o'));

/** The kernel's objects per directory: arch/, drivers/, fs/ and net/ split one level further. */
export function kernelObjects(buildDir: string): Record<string, number> {
  return countBy(objects(buildDir), (f) => {
    const parts = f.split('/');
    return ['arch', 'drivers', 'fs', 'net'].includes(parts[0]!) && parts.length > 2
      ? `${parts[0]}/${parts[1]}`
      : parts.length > 1
        ? parts[0]!
        : '(top)';
  });
}

/** QEMU's objects per source directory: meson names them after it ("libcommon.a.p/hw_net_xgmac.c.o"). */
export function qemuObjects(buildDir: string): Record<string, number> {
  return countBy(objects(buildDir), (f) => {
    const name = f.split('/').at(-1)!;
    if (name.startsWith('meson-generated_')) return '(generated)';
    const parts = name.split('_');
    return parts.length > 2 && ['hw', 'target', 'accel'].includes(parts[0]!)
      ? `${parts[0]}/${parts[1]}`
      : parts.length > 1
        ? parts[0]!
        : '(top)';
  });
}

function countBy(files: readonly string[], keyOf: (f: string) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(keyOf(f), (counts.get(keyOf(f)) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/** The `top` largest groups and the total, one line. */
export function summary(counts: Record<string, number>, top = 10): string {
  const total = Object.values(counts).reduce((a, n) => a + n, 0);
  const head = Object.entries(counts)
    .slice(0, top)
    .map(([k, n]) => `${k} ${n}`);
  return `${total} objects: ${head.join(', ')}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [kernel, qemu] = process.argv.slice(2);
  if (kernel !== undefined) console.log(`kernel ${summary(kernelObjects(kernel))}`);
  if (qemu !== undefined) console.log(`qemu   ${summary(qemuObjects(qemu))}`);
}
