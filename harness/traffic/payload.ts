// SPDX-License-Identifier: GPL-2.0-only
/**
 * Frame payloads keyed per run. A payload carries the run id, a sequence
 * number and a SipHash check value under the run's key, and is filled with
 * keyed bytes, so that a scanner holding only the key recognises a payload
 * (or a fragment of one) in memory, and nothing but a DMA write of one of
 * this run's frames can put it there: the pattern itself exists nowhere
 * before the frame is sent.
 */
import { createHash } from 'node:crypto';
import { siphash24 } from './siphash.ts';

export const PAYLOAD_MAGIC = Buffer.from('vfioRST1', 'ascii');
export const PAYLOAD_LEN = 128;
/** The bytes that must be present for a payload to be recognised (magic, run id, seq, check value). */
export const PAYLOAD_RECOGNISED_LEN = 24;
/** IEEE 802 local experimental EtherType. */
export const ETHERTYPE = 0x88b5;
export const SOURCE_MAC = Buffer.from([0x52, 0x54, 0x00, 0x76, 0x66, 0x72]);
const BROADCAST = Buffer.alloc(6, 0xff);

export interface PayloadKey {
  readonly seed: string;
  readonly runId: number;
  readonly key: Buffer;
}

/** The run's key and id, derived from its seed (recorded in the report, so a run can be replayed). */
export function payloadKey(seed: string): PayloadKey {
  const digest = createHash('sha256').update('vfio-reset payload key\0').update(seed).digest();
  return { seed, runId: digest.readUInt32LE(16), key: digest.subarray(0, 16) };
}

function u64le(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
}

function fillerBlock(k: PayloadKey, seq: number, index: number): Buffer {
  const m = Buffer.alloc(12);
  m.writeUInt32LE(k.runId, 0);
  m.writeUInt32LE(seq >>> 0, 4);
  m.writeUInt32LE(index, 8);
  return u64le(siphash24(k.key, m));
}

export function buildPayload(k: PayloadKey, seq: number): Buffer {
  const p = Buffer.alloc(PAYLOAD_LEN);
  PAYLOAD_MAGIC.copy(p, 0);
  p.writeUInt32LE(k.runId, 8);
  p.writeUInt32LE(seq >>> 0, 12);
  u64le(siphash24(k.key, p.subarray(8, 16))).copy(p, 16);
  for (let off = 24, i = 0; off < PAYLOAD_LEN; off += 8, i++) fillerBlock(k, seq, i).copy(p, off);
  return p;
}

/** The payload's sequence number if `bytes` holds one of this run's payloads at `offset`, else null. */
export function verifyPayload(k: PayloadKey, bytes: Buffer, offset = 0): number | null {
  if (offset + PAYLOAD_RECOGNISED_LEN > bytes.length) return null;
  if (!bytes.subarray(offset, offset + 8).equals(PAYLOAD_MAGIC)) return null;
  if (bytes.readUInt32LE(offset + 8) !== k.runId) return null;
  const check = bytes.readBigUInt64LE(offset + 16);
  if (check !== siphash24(k.key, bytes.subarray(offset + 8, offset + 16))) return null;
  return bytes.readUInt32LE(offset + 12);
}

/** Every payload of this run found in `memory`, by offset. */
export function scanForPayloads(k: PayloadKey, memory: Buffer): Array<{ offset: number; seq: number }> {
  const found: Array<{ offset: number; seq: number }> = [];
  for (let at = memory.indexOf(PAYLOAD_MAGIC); at !== -1; at = memory.indexOf(PAYLOAD_MAGIC, at + 1)) {
    const seq = verifyPayload(k, memory, at);
    if (seq !== null) found.push({ offset: at, seq });
  }
  return found;
}

/** A broadcast Ethernet frame carrying payload `seq`. */
export function buildFrame(k: PayloadKey, seq: number): Buffer {
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ETHERTYPE);
  return Buffer.concat([BROADCAST, SOURCE_MAC, type, buildPayload(k, seq)]);
}

export const FRAME_HEADER_LEN = 14;

/** The sequence numbers of the frames user #1 sends itself; the harness's frames count from 0. */
export const TX_SEQ_BASE = 0x8000_0000;

/**
 * The canary the next user fills its memory with before mapping it at the
 * old IOVAs: blocks of the magic, the run id and the block's index (its
 * offset / CANARY_BLOCK_LEN), so that bytes of it found anywhere say whose
 * memory they are and from where in it.
 */
export const CANARY_MAGIC = Buffer.from('vfioCNRY', 'ascii');
export const CANARY_BLOCK_LEN = 16;

/** Every whole canary block of run `runId` in `bytes`: where it is, and its index in the next user's memory. */
export function findCanary(runId: number, bytes: Buffer): Array<{ offset: number; index: number }> {
  const found: Array<{ offset: number; index: number }> = [];
  for (let at = bytes.indexOf(CANARY_MAGIC); at !== -1; at = bytes.indexOf(CANARY_MAGIC, at + 1)) {
    if (at + CANARY_BLOCK_LEN <= bytes.length && bytes.readUInt32LE(at + 8) === runId)
      found.push({ offset: at, index: bytes.readUInt32LE(at + 12) });
  }
  return found;
}
