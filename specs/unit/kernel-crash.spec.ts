// SPDX-License-Identifier: GPL-2.0-only
/** The console lines by which Linux says it crashed, hung or stalled: each is found, and ordinary lines are not. */
import { expect } from 'chai';
import { firstKernelCrash } from '../../harness/judge/kernel-crash.ts';

describe("kernel crash lines on L1's console", () => {
  const cases: Array<[string, string, string]> = [
    [
      '[   41.102934] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
      'oops',
      'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
    ],
    [
      '[   41.2] Internal error: Oops: 0000000096000005 [#1] SMP',
      'oops',
      'Internal error: Oops: 0000000096000005 [#1] SMP',
    ],
    [
      '[   12.0] kernel BUG at drivers/vfio/platform/vfio_platform_common.c:42!',
      'bug',
      'kernel BUG at drivers/vfio/platform/vfio_platform_common.c:42!',
    ],
    [
      '[   66.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [xgmac-reset-pro:301]',
      'lockup',
      'watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [xgmac-reset-pro:301]',
    ],
    [
      '[   12.0] WARNING: CPU: 1 PID: 210 at drivers/vfio/platform/vfio_platform_common.c:279 ' +
        'vfio_platform_close_device+0x8c/0xa0',
      'warning',
      'WARNING: CPU: 1 PID: 210 at drivers/vfio/platform/vfio_platform_common.c:279 ' +
        'vfio_platform_close_device+0x8c/0xa0',
    ],
    [
      '[   99.0] INFO: task xgmac-vfio-driv:210 blocked for more than 20 seconds.',
      'hung task',
      'INFO: task xgmac-vfio-driv:210 blocked for more than 20 seconds.',
    ],
    [
      '[   80.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:',
      'rcu stall',
      'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:',
    ],
    [
      '[   80.0] rcu: INFO: rcu_sched self-detected stall on CPU',
      'rcu stall',
      'rcu: INFO: rcu_sched self-detected stall on CPU',
    ],
    ['[    5.0] Kernel panic - not syncing: Fatal exception', 'panic', 'Kernel panic - not syncing: Fatal exception'],
  ];
  for (const [console, kind, line] of cases) {
    it(`finds a ${kind}: ${line.slice(0, 40)}...`, () => {
      expect(
        firstKernelCrash(`[   10.0] vfio-platform c000000.xgmac: reset\n${console}\n[   99.9] more\n`),
      ).to.deep.equal({ kind, line });
    });
  }

  it('takes the first of several, not the first pattern', () => {
    const text =
      '[ 1.0] Unable to handle kernel paging request at virtual address dead\n' +
      '[ 1.1] Internal error: Oops: 96000004 [#1] SMP\n' +
      '[ 1.2] Kernel panic - not syncing: Oops: Fatal exception\n';
    expect(firstKernelCrash(text)?.line).to.equal('Unable to handle kernel paging request at virtual address dead');
  });

  it('sees nothing in a healthy run: resets, SMMU events, vfio messages', () => {
    const healthy = [
      '[   10.1] vfio-platform c000000.xgmac: reset',
      '[   13.3] arm-smmu-v3 9050000.smmuv3: event 0x10 received:',
      '[   13.3] arm-smmu-v3 9050000.smmuv3: \t0x0000ff0000000010',
      '[   14.0] vfio-platform c000000.xgmac: No reset function found for device c000000.xgmac',
      'vfio-reset: L1 ready (up 1.2 s)',
    ].join('\n');
    expect(firstKernelCrash(healthy)).to.equal(null);
  });
});
