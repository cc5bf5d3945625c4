// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeDropped,
  droppedOptions,
  parseConfig,
  requestsOf,
  type OptionValue,
} from '../../harness/recipes/kernel-config.ts';
import { repoRoot } from '../../harness/lib/paths.ts';

const set = (value: string): OptionValue => ({ kind: 'set', value });
const unset: OptionValue = { kind: 'unset' };

describe('parseConfig', () => {
  it('reads =y, =m, strings, numbers, "# ... is not set" and =n', () => {
    const config = parseConfig(
      [
        '# a comment',
        'CONFIG_KVM=y',
        'CONFIG_NET_CALXEDA_XGMAC=m',
        'CONFIG_LOCALVERSION="-vfio-reset"',
        'CONFIG_PANIC_TIMEOUT=-1',
        '# CONFIG_STRICT_DEVMEM is not set',
        'CONFIG_DEBUG_INFO=n',
        '',
      ].join('\n'),
    );
    expect([...config]).to.deep.equal([
      ['CONFIG_KVM', set('y')],
      ['CONFIG_NET_CALXEDA_XGMAC', set('m')],
      ['CONFIG_LOCALVERSION', set('"-vfio-reset"')],
      ['CONFIG_PANIC_TIMEOUT', set('-1')],
      ['CONFIG_STRICT_DEVMEM', unset],
      ['CONFIG_DEBUG_INFO', unset],
    ]);
  });

  it('lets a later line override an earlier one', () => {
    expect(parseConfig('CONFIG_KVM=y\n# CONFIG_KVM is not set\n').get('CONFIG_KVM')).to.deep.equal(unset);
    expect(parseConfig('# CONFIG_KVM is not set\nCONFIG_KVM=y\n').get('CONFIG_KVM')).to.deep.equal(set('y'));
  });

  it('ignores ordinary comments that merely mention an option', () => {
    expect(parseConfig('# CONFIG_KVM=y would be nice\n# see CONFIG_VFIO\n').size).to.equal(0);
  });
});

describe('requestsOf', () => {
  it('lets a later fragment override an earlier one and names the fragment that wins', () => {
    const requests = requestsOf([
      { name: 'base.config', text: 'CONFIG_DEVMEM=y\nCONFIG_KVM=y\n' },
      { name: 'control.config', text: '# CONFIG_KVM is not set\n' },
    ]);
    expect(requests).to.deep.equal([
      { option: 'CONFIG_DEVMEM', want: set('y'), fragment: 'base.config' },
      { option: 'CONFIG_KVM', want: unset, fragment: 'control.config' },
    ]);
  });
});

describe('droppedOptions', () => {
  it('reports an option set to y that Kconfig dropped (CONFIG_VIRTIO_BLK without CONFIG_BLK_DEV)', () => {
    const requests = requestsOf([{ name: 'virtio.config', text: 'CONFIG_VIRTIO_MMIO=y\nCONFIG_VIRTIO_BLK=y\n' }]);
    // What olddefconfig wrote: BLK_DEV off, so VIRTIO_BLK has no line at all.
    const resolved = 'CONFIG_VIRTIO_MMIO=y\n# CONFIG_BLK_DEV is not set\n';
    expect(droppedOptions(requests, resolved)).to.deep.equal([
      { request: { option: 'CONFIG_VIRTIO_BLK', want: set('y'), fragment: 'virtio.config' }, got: unset },
    ]);
  });

  it('reports a module (=m) that became built in (=y)', () => {
    const requests = requestsOf([
      { name: 'vfio-platform.config', text: 'CONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET=m\n' },
    ]);
    const dropped = droppedOptions(requests, 'CONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET=y\n');
    expect(dropped.map((d) => [d.request.option, d.got])).to.deep.equal([
      ['CONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET', set('y')],
    ]);
  });

  it('reports an option asked to be unset that is set', () => {
    const requests = requestsOf([{ name: 'base.config', text: '# CONFIG_STRICT_DEVMEM is not set\n' }]);
    const dropped = droppedOptions(requests, 'CONFIG_DEVMEM=y\nCONFIG_STRICT_DEVMEM=y\n');
    expect(dropped).to.deep.equal([
      { request: { option: 'CONFIG_STRICT_DEVMEM', want: unset, fragment: 'base.config' }, got: set('y') },
    ]);
  });

  it('reports a changed value (a string or a number)', () => {
    const requests = requestsOf([
      { name: 'base.config', text: 'CONFIG_PANIC_TIMEOUT=-1\nCONFIG_LOCALVERSION="-vfio-reset"\n' },
    ]);
    const dropped = droppedOptions(requests, 'CONFIG_PANIC_TIMEOUT=0\nCONFIG_LOCALVERSION=""\n');
    expect(dropped.map((d) => d.request.option)).to.deep.equal(['CONFIG_PANIC_TIMEOUT', 'CONFIG_LOCALVERSION']);
  });

  it('reports nothing when every request is honoured, "unset" being met by an absent line too', () => {
    const requests = requestsOf([
      {
        name: 'base.config',
        text:
          'CONFIG_KVM=y\nCONFIG_NET_CALXEDA_XGMAC=m\n# CONFIG_STRICT_DEVMEM is not set\n' +
          'CONFIG_DEBUG_INFO=n\nCONFIG_PANIC_TIMEOUT=-1\n',
      },
    ]);
    const resolved =
      'CONFIG_KVM=y\nCONFIG_NET_CALXEDA_XGMAC=m\n# CONFIG_DEBUG_INFO is not set\n' +
      'CONFIG_PANIC_TIMEOUT=-1\nCONFIG_OTHER=y\n';
    expect(droppedOptions(requests, resolved)).to.deep.equal([]);
  });

  it('judges by the fragment that wins: an override in a later fragment is what must hold', () => {
    const requests = requestsOf([
      { name: 'base.config', text: 'CONFIG_KVM=y\n' },
      { name: 'control.config', text: '# CONFIG_KVM is not set\n' },
    ]);
    expect(droppedOptions(requests, '# CONFIG_KVM is not set\n')).to.deep.equal([]);
    expect(droppedOptions(requests, 'CONFIG_KVM=y\n').map((d) => d.request.fragment)).to.deep.equal(['control.config']);
  });
});

