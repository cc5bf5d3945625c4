// SPDX-License-Identifier: GPL-2.0-only
/**
 * The rules of a verdict, on evidence made to show each one that real
 * runs on the default kernel cannot (an old kernel's bind refusal, a wrong
 * clock, a blind stretch of trace); recorded runs are judged in
 * run-fixtures.spec.ts.
 */
import { expect } from 'chai';
import { judgeRun } from '../../harness/judge/judge.ts';
import { blindStretch, releaseWrites, windowStart } from '../../harness/judge/l0-window.ts';
import { EVIDENCE_FORMAT, type CycleEvidence, type CycleLogs } from '../../harness/judge/evidence.ts';
import { parseTrace } from '../../harness/trace/l0-trace.ts';
import { buildFrame, payloadKey, TX_SEQ_BASE } from '../../harness/traffic/payload.ts';

const KILL = 1_000_000;
const line = (ms: number, rest: string) => `1@${(ms / 1000).toFixed(6)}:${rest}`;
/** A trace of a reset that took: user #1's DMA, the reset's writes, then a frame dropped every 5 ms until `until`. */
function quietTrace(until: number, gapAt: number | null = null): string[] {
  const lines = [
    line(KILL - 200, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x1a0c1 mac_control=0xc'),
    line(KILL - 100, 'xgmac_dma xgmac=0 dir=write what=rx-buf iova=0x10001000 len=142 result=ok'),
    line(KILL - 99, 'xgmac_irq xgmac=0 line=0 level=1'),
    line(KILL - 98, 'xgmac_irq xgmac=0 line=0 level=0'),
    line(KILL + 20, 'xgmac_mmio_write xgmac=0 offset=0xf1c value=0x0'),
    line(KILL + 20, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x0 mac_control=0xc'),
    line(KILL + 21, 'xgmac_mmio_write xgmac=0 offset=0xf18 value=0x0'),
    line(KILL + 21, 'xgmac_state xgmac=0 dma_control=0x0 intr_ena=0x0 mac_control=0xc'),
    line(KILL + 22, 'xgmac_mmio_write xgmac=0 offset=0x0 value=0x0'),
    line(KILL + 22, 'xgmac_state xgmac=0 dma_control=0x0 intr_ena=0x0 mac_control=0x0'),
  ];
  for (let t = KILL + 25; t < until; t += 5)
    if (gapAt === null || t < gapAt || t > gapAt + 800)
      lines.push(line(t, 'xgmac_rx_frame xgmac=0 verdict=dropped size=142 reason=rx-stopped'));
  return lines;
}

function evidence(over: Partial<CycleEvidence> = {}): CycleEvidence {
  return {
    format: EVIDENCE_FORMAT,
    spec: { scenario: 'raw-driver', control: 'none', pattern: 'continuous', signal: 'KILL', seed: 's', repetition: 1 },
    startedAt: KILL - 5000,
    endedAt: KILL + 7000,
    marks: { kill: KILL, 'user1-exit': KILL + 40, 'user2-done': KILL + 5500 },
    phases: [],
    bind: { bound: true, resetModuleLoaded: true },
    user1: { frames: 60, irqs: 60, payloadsVerified: 60, live: true },
    l1UptimeAtKillS: 100,
    irqCounts: { atRelease: 10, during: 10 },
    user2: [
      { event: 'irqs-armed', receivedAt: KILL + 3000, indexes: [0, 1, 2] },
      {
        event: 'registers',
        receivedAt: KILL + 3100,
        control: '0x0',
        dma_control: '0x0',
        dma_intr_ena: '0x0',
        dma_status: '0x0',
        t_boot_ms: 103_100,
      },
      { event: 'dma-mapped', receivedAt: KILL + 3000, iova: '0x10000000', bytes: 65536 },
      {
        event: 'memory',
        receivedAt: KILL + 5400,
        bytes: 65536,
        changed_bytes: 0,
        ranges_total: 0,
        ranges: [],
        t_boot_ms: 105_300,
      },
      { event: 'done', receivedAt: KILL + 5400 },
    ],
    failure: null,
    notes: [],
    ...over,
  };
}
const logs = (over: Partial<CycleLogs> = {}): CycleLogs => ({
  trace: parseTrace(quietTrace(KILL + 5500).join('\n')),
  consoleAfterBind: '[ 50.0] vfio-platform c000000.xgmac: reset\n',
  dmesgAfterKill: [],
  // User #1's own frames reached the wire before the kill.
  wire: [{ t: KILL - 50, bytes: buildFrame(payloadKey('s'), TX_SEQ_BASE + 1) }],
  ...over,
});

describe('the verdict of one run', () => {
  it('passes a run whose oracles all stayed silent', () => {
    expect(judgeRun(evidence(), logs()).verdict).to.deep.equal({ kind: 'pass' });
  });

  it(
    "calls a crash on L1's console after the bind a regression, " +
      'naming its first line, and still judges the L0 trace',
    () => {
      const j = judgeRun(
        evidence({ failure: { kind: 'error', phase: 'kill', message: 'L1 did not answer', tail: null } }),
        logs({
          consoleAfterBind:
            '[ 60.1] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010\n' +
            '[ 60.1] Internal error: Oops: 96000005 [#1] SMP\n',
        }),
      );
      expect(j.verdict).to.deep.equal({
        kind: 'regression',
        reason:
          'the kernel under test crashed in the VFIO path (oops): ' +
          'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000010',
      });
      expect(j.oracles.map((o) => o.oracle)).to.deep.equal([
        'l0-device-state',
        'l0-dma-after-release',
        'l0-dma-read-after-release',
        'l0-irq-after-release',
        'l0-smmu-faults',
        'wire-after-release',
      ]);
      expect(j.tail).to.match(/Internal error: Oops/);
    },
  );

  it("calls a crash during the bind itself a regression too (the module's probe is on trial)", () => {
    const j = judgeRun(
      evidence({ bind: null, failure: { kind: 'error', phase: 'bind', message: 'SSH connection lost', tail: null } }),
      logs({ consoleAfterBind: '[ 9.0] kernel BUG at drivers/vfio/platform/vfio_platform_common.c:601!\n' }),
    );
    expect(j.verdict.kind).to.equal('regression');
  });

  it('calls an open that hangs or fails, and a release that hangs, regressions', () => {
    const hang = judgeRun(evidence({ failure: { kind: 'open-hang', user: 'user #2', seconds: 30 } }), logs());
    expect(hang.verdict).to.deep.equal({
      kind: 'regression',
      reason: "user #2's open of the device hangs: no reply within 30 s",
    });
    const failed = judgeRun(
      evidence({
        failure: { kind: 'open-failed', user: 'user #1', step: 'get_device_fd', message: 'Input/output error' },
      }),
      logs(),
    );
    expect(failed.verdict.kind).to.equal('regression');
    const release = judgeRun(
      evidence({
        failure: {
          kind: 'release-hang',
          seconds: 30,
          state: 'State: D (disk sleep) wchan: vfio_platform_close_device',
        },
      }),
      logs(),
    );
    expect((release.verdict as { reason: string }).reason).to.match(
      /release of the device hangs: user #1 is still in the kernel 30 s after SIGKILL \(State: D/,
    );
  });

  it('calls any other failure invalid, before or after the bind, when the console shows no crash', () => {
    expect(
      judgeRun(evidence({ failure: { kind: 'error', phase: 'user2', message: 'L0 QEMU exited', tail: null } }), logs())
        .verdict,
    ).to.deep.equal({ kind: 'invalid', reason: 'L0 QEMU exited' });
    expect(
      judgeRun(
        evidence({ bind: null, failure: { kind: 'error', phase: 'boot', message: 'L1 did not boot', tail: null } }),
        logs({ consoleAfterBind: null }),
      ).verdict.kind,
    ).to.equal('invalid');
  });

  it(
    'calls the kernel-side control not applicable on a kernel before v6.3 ' +
      'that refuses the device for want of a reset function, and invalid otherwise',
    () => {
      const refused = {
        bound: false as const,
        kernelSays: 'vfio-platform c000000.xgmac: no reset function found for device c000000.xgmac',
        resetModuleShipped: false,
      };
      const spec = { ...evidence().spec, control: 'kernel-no-reset' as const };
      const old = judgeRun(evidence({ spec, bind: { ...refused, kernelRelease: '6.1.158-vfio-reset' } }), logs());
      expect(old.verdict.kind).to.equal('not-applicable');
      expect((old.verdict as { reason: string }).reason).to.match(
        /^kernel 6\.1\.158-vfio-reset \(before v6\.3\) refuses/,
      );
      const silentRefusal = judgeRun(
        evidence({
          spec,
          bind: {
            ...refused,
            // As Debian's linux-source-6.1 said it in a real run (older-kernel.spec.ts runs it again).
            kernelSays:
              'vfio-platform c000000.xgmac: Adding to iommu group 0 / ' +
              'vfio-platform: probe of c000000.xgmac failed with error -2',
            kernelRelease: '6.1.192',
          },
        }),
        logs(),
      );
      expect(silentRefusal.verdict.kind, 'as 6.1 says it (reset_required=0 makes it silent)').to.equal(
        'not-applicable',
      );
      expect(
        judgeRun(evidence({ spec, bind: { ...refused, kernelRelease: '6.12.95-vfio-reset' } }), logs()).verdict.kind,
      ).to.equal('invalid');
      expect(
        judgeRun(
          evidence({
            spec,
            bind: {
              ...refused,
              kernelSays: 'vfio-platform: probe of c000000.xgmac failed with error -16',
              kernelRelease: '6.1.158',
            },
          }),
          logs(),
        ).verdict.kind,
      ).to.equal('invalid');
    },
  );

  it('refuses a run whose set-up the evidence does not show in effect, naming the control and what is missing', () => {
    const reason = (j: ReturnType<typeof judgeRun>) => (j.verdict as { reason?: string }).reason;
    const ignored = line(KILL + 20, 'xgmac_quiesce_ignored xgmac=0 offset=0xf1c value=0x0');
    const withIgnored = parseTrace([...quietTrace(KILL + 5500), ignored].sort().join('\n'));
    const device = { ...evidence().spec, control: 'device-ignores-reset' as const };
    expect(reason(judgeRun(evidence({ spec: device }), logs()))).to.equal(
      'control device-ignores-reset: the L0 trace shows no quiescing write ignored after the kill',
    );
    // In effect now: judged by its oracles, which this quiet trace leaves silent.
    expect(reason(judgeRun(evidence({ spec: device }), logs({ trace: withIgnored })))).to.match(
      /^negative control not detected by /,
    );
    expect(reason(judgeRun(evidence(), logs({ trace: withIgnored })))).to.equal(
      'the run without a control: the L0 model ignored 1 quiescing writes though no control asked it to',
    );
    const kernel = { ...evidence().spec, control: 'kernel-no-reset' as const };
    expect(
      reason(judgeRun(evidence({ spec: kernel, bind: { bound: true, resetModuleLoaded: false } }), logs())),
    ).to.equal('control kernel-no-reset: the L0 trace shows 1 quiescing writes after the kill');
    expect(reason(judgeRun(evidence({ spec: kernel }), logs()))).to.equal(
      'control kernel-no-reset: the reset module is loaded anyway',
    );
  });

  it("refuses an event placed outside the run's span (a clock that starts in 1970), naming the oracle", () => {
    const user2 = evidence().user2!.map((e) =>
      e.event === 'registers' ? { ...e, dma_control: '0x2', t_boot_ms: 1_796_220_181_928 } : e,
    );
    const j = judgeRun(evidence({ user2 }), logs());
    expect(j.verdict.kind).to.equal('invalid');
    expect((j.verdict as { reason: string }).reason).to.match(
      /^user2-registers: its first event at \d+ ms from the kill lies outside the run \(-5000\.\.7000 ms\)/,
    );
  });

  it('refuses a malformed report of user #2, naming the field', () => {
    const user2 = evidence().user2!.map((e) => (e.event === 'memory' ? { ...e, changed_bytes: 'many' } : e));
    expect(judgeRun(evidence({ user2 }), logs()).verdict).to.deep.equal({
      kind: 'invalid',
      reason: 'user #2 (xgmac-reset-probe)\'s "memory" report: field changed_bytes is not a number ("many")',
    });
  });

  it('refuses a user #2 that armed no IRQ, or armed its IRQs only after reading the registers: blind', () => {
    const reason = (user2: CycleEvidence['user2']) =>
      (judgeRun(evidence({ user2 }), logs()).verdict as { reason?: string }).reason;
    const events = evidence().user2!;
    expect(reason(events.map((e) => (e.event === 'irqs-armed' ? { ...e, indexes: [] } : e)))).to.match(
      /armed no IRQ eventfd/,
    );
    expect(reason([...events.slice(1, 2), events[0]!, ...events.slice(2)])).to.match(
      /read the registers before it armed its IRQs/,
    );
  });

  it('refuses a trace without an IRQ of user #1 before the kill: its IRQ oracle would be blind', () => {
    const noIrq = quietTrace(KILL + 5500).filter((l) => !l.includes('xgmac_irq'));
    expect(
      (judgeRun(evidence(), logs({ trace: parseTrace(noIrq.join('\n')) })).verdict as { reason: string }).reason,
    ).to.equal('the L0 trace shows no IRQ of user #1 before the kill: its IRQ oracle would be blind');
  });

  it('refuses a trace with a stretch of the window without frames: the L0 oracles were blind there', () => {
    const j = judgeRun(evidence(), logs({ trace: parseTrace(quietTrace(KILL + 5500, KILL + 2000).join('\n')) }));
    expect((j.verdict as { reason: string }).reason).to.match(
      /no frame reaching the device from 199\d to 280\d ms after the kill/,
    );
  });

  it('looks for frames only until the harness ended them for good, after the window, while user #2 reports', () => {
    const stopped = parseTrace(quietTrace(KILL + 4800).join('\n'));
    const ended = evidence({ marks: { ...evidence().marks, 'traffic-ended': KILL + 4800 } });
    expect(judgeRun(ended, logs({ trace: stopped })).verdict).to.deep.equal({ kind: 'pass' });
    // Without the mark, the same trace is blind for the last 700 ms of the window; and a gap before the end still is.
    expect(judgeRun(evidence(), logs({ trace: stopped })).verdict.kind).to.equal('invalid');
    const gap = parseTrace(quietTrace(KILL + 4800, KILL + 2000).join('\n'));
    expect(judgeRun(ended, logs({ trace: gap })).verdict.kind).to.equal('invalid');
  });

  it('in the silent pattern, looks for frames only from their resumption, which must have happened', () => {
    const spec = { ...evidence().spec, pattern: 'silent-until-reassigned' as const };
    const silentTrace = parseTrace(
      [
        ...quietTrace(KILL + 30),
        ...quietTrace(KILL + 5500).filter((l) => Number(l.split('@')[1]!.split(':')[0]) * 1000 > KILL + 3200),
      ].join('\n'),
    );
    expect(
      judgeRun(
        evidence({ spec, marks: { ...evidence().marks, 'traffic-resumed': KILL + 3200 } }),
        logs({ trace: silentTrace }),
      ).verdict,
    ).to.deep.equal({ kind: 'pass' });
    expect((judgeRun(evidence({ spec }), logs({ trace: silentTrace })).verdict as { reason: string }).reason).to.match(
      /traffic never resumed/,
    );
  });
});

describe("the verdict of a raw-driver run: user #2's memory read against the trace", () => {
  const at = (l: string) => Number(l.split('@')[1]!.split(':')[0]);
  /** The quiet trace with a frame written at `iova` at `t`, translated. */
  const withWrite = (t: number, iova: number) =>
    logs({
      trace: parseTrace(
        [
          ...quietTrace(KILL + 5500),
          line(t, `xgmac_dma xgmac=0 dir=write what=rx-buf iova=0x${iova.toString(16)} len=142 result=ok`),
        ]
          .sort((a, b) => at(a) - at(b))
          .join('\n'),
      ),
    });
  const mapped = { ...evidence().marks, 'user2-mapped': KILL + 3000 };
  /** User #2's reports with its memory showing `ranges` changed, of `total`. */
  const probeSaw = (ranges: { offset: number; len: number }[], total = ranges.length) =>
    evidence({
      marks: mapped,
      user2: evidence().user2!.map((e) =>
        e.event === 'memory'
          ? {
              ...e,
              changed_bytes: ranges.reduce((n, r) => n + r.len, 0),
              ranges_total: total,
              ranges: ranges.map((r) => ({ ...r, hex: 'ff' })),
            }
          : e,
      ),
    });
  const reason = (j: ReturnType<typeof judgeRun>) => (j.verdict as { reason?: string }).reason ?? j.verdict.kind;

  it('refuses a read that found nothing where the L0 trace shows a frame written before it', () => {
    expect(reason(judgeRun(probeSaw([]), withWrite(KILL + 4000, 0x1000_1000)))).to.equal(
      "user #2's memory read blind at IOVA 0x10001000: the L0 trace shows a frame written there at +4000 ms, " +
        'before the read, and the read found nothing changed there',
    );
  });

  it('takes a write the read saw changed, or one after the read, as the DMA it is', () => {
    expect(reason(judgeRun(probeSaw([{ offset: 0x1040, len: 16 }]), withWrite(KILL + 4000, 0x1000_1000)))).to.match(
      /^l0-dma-after-release/,
    );
    expect(reason(judgeRun(probeSaw([]), withWrite(KILL + 5400, 0x1000_1000)))).to.match(/^l0-dma-after-release/);
    expect(reason(judgeRun(probeSaw([]), withWrite(KILL + 4000, 0x2000_0000)))).to.match(/^l0-dma-after-release/);
  });

  it('does not call a write unseen when the probe listed only some of the ranges it saw changed', () => {
    expect(reason(judgeRun(probeSaw([{ offset: 0, len: 16 }], 17), withWrite(KILL + 4000, 0x1000_1000)))).to.match(
      /^l0-dma-after-release/,
    );
  });
});

describe('the verdict of a vm run: VM #2 read from L1 while paused, then its GIC', () => {
  const RAM = 192 * 1024 * 1024;
  const SNAPSHOT_AT = KILL + 3000;
  const vmSpec = (control: CycleEvidence['spec']['control'] = 'none') => ({
    ...evidence().spec,
    scenario: 'vm' as const,
    pattern: 'silent-until-reassigned' as const,
    control,
  });
  const marks = { ...evidence().marks, 'traffic-resumed': KILL + 2000, 'user2-mapped': KILL + 2000 };
  const stale = (gpa: number) => ({
    event: 'stale-payload',
    receivedAt: SNAPSHOT_AT + 400,
    gpa: `0x${gpa.toString(16)}`,
    seq: 7,
  });
  function vm2Events(
    gpas: readonly number[],
    over: { bytes?: number; guestBytes?: number; gic?: boolean; pendingSpi?: boolean } = {},
  ) {
    return [
      ...gpas.map(stale),
      {
        event: 'ram-snapshot',
        receivedAt: SNAPSHOT_AT + 400,
        gpa_base: '0x40000000',
        bytes: over.bytes ?? RAM,
        payloads: gpas.length,
        listed: gpas.length,
        t_boot_ms: 103_000,
        seconds: 0.4,
      },
      ...(over.gic === false
        ? []
        : [
            { event: 'device', receivedAt: KILL + 5000, node: 'xgmac@c000000', spis: [112], driver_bound: false },
            { event: 'memory', receivedAt: KILL + 5000, base: '0x40000000', bytes: over.guestBytes ?? RAM },
            {
              event: 'registers',
              receivedAt: KILL + 5000,
              node: 'xgmac@c000000',
              base: '0xc000000',
              control: '0x00000000',
              dma_control: '0x00000000',
              dma_intr_ena: '0x00000000',
              dma_status: '0x00000000',
            },
            {
              event: 'gic',
              receivedAt: KILL + 5000,
              spis: [{ spi: 112, intid: 144, pending: over.pendingSpi ?? false, active: false }],
            },
            { event: 'probe-done', receivedAt: KILL + 5001 },
          ]),
    ];
  }
  const vmEvidence = (user2: CycleEvidence['user2'], over: Partial<CycleEvidence> = {}) =>
    evidence({
      spec: vmSpec(),
      marks: { ...marks, 'user2-started': KILL + 1000, 'user2-snapshot': SNAPSHOT_AT },
      user2,
      ...over,
    });
  /** A frame of 142 bytes written at `iova` at `t` (`ok`: translated). */
  const write = (t: number, iova: number, ok = true) =>
    line(
      t,
      `xgmac_dma xgmac=0 dir=write what=rx-buf iova=0x${iova.toString(16)} len=142 result=${ok ? 'ok' : 'fault'}`,
    );
  const withLines = (...extra: string[]) =>
    logs({
      trace: parseTrace(
        [...quietTrace(KILL + 5500), ...extra]
          .sort((a, b) => Number(a.split('@')[1]!.split(':')[0]) - Number(b.split('@')[1]!.split(':')[0]))
          .join('\n'),
      ),
    });
  const reason = (j: ReturnType<typeof judgeRun>) => (j.verdict as { reason?: string }).reason;

  it('passes a run whose RAM read and GIC saw nothing, and the trace shows no write', () => {
    const j = judgeRun(vmEvidence(vm2Events([])), logs());
    expect(j.verdict).to.deep.equal({ kind: 'pass' });
    expect(j.oracles.find((o) => o.oracle === 'user2-memory')!.looked).to.match(/read from L1 while VM #2 was paused/);
  });

  it('calls a stale write found in the RAM read a regression, at the guest-physical address it was found', () => {
    const j = judgeRun(vmEvidence(vm2Events([0x4123_400e])), withLines(write(KILL + 2100, 0x4123_4000)));
    expect(j.verdict.kind).to.equal('regression');
    expect(j.oracles.find((o) => o.oracle === 'user2-memory')!.first!.detail).to.equal(
      'frame payload seq 7 at guest-physical 0x4123400e',
    );
  });

  it('refuses a RAM read that missed a write the L0 trace shows landing there before the read', () => {
    const j = judgeRun(vmEvidence(vm2Events([])), withLines(write(KILL + 2100, 0x4123_4000)));
    expect(reason(j)).to.equal(
      "VM #2's RAM read blind at GPA 0x41234000: the L0 trace shows a frame written there at +2100 ms, " +
        'before the read, and the read found no payload there',
    );
  });

  it('does not hold the read to writes after it, before VM #2 existed, or that faulted', () => {
    const j = judgeRun(
      vmEvidence(vm2Events([])),
      withLines(
        write(KILL + 130, 0x4123_4000),
        write(SNAPSHOT_AT + 10, 0x4123_4000),
        write(KILL + 2100, 0x4123_4000, false),
      ),
    );
    // Those are still DMA after the release: a regression, not a blind read.
    expect(j.verdict.kind).to.equal('regression');
    expect(reason(j)).to.match(/^l0-dma-after-release/);
  });

  it("refuses a RAM read that did not cover the guest's RAM, as the guest's device tree gives it", () => {
    expect(reason(judgeRun(vmEvidence(vm2Events([], { bytes: RAM / 2 })), logs()))).to.match(
      /^VM #2's RAM read blind: the scan covered 100663296 bytes/,
    );
    expect(reason(judgeRun(vmEvidence(vm2Events([], { guestBytes: RAM * 2 })), logs()))).to.match(
      /the guest has 402653184 from 0x40000000$/,
    );
    const noHexBase = vm2Events([]).map((e) => (e.event === 'memory' ? { ...e, base: '1073741824' } : e));
    expect(reason(judgeRun(vmEvidence(noHexBase), logs()))).to.match(/"memory" report: base 1073741824 is not a hex/);
  });

  it('refuses a GIC report that names no SPI of the device: that look was blind', () => {
    const user2 = vm2Events([]).map((e) => (e.event === 'gic' ? { ...e, spis: [] } : e));
    expect(reason(judgeRun(vmEvidence(user2), logs()))).to.match(/GIC report names no SPI/);
  });

  it('takes a VM #2 that the stale writes broke as the hazard shown in a control, not as a blind GIC', () => {
    const ignoring = line(KILL + 20, 'xgmac_quiesce_ignored xgmac=0 offset=0xf1c value=0x0');
    const irq = line(KILL + 2101, 'xgmac_irq xgmac=0 line=0 level=1');
    const spec = vmSpec('device-ignores-reset');
    const broken = vmEvidence(vm2Events([0x4123_400e], { gic: false }), {
      spec,
      irqCounts: { atRelease: 10, during: 11 },
    });
    // The model ignored the quiescing writes, so the state it traced last is user #1's.
    const armed = line(KILL + 23, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x1a0c1 mac_control=0xc');
    // Before it writes a frame, the device reads the descriptor it writes it with.
    const fetch = line(KILL + 2099, 'xgmac_dma xgmac=0 dir=read what=rx-desc iova=0x41230000 len=32 result=ok');
    const trace = withLines(ignoring, armed, fetch, write(KILL + 2100, 0x4123_4000), irq);
    const j = judgeRun(broken, trace);
    expect(j.verdict).to.deep.equal({ kind: 'detected' });
    expect(j.oracles.find((o) => o.oracle === 'user2-gic-pending')!.looked).to.match(/never reached its probe/);
    // Without a stale payload in the read, a VM #2 that never reported is no evidence at all.
    expect(reason(judgeRun({ ...broken, user2: vm2Events([], { gic: false }) }, trace))).to.match(/"device"/);
  });

  it('says "hazard not set up" for a control whose frame writes all faulted before VM #2 was mapped', () => {
    const ignoring = line(KILL + 20, 'xgmac_quiesce_ignored xgmac=0 offset=0xf1c value=0x0');
    const j = judgeRun(
      vmEvidence(vm2Events([]), { spec: vmSpec('device-ignores-reset') }),
      withLines(ignoring, write(KILL + 1990, 0x4123_4000, false)),
    );
    expect(reason(j)).to.match(/^hazard not set up: the device's 1 frame writes after the release all faulted before/);
  });
});

describe('the L0 window', () => {
  it("opens at the release's last write to the device, or when user #1 was seen gone if it wrote nothing", () => {
    expect(windowStart({ first: KILL + 20, last: KILL + 45 }, KILL + 30)).to.equal(KILL + 45);
    expect(windowStart(null, KILL + 40)).to.equal(KILL + 40);
    const trace = parseTrace(
      [
        line(KILL - 1, 'xgmac_mmio_write xgmac=0 offset=0xf14 value=0x10040'),
        line(KILL + 3, 'xgmac_mmio_read xgmac=0 offset=0xf18 value=0x2002'),
        line(KILL + 5, 'xgmac_mmio_write xgmac=1 offset=0xf00 value=0x1'),
        line(KILL + 12, 'xgmac_mmio_write xgmac=0 offset=0xf00 value=0x1'),
        line(KILL + 30, 'xgmac_mmio_write xgmac=0 offset=0xf18 value=0x0'),
        line(KILL + 900, 'xgmac_mmio_write xgmac=0 offset=0xf1c value=0x0'),
      ].join('\n'),
    );
    expect(
      releaseWrites(trace, 0, KILL, KILL + 800),
      "any register's; not user #2's, another device's or reads",
    ).to.deep.equal({ first: KILL + 12, last: KILL + 30 });
    expect(releaseWrites(trace, 0, KILL + 31, KILL + 800)).to.equal(null);
  });

  /** A run whose release wrote `resetWrites` and whose device wrote frames until `dmaUntil`; `dmesg`: L1's log. */
  const resetBy = (resetWrites: string[], dmaUntil: number, dmesg: string[] = []) => {
    const lines = quietTrace(KILL + 5500).filter((l) => !l.includes('xgmac_mmio_write'));
    for (let t = KILL + 2; t <= dmaUntil; t += 2)
      lines.push(line(t, 'xgmac_dma xgmac=0 dir=write what=rx-buf iova=0x10001000 len=142 result=ok'));
    const sorted = [...lines, ...resetWrites].sort(
      (a, b) => Number(a.split('@')[1]!.split(':')[0]) - Number(b.split('@')[1]!.split(':')[0]),
    );
    // In vm, L1 reaps VM #1's QEMU after its release, or before it (the VM's teardown holding the device file).
    return judgeRun(
      evidence({ marks: { ...evidence().marks, 'user1-exit': KILL + 15 } }),
      logs({
        trace: parseTrace(sorted.join('\n')),
        dmesgAfterKill: dmesg,
      }),
    ).verdict;
  };

  it('passes a reset by the software-reset bit alone, and one that masks, polls and only then stops DMA', () => {
    const softwareReset = line(KILL + 40, 'xgmac_mmio_write xgmac=0 offset=0xf00 value=0x1');
    expect(resetBy([softwareReset], KILL + 39)).to.deep.equal({ kind: 'pass' });
    const masked = line(KILL + 10, 'xgmac_mmio_write xgmac=0 offset=0xf1c value=0x0');
    const stopped = line(KILL + 45, 'xgmac_mmio_write xgmac=0 offset=0xf18 value=0x0');
    expect(resetBy([masked, stopped], KILL + 44)).to.deep.equal({ kind: 'pass' });
  });

  it("still sees DMA after the reset's last write", () => {
    const softwareReset = line(KILL + 40, 'xgmac_mmio_write xgmac=0 offset=0xf00 value=0x1');
    expect(resetBy([softwareReset], KILL + 60).kind).to.equal('regression');
  });

  it("opens, for a release that wrote nothing, no sooner than L1's kernel logged the release", () => {
    // VM #1's QEMU reaped at +15 ms, the device released at +300 ms as L1's log has it, from its note of the kill.
    const log = (at: string, text: string) => `[${at}] ${text}`;
    const released = [
      log('    4.500000', 'vfio-reset: SIGKILL to pid 89'),
      log('    4.800000', 'vfio-platform c000000.xgmac: VFIO: reset'),
    ];
    expect(resetBy([], KILL + 290, released)).to.deep.equal({ kind: 'pass' });
    expect(resetBy([], KILL + 310, released).kind).to.equal('regression');
    expect(resetBy([], KILL + 290).kind, 'without the log: from the reap').to.equal('regression');
    expect(resetBy([], KILL + 290, released.slice(1)).kind, 'without the note, no log time').to.equal('regression');
  });

  it('is blind where no frame reached the device for more than 500 ms, including at its edges', () => {
    const trace = parseTrace(quietTrace(KILL + 3000).join('\n'));
    expect(blindStretch(trace, 0, KILL + 25, KILL + 3000)).to.equal(null);
    expect(blindStretch(trace, 0, KILL + 25, KILL + 4000)).to.deep.include({ to: KILL + 4000 });
    expect(blindStretch(trace, 1, KILL + 25, KILL + 3000), 'frames of another instance do not count').to.not.equal(
      null,
    );
  });

  it('is not blind where L0 stalled and then gave the device every frame sent meanwhile, at once', () => {
    const frame = (t: number) => line(t, 'xgmac_rx_frame xgmac=0 verdict=dropped size=142 reason=rx-stopped');
    // 800 ms without a frame (160 sent at 200 per second), then 134 of them at once: as qualify saw on a loaded host.
    const stalled = quietTrace(KILL + 3000, KILL + 1000).concat(Array.from({ length: 134 }, () => frame(KILL + 1801)));
    expect(blindStretch(parseTrace(stalled.join('\n')), 0, KILL + 25, KILL + 3000)).to.equal(null);
    // A backlog short of half the frames sent meanwhile: lost, so blind.
    const lost = quietTrace(KILL + 3000, KILL + 1000).concat(Array.from({ length: 30 }, () => frame(KILL + 1801)));
    expect(blindStretch(parseTrace(lost.join('\n')), 0, KILL + 25, KILL + 3000)).to.deep.include({ to: KILL + 1801 });
  });
});
