// SPDX-License-Identifier: GPL-2.0-only
/** `vfio-reset images build|list|prune`: the content-addressed cache of built artifacts. */
import type { ParseArgsConfig } from 'node:util';
import { CacheStore } from '../cache/store.ts';
import { cacheRoot } from '../lib/paths.ts';
import { buildStack } from '../recipes/stack.ts';
import { stderrProgress } from '../lib/progress.ts';
import { InputError } from '../lib/errors.ts';
import { EXIT } from '../lib/exit-codes.ts';
import { kernelRequestOf, defineCommand } from './command.ts';

const OPTIONS = {
  'kernel-tree': { type: 'string' },
  patches: { type: 'string' },
  'kernel-image': { type: 'string' },
  'kernel-modules': { type: 'string' },
  qemu: { type: 'string' },
  'older-than-days': { type: 'string' },
  all: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

export const imagesCommand = defineCommand({
  name: 'images',
  summary: 'build, list and prune the cache of built artifacts',
  usage: `usage: vfio-reset images build [--kernel-tree DIR] [--qemu PATH]
       vfio-reset images list
       vfio-reset images prune [--older-than-days N | --all]

build   builds (or finds) every artifact a run needs and prints their cache keys
list    every cache entry: kind and key, state (ok, corrupt), size, last use
prune   removes corrupt entries, entries and work trees (kernel and QEMU sources and
        build directories) unused for N days (default 30; --all: every one), and the
        temporary directories of builds that died
The cache: ${cacheRoot()}
`,
  options: OPTIONS,
  positionals: true,
  async run({ values, positionals }) {
    const [action, ...extra] = positionals;
    if (values.help || action === undefined) {
      process.stdout.write(this.usage);
      return values.help ? EXIT.good : EXIT.usage;
    }
    if (extra.length > 0) throw new InputError(`unexpected arguments: ${extra.join(' ')}`);
    const store = new CacheStore(cacheRoot());
    switch (action) {
      case 'build': {
        const kernel = await kernelRequestOf(values);
        const stack = await buildStack(store, { kernel, qemu: values.qemu }, stderrProgress);
        const rows = [
          ['qemu', stack.qemu.binary],
          ['kernel', stack.kernel.dir],
          ['debian-base', stack.base.tarball],
          ['agents', stack.agents.dir],
          ['l2-initramfs', stack.l2.path],
          ['l1-image', stack.l1Image.path],
        ];
        process.stdout.write(
          `${rows.map(([k, v]) => `${k!.padEnd(13)} ${v}`).join('\n')}\nbuilt in ${stack.buildSeconds.toFixed(0)} s\n`,
        );
        return EXIT.good;
      }
      case 'list': {
        const entries = await store.list();
        for (const e of entries)
          process.stdout.write(
            `${e.state.padEnd(8)} ${mib(e.bytes).padStart(11)}  ${e.lastUsed.toISOString().slice(0, 16)}  ${e.name}\n`,
          );
        process.stdout.write(
          `${entries.length} entries, ${mib(entries.reduce((s, e) => s + e.bytes, 0))} in ${store.root}\n`,
        );
        return EXIT.good;
      }
      case 'prune': {
        const raw = values['older-than-days'] ?? '30';
        // Number('') is 0: an empty value must not mean "everything".
        if (!values.all && !/^\d+(\.\d+)?$/.test(raw))
          throw new InputError(`--older-than-days '${raw}' must be a number of days (or --all to remove everything)`);
        const days = values.all ? 0 : Number(raw);
        const removed = await store.prune(days * 24 * 3600 * 1000);
        for (const name of removed) process.stdout.write(`removed ${name}\n`);
        process.stdout.write(`${removed.length} removed\n`);
        return EXIT.good;
      }
      default:
        throw new InputError(`unknown images action '${action}'; use build, list or prune`);
    }
  },
});
