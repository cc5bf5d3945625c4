// SPDX-License-Identifier: GPL-2.0-only
/** The YAML writer: what a YAML reader makes of its output is exactly the data given. */
import { expect } from 'chai';
import { parse } from 'yaml';
import { toYaml, type YamlValue } from '../../harness/lib/yaml-text.ts';

const awkward: YamlValue = {
  plain: 'qemu',
  words: 'vfio platform reset',
  reserved: ['yes', 'No', 'on', 'OFF', 'true', 'null', '~', 'y'],
  numbers: ['1', '1.5', '0x10', '1e3', '010', '-1', '.5'],
  indicators: ['- x', '? x', ': x', '# x', '@x', '`x', '!x', '&x', '*x', '|', '>', '%x', '[x]', '{x}', "'x'", '"x"'],
  inside: ['a: b', 'a #b', 'a\tb', 'line\nbreak', ' lead', 'trail ', '', 'ümlaut', 'back\\slash'],
  shell: ['$AGENTS/vfio-reset-target --signal KILL || lava-test-raise "it failed: $?"'],
  values: [0, 60, -3, 2.5, true, false, null],
  unset: null,
  nested: { list: [{ a: 1, b: ['x', { c: 'd' }] }, ['deep', ['deeper']]], empty: [], none: {} },
};

describe('toYaml', () => {
  it('writes data a YAML reader reads back exactly, awkward strings included', () => {
    expect(parse(toYaml(awkward), { version: '1.1' })).to.deep.equal(awkward);
    expect(parse(toYaml(awkward), { version: '1.2' })).to.deep.equal(awkward);
  });

  it('writes simple words plain and block style, as people write LAVA jobs', () => {
    expect(toYaml({ device_type: 'qemu', actions: [{ deploy: { to: 'tmpfs', timeout: { minutes: 10 } } }] })).to.equal(
      'device_type: qemu\nactions:\n  - deploy:\n      to: tmpfs\n      timeout:\n        minutes: 10\n',
    );
  });

  it('puts a comment first, one "# " line each', () => {
    expect(toYaml({ a: 'b' }, 'made by vfio-reset\nsecond')).to.equal('# made by vfio-reset\n# second\na: b\n');
  });
});
