// SPDX-License-Identifier: GPL-2.0-only
/** Renders the XGMAC's facts (register map, compatible string) as a C header for the agents: one definition. */
import { XGMAC_BITS, XGMAC_DESC_SIZE, XGMAC_PROFILE, XGMAC_REGS } from './xgmac.ts';

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}u`;

export function xgmacHeader(): string {
  const lines = [
    '/* Generated from harness/devices/xgmac.ts by harness/devices/c-header.ts: do not edit. */',
    '#ifndef XGMAC_REGS_H',
    '#define XGMAC_REGS_H',
    '',
    ...Object.entries(XGMAC_REGS).map(([name, value]) => `#define XGMAC_${name} ${hex(value)}`),
    '',
    ...Object.entries(XGMAC_BITS).map(([name, value]) => `#define XGMAC_${name} ${hex(value)}`),
    '',
    `#define XGMAC_DESC_SIZE ${XGMAC_DESC_SIZE}`,
    '',
    '/* SMMUv3 stream ID of instance i: XGMAC_SID_BASE + i. */',
    `#define XGMAC_SID_BASE ${hex(XGMAC_PROFILE.sidBase)}`,
    '',
    '/* The device-tree compatible string the L2 probe looks for. */',
    `#define XGMAC_COMPATIBLE ${JSON.stringify(XGMAC_PROFILE.compatible)}`,
    '',
    '#endif',
    '',
  ];
  return lines.join('\n');
}

// `tsx harness/devices/c-header.ts > xgmac-regs.h`, for building the agents by hand.
if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(xgmacHeader());
