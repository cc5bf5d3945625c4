// SPDX-License-Identifier: GPL-2.0-only
/**
 * SipHash-2-4 (Aumasson and Bernstein), the keyed check value of the run's
 * frame payloads. The C agents implement the same function; both are
 * tested against the reference vectors.
 */
const MASK = (1n << 64n) - 1n;

const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK;

function readLe64(bytes: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}

/** SipHash-2-4 of `message` under a 16-byte key, as a 64-bit unsigned value. */
export function siphash24(key: Uint8Array, message: Uint8Array): bigint {
  if (key.length !== 16) throw new Error('SipHash key must be 16 bytes');
  const k0 = readLe64(key, 0);
  const k1 = readLe64(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n);
    v1 ^= v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n);
    v3 ^= v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n);
    v3 ^= v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n);
    v1 ^= v2;
    v2 = rotl(v2, 32n);
  };
  const whole = message.length - (message.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const m = readLe64(message, i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(message.length & 0xff) << 56n;
  for (let i = message.length - 1; i >= whole; i--) last |= BigInt(message[i] ?? 0) << BigInt(8 * (i - whole));
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}
