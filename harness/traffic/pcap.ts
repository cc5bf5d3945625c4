// SPDX-License-Identifier: GPL-2.0-only
/**
 * The frames on the wire as a classic pcap file (LINKTYPE_ETHERNET,
 * microsecond stamps of the harness's wall clock): what the XGMAC sent,
 * for the judge and for Wireshark or tcpdump -r alike.
 */
import type { WireFrame } from './frame-source.ts';

const MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export function toPcap(frames: readonly WireFrame[]): Buffer {
  const head = Buffer.alloc(GLOBAL_HEADER);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(SNAPLEN, 16);
  head.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const records = frames.map((f) => {
    const r = Buffer.alloc(RECORD_HEADER);
    const us = Math.round(f.t * 1000);
    r.writeUInt32LE(Math.floor(us / 1e6), 0);
    r.writeUInt32LE(us % 1e6, 4);
    r.writeUInt32LE(f.bytes.length, 8);
    r.writeUInt32LE(f.bytes.length, 12);
    return Buffer.concat([r, f.bytes]);
  });
  return Buffer.concat([head, ...records]);
}

export class PcapError extends Error {
  override readonly name = 'PcapError';
}

/** The frames of a pcap file toPcap wrote (little-endian, microseconds); throws PcapError on anything else. */
export function fromPcap(file: Buffer): WireFrame[] {
  if (file.length < GLOBAL_HEADER || file.readUInt32LE(0) !== MAGIC)
    throw new PcapError('not a little-endian microsecond pcap file');
  if (file.readUInt32LE(20) !== LINKTYPE_ETHERNET) throw new PcapError('not an Ethernet capture');
  const frames: WireFrame[] = [];
  for (let at = GLOBAL_HEADER; at < file.length;) {
    if (at + RECORD_HEADER > file.length) throw new PcapError(`a record header is cut short at byte ${at}`);
    const len = file.readUInt32LE(at + 8);
    const end = at + RECORD_HEADER + len;
    if (end > file.length) throw new PcapError(`a frame of ${len} bytes is cut short at byte ${at}`);
    const t = file.readUInt32LE(at) * 1000 + file.readUInt32LE(at + 4) / 1000;
    frames.push({ t, bytes: Buffer.from(file.subarray(at + RECORD_HEADER, end)) });
    at = end;
  }
  return frames;
}
