// SPDX-License-Identifier: GPL-2.0-only
/** The oracles and verdicts on synthetic evidence: each must fire on the hazard and stay silent without it. */
import { expect } from 'chai';
import { l0Oracles, type L0Window } from '../../harness/oracles/l0-oracle.ts';
import { l1IrqCountOracle, l1SmmuOracle } from '../../harness/oracles/l1-oracle.ts';
import { L1, parseIrqCounts } from '../../harness/machines/l1.ts';
import type { SshSession } from '../../harness/machines/ssh.ts';
import { XGMAC_PROFILE } from '../../harness/devices/xgmac.ts';
import { user2Oracles } from '../../harness/oracles/user2-oracle.ts';
import { closingLine, controlVerdict, exitCodeOf, scenarioVerdict } from '../../harness/judge/verdict.ts';
import { mustFire } from '../../harness/plan/proof.ts';
import { decodeResetProbe } from '../../harness/evidence/agent-reports.ts';
import type { RunSpec } from '../../harness/plan/run-spec.ts';

const MUST_FIRE_IN_CONTROLS = mustFire({
  scenario: 'raw-driver',
  control: 'device-ignores-reset',
  pattern: 'continuous',
});
import { parseTrace } from '../../harness/trace/l0-trace.ts';
import { buildFrame, payloadKey } from '../../harness/traffic/payload.ts';
import type { OracleResult } from '../../harness/oracles/finding.ts';
import type { AgentEvent } from '../../harness/evidence/agent-reports.ts';

// Kill at t=1000.000 s, user #1 gone at 1000.050, user #2 there at 1001.000 and done at 1005.000 (QEMU stamps in s).
const W: L0Window = {
  instance: 0,
  sid: 0xff00,
  killAt: 1_000_000,
  from: 1_000_050,
  nextUserAt: 1_001_000,
  to: 1_005_000,
};
const line = (s: number, rest: string) => `1@${s.toFixed(6)}:${rest}`;