describe('describeDropped', () => {
  it('names each option, the fragment that asked, what it asked and what it got', () => {
    const requests = requestsOf([
      { name: 'virtio.config', text: 'CONFIG_VIRTIO_BLK=y\n' },
      { name: 'base.config', text: '# CONFIG_STRICT_DEVMEM is not set\n' },
    ]);
    const text = describeDropped(droppedOptions(requests, 'CONFIG_STRICT_DEVMEM=y\n'));
    expect(text).to.equal(
      'CONFIG_VIRTIO_BLK (virtio.config asks y, got not set), CONFIG_STRICT_DEVMEM (base.config asks not set, got y)',
    );
  });
});

describe('the project fragments in kernel-config/', () => {
  let wants: Map<string, { want: OptionValue; fragment: string }>;
  let names: string[];

  before(async () => {
    const dir = join(repoRoot, 'kernel-config');
    names = (await readdir(dir)).filter((n) => n.endsWith('.config')).sort();
    const fragments = await Promise.all(
      names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })),
    );
    wants = new Map(requestsOf(fragments).map((r) => [r.option, { want: r.want, fragment: r.fragment }]));
  });

  it('each ask for something (a fragment that asks for nothing is a mistake)', () => {
    const asking = new Set([...wants.values()].map((w) => w.fragment));
    expect(names.filter((n) => !asking.has(n))).to.deep.equal([]);
    expect(names).to.include.members(['base.config', 'vfio-platform.config']);
  });

  const required: Array<[string, OptionValue, string]> = [
    ['CONFIG_VFIO_PLATFORM', set('y'), 'the driver that hands the XGMAC to userspace'],
    [
      'CONFIG_VFIO_PLATFORM_CALXEDAXGMAC_RESET',
      set('m'),
      'the reset handler, a module so that a control run can leave it out',
    ],
    ['CONFIG_NET_CALXEDA_XGMAC', set('m'), "L2's own driver for the passed-through XGMAC"],
    ['CONFIG_KVM', set('y'), 'L1 runs nested guests under KVM'],
    ['CONFIG_ARM_SMMU_V3', set('y'), 'IOMMU groups for vfio'],
    ['CONFIG_DEVMEM', set('y'), 'agents read guest RAM and GIC state through /dev/mem'],
    ['CONFIG_STRICT_DEVMEM', unset, '/dev/mem must reach all of RAM'],
    ['CONFIG_PANIC_TIMEOUT', set('-1'), 'a panic reboots at once, which -no-reboot turns into an exit'],
  ];
  for (const [option, want, why] of required) {
    it(`ask for ${option}${want.kind === 'unset' ? ' not set' : `=${want.value}`} (${why})`, () => {
      const got = wants.get(option);
      expect(got, `${option} is requested by no fragment`).to.not.equal(undefined);
      expect(got?.want).to.deep.equal(want);
    });
  }
});
