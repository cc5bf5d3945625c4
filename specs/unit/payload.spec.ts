// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { siphash24 } from '../../harness/traffic/siphash.ts';
import {
  buildFrame,
  buildPayload,
  FRAME_HEADER_LEN,
  PAYLOAD_LEN,
  PAYLOAD_MAGIC,
  payloadKey,
  scanForPayloads,
  verifyPayload,
} from '../../harness/traffic/payload.ts';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

describe('siphash24 (reference vectors, key 00..0f, message 00..n-1)', () => {
  it('matches the paper for the 15-byte message', () => {
    expect(siphash24(KEY, bytes(15))).to.equal(0xa129ca6149be45e5n);
  });
  it('matches the reference implementation for the empty and 1-byte messages', () => {
    expect(siphash24(KEY, bytes(0))).to.equal(0x726fdb47dd0e0e31n);
    expect(siphash24(KEY, bytes(1))).to.equal(0x74f839c593dc67fdn);
  });
  it('matches for an exact multiple of 8 bytes (16)', () => {
    expect(siphash24(KEY, bytes(16))).to.equal(0x3f2acc7f57c29bdbn);
  });
});

describe('run-keyed payloads', () => {
  const k = payloadKey('seed-1');

  it('derives the same key and run id from the same seed, and others from another seed', () => {
    expect(payloadKey('seed-1').key.equals(k.key)).to.equal(true);
    expect(payloadKey('seed-2').key.equals(k.key)).to.equal(false);
    expect(payloadKey('seed-2').runId).to.not.equal(k.runId);
  });

  it('recognises a payload with the key and recovers its sequence number', () => {
    expect(verifyPayload(k, buildPayload(k, 41))).to.equal(41);
  });

  it('rejects the payload under another run key, and a payload with one byte changed', () => {
    const p = buildPayload(k, 7);
    expect(verifyPayload(payloadKey('other'), p)).to.equal(null);
    const tampered = Buffer.from(p);
    tampered[12] = (tampered[12] ?? 0) ^ 1;
    expect(verifyPayload(k, tampered)).to.equal(null);
  });

  it('fills the whole payload with keyed bytes that differ from frame to frame', () => {
    const a = buildPayload(k, 1);
    const b = buildPayload(k, 2);
    expect(a.length).to.equal(PAYLOAD_LEN);
    expect(a.subarray(24).equals(b.subarray(24))).to.equal(false);
    expect(a.subarray(24).includes(Buffer.alloc(8))).to.equal(false);
  });

  it('scans memory for payloads: finds each one at its offset, ignores a bare magic', () => {
    const memory = Buffer.alloc(8192);
    buildPayload(k, 3).copy(memory, 100);
    PAYLOAD_MAGIC.copy(memory, 2000);
    buildPayload(k, 9).copy(memory, 4096 + FRAME_HEADER_LEN);
    expect(scanForPayloads(k, memory)).to.deep.equal([
      { offset: 100, seq: 3 },
      { offset: 4096 + FRAME_HEADER_LEN, seq: 9 },
    ]);
    expect(scanForPayloads(k, Buffer.alloc(8192))).to.deep.equal([]);
  });

  it('builds broadcast frames with the local experimental EtherType', () => {
    const f = buildFrame(k, 5);
    expect(f.subarray(0, 6).equals(Buffer.alloc(6, 0xff))).to.equal(true);
    expect(f.readUInt16BE(12)).to.equal(0x88b5);
    expect(verifyPayload(k, f, FRAME_HEADER_LEN)).to.equal(5);
  });
});
