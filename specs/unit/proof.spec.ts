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
    for (const scenario of SCENARIOS) {
      // The controls whose device keeps its receiver running: the others leave it nothing to write.
      for (const control of [...WHOLE_CONTROLS, 'device-keeps-rx'] as const) {
        expect(mustFire({ scenario, control, pattern: 'silent-until-reassigned' })).to.include('user2-memory');
        expect(mustFire({ scenario, control, pattern: 'continuous' })).to.not.include('user2-memory');
      }
    }
  });

  it('proves a device left armed but idle (transmitter or interrupt sources) by its registers alone', () => {
    for (const pattern of TRAFFIC_PATTERNS)
      for (const control of ['device-keeps-tx', 'device-keeps-irq'] as const) {
        expect(mustFire({ scenario: 'raw-driver', control, pattern })).to.deep.equal([
          'l0-device-state',
          'user2-registers',
        ]);
        expect(mustFire({ scenario: 'vm', control, pattern })).to.deep.equal(['l0-device-state']);
      }
  });

  it('says what the silent pattern alone cannot see (a reset skipped at release, done at open)', () => {
    expect(blindSpotsOf(['silent-until-reassigned'])).to.have.length(1);
    expect(blindSpotsOf(['silent-until-reassigned'])[0]).to.match(/skips the reset at release but resets at open/);
    expect(blindSpotsOf(['continuous'])).to.deep.equal([]);
    expect(blindSpotsOf([...TRAFFIC_PATTERNS])).to.deep.equal([]);
  });
});