describe('L0 oracles', () => {
  const before = [
    line(999.9, 'xgmac_dma xgmac=0 dir=write what=rx-buf iova=0x10001000 len=142 result=ok'),
    line(999.9, 'xgmac_irq xgmac=0 line=0 level=1'),
    line(999.9, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x1a0c1 mac_control=0xc'),
  ];
  // The writes of the kernel's reset handler, as a real run's trace shows the model's state after each.
  const reset = (s: number) => [
    line(s, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x0 mac_control=0xc'),
    line(s, 'xgmac_state xgmac=0 dma_control=0x0 intr_ena=0x0 mac_control=0xc'),
    line(s, 'xgmac_state xgmac=0 dma_control=0x0 intr_ena=0x0 mac_control=0x0'),
  ];

  it('stay silent when the device went quiet at the release (the reset took)', () => {
    const trace = parseTrace(
      [
        ...before,
        line(1000.02, 'xgmac_mmio_write xgmac=0 offset=0xf1c value=0x0'),
        line(1000.02, 'xgmac_irq xgmac=0 line=0 level=0'),
        ...reset(1000.02),
        line(1001, 'xgmac_rx_frame xgmac=0 verdict=dropped size=142 reason=rx-stopped'),
      ].join('\n'),
    );
    expect(l0Oracles(trace, W).map((o) => o.fired)).to.deep.equal([false, false, false, false, false]);
  });

  it(
    'fire on DMA after the release, a line left asserted, and SMMU faults, ' +
      'with the first event relative to the kill',
    () => {
      const trace = parseTrace(
        [
          ...before,
          line(1000.2, 'smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=0xff00'),
          line(1000.2, 'xgmac_dma xgmac=0 dir=read what=rx-desc iova=0x10000040 len=32 result=fault'),
          line(1004, 'xgmac_dma xgmac=0 dir=read what=tx-buf iova=0x10012000 len=142 result=ok'),
          line(1004.5, 'xgmac_dma xgmac=0 dir=write what=tx-desc iova=0x10011000 len=32 result=ok'),
        ].join('\n'),
      );
      const [, writes, reads, irq, smmu] = l0Oracles(trace, W);
      // Reads and writes apart: the descriptors and TX buffers read, the descriptor written back.
      expect(reads).to.deep.include({ oracle: 'l0-dma-read-after-release', fired: true, count: 2 });
      expect(reads!.first).to.deep.include({ tRelMs: 200 });
      expect(reads!.first!.detail).to.match(/1 translated, 1 faulted; rx-desc 1, tx-desc 0, rx-buf 0, tx-buf 1/);
      expect(writes).to.deep.include({ oracle: 'l0-dma-after-release', fired: true, count: 1 });
      expect(writes!.first).to.deep.include({ tRelMs: 4500 });
      expect(irq).to.deep.include({ fired: true });
      expect(irq!.first!.detail).to.match(/still asserted/);
      expect(smmu).to.deep.include({ fired: true, count: 1 });
    },
  );

  it('fire on a device left armed though idle: the registers the release and the next open left, with the bits', () => {
    const keptTx = [
      line(1000.02, 'xgmac_state xgmac=0 dma_control=0x2002 intr_ena=0x0 mac_control=0xc'),
      line(1000.02, 'xgmac_state xgmac=0 dma_control=0x2000 intr_ena=0x0 mac_control=0xc'),
      line(1000.02, 'xgmac_state xgmac=0 dma_control=0x2000 intr_ena=0x0 mac_control=0x8'),
    ];
    const [state] = l0Oracles(parseTrace([...before, ...keptTx].join('\n')), W);
    expect(state).to.deep.include({ oracle: 'l0-device-state', fired: true, count: 4 });
    expect(state!.first).to.deep.equal({
      tRelMs: 1000,
      detail:
        'when user #2 came: DMA_CONTROL.ST set (0x2000), MAC CONTROL.TE set (0x8); ' +
        'when user #2 was done: DMA_CONTROL.ST set (0x2000), MAC CONTROL.TE set (0x8)',
    });
    // A release that leaves the device armed, reset again by the next open: the first instant alone.
    const resetAtOpen = [...before, line(1002, 'xgmac_state xgmac=0 dma_control=0x0 intr_ena=0x0 mac_control=0x0')];
    const [late] = l0Oracles(parseTrace(resetAtOpen.join('\n')), W);
    expect(late!.first!.detail).to.equal(
      'when user #2 came: DMA_CONTROL.SR set (0x2002), DMA_CONTROL.ST set (0x2002), ' +
        'DMA_INTR_ENA not zero (0x1a0c1), MAC CONTROL.RE set (0xc), MAC CONTROL.TE set (0xc)',
    );
  });

  it('ignore another XGMAC instance and events outside the window', () => {
    const trace = parseTrace(
      [
        line(1000.2, 'xgmac_dma xgmac=1 dir=read what=rx-desc iova=0x0 len=32 result=ok'),
        line(1006, 'xgmac_dma xgmac=0 dir=read what=rx-desc iova=0x0 len=32 result=ok'),
        line(1000.2, 'xgmac_state xgmac=1 dma_control=0x2002 intr_ena=0x0 mac_control=0x0'),
      ].join('\n'),
    );
    expect(l0Oracles(trace, W).some((o) => o.fired)).to.equal(false);
  });
});

describe('L1 oracles', () => {
  // As 6.1 and 6.12 log an event (from their runs): the head, then the record's dwords, the stream ID in bits 63:32.
  const smmuEvent = (at: string, sid: string) => [
    `[${at}] arm-smmu-v3 9050000.smmuv3: event 0x10 received:`,
    `[${at}] arm-smmu-v3 9050000.smmuv3: \t0x0000${sid}00000010`,
    `[${at}] arm-smmu-v3 9050000.smmuv3: \t0x0000020000000000`,
    `[${at}] arm-smmu-v3 9050000.smmuv3: \t0x0000000010002800`,
    `[${at}] arm-smmu-v3 9050000.smmuv3: \t0x0000000000000000`,
  ];

  it("count the arm-smmu-v3 events of the device's stream and place the first relative to the kill", () => {
    const o = l1SmmuOracle([...smmuEvent('   12.500000', 'ff00'), ...smmuEvent('   12.600000', 'ff00')], 12.3, 0xff00);
    expect(o).to.deep.include({ fired: true, count: 2 });
    expect(o.first?.tRelMs).to.equal(200);
    expect(o.first?.detail).to.equal('arm-smmu-v3 9050000.smmuv3: event 0x10 received: stream 0xff00');
    expect(l1SmmuOracle(['[   12.5] vfio-platform c000000.xgmac: reset'], 12, 0xff00).fired).to.equal(false);
  });

  it("place the first event from the note of the kill in L1's log in the log, not from L1's boot clock", () => {
    // From a run beside stress-ng: the log's clock read 0.57 s past uptime_s at the kill.
    const note = '[    5.120000] vfio-reset: SIGKILL to pid 312';
    const o = l1SmmuOracle([note, ...smmuEvent('    6.230407', 'ff00')], 4.553, 0xff00);
    expect(o.first?.tRelMs).to.equal(1110);
    expect(l1SmmuOracle(smmuEvent('    6.230407', 'ff00'), 4.553, 0xff00).first?.tRelMs, 'no note').to.equal(1677);
  });

  it("leave out another device's events, and count one whose record the log lost", () => {
    expect(l1SmmuOracle(smmuEvent('   12.500000', '0008'), 12.3, 0xff00).fired, 'stream 0x8').to.equal(false);
    const lost = l1SmmuOracle(smmuEvent('   12.500000', '0008').slice(0, 1), 12.3, 0xff00);
    expect(lost).to.deep.include({ fired: true, count: 1 });
    expect(lost.first?.detail).to.match(/stream unknown$/);
  });

  it("read the device's interrupt counts from /sys/kernel/irq, summed over CPUs and lines", async () => {
    expect(XGMAC_PROFILE.hwirqs(0)).to.deep.equal([144, 145, 146]);
    const commands: string[] = [];
    const ssh = { check: async (command: string) => (commands.push(command), 'GICv3 12,3\nGICv3 1,0\n') };
    expect(await new L1(ssh as unknown as SshSession).irqCount([112, 113, 114])).to.equal(16);
    expect(commands[0]).to.include('112|113|114)');
    expect(parseIrqCounts('GICv3 12,3\nGICv3 0,0\nGICv3 1,0\n')).to.equal(16);
    expect(parseIrqCounts('')).to.equal(null);
    expect(l1IrqCountOracle(15, 40, 'x')).to.deep.include({ fired: true, count: 25 });
    expect(l1IrqCountOracle(15, 15, 'x').fired).to.equal(false);
    expect(l1IrqCountOracle(null, 1, 'x'), 'a line registered and fired between the samples').to.deep.include({
      fired: true,
      count: 1,
    });
    expect(l1IrqCountOracle(null, null, 'x').fired).to.equal(false);
  });
});

describe('user #2 oracles', () => {
  const key = payloadKey('u2');
  // L1's boot clock read 100.000 s at the kill.
  const fromL1Boot = (tBootMs: number) => tBootMs - 100_000;
  const ev = (event: string, fields: Record<string, unknown>): AgentEvent => ({
    event,
    receivedAt: 1_004_000,
    ...fields,
  });
  const quietRegs = {
    control: '0x0',
    dma_control: '0x0',
    dma_intr_ena: '0x0',
    dma_status: '0x10040',
    t_boot_ms: 103_100,
  };
  const probe = (registers: Record<string, unknown>, more: AgentEvent[], memory: Record<string, unknown>) =>
    decodeResetProbe([
      ev('irqs-armed', { indexes: [0, 1, 2] }),
      ev('dma-mapped', { iova: '0x10000000', bytes: 65536 }),
      ev('registers', registers),
      ...more,
      ev('memory', { bytes: 65536, t_boot_ms: 105_200, ranges_total: [memory['ranges']].flat().length, ...memory }),
      ev('done', {}),
    ]);

  it('stay silent for a quiescent device (latched DMA_STATUS bits do not count)', () => {
    const results = user2Oracles(probe(quietRegs, [], { changed_bytes: 0, ranges: [] }), key, fromL1Boot);
    expect(results.map((o) => o.fired)).to.deep.equal([false, false, false]);
  });

  it("name each register that shows the device still running, at its time on the kill's time base", () => {
    const [regs] = user2Oracles(
      probe(
        { control: '0xc', dma_control: '0x2002', dma_intr_ena: '0x1a0c1', dma_status: '0x0', t_boot_ms: 103_100 },
        [],
        { changed_bytes: 0, ranges: [] },
      ),
      key,
      fromL1Boot,
    );
    expect(regs).to.deep.include({ fired: true, count: 5 });
    expect(regs!.first!.detail).to.match(/SR set.*ST set.*DMA_INTR_ENA.*RE set.*TE set/);
    expect(regs!.first!.tRelMs).to.equal(3100);
  });

  it("fire on IRQs and recognise this run's frame payload in changed memory", () => {
    const frame = buildFrame(key, 77);
    const results = user2Oracles(
      probe(quietRegs, [ev('irq', { index: 0, count: 1, t_boot_ms: 103_200 })], {
        changed_bytes: frame.length,
        ranges: [{ offset: 4096, len: 160, hex: frame.toString('hex') }],
      }),
      key,
      fromL1Boot,
    );
    expect(results[1]).to.deep.include({ fired: true, count: 1 });
    expect(results[1]!.first!.tRelMs).to.equal(3200);
    expect(results[2]!.fired).to.equal(true);
    expect(results[2]!.first!.detail).to.match(/payload seq 77 of this run at offset 4110/);
    expect(results[2]!.first!.tRelMs).to.equal(5200);
  });

  it('refuse a report with a missing or non-numeric field, naming it (never NaN, never silence)', () => {
    const { t_boot_ms: _, ...unstamped } = quietRegs;
    expect(() => probe(unstamped, [], { changed_bytes: 0, ranges: [] })).to.throw(
      /"registers" report: field t_boot_ms is missing/,
    );
    expect(() => probe({ ...quietRegs, dma_control: 'zero' }, [], { changed_bytes: 0, ranges: [] })).to.throw(
      /field dma_control is not a number \("zero"\)/,
    );
    expect(() => probe(quietRegs, [], { changed_bytes: 0 })).to.throw(/field ranges is missing/);
    expect(() =>
      decodeResetProbe([ev('irqs-armed', { indexes: [0] }), ev('registers', quietRegs), ev('done', {})]),
    ).to.throw(/sent 0 "memory" reports/);
  });
});

describe('verdicts', () => {
  const result = (oracle: OracleResult['oracle'], fired: boolean): OracleResult => ({
    oracle,
    vantage: 'L0',
    fired,
    count: fired ? 1 : 0,
    first: fired ? { tRelMs: 5, detail: 'x' } : null,
    looked: '',
  });
  const all = (fired: boolean) => MUST_FIRE_IN_CONTROLS.map((o) => result(o, fired));

  it('a scenario passes only when every oracle is silent, and names the first that fired otherwise', () => {
    expect(scenarioVerdict(all(false))).to.deep.equal({ kind: 'pass' });
    const v = scenarioVerdict([...all(false), result('user2-irqs', true)]);
    expect(v.kind).to.equal('regression');
    expect((v as { reason: string }).reason).to.match(/^user2-irqs .*first: user2-irqs at \+5 ms/);
  });

  it('a control counts only when every oracle that can see the hazard fired; otherwise the run is invalid', () => {
    expect(controlVerdict(all(true), MUST_FIRE_IN_CONTROLS)).to.deep.equal({ kind: 'detected' });
    const v = controlVerdict(
      all(true).map((o) => (o.oracle === 'l1-smmu-events' ? { ...o, fired: false } : o)),
      MUST_FIRE_IN_CONTROLS,
    );
    expect(v).to.deep.equal({
      kind: 'invalid',
      reason: 'negative control not detected by l1-smmu-events: those oracles cannot be trusted',
    });
  });

  const spec = (
    control: RunSpec['control'],
    pattern: RunSpec['pattern'] = 'continuous',
    scenario: RunSpec['scenario'] = 'raw-driver',
  ): RunSpec => ({
    scenario,
    control,
    pattern,
    signal: 'KILL',
    seed: 's',
    repetition: 1,
  });

  it('maps runs to bisect exit codes: regression 1 over invalid 125 over good 0', () => {
    const both = (control: RunSpec['control'], kind: 'pass' | 'detected') =>
      [
        { spec: spec(control), verdict: { kind } },
        { spec: spec(control, 'silent-until-reassigned'), verdict: { kind } },
      ] as const;
    expect(exitCodeOf([...both('none', 'pass'), ...both('device-ignores-reset', 'detected')])).to.equal(0);
    expect(
      exitCodeOf([
        ...both('none', 'pass'),
        { spec: spec('device-ignores-reset'), verdict: { kind: 'invalid', reason: '' } },
      ]),
    ).to.equal(125);
    expect(
      exitCodeOf([
        { spec: spec('none'), verdict: { kind: 'regression', reason: '' } },
        { spec: spec('device-ignores-reset'), verdict: { kind: 'invalid', reason: '' } },
      ]),
    ).to.equal(1);
    expect(exitCodeOf([...both('none', 'pass')]), 'a pass that no control backs').to.equal(125);
  });

  it('ends with one line that says the exit code and, when it decides nothing, why', () => {
    const pass = { spec: spec('none'), verdict: { kind: 'pass' } } as const;
    const detected = (p: RunSpec['pattern']) =>
      ({ spec: spec('device-ignores-reset', p), verdict: { kind: 'detected' } }) as const;
    expect(
      closingLine([
        pass,
        detected('continuous'),
        { ...pass, spec: spec('none', 'silent-until-reassigned') },
        detected('silent-until-reassigned'),
      ]),
    ).to.equal('exit 0: good');
    const unproven = closingLine([pass]);
    expect(unproven).to.match(/^exit 125, undecided: no detected negative control shows that these oracles can see/);
    expect(unproven).to.match(/raw-driver: l0-device-state, l0-dma-after-release, /);
    expect(
      closingLine([pass, { spec: spec('device-ignores-reset'), verdict: { kind: 'invalid', reason: 'x' } }]),
    ).to.equal("exit 125, undecided: 1 of 2 runs decided nothing (INVALID: see each one's reason)");
    expect(closingLine([{ spec: spec('device-ignores-reset'), verdict: { kind: 'detected' } }])).to.match(
      /^exit 125, undecided: no scenario run passed/,
    );
    expect(closingLine([{ ...pass, verdict: { kind: 'regression', reason: 'r' } }, pass])).to.equal(
      'exit 1: a reset regression (1 of 2 runs)',
    );
  });

  it(
    'a control the kernel cannot host does not count against the set ' + 'when the other control proved every oracle',
    () => {
      const na = { kind: 'not-applicable', reason: 'kernel 6.1 refuses' } as const;
      const runs = (['continuous', 'silent-until-reassigned'] as const).flatMap((p) => [
        { spec: spec('none', p), verdict: { kind: 'pass' } as const },
        { spec: spec('kernel-no-reset', p), verdict: na },
        { spec: spec('device-ignores-reset', p), verdict: { kind: 'detected' } as const },
      ]);
      expect(exitCodeOf(runs)).to.equal(0);
      // In vm (VM #1 sends nothing), only the silent pattern's control proves user2-memory: without it, unproven.
      const vm = runs.map((r) => ({ ...r, spec: spec(r.spec.control, r.spec.pattern, 'vm') }));
      expect(exitCodeOf(vm)).to.equal(0);
      expect(
        exitCodeOf(
          vm.filter(
            (r) => !(r.spec.pattern === 'silent-until-reassigned' && r.spec.control === 'device-ignores-reset'),
          ),
        ),
      ).to.equal(125);
    },
  );
});
