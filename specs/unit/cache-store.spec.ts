// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import {
  appendFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore, MANIFEST, type CacheEntry } from '../../harness/cache/store.ts';
import { canonicalJson, sha256 } from '../../harness/cache/digest.ts';
import { rejectionOf } from '../support.ts';

describe('canonicalJson', () => {
  it('is the same for objects whose keys come in a different order, at any depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: 'x' } })).to.equal(
      canonicalJson({ a: { c: 'x', d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).to.equal('{"a":2,"b":1}');
  });

  it('keeps array order and drops undefined properties', () => {
    expect(canonicalJson([1, 2])).to.not.equal(canonicalJson([2, 1]));
    expect(canonicalJson({ a: 1, b: undefined })).to.equal(canonicalJson({ a: 1 }));
  });
});

describe('CacheStore', () => {
  let root: string;
  let store: CacheStore;
  let builds: number;
  let stderr: string;
  const realWrite = process.stderr.write.bind(process.stderr);

  /** A build that writes two files (one in a subdirectory) and a symlink. */
  const build = async (out: string): Promise<void> => {
    builds++;
    await writeFile(join(out, 'Image'), 'kernel image');
    await mkdir(join(out, 'modules'));
    await writeFile(join(out, 'modules', 'xgmac.ko'), 'module');
    await symlink('Image', join(out, 'vmlinuz'));
  };
  const inputs = { config: 'abc', patches: ['p1', 'p2'] };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cache-spec-'));
    store = new CacheStore(root);
    builds = 0;
    stderr = '';
    // obtain() reports a corrupt entry on stderr: keep it out of the spec output, but keep it.
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    }) as typeof process.stderr.write;
  });

  afterEach(async () => {
    process.stderr.write = realWrite;
    await rm(root, { recursive: true, force: true });
  });

  describe('keys', () => {
    it('are the same whatever the key order of the inputs', () => {
      expect(store.keyOf('kernel', { config: 'abc', patches: ['p1'], source: { tag: 'v6.9' } })).to.equal(
        store.keyOf('kernel', { source: { tag: 'v6.9' }, patches: ['p1'], config: 'abc' }),
      );
    });

    it('change when any input, however deep, or the kind changes', () => {
      const key = store.keyOf('kernel', { config: 'abc', patches: ['p1', 'p2'], source: { tag: 'v6.9' } });
      const variants = [
        store.keyOf('kernel', { config: 'abd', patches: ['p1', 'p2'], source: { tag: 'v6.9' } }),
        store.keyOf('kernel', { config: 'abc', patches: ['p2', 'p1'], source: { tag: 'v6.9' } }),
        store.keyOf('kernel', { config: 'abc', patches: ['p1', 'p2'], source: { tag: 'v6.10' } }),
        store.keyOf('kernel', { config: 'abc', patches: ['p1', 'p2'], source: { tag: 'v6.9' }, extra: 1 }),
        store.keyOf('l1-image', { config: 'abc', patches: ['p1', 'p2'], source: { tag: 'v6.9' } }),
      ];
      expect(new Set([key, ...variants]).size).to.equal(variants.length + 1);
    });

    it('are 32 hex digits and name the entry directory with the kind', () => {
      const key = store.keyOf('kernel', inputs);
      expect(key).to.match(/^[0-9a-f]{32}$/);
      expect(store.entryDir('kernel', key)).to.equal(join(root, 'store', `kernel-${key}`));
    });
  });

  describe('obtain', () => {
    it('builds a missing entry once; the second obtain finds it and does not build', async () => {
      const first = await store.obtain('kernel', inputs, build);
      expect(first.built).to.equal(true);
      const second = await store.obtain('kernel', { patches: ['p1', 'p2'], config: 'abc' }, build);
      expect(second.built).to.equal(false);
      expect(second.dir).to.equal(first.dir);
      expect(builds).to.equal(1);
      expect(await readFile(join(second.dir, 'Image'), 'utf8')).to.equal('kernel image');
    });

    it('records every file with its size and sha256, and every symlink with its target, in the manifest', async () => {
      const { dir, manifest } = await store.obtain('kernel', inputs, build);
      expect(manifest.kind).to.equal('kernel');
      expect(manifest.key).to.equal(store.keyOf('kernel', inputs));
      expect(manifest.inputs).to.deep.equal(inputs);
      expect(manifest.files).to.deep.equal({
        Image: { size: 12, sha256: sha256('kernel image') },
        'modules/xgmac.ko': { size: 6, sha256: sha256('module') },
      });
      expect(manifest.symlinks).to.deep.equal({ vmlinuz: 'Image' });
      expect(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'))).to.deep.equal(manifest);
    });

    it('builds an entry asked for twice at once only once: the second waits and takes it', async () => {
      const slow = async (out: string) => {
        await new Promise((r) => setTimeout(r, 700));
        await build(out);
      };
      const [a, b] = await Promise.all([store.obtain('kernel', inputs, slow), store.obtain('kernel', inputs, slow)]);
      expect(builds).to.equal(1);
      expect([a.built, b.built].sort()).to.deep.equal([false, true]);
      expect(a.dir).to.equal(b.dir);
      expect(stderr).to.match(/cache: waiting for harness pid \d+, which is building kernel-/);
    });

    it('builds a separate entry for different inputs', async () => {
      const a = await store.obtain('kernel', inputs, build);
      const b = await store.obtain('kernel', { ...inputs, config: 'other' }, build);
      expect(b.built).to.equal(true);
      expect(b.dir).to.not.equal(a.dir);
      expect(builds).to.equal(2);
    });

    it('leaves no entry and no temporary directory when the build throws', async () => {
      const error = await rejectionOf(
        store.obtain('kernel', inputs, async (out) => {
          await writeFile(join(out, 'half-written'), 'x');
          throw new Error('make failed');
        }),
      );
      expect(error.message).to.equal('make failed');
      expect(existsSync(store.entryDir('kernel', store.keyOf('kernel', inputs)))).to.equal(false);
      expect(await readdir(join(root, 'tmp'))).to.deep.equal([]);
      expect(await store.verify(store.entryDir('kernel', store.keyOf('kernel', inputs)))).to.deep.equal({
        kind: 'missing',
      });
    });

    it('rebuilds a directory that has no manifest (an entry left half-made)', async () => {
      const dir = store.entryDir('kernel', store.keyOf('kernel', inputs));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'Image'), 'half');
      expect(await store.verify(dir)).to.deep.equal({ kind: 'corrupt', detail: 'no manifest' });
      const entry = await store.obtain('kernel', inputs, build);
      expect(entry.built).to.equal(true);
      expect(await readFile(join(dir, 'Image'), 'utf8')).to.equal('kernel image');
      expect(await store.verify(dir)).to.have.property('manifest');
    });
  });

  describe('damage to an entry is detected by verify() and repaired by obtain()', () => {
    const damages: Array<{ what: string; damage: (dir: string) => Promise<void>; detail: RegExp }> = [
      {
        what: 'a truncated file',
        damage: (dir) => truncate(join(dir, 'Image'), 4),
        detail: /^Image has 4 bytes, manifest says 12$/,
      },
      {
        what: 'a file modified in place (same size)',
        damage: (dir) => writeFile(join(dir, 'Image'), 'KERNEL image'),
        detail: /^Image does not match its sha256$/,
      },
      {
        what: 'a file that grew',
        damage: (dir) => appendFile(join(dir, 'modules', 'xgmac.ko'), '!'),
        detail: /^modules\/xgmac\.ko has 7 bytes/,
      },
      {
        what: 'a deleted file',
        damage: (dir) => rm(join(dir, 'modules', 'xgmac.ko')),
        detail: /^modules\/xgmac\.ko is missing$/,
      },
      {
        what: 'an extra file',
        damage: (dir) => writeFile(join(dir, 'modules', 'stray.ko'), ''),
        detail: /^modules\/stray\.ko is not in the manifest$/,
      },
      {
        what: 'a deleted symlink',
        damage: (dir) => rm(join(dir, 'vmlinuz')),
        detail: /^symlink vmlinuz is missing or changed$/,
      },
      {
        what: 'a symlink pointing elsewhere',
        damage: async (dir) => {
          await rm(join(dir, 'vmlinuz'));
          await symlink('modules/xgmac.ko', join(dir, 'vmlinuz'));
        },
        detail: /^symlink vmlinuz is missing or changed$/,
      },
      {
        what: 'an extra symlink',
        damage: (dir) => symlink('Image', join(dir, 'zImage')),
        detail: /^symlink zImage is not in the manifest$/,
      },
    ];

    for (const { what, damage, detail } of damages) {
      it(`${what}`, async () => {
        const first: CacheEntry = await store.obtain('kernel', inputs, build);
        await damage(first.dir);
        const found = await store.verify(first.dir);
        expect(found).to.have.property('kind', 'corrupt');
        expect((found as { detail: string }).detail).to.match(detail);
        const again = await store.obtain('kernel', inputs, build);
        expect(again.built, 'a corrupt entry must be rebuilt').to.equal(true);
        expect(builds).to.equal(2);
        expect(stderr).to.contain('is corrupt');
        expect(await store.verify(again.dir)).to.have.property('manifest');
        expect(await readFile(join(again.dir, 'Image'), 'utf8')).to.equal('kernel image');
      });
    }
  });

  it('list() names every entry with its state: ok or corrupt', async () => {
    const good = await store.obtain('kernel', inputs, build);
    const bad = await store.obtain('l1-image', inputs, build);
    await truncate(join(bad.dir, 'Image'), 0);
    const listing = await store.list();
    expect(listing.map((e) => [e.dir, e.state])).to.deep.equal(
      [
        [good.dir, 'ok'],
        [bad.dir, 'corrupt'],
      ].sort(),
    );
  });
});

