// SPDX-License-Identifier: GPL-2.0-only
/**
 * The wire: what the device sent, kept as a pcap file and judged by the
 * wire oracles (a frame after the release; the next user's canary in one),
 * on frames made to show each case.
 */
import { expect } from 'chai';
import { fromPcap, PcapError, toPcap } from '../../harness/traffic/pcap.ts';
import { fnv1a64, user1FramesOnWire, wireOracles, type WireWindow } from '../../harness/oracles/wire-oracle.ts';
import {
  buildFrame,
  CANARY_BLOCK_LEN,
  CANARY_MAGIC,
  findCanary,
  payloadKey,
  TX_SEQ_BASE,
} from '../../harness/traffic/payload.ts';
import { parseTrace } from '../../harness/trace/l0-trace.ts';

const KEY = payloadKey('wire');
const KILL = 1_000_000;
const W: WireWindow = {
  instance: 0,
  killAt: KILL,
  from: KILL + 50,
  to: KILL + 5000,
  key: KEY,
  canaryBase: 0x1000_0000,
};
const line = (ms: number, rest: string) => `1@${(ms / 1000).toFixed(6)}:${rest}`;

/** `blocks` canary blocks of run `runId` from block `first` on, as the reset probe fills its memory. */
function canary(runId: number, first: number, blocks: number): Buffer {
  const out = Buffer.alloc(blocks * CANARY_BLOCK_LEN);
  for (let i = 0; i < blocks; i++) {
    CANARY_MAGIC.copy(out, i * CANARY_BLOCK_LEN);
    out.writeUInt32LE(runId, i * CANARY_BLOCK_LEN + 8);
    out.writeUInt32LE(first + i, i * CANARY_BLOCK_LEN + 12);
  }
  return out;
}

describe('the wire: frames the device sent', () => {
  it('keeps frames as a pcap file that reads back exactly, stamps to the microsecond', () => {
    const frames = [
      { t: 1_796_000_000_123.456, bytes: buildFrame(KEY, 1) },
      { t: 1_796_000_001_000, bytes: Buffer.from('short') },
    ];
    const file = toPcap(frames);
    expect(file.readUInt32LE(0)).to.equal(0xa1b2c3d4);
    expect(fromPcap(file)).to.deep.equal(frames);
    expect(fromPcap(toPcap([]))).to.deep.equal([]);
  });

  it('refuses a capture cut short or of another kind, saying which', () => {
    const file = toPcap([{ t: 1, bytes: buildFrame(KEY, 1) }]);
    expect(() => fromPcap(file.subarray(0, file.length - 3))).to.throw(PcapError, /cut short at byte 24/);
    expect(() => fromPcap(Buffer.alloc(24))).to.throw(PcapError, /not a little-endian microsecond pcap/);
  });

  it('hashes a frame as the L0 model traces it (64-bit FNV-1a)', () => {
    expect(fnv1a64(Buffer.alloc(0))).to.equal('cbf29ce484222325');
    expect(fnv1a64(Buffer.from('a'))).to.equal('af63dc4c8601ec8c');
  });

  it("counts user #1's own frames before the kill, not the harness's nor another run's", () => {
    const wire = [
      { t: KILL - 30, bytes: buildFrame(KEY, TX_SEQ_BASE + 7) },
      { t: KILL - 20, bytes: buildFrame(KEY, 7) },
      { t: KILL - 10, bytes: buildFrame(payloadKey('other'), TX_SEQ_BASE + 8) },
      { t: KILL + 10, bytes: buildFrame(KEY, TX_SEQ_BASE + 9) },
    ];
    expect(user1FramesOnWire(wire, KEY, KILL)).to.equal(1);
  });

  it('finds whole canary blocks of this run only, with their index', () => {
    const bytes = Buffer.concat([Buffer.alloc(14), canary(KEY.runId, 4096, 2), canary(KEY.runId + 1, 1, 1)]);
    expect(findCanary(KEY.runId, bytes)).to.deep.equal([
      { offset: 14, index: 4096 },
      { offset: 30, index: 4097 },
    ]);
    expect(findCanary(KEY.runId, bytes.subarray(0, 14 + CANARY_BLOCK_LEN - 1))).to.deep.equal([]);
  });

  it("sees a frame sent after the release, and the next user's canary in one, with where it came from", () => {
    const leaked = Buffer.concat([canary(KEY.runId, 4096, 8), Buffer.alloc(14)]);
    const trace = parseTrace(
      [
        line(KILL - 5, `xgmac_tx_frame xgmac=0 size=142 fnv1a=0x0000000000000001`),
        line(KILL + 900, `xgmac_tx_frame xgmac=0 size=142 fnv1a=0x${fnv1a64(leaked).padStart(16, '0')}`),
      ].join('\n'),
    );
    const wire = [
      { t: KILL - 5, bytes: buildFrame(KEY, TX_SEQ_BASE) },
      { t: KILL + 901, bytes: leaked },
    ];
    const [after, leak] = wireOracles(trace, wire, W);
    expect(after).to.deep.include({ oracle: 'wire-after-release', fired: true, count: 1 });
    expect(after!.first).to.deep.equal({
      tRelMs: 900,
      detail: `142-byte frame, FNV-1a ${fnv1a64(leaked)}, received on the wire`,
    });
    expect(leak).to.deep.include({ oracle: 'wire-leak', fired: true, count: 1 });
    expect(leak!.first!.tRelMs).to.equal(901);
    expect(leak!.first!.detail).to.equal(
      "142-byte frame carries 8 canary blocks of the next user's memory, " +
        'from IOVA 0x10010000 to 0x10010070 (blocks 4096..4103), ' +
        `at frame offset 0: ${canary(KEY.runId, 4096, 1).toString('hex')}`,
    );
  });

  it('stays silent for frames before the release, and has no leak oracle where the next user has no canary', () => {
    const trace = parseTrace(line(KILL + 10, 'xgmac_tx_frame xgmac=0 size=142 fnv1a=0x0000000000000001'));
    const wire = [{ t: KILL + 10, bytes: canary(KEY.runId, 0, 8) }];
    expect(wireOracles(trace, wire, W).map((o) => o.fired)).to.deep.equal([false, false]);
    expect(wireOracles(trace, wire, { ...W, canaryBase: null }).map((o) => o.oracle)).to.deep.equal([
      'wire-after-release',
    ]);
  });
});
