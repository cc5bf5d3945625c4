// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every oracle is proven: in each scenario, every oracle it judges by must
 * be made to fire by at least one negative control under some traffic
 * pattern, or its silence in a scenario run would mean nothing.
 */
import { expect } from 'chai';
import { mustFire } from '../../harness/plan/proof.ts';
import { blindSpotsOf } from '../../harness/plan/hazards.ts';
import { oraclesOf } from '../../harness/plan/scenarios.ts';
import { CONTROLS, SCENARIOS, TRAFFIC_PATTERNS, WHOLE_CONTROLS } from '../../harness/plan/run-spec.ts';

describe('which oracles the controls must make fire', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: every oracle it judges by is in some control's must-fire set`, () => {
      const proven = new Set(
        TRAFFIC_PATTERNS.flatMap((pattern) => CONTROLS.flatMap((control) => mustFire({ scenario, control, pattern }))),
      );
      expect(
        oraclesOf(scenario).filter((o) => !proven.has(o)),
        'oracles no control proves',
      ).to.deep.equal([]);
    });

    it(
      `${scenario}: the device-side control alone proves every oracle ` +
        "(the only control kernels before v6.3 can host, and bisect's default)",
      () => {
        const proven = new Set(
          TRAFFIC_PATTERNS.flatMap((pattern) => mustFire({ scenario, control: 'device-ignores-reset', pattern })),
        );
        expect(oraclesOf(scenario).filter((o) => !proven.has(o))).to.deep.equal([]);
      },
    );

    it(`${scenario}: no control must make fire an oracle the scenario does not judge by`, () => {
      for (const pattern of TRAFFIC_PATTERNS) {
        for (const control of CONTROLS)
          expect(
            mustFire({ scenario, pattern, control }).filter((o) => !oraclesOf(scenario).includes(o)),
            `${pattern}/${control}`,
          ).to.deep.equal([]);
      }
    });
  }

  it('the hazard of stale DMA into the next user is proven only with the network silent until reassignment', () => {
    // The controls whose device keeps its receiver running, in vm, where user #1 sends nothing: with frames all
    // through the window, the held descriptors are spent on faults before the next user's memory is mapped.
    for (const control of [...WHOLE_CONTROLS, 'device-keeps-rx'] as const) {
      expect(mustFire({ scenario: 'vm', control, pattern: 'silent-until-reassigned' })).to.include('user2-memory');
      expect(mustFire({ scenario: 'vm', control, pattern: 'continuous' })).to.not.include('user2-memory');
    }
    expect(mustFire({ scenario: 'raw-driver', control: 'device-keeps-rx', pattern: 'continuous' })).to.not.include(
      'user2-memory',
    );
  });

  it('holds a receiver left running under frames to its reads, not to writes it may have nothing for', () => {
    for (const control of [...WHOLE_CONTROLS, 'device-keeps-rx'] as const) {
      const shows = mustFire({ scenario: 'vm', control, pattern: 'continuous' });
      expect(shows).to.include('l0-dma-read-after-release');
      expect(shows).to.not.include('l0-dma-after-release');
      expect(mustFire({ scenario: 'vm', control, pattern: 'silent-until-reassigned' })).to.include(
        'l0-dma-after-release',
      );
    }
  });

  it('proves a TX engine left running where user #1 kept its ring full: its reads, the wire, the canary', () => {
    for (const pattern of TRAFFIC_PATTERNS)
      for (const control of [...WHOLE_CONTROLS, 'device-keeps-tx'] as const) {
        // The held descriptors fault until the next user maps its memory, then send it and are written back there.
        expect(mustFire({ scenario: 'raw-driver', control, pattern })).to.include.members([
          'l0-dma-read-after-release',
          'l0-smmu-faults',
          'wire-after-release',
          'wire-leak',
          'user2-memory',
        ]);
        expect(mustFire({ scenario: 'vm', control, pattern })).to.not.include('wire-after-release');
      }
  });

  it('proves a device armed but idle (interrupts on, or a transmitter with nothing to send) by its state', () => {
    for (const pattern of TRAFFIC_PATTERNS) {
      expect(mustFire({ scenario: 'raw-driver', control: 'device-keeps-irq', pattern })).to.deep.equal([
        'l0-device-state',
        'user2-registers',
      ]);
      for (const control of ['device-keeps-tx', 'device-keeps-irq'] as const)
        expect(mustFire({ scenario: 'vm', control, pattern })).to.deep.equal(['l0-device-state', 'user2-registers']);
    }
  });

  it('says what the silent pattern alone cannot see (a reset skipped at release, done at open)', () => {
    expect(blindSpotsOf(['silent-until-reassigned'])).to.have.length(1);
    expect(blindSpotsOf(['silent-until-reassigned'])[0]).to.match(/skips the reset at release but resets at open/);
    expect(blindSpotsOf(['continuous'])).to.deep.equal([]);
    expect(blindSpotsOf([...TRAFFIC_PATTERNS])).to.deep.equal([]);
  });
});
