// SPDX-License-Identifier: GPL-2.0-only
/** The L0 trace parser, on a trace recorded from a real run (the raw VFIO driver, then its DMA map removed). */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ofKind, parseTrace, parseTraceLine, TraceParseError } from '../../harness/trace/l0-trace.ts';
import { repoRoot } from '../../harness/lib/paths.ts';

const fixture = readFileSync(join(repoRoot, 'specs/fixtures/traces/l0-unmap.log'), 'utf8');

describe('L0 trace parser', () => {
  const events = parseTrace(fixture);

  it('parses every line of the recorded trace into an event', () => {
    expect(events.length).to.equal(fixture.trim().split('\n').length);
  });

  it("keeps QEMU's wall-clock stamp in milliseconds, microsecond precision", () => {
    expect(events[0]?.t).to.equal(1795534323856.293);
  });

  it('types DMA accesses with direction, target, IOVA, length and result', () => {
    const dma = ofKind(events, 'dma');
    expect(dma[0]).to.deep.include({ instance: 0, dir: 'read', what: 'rx-desc', len: 32, ok: true });
    expect(dma.filter((e) => !e.ok).map((e) => e.iova)).to.deep.equal([0x100001c0, 0x100001c0, 0x100001c0]);
    expect(dma.some((e) => e.dir === 'write' && e.what === 'rx-buf' && e.len === 142)).to.equal(true);
  });

  it("pairs each faulting access with one SMMU translation fault of the XGMAC's stream ID", () => {
    const faults = ofKind(events, 'smmu-event');
    expect(faults.map((e) => [e.type, e.sid])).to.deep.equal([
      ['SMMU_EVT_F_TRANSLATION', 0xff00],
      ['SMMU_EVT_F_TRANSLATION', 0xff00],
      ['SMMU_EVT_F_TRANSLATION', 0xff00],
    ]);
  });

  it("reads MMIO accesses (the reset handler's writes), IRQ levels and RX frame verdicts", () => {
    expect(ofKind(events, 'mmio')[0]).to.deep.include({ op: 'write', offset: 0xf1c, value: 0 });
    expect(new Set(ofKind(events, 'irq').map((e) => e.level))).to.deep.equal(new Set([0, 1]));
    expect(ofKind(events, 'rx-frame').some((e) => e.verdict === 'accepted' && e.size === 142)).to.equal(true);
  });

  it('parses the other events it owns', () => {
    expect(parseTraceLine('1@2.000003:xgmac_rx_frame xgmac=1 verdict=dropped size=60 reason=rx-stopped')).to.deep.equal(
      { t: 2000.003, kind: 'rx-frame', instance: 1, verdict: 'dropped', size: 60, reason: 'rx-stopped' },
    );
    expect(parseTraceLine('1@2.000003:xgmac_quiesce_ignored xgmac=0 offset=0xf18 value=0x0')).to.deep.include({
      kind: 'quiesce-ignored',
      offset: 0xf18,
    });
    // As a real run traced the kernel's reset handler stopping the DMA engines (6.12, raw-driver).
    expect(
      parseTraceLine('7784@1796528630.348607:xgmac_state xgmac=0 dma_control=0x0 intr_ena=0x0 mac_control=0xc'),
    ).to.deep.equal({
      t: 1796528630348.607,
      kind: 'state',
      instance: 0,
      dmaControl: 0,
      dmaIntrEna: 0,
      control: 0xc,
    });
    expect(parseTraceLine('1@2.000003:xgmac_tx_frame xgmac=0 size=142 fnv1a=0x00ff00ff00ff00ff')).to.deep.include({
      kind: 'tx-frame',
      size: 142,
      fnv1a: '00ff00ff00ff00ff',
    });
    expect(
      parseTraceLine(
        '1@2.000003:smmuv3_translate_abort smmuv3-iommu-memory-region-platform-sid-0xff00 ' +
          'sid=0xff00 abort on iova:0x10000000 is_write=0',
      ),
    ).to.deep.include({ kind: 'smmu-abort', sid: 0xff00, iova: 0x10000000 });
  });

  it('ignores other output and other trace events', () => {
    expect(parseTraceLine('qemu-system-aarch64: warning: something')).to.equal(null);
    expect(parseTraceLine('1@2.000003:smmuv3_config_cache_hit sid=0x0 hits=1')).to.equal(null);
  });

  it('refuses a malformed line of an event it owns, naming it', () => {
    expect(() =>
      parseTraceLine('1@2.000003:xgmac_dma xgmac=0 dir=sideways what=rx-desc iova=0x0 len=32 result=ok'),
    ).to.throw(TraceParseError, /dir=sideways/);
    expect(() => parseTraceLine('1@2.000003:xgmac_irq line=0 level=1')).to.throw(TraceParseError, /missing xgmac/);
    expect(() => parseTraceLine('1@2.000003:xgmac_tx_frame xgmac=0 size=142 fnv1a=0x12')).to.throw(
      TraceParseError,
      /fnv1a=0x12 is not 16 hex digits/,
    );
  });
});