describe('CacheStore.prune', () => {
  it(
    'removes entries unused for longer than the cutoff ' + 'and the temp dirs of dead builds, and keeps the rest',
    async () => {
      const root = await mkdtemp(join(tmpdir(), 'vfio-reset-prune-'));
      try {
        const store = new CacheStore(root);
        const old = await store.obtain('thing', { n: 1 }, async (out) => writeFile(join(out, 'a'), 'a'));
        const fresh = await store.obtain('thing', { n: 2 }, async (out) => writeFile(join(out, 'b'), 'b'));
        const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
        await utimes(old.dir, longAgo, longAgo);
        await mkdir(join(root, 'tmp', 'thing-dead.999999.abcd1234'), { recursive: true });
        await mkdir(join(root, 'tmp', `thing-live.${process.pid}.abcd1234`), { recursive: true });
        const removed = await store.prune(30 * 24 * 3600 * 1000);
        expect(removed.sort()).to.deep.equal([`thing-${old.manifest.key}`, 'tmp/thing-dead.999999.abcd1234']);
        expect(existsSync(fresh.dir)).to.equal(true);
        expect(existsSync(join(root, 'tmp', `thing-live.${process.pid}.abcd1234`))).to.equal(true);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  );

  it('marks an entry as used when it is found again, so that prune keeps it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vfio-reset-prune-'));
    try {
      const store = new CacheStore(root);
      const entry = await store.obtain('thing', { n: 1 }, async (out) => writeFile(join(out, 'a'), 'a'));
      const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
      await utimes(entry.dir, longAgo, longAgo);
      await store.obtain('thing', { n: 1 }, async () => expect.fail('must not rebuild'));
      expect(await store.prune(30 * 24 * 3600 * 1000)).to.deep.equal([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
